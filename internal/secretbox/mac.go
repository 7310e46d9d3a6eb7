package secretbox

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
)

// Keyed hashes. Some values must be recognised but never recovered, such as
// a one-time code sent by email (package oob): a store that holds only an
// HMAC-SHA256 of the code under a key derived from the master key tells
// nothing about the code to someone who reads the database without the key
// file, whereas an unkeyed hash of six digits is undone by trying the
// million candidates. The MAC key of each purpose is expanded with HKDF
// (RFC 5869) from the master key, so that a MAC key never equals the
// sealing key or another purpose's MAC key.
//
// A MAC made under a master key that a rotation retired is still checked
// by CheckMAC while the Box holds that key (until FinishRekey), and fails
// after it: keyed hashes suit short-lived values only.

// macSalt separates the MAC keys from every other use of the master key.
const macSalt = "otpgate secretbox mac v1"

// macRoot is HKDF-Extract of key.
func macRoot(key []byte) []byte {
	prk, err := hkdf.Extract(sha256.New, key, []byte(macSalt))
	if err != nil {
		panic(err) // SHA-256 and a 32-byte key never fail
	}
	return prk
}

func (k boxKey) sum(purpose string, msg []byte) []byte {
	key, err := hkdf.Expand(sha256.New, k.mac, purpose, sha256.Size)
	if err != nil {
		panic(err) // 32 bytes of SHA-256 output never fail
	}
	h := hmac.New(sha256.New, key)
	h.Write(msg)
	return h.Sum(nil)
}

// MAC returns the HMAC-SHA256 of msg under the key for purpose derived from
// b's current master key. purpose names the use ("oob code v1"); msg must
// encode its fields unambiguously.
func (b *Box) MAC(purpose string, msg []byte) []byte {
	return b.keys[0].sum(purpose, msg)
}

// CheckMAC reports whether mac is MAC(purpose, msg) under any master key b
// holds, in constant time for each key.
func (b *Box) CheckMAC(purpose string, msg, mac []byte) bool {
	ok := false
	for _, k := range b.keys {
		ok = hmac.Equal(k.sum(purpose, msg), mac) || ok
	}
	return ok
}
