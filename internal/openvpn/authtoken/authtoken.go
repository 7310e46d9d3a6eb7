// Package authtoken signs and verifies the auth tokens otpgate pushes to
// OpenVPN clients, so that a TLS renegotiation or a reconnect within the
// token's lifetime needs no new one-time code.
//
// OpenVPN's --auth-token (openvpn(8); added in 2.3.0) lets a
// --client-connect script push `auth-token TOKEN`; the client then sends
// TOKEN instead of its password on every later authentication of the session,
// and the verify script accepts it. A token here is
//
//	"OTPGATE_AT1_" base64url(issued[8] || expires[8] || id[12] || mac[32])
//
// without padding, 92 characters of [A-Za-z0-9_-]: no comma, quote or space
// to break a PUSH_REPLY, and under the 127 bytes a client built without
// PKCS#11 can store. mac is HMAC-SHA256 under a 32-byte [Key] over a domain
// label, the username, a binding and the body, so a token is bound to its
// user and binding and its times cannot be stretched. The binding is what
// the caller can check again on every use: otpgate uses the SHA-256 digest of
// the client certificate when there is one. The id is random and names the
// session in logs. Keys live in a PEM file that several servers may share.
//
// Use [Key.Sign] in client-connect and [Key.Verify] when a password starts
// with [Prefix]. OpenVPN's own --auth-gen-token tokens ("SESS_ID_AT_") are a
// different format, checked by OpenVPN itself.
package authtoken

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Prefix starts every token.
const Prefix = "OTPGATE_AT1_"

const (
	idSize    = 12
	macSize   = sha256.Size
	bodySize  = 8 + 8 + idSize
	tokenSize = bodySize + macSize
	// Len is the length of every token.
	Len = len(Prefix) + (tokenSize*8+5)/6
	// MaxSkew is how far in the future an issue time may lie, for servers
	// sharing a key whose clocks differ.
	MaxSkew = 5 * time.Minute
	// MaxLifetime bounds a token's lifetime.
	MaxLifetime = 31 * 24 * time.Hour
	domain      = "otpgate openvpn auth-token v1\x00"
)

// Errors of Verify. A caller treats all three alike (a full login again);
// they differ for the log.
var (
	ErrMalformed = errors.New("authtoken: malformed token")
	ErrInvalid   = errors.New("authtoken: token does not verify for this user and binding")
	ErrExpired   = errors.New("authtoken: token expired")
)

// ID names the session a token was issued for, in logs.
type ID [idSize]byte

// String returns the id in base64, as OpenVPN prints its own session ids.
func (id ID) String() string { return base64.StdEncoding.EncodeToString(id[:]) }

// Claims is what a verified token says.
type Claims struct {
	ID      ID
	Issued  time.Time
	Expires time.Time
}

var enc = base64.RawURLEncoding.Strict()

// Sign returns a new token for user and binding, valid from now for
// lifetime (at most MaxLifetime).
func (k *Key) Sign(user, binding string, now time.Time, lifetime time.Duration) (string, Claims, error) {
	if lifetime <= 0 || lifetime > MaxLifetime {
		return "", Claims{}, fmt.Errorf("authtoken: lifetime %v out of range (up to %v)", lifetime, MaxLifetime)
	}
	c := Claims{Issued: time.Unix(now.Unix(), 0), Expires: time.Unix(now.Add(lifetime).Unix(), 0)}
	if _, err := rand.Read(c.ID[:]); err != nil {
		return "", Claims{}, fmt.Errorf("authtoken: %w", err)
	}
	var b [tokenSize]byte
	binary.BigEndian.PutUint64(b[0:8], uint64(c.Issued.Unix()))
	binary.BigEndian.PutUint64(b[8:16], uint64(c.Expires.Unix()))
	copy(b[16:bodySize], c.ID[:])
	k.mac(b[bodySize:bodySize], user, binding, b[:bodySize])
	return Prefix + enc.EncodeToString(b[:]), c, nil
}

// Verify checks token for user and binding at now: the MAC first, in
// constant time, then the times. It returns the token's claims when it is
// valid.
func (k *Key) Verify(token, user, binding string, now time.Time) (Claims, error) {
	body, ok := strings.CutPrefix(token, Prefix)
	if !ok || len(token) != Len {
		return Claims{}, ErrMalformed
	}
	var b [tokenSize]byte
	if n, err := enc.Decode(b[:], []byte(body)); err != nil || n != tokenSize {
		return Claims{}, ErrMalformed
	}
	want := k.mac(make([]byte, 0, macSize), user, binding, b[:bodySize])
	if !hmac.Equal(want, b[bodySize:]) {
		return Claims{}, ErrInvalid
	}
	c := Claims{
		Issued:  time.Unix(int64(binary.BigEndian.Uint64(b[0:8])), 0),
		Expires: time.Unix(int64(binary.BigEndian.Uint64(b[8:16])), 0),
	}
	copy(c.ID[:], b[16:bodySize])
	if c.Issued.After(now.Add(MaxSkew)) || !now.Before(c.Expires) {
		return c, ErrExpired
	}
	return c, nil
}

// mac appends HMAC-SHA256(key, domain || len(user) || user || len(binding)
// || binding || body) to dst. The lengths keep user and binding apart.
func (k *Key) mac(dst []byte, user, binding string, body []byte) []byte {
	m := hmac.New(sha256.New, k.k[:])
	m.Write([]byte(domain))
	for _, s := range []string{user, binding} {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(s)))
		m.Write(n[:])
		m.Write([]byte(s))
	}
	m.Write(body)
	return m.Sum(dst)
}
