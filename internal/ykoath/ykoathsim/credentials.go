package ykoathsim

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"hash"

	"otpgate.dev/otpgate/internal/ykoath"
)

// credential is one stored OATH credential.
type credential struct {
	id      []byte
	typ     byte // OATH type (high nibble) | hash (low nibble)
	digits  byte
	key     []byte
	props   byte   // accepted and kept, otherwise ignored
	counter uint64 // HOTP moving factor: IMF plus codes computed so far
}

// hashOf returns the hash of an algorithm nibble, nil if unknown.
func hashOf(alg byte) func() hash.Hash {
	switch alg & 0x0f {
	case 0x01:
		return sha1.New
	case 0x02:
		return sha256.New
	case 0x03:
		return sha512.New
	}
	return nil
}

func mac(alg byte, key, msg []byte) []byte {
	m := hmac.New(hashOf(alg), key)
	m.Write(msg)
	return m.Sum(nil)
}

func (a *Applet) find(id []byte) int {
	for i, c := range a.creds {
		if bytes.Equal(c.id, id) {
			return i
		}
	}
	return -1
}

// put handles PUT: NAME, KEY (type, digits, key), then optionally
// PROPERTY and IMF. A credential with the same name is replaced in place.
func (a *Applet) put(cmd command) ([]byte, uint16) {
	if cmd.p1p2() != 0 {
		return nil, ykoath.SWWrongP1P2
	}
	r := reader{cmd.data}
	id, ok := r.next(ykoath.TagName)
	if !ok || len(id) == 0 || len(id) > 64 {
		return nil, ykoath.SWWrongSyntax
	}
	k, ok := r.next(ykoath.TagKey)
	if !ok || len(k) < 2 {
		return nil, ykoath.SWWrongSyntax
	}
	c := &credential{id: bytes.Clone(id), typ: k[0], digits: k[1], key: bytes.Clone(k[2:])}
	if sw := checkCredential(c); sw != ykoath.SWSuccess {
		return nil, sw
	}
	if r.at(ykoath.TagProperty) {
		if c.props, ok = r.property(); !ok {
			return nil, ykoath.SWWrongSyntax
		}
	}
	if r.at(ykoath.TagIMF) {
		imf, ok := r.next(ykoath.TagIMF)
		if !ok || len(imf) != 4 {
			return nil, ykoath.SWWrongSyntax
		}
		c.counter = uint64(binary.BigEndian.Uint32(imf))
	}
	return a.store(c)
}

func checkCredential(c *credential) uint16 {
	t, h := c.typ&0xf0, hashOf(c.typ)
	switch {
	case t != 0x10 && t != 0x20, h == nil:
		return ykoath.SWWrongSyntax
	case c.digits < 6 || c.digits > 8:
		return ykoath.SWWrongSyntax
	case len(c.key) > h().BlockSize():
		return ykoath.SWWrongSyntax
	}
	return ykoath.SWSuccess
}

func (a *Applet) store(c *credential) ([]byte, uint16) {
	if i := a.find(c.id); i >= 0 {
		a.creds[i] = c
		return nil, ykoath.SWSuccess
	}
	if len(a.creds) >= a.max {
		return nil, ykoath.SWNoSpace
	}
	a.creds = append(a.creds, c)
	return nil, ykoath.SWSuccess
}

func (a *Applet) delete(cmd command) ([]byte, uint16) {
	if cmd.p1p2() != 0 {
		return nil, ykoath.SWWrongP1P2
	}
	r := reader{cmd.data}
	id, ok := r.next(ykoath.TagName)
	if !ok {
		return nil, ykoath.SWWrongSyntax
	}
	i := a.find(id)
	if i < 0 {
		return nil, ykoath.SWNoSuchObject
	}
	a.creds = append(a.creds[:i], a.creds[i+1:]...)
	return nil, ykoath.SWSuccess
}

// list handles LIST: NAME_LIST with the type byte and name per credential.
func (a *Applet) list(cmd command) ([]byte, uint16) {
	if cmd.p1p2() != 0 {
		return nil, ykoath.SWWrongP1P2
	}
	var out []byte
	for _, c := range a.creds {
		out = ykoath.AppendTLV(out, ykoath.TagNameList, append([]byte{c.typ}, c.id...))
	}
	return out, ykoath.SWSuccess
}

// calculate handles CALCULATE: P2 00 for the full HMAC, 01 truncated.
func (a *Applet) calculate(cmd command) ([]byte, uint16) {
	if cmd.p1 != 0 || cmd.p2 > 1 {
		return nil, ykoath.SWWrongP1P2
	}
	r := reader{cmd.data}
	id, ok := r.next(ykoath.TagName)
	if !ok {
		return nil, ykoath.SWWrongSyntax
	}
	i := a.find(id)
	if i < 0 {
		return nil, ykoath.SWNoSuchObject
	}
	chal, ok := r.next(ykoath.TagChallenge)
	if !ok {
		return nil, ykoath.SWWrongSyntax
	}
	return a.creds[i].response(chal, cmd.p2 == 1)
}

// calculateAll handles CALCULATE ALL: NAME then a response per credential;
// HOTP credentials get only their digits, under tag HOTP, and keep their
// counter.
func (a *Applet) calculateAll(cmd command) ([]byte, uint16) {
	if cmd.p1 != 0 || cmd.p2 > 1 {
		return nil, ykoath.SWWrongP1P2
	}
	r := reader{cmd.data}
	chal, ok := r.next(ykoath.TagChallenge)
	if !ok {
		return nil, ykoath.SWWrongSyntax
	}
	var out []byte
	for _, c := range a.creds {
		out = ykoath.AppendTLV(out, ykoath.TagName, c.id)
		if c.typ&0xf0 == 0x10 {
			out = ykoath.AppendTLV(out, ykoath.TagHOTP, []byte{c.digits})
			continue
		}
		resp, sw := c.response(chal, cmd.p2 == 1)
		if sw != ykoath.SWSuccess {
			return nil, sw
		}
		out = append(out, resp...)
	}
	return out, ykoath.SWSuccess
}

// pow10 indexes 10^digits for the digit counts PUT accepts.
var pow10 = [...]uint32{6: 1e6, 7: 1e7, 8: 1e8}

// response computes a RESPONSE or TRUNCATED TLV. TOTP signs the challenge
// (1 to 64 bytes); HOTP ignores it and signs its counter, then advances it.
// The truncated value is reduced modulo 10^digits, as the YubiKey 5.4.3
// recordings show (ykneo-oath sent the 31-bit value itself).
func (c *credential) response(chal []byte, truncated bool) ([]byte, uint16) {
	msg := chal
	if c.typ&0xf0 == 0x10 {
		msg = binary.BigEndian.AppendUint64(nil, c.counter)
		c.counter++
	} else if len(chal) == 0 || len(chal) > 64 {
		return nil, ykoath.SWWrongSyntax
	}
	sum := mac(c.typ, c.key, msg)
	if !truncated {
		return ykoath.AppendTLV(nil, ykoath.TagResponse, append([]byte{c.digits}, sum...)), ykoath.SWSuccess
	}
	off := sum[len(sum)-1] & 0x0f
	v := (binary.BigEndian.Uint32(sum[off:]) & 0x7fffffff) % pow10[c.digits]
	return ykoath.AppendTLV(nil, ykoath.TagTruncated, binary.BigEndian.AppendUint32([]byte{c.digits}, v)), ykoath.SWSuccess
}
