package ykoath

import (
	"errors"
	"fmt"
)

// Card is a connection to a smart card, such as a PC/SC reader
// (package pcsc) or the in-process simulator (package ykoathsim).
//
// Transmit sends one command APDU and returns the whole response APDU: the
// response data followed by the status word SW1 SW2. An error means the
// exchange itself failed; a card that refuses a command answers with a
// status word instead.
type Card interface {
	Transmit(apdu []byte) ([]byte, error)
}

// StatusError is a status word other than 9000 (success) or 61xx (more
// data). Compare with errors.Is against the Err values below.
type StatusError uint16

// Status words that callers may want to tell apart. Each is a StatusError,
// so errors.Is(err, ErrAuthRequired) holds for any error wrapping SW 6982.
var (
	ErrAuthRequired   error = StatusError(SWAuthRequired)
	ErrNoSuchObject   error = StatusError(SWNoSuchObject)
	ErrWrongSyntax    error = StatusError(SWWrongSyntax)
	ErrNoSpace        error = StatusError(SWNoSpace)
	ErrAppletNotFound error = StatusError(SWAppletNotFound)
)

var swText = map[uint16]string{
	SWWrongLength:      "wrong length",
	SWMemoryFailure:    "memory failure",
	SWAuthRequired:     "authentication required: the applet is password protected, validate first",
	SWNoSuchObject:     "no such object",
	SWWrongSyntax:      "wrong syntax",
	SWAppletNotFound:   "OATH applet not found",
	SWNoSpace:          "no space left on the card",
	SWWrongP1P2:        "wrong parameters P1 P2",
	SWInsNotSupported:  "instruction not supported",
	SWClaNotSupported:  "class not supported",
	SWChainUnsupported: "command chaining not supported",
	SWUnknown:          "no precise diagnosis",
}

func (e StatusError) Error() string {
	if s, ok := swText[uint16(e)]; ok {
		return fmt.Sprintf("card status %04x: %s", uint16(e), s)
	}
	return fmt.Sprintf("card status %04x: unexpected", uint16(e))
}

// Limits against a card (or a relay pretending to be one) that never stops
// answering 61xx: a YubiKey's whole OATH store is a few kilobytes.
const (
	maxResponse = 64 << 10
	maxChained  = 512
)

// sendRemaining is SEND REMAINING, sent while SW1 is 61.
var sendRemaining = []byte{0x00, InsSendRemaining, 0x00, 0x00}

// command encodes a short command APDU with CLA 00 and no Le: case 1 when
// data is empty, case 3 otherwise, the way ykman and OpenConnect send them.
func command(ins, p1, p2 byte, data []byte) ([]byte, error) {
	if len(data) > 0xff {
		return nil, fmt.Errorf("command data of %d bytes is longer than a short APDU (255)", len(data))
	}
	apdu := []byte{0x00, ins, p1, p2}
	if len(data) > 0 {
		apdu = append(append(apdu, byte(len(data))), data...)
	}
	return apdu, nil
}

// exchange sends one command and collects its response, following 61xx
// with SEND REMAINING. Any final status other than 9000 is a StatusError.
func exchange(c Card, ins, p1, p2 byte, data []byte) ([]byte, error) {
	apdu, err := command(ins, p1, p2, data)
	if err != nil {
		return nil, err
	}
	var out []byte
	for range maxChained {
		resp, err := c.Transmit(apdu)
		if err != nil {
			return nil, fmt.Errorf("transmit: %w", err)
		}
		body, sw, err := splitSW(resp)
		if err != nil {
			return nil, err
		}
		if out = append(out, body...); len(out) > maxResponse {
			return nil, fmt.Errorf("response longer than %d bytes", maxResponse)
		}
		switch {
		case sw == SWSuccess:
			return out, nil
		case sw&0xff00 != SWMoreData:
			return nil, StatusError(sw)
		}
		apdu = sendRemaining
	}
	return nil, fmt.Errorf("response still incomplete after %d SEND REMAINING commands", maxChained)
}

func splitSW(resp []byte) (body []byte, sw uint16, err error) {
	n := len(resp)
	if n < 2 {
		return nil, 0, errors.New("response shorter than a status word")
	}
	return resp[:n-2], uint16(resp[n-2])<<8 | uint16(resp[n-1]), nil
}
