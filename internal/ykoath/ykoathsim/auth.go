package ykoathsim

import (
	"bytes"
	"crypto/hmac"

	"otpgate.dev/otpgate/internal/ykoath"
)

// accessKey is the password's HMAC key set by SET CODE.
type accessKey struct {
	typ byte // as sent in SET CODE; its low nibble is the hash
	key []byte
}

// selectApplet handles SELECT by AID. Selecting the OATH applet ends any
// authentication and, with a password set, issues a new challenge. Other
// AIDs are not found, and leave the state as it was.
func (a *Applet) selectApplet(cmd command) ([]byte, uint16) {
	if cmd.p1 != 0x04 || cmd.p2 != 0x00 {
		return nil, ykoath.SWWrongP1P2
	}
	if !bytes.Equal(cmd.data, ykoath.AID) {
		return nil, ykoath.SWAppletNotFound
	}
	a.selected, a.authed, a.expect = true, false, nil
	out := ykoath.AppendTLV(nil, ykoath.TagVersion, a.version[:])
	out = ykoath.AppendTLV(out, ykoath.TagName, a.salt)
	if a.access != nil {
		chal := a.random(8)
		a.expect = mac(a.access.typ, a.access.key, chal)
		out = ykoath.AppendTLV(out, ykoath.TagChallenge, chal)
		out = ykoath.AppendTLV(out, ykoath.TagAlgorithm, []byte{a.access.typ})
	}
	return out, ykoath.SWSuccess
}

// validate handles VALIDATE: RESPONSE to the SELECT challenge, then the
// host's CHALLENGE (at least 8 bytes), which the applet answers. No
// password gives 6984; a wrong response gives 6A80.
func (a *Applet) validate(cmd command) ([]byte, uint16) {
	if cmd.p1p2() != 0 {
		return nil, ykoath.SWWrongP1P2
	}
	if a.access == nil {
		return nil, ykoath.SWNoSuchObject
	}
	r := reader{cmd.data}
	resp, ok := r.next(ykoath.TagResponse)
	if !ok || a.expect == nil || !hmac.Equal(resp, a.expect) {
		return nil, ykoath.SWWrongSyntax
	}
	chal, ok := r.next(ykoath.TagChallenge)
	if !ok || len(chal) < 8 || len(chal) > 64 {
		return nil, ykoath.SWWrongSyntax
	}
	a.authed = true
	return ykoath.AppendTLV(nil, ykoath.TagResponse, mac(a.access.typ, a.access.key, chal)), ykoath.SWSuccess
}

// setCode handles SET CODE: an empty KEY removes the password; otherwise
// KEY (type byte and key), CHALLENGE and RESPONSE, which must be the HMAC
// of the challenge under the new key (6984 if not). As in ykneo-oath, the
// authentication state is left alone: after setting a first password, the
// host must SELECT and VALIDATE again.
func (a *Applet) setCode(cmd command) ([]byte, uint16) {
	if cmd.p1p2() != 0 {
		return nil, ykoath.SWWrongP1P2
	}
	r := reader{cmd.data}
	k, ok := r.next(ykoath.TagKey)
	if !ok {
		return nil, ykoath.SWWrongSyntax
	}
	if len(k) == 0 {
		a.access = nil
		return nil, ykoath.SWSuccess
	}
	if h := hashOf(k[0]); h == nil || k[0]&0x0f == 0x03 || len(k) < 2 || len(k)-1 > h().BlockSize() {
		return nil, ykoath.SWWrongSyntax
	}
	chal, ok1 := r.next(ykoath.TagChallenge)
	resp, ok2 := r.next(ykoath.TagResponse)
	if !ok1 || !ok2 || len(chal) == 0 || len(resp) != hashOf(k[0])().Size() {
		return nil, ykoath.SWWrongSyntax
	}
	key := &accessKey{typ: k[0], key: bytes.Clone(k[1:])}
	if !hmac.Equal(resp, mac(key.typ, key.key, chal)) {
		return nil, ykoath.SWNoSuchObject
	}
	a.access = key
	return nil, ykoath.SWSuccess
}

// reset handles RESET (P1 P2 = DE AD): every credential and the password
// are erased and the salt changes. It needs no authentication.
func (a *Applet) reset(cmd command) ([]byte, uint16) {
	if cmd.p1p2() != 0xdead {
		return nil, ykoath.SWWrongP1P2
	}
	a.creds, a.access = nil, nil
	a.authed, a.expect = false, nil
	a.salt = a.random(8)
	return nil, ykoath.SWSuccess
}
