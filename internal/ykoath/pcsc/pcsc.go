package pcsc

import (
	"errors"
	"fmt"
	"strings"

	"otpgate.dev/otpgate/internal/ykoath"
)

// Card is one card connection holding a PC/SC transaction. It implements
// ykoath.Card. It is not safe for concurrent use.
type Card struct {
	Reader string // the PC/SC reader name
	lib    *libpcsclite
	ctx    long
	card   long
	buf    []byte // the response buffer, reused
}

// establish loads the library and opens a PC/SC context.
func establish() (*libpcsclite, long, error) {
	l, err := load()
	if err != nil {
		return nil, 0, err
	}
	var ctx long
	if err := l.check(l.establish(scardScopeSystem, 0, 0, &ctx)); err != nil {
		return nil, 0, fmt.Errorf("pcsc: establish context (is pcscd running?): %w", err)
	}
	return l, ctx, nil
}

// Readers lists the PC/SC reader names.
func Readers() ([]string, error) {
	l, ctx, err := establish()
	if err != nil {
		return nil, err
	}
	defer l.release(ctx)
	return l.readers(ctx)
}

// readers calls SCardListReaders twice, for the size and then the names, a
// NUL-separated list ending in an empty name. A reader plugged in between
// the calls makes the second too small: then it starts again.
func (l *libpcsclite) readers(ctx long) ([]string, error) {
	for {
		var n dword
		rv := l.listReaders(ctx, nil, nil, &n)
		if uint32(rv) == scardENoReaders {
			return nil, nil
		}
		if err := l.check(rv); err != nil {
			return nil, fmt.Errorf("pcsc: list readers: %w", err)
		}
		buf := make([]byte, n)
		rv = l.listReaders(ctx, nil, &buf[0], &n)
		if uint32(rv) == scardEInsufficientBuf {
			continue
		}
		if uint32(rv) == scardENoReaders {
			return nil, nil
		}
		if err := l.check(rv); err != nil {
			return nil, fmt.Errorf("pcsc: list readers: %w", err)
		}
		var names []string
		for name := range strings.SplitSeq(string(buf[:n]), "\x00") {
			if name != "" {
				names = append(names, name)
			}
		}
		return names, nil
	}
}

// Open connects to the first reader whose name contains filter, ignoring
// case as ykman --reader does (any reader if filter is empty), and whose
// card has the OATH applet.
func Open(filter string) (*Card, error) {
	l, ctx, err := establish()
	if err != nil {
		return nil, err
	}
	readers, err := l.readers(ctx)
	if err != nil {
		l.release(ctx)
		return nil, err
	}
	var tried []string
	for _, r := range readers {
		if !strings.Contains(strings.ToLower(r), strings.ToLower(filter)) {
			continue
		}
		c, err := l.connectOATH(ctx, r)
		if err == nil {
			return c, nil
		}
		tried = append(tried, fmt.Sprintf("%q: %v", r, err))
	}
	l.release(ctx)
	if len(tried) == 0 {
		return nil, fmt.Errorf("pcsc: no smart card reader matches %q (readers: %q)", filter, readers)
	}
	return nil, fmt.Errorf("pcsc: no YubiKey OATH applet found (%s)", strings.Join(tried, "; "))
}

// connectOATH opens reader, begins a transaction and checks that SELECT of
// the OATH applet succeeds.
func (l *libpcsclite) connectOATH(ctx long, reader string) (*Card, error) {
	var card long
	var active dword
	if err := l.check(l.connect(ctx, reader, scardShareShared, scardProtocolT1, &card, &active)); err != nil {
		return nil, err
	}
	if err := l.check(l.begin(card)); err != nil {
		l.disconnect(card, scardLeaveCard)
		return nil, err
	}
	c := &Card{Reader: reader, lib: l, ctx: ctx, card: card}
	sel := append([]byte{0x00, ykoath.InsSelect, 0x04, 0x00, byte(len(ykoath.AID))}, ykoath.AID...)
	resp, err := c.transmit(sel)
	if err == nil && !hasSW(resp, ykoath.SWSuccess) {
		err = fmt.Errorf("SELECT OATH: %v", ykoath.StatusError(sw(resp)))
	}
	if err != nil {
		l.end(card, scardLeaveCard)
		l.disconnect(card, scardLeaveCard)
		return nil, err
	}
	return c, nil
}

func sw(resp []byte) uint16 {
	if len(resp) < 2 {
		return 0
	}
	return uint16(resp[len(resp)-2])<<8 | uint16(resp[len(resp)-1])
}

func hasSW(resp []byte, want uint16) bool { return len(resp) >= 2 && sw(resp) == want }

// Transmit sends one APDU and returns the response with its status word.
func (c *Card) Transmit(apdu []byte) ([]byte, error) {
	resp, err := c.transmit(apdu)
	if err != nil {
		return nil, fmt.Errorf("pcsc: %s: %w", c.Reader, err)
	}
	return resp, nil
}

func (c *Card) transmit(apdu []byte) ([]byte, error) {
	if len(apdu) == 0 {
		return nil, errors.New("empty APDU")
	}
	if c.buf == nil {
		c.buf = make([]byte, maxBufferSizeExtended)
	}
	n := dword(len(c.buf))
	if err := c.lib.check(c.lib.transmit(c.card, &sendT1, apdu, dword(len(apdu)), nil, c.buf, &n)); err != nil {
		return nil, err
	}
	return append([]byte(nil), c.buf[:n]...), nil
}

// Close ends the transaction and resets the card, so that an applet
// unlocked with a password does not stay unlocked for other programs.
func (c *Card) Close() error {
	err := c.lib.check(c.lib.end(c.card, scardLeaveCard))
	err = errors.Join(err, c.lib.check(c.lib.disconnect(c.card, scardResetCard)))
	err = errors.Join(err, c.lib.check(c.lib.release(c.ctx)))
	clear(c.buf) // responses may hold codes
	if err != nil {
		return fmt.Errorf("pcsc: close %s: %w", c.Reader, err)
	}
	return nil
}
