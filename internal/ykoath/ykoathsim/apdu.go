package ykoathsim

import "otpgate.dev/otpgate/internal/ykoath"

// command is a decoded short command APDU (ISO 7816-4 cases 1 to 4).
type command struct {
	cla, ins, p1, p2 byte
	data             []byte
}

func (c command) p1p2() uint16 { return uint16(c.p1)<<8 | uint16(c.p2) }

// parseCommand decodes a short APDU: 4 bytes (case 1), 5 bytes with Le
// (case 2), or header, Lc, data and an optional Le (cases 3 and 4).
// Extended lengths are not supported, like on the card's short-APDU path.
func parseCommand(apdu []byte) (command, uint16) {
	if len(apdu) < 4 {
		return command{}, ykoath.SWWrongLength
	}
	c := command{cla: apdu[0], ins: apdu[1], p1: apdu[2], p2: apdu[3]}
	if c.cla&^0x10 != 0 {
		return c, ykoath.SWClaNotSupported
	}
	if len(apdu) <= 5 {
		return c, ykoath.SWSuccess
	}
	lc := int(apdu[4])
	if lc == 0 || (len(apdu) != 5+lc && len(apdu) != 6+lc) {
		return c, ykoath.SWWrongLength
	}
	c.data = apdu[5 : 5+lc]
	return c, ykoath.SWSuccess
}

func status(sw uint16) []byte { return []byte{byte(sw >> 8), byte(sw)} }

// reader walks command data field by field, in the fixed order the
// applet expects them.
type reader struct{ b []byte }

// next reads a TLV that must have tag want.
func (r *reader) next(want byte) ([]byte, bool) {
	tag, v, rest, err := ykoath.ReadTLV(r.b)
	if err != nil || tag != want {
		return nil, false
	}
	r.b = rest
	return v, true
}

// at reports whether the next field has tag t.
func (r *reader) at(t byte) bool { return len(r.b) > 0 && r.b[0] == t }

// property reads PROPERTY the way the applet does: the tag and then the
// property byte, with no length byte between them.
func (r *reader) property() (byte, bool) {
	if len(r.b) < 2 {
		return 0, false
	}
	p := r.b[1]
	r.b = r.b[2:]
	return p, true
}
