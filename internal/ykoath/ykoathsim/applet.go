// Package ykoathsim simulates the YubiKey OATH applet (YKOATH) in process.
// It is the test double for ykoath.Card, and package vpcd connects it to a
// real PC/SC stack so that ykman and OpenConnect can talk to it.
//
// Use [New] and pass the [Applet] wherever a ykoath.Card is wanted.
//
// The simulator follows the YKOATH protocol
// (https://developers.yubico.com/OATH/YKOATH_Protocol.html), Yubico's
// ykneo-oath applet source for the details the protocol leaves open
// (status words, the PROPERTY tag sent without a length, 61xx chaining of
// responses longer than 255 bytes, the HOTP counter), and recordings of a
// YubiKey 5.4.3 (package ykoath's testdata), whose truncated responses
// carry the code modulo 10^digits rather than the whole 31-bit value. It
// implements SELECT, PUT,
// DELETE, SET CODE, VALIDATE, LIST, CALCULATE (full and truncated),
// CALCULATE ALL, SEND REMAINING and RESET, with SHA-1, SHA-256 and SHA-512
// credentials, and ISO 7816 command chaining (CLA 10). It ignores the touch
// property: touch credentials are calculated as if touched. It does not
// implement RENAME or the only-increasing property.
package ykoathsim

import (
	"crypto/rand"
	"io"
	"sync"

	"otpgate.dev/otpgate/internal/ykoath"
)

// Options configure an Applet. The zero value simulates a YubiKey 5.4.3
// with a random salt.
type Options struct {
	Version        [3]byte   // zero: 5.4.3
	Salt           []byte    // the SELECT NAME; nil: 8 random bytes
	Rand           io.Reader // challenges and new salts; nil: crypto/rand
	MaxCredentials int       // 0: 32, as a YubiKey 5 before 5.7
}

// Applet is a simulated OATH applet. It is safe for concurrent use; like a
// real card it has one selection and authentication state for everyone.
type Applet struct {
	mu      sync.Mutex
	version [3]byte
	salt    []byte
	rand    io.Reader
	max     int
	creds   []*credential // in PUT order, as LIST shows them
	access  *accessKey    // nil: no password

	// Transient state, lost on SELECT or power cycle.
	selected bool
	authed   bool
	expect   []byte // our answer to the SELECT challenge
	pending  []byte // response bytes left for SEND REMAINING
	chained  []byte // command data received with CLA 10
}

// New returns an applet with no credentials and no password.
func New(opts Options) *Applet {
	a := &Applet{version: opts.Version, rand: opts.Rand, max: opts.MaxCredentials}
	if a.version == [3]byte{} {
		a.version = [3]byte{5, 4, 3}
	}
	if a.rand == nil {
		a.rand = rand.Reader
	}
	if a.max == 0 {
		a.max = 32
	}
	a.salt = append([]byte(nil), opts.Salt...)
	if opts.Salt == nil {
		a.salt = a.random(8)
	}
	return a
}

func (a *Applet) random(n int) []byte {
	b := make([]byte, n)
	if _, err := io.ReadFull(a.rand, b); err != nil {
		panic("ykoathsim: random source failed: " + err.Error())
	}
	return b
}

// Transmit processes one command APDU and returns the response data and
// status word. It never returns an error: problems are status words.
func (a *Applet) Transmit(apdu []byte) ([]byte, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.process(apdu), nil
}

// PowerCycle forgets the selection, the authentication and any pending
// response, as removing and inserting the card does.
func (a *Applet) PowerCycle() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.selected, a.authed = false, false
	a.expect, a.pending, a.chained = nil, nil, nil
}

// maxChained bounds the data of a chained command (ISO 7816 CLA 10).
const maxChained = 4096

func (a *Applet) process(apdu []byte) []byte {
	cmd, sw := parseCommand(apdu)
	if sw != ykoath.SWSuccess {
		return status(sw)
	}
	if cmd.ins != ykoath.InsSendRemaining {
		a.pending = nil
	}
	if cmd.cla&0x10 != 0 {
		if len(a.chained)+len(cmd.data) > maxChained {
			a.chained = nil
			return status(ykoath.SWWrongLength)
		}
		a.chained = append(a.chained, cmd.data...)
		return status(ykoath.SWSuccess)
	}
	if a.chained != nil {
		cmd.data, a.chained = append(a.chained, cmd.data...), nil
	}
	data, sw := a.dispatch(cmd)
	return a.send(data, sw)
}

type handler func(*Applet, command) ([]byte, uint16)

var handlers = map[byte]handler{
	ykoath.InsPut:           (*Applet).put,
	ykoath.InsDelete:        (*Applet).delete,
	ykoath.InsSetCode:       (*Applet).setCode,
	ykoath.InsReset:         (*Applet).reset,
	ykoath.InsList:          (*Applet).list,
	ykoath.InsCalculate:     (*Applet).calculate,
	ykoath.InsValidate:      (*Applet).validate,
	ykoath.InsCalculateAll:  (*Applet).calculateAll,
	ykoath.InsSendRemaining: (*Applet).sendRemaining,
}

func (a *Applet) dispatch(cmd command) ([]byte, uint16) {
	// SELECT and CALCULATE ALL share INS A4: SELECT has P1 04.
	if cmd.ins == ykoath.InsSelect && cmd.p1 == 0x04 {
		return a.selectApplet(cmd)
	}
	h := handlers[cmd.ins]
	if !a.selected || h == nil {
		return nil, ykoath.SWInsNotSupported
	}
	locked := a.access != nil && !a.authed
	if locked && cmd.ins != ykoath.InsValidate && cmd.ins != ykoath.InsReset {
		return nil, ykoath.SWAuthRequired
	}
	return h(a, cmd)
}

// outBlock is the most response data the applet sends at once.
const outBlock = 255

// send returns the first outBlock bytes of data and keeps the rest for
// SEND REMAINING, with SW 61xx saying how much is left (FF: 255 or more,
// as ykneo-oath does).
func (a *Applet) send(data []byte, sw uint16) []byte {
	if sw != ykoath.SWSuccess {
		return status(sw)
	}
	if len(data) <= outBlock {
		return append(append([]byte(nil), data...), 0x90, 0x00)
	}
	a.pending = data[outBlock:]
	return append(append([]byte(nil), data[:outBlock]...), 0x61, byte(min(len(a.pending), 0xff)))
}

func (a *Applet) sendRemaining(command) ([]byte, uint16) {
	data := a.pending
	a.pending = nil
	return data, ykoath.SWSuccess
}
