// Package vpcd connects a simulated card to a real PC/SC stack through the
// virtual reader of vsmartcard (Debian package vsmartcard-vpcd): pcscd's
// vpcd driver listens on port 35963 for a virtual card, and [Serve] dials
// it and answers as the card. With the ykoathsim applet behind it, ykman,
// OpenConnect and package pcsc see a YubiKey in the reader "Virtual PCD 00 00".
//
// The vpcd protocol (vsmartcard's vpcd/vicc sources) frames every message
// with a 2-byte big-endian length. A 1-byte message is a control code:
// 0 power off, 1 power on, 2 reset, 4 get ATR (answered with the ATR, the
// others get no answer). Any longer message is a command APDU, answered
// with the response APDU.
//
// pcscd binds its vpcd port to all interfaces: dial it over loopback only
// (DefaultAddr), and do not run it on a machine with untrusted neighbours.
package vpcd

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"

	"otpgate.dev/otpgate/internal/ykoath"
)

// DefaultAddr is pcscd's vpcd port for the first virtual reader, on loopback.
const DefaultAddr = "127.0.0.1:35963"

// ATR is the answer to reset of a YubiKey 5 (T=1), which Serve reports.
var ATR = []byte{
	0x3b, 0xfd, 0x13, 0x00, 0x00, 0x81, 0x31, 0xfe, 0x15, 0x80, 0x73, 0xc0,
	0x21, 0xc0, 0x57, 0x59, 0x75, 0x62, 0x69, 0x4b, 0x65, 0x79, 0x40,
}

// Control codes of the vpcd protocol.
const (
	ctrlOff   = 0
	ctrlOn    = 1
	ctrlReset = 2
	ctrlATR   = 4
)

// PowerCycler is implemented by cards that lose their volatile state on
// power off or reset, such as *ykoathsim.Applet.
type PowerCycler interface {
	PowerCycle()
}

// Serve dials the vpcd driver at addr and serves card until ctx is done
// (it then returns nil) or the connection fails. If card is a PowerCycler,
// power off, power on and reset call its PowerCycle. A Transmit error is
// answered with SW 6F00.
func Serve(ctx context.Context, addr string, card ykoath.Card) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("vpcd: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	defer conn.Close()
	err = serveConn(conn, card)
	if ctx.Err() != nil {
		return nil
	}
	return fmt.Errorf("vpcd: %s: %w", addr, err)
}

// serveConn answers messages on rw until it fails.
func serveConn(rw io.ReadWriter, card ykoath.Card) error {
	for {
		msg, err := readMsg(rw)
		if err != nil {
			return err
		}
		reply, ok := answer(msg, card)
		if !ok {
			continue
		}
		if err := writeMsg(rw, reply); err != nil {
			return err
		}
	}
}

// answer returns the reply to one message, and false if it needs none.
func answer(msg []byte, card ykoath.Card) ([]byte, bool) {
	if len(msg) != 1 {
		resp, err := card.Transmit(msg)
		if err != nil || len(resp) < 2 {
			return []byte{0x6f, 0x00}, true
		}
		return resp, true
	}
	switch msg[0] {
	case ctrlATR:
		return ATR, true
	case ctrlOff, ctrlOn, ctrlReset:
		if pc, ok := card.(PowerCycler); ok {
			pc.PowerCycle()
		}
	}
	return nil, false
}

func readMsg(r io.Reader) ([]byte, error) {
	var hdr [2]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	msg := make([]byte, binary.BigEndian.Uint16(hdr[:]))
	if _, err := io.ReadFull(r, msg); err != nil {
		return nil, err
	}
	if len(msg) == 0 {
		return nil, errors.New("empty message")
	}
	return msg, nil
}

func writeMsg(w io.Writer, msg []byte) error {
	if len(msg) > 0xffff {
		return fmt.Errorf("message of %d bytes, longer than 65535", len(msg))
	}
	_, err := w.Write(append(binary.BigEndian.AppendUint16(nil, uint16(len(msg))), msg...))
	return err
}
