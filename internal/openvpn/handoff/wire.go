// Package handoff carries an OpenVPN script hook's login to `otpgate serve`
// on the same machine, over a local Unix socket (unix(7)), so that a hook
// process neither opens the store nor pays its commit: the daemon's group
// commit does (issue 20 item 3). Without a daemon ([ErrNoDaemon]) the hook
// opens the store itself, as before.
//
// The protocol is otpgate's own. Each message is a frame: a 4-byte
// big-endian length, then the body: one kind byte and the kind's fields,
// each a 2-byte big-endian length and its bytes. The hook speaks first
// (hello, with the site it would open), then asks any number of questions on
// the one connection, each answered before the next. A frame over
// [MaxFrame], an unknown kind or a wrong field count ends the connection;
// the hook then refuses its login (fail closed).
package handoff

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// MaxFrame bounds a frame's body: far above a login's fields (a password
// of 4 KiB is refused before it gets here), far below what a reader
// should buffer.
const MaxFrame = 16 << 10

// Version is the protocol's version, the first field of the hello.
const Version = "1"

// Message kinds, and how many fields each carries.
const (
	kindHello    = 'H' // version, db, primary, challenge TTL, prompt
	kindOK       = 'K' // the daemon serves this site
	kindMismatch = 'M' // reason: the daemon serves another site or policy
	kindAuth     = 'A' // user, password, code, challenge id, style, source, client
	kindResponse = 'R' // outcome, user, reason, challenge id, prompt, echo, expires
	kindActive   = 'V' // user
	kindIsActive = 'B' // "0" or "1"
	kindError    = 'E' // the service failed: its message
)

var fieldCount = map[byte]int{
	kindHello: 5, kindOK: 0, kindMismatch: 1, kindAuth: 7, kindResponse: 7,
	kindActive: 1, kindIsActive: 1, kindError: 1,
}

// message is one frame's body.
type message struct {
	kind   byte
	fields []string
}

var errFrame = errors.New("handoff: malformed frame")

// encode returns m as a frame.
func (m message) encode() ([]byte, error) {
	n := 1
	for _, f := range m.fields {
		if len(f) > 0xffff {
			return nil, fmt.Errorf("handoff: a field of %d bytes (at most 65535)", len(f))
		}
		n += 2 + len(f)
	}
	if n > MaxFrame {
		return nil, fmt.Errorf("handoff: a message of %d bytes (at most %d)", n, MaxFrame)
	}
	b := binary.BigEndian.AppendUint32(make([]byte, 0, 4+n), uint32(n))
	b = append(b, m.kind)
	for _, f := range m.fields {
		b = binary.BigEndian.AppendUint16(b, uint16(len(f)))
		b = append(b, f...)
	}
	return b, nil
}

// decode parses a frame's body: a known kind with its number of fields,
// and nothing after the last.
func decode(b []byte) (message, error) {
	if len(b) == 0 {
		return message{}, fmt.Errorf("%w: empty", errFrame)
	}
	m := message{kind: b[0]}
	want, ok := fieldCount[m.kind]
	if !ok {
		return message{}, fmt.Errorf("%w: unknown kind %#x", errFrame, m.kind)
	}
	b = b[1:]
	for len(b) > 0 {
		if len(b) < 2 || int(binary.BigEndian.Uint16(b)) > len(b)-2 {
			return message{}, fmt.Errorf("%w: a field runs past the frame", errFrame)
		}
		n := int(binary.BigEndian.Uint16(b))
		m.fields = append(m.fields, string(b[2:2+n]))
		b = b[2+n:]
	}
	if len(m.fields) != want {
		return message{}, fmt.Errorf("%w: kind %q with %d fields (want %d)", errFrame, m.kind, len(m.fields), want)
	}
	return m, nil
}

// read reads one frame and decodes it.
func read(r io.Reader) (message, error) {
	var h [4]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return message{}, err
	}
	n := binary.BigEndian.Uint32(h[:])
	if n == 0 || n > MaxFrame {
		return message{}, fmt.Errorf("%w: length %d (1 to %d)", errFrame, n, MaxFrame)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return message{}, fmt.Errorf("%w: %w", errFrame, err)
	}
	return decode(b)
}

func write(w io.Writer, m message) error {
	b, err := m.encode()
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}
