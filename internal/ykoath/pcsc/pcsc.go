//go:build cgo

package pcsc

import (
	"errors"
	"fmt"
	"strings"

	"github.com/ebfe/scard"

	"otpgate.dev/otpgate/internal/ykoath"
)

// Card is one card connection holding a PC/SC transaction. It implements
// ykoath.Card. It is not safe for concurrent use.
type Card struct {
	Reader string // the PC/SC reader name
	ctx    *scard.Context
	card   *scard.Card
}

// Readers lists the PC/SC reader names.
func Readers() ([]string, error) {
	ctx, err := scard.EstablishContext()
	if err != nil {
		return nil, fmt.Errorf("pcsc: establish context (is pcscd running?): %w", err)
	}
	defer ctx.Release()
	return listReaders(ctx)
}

func listReaders(ctx *scard.Context) ([]string, error) {
	readers, err := ctx.ListReaders()
	if errors.Is(err, scard.ErrNoReadersAvailable) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("pcsc: list readers: %w", err)
	}
	return readers, nil
}

// Open connects to the first reader whose name contains filter, ignoring
// case as ykman --reader does (any reader if filter is empty), and whose
// card has the OATH applet.
func Open(filter string) (*Card, error) {
	ctx, err := scard.EstablishContext()
	if err != nil {
		return nil, fmt.Errorf("pcsc: establish context (is pcscd running?): %w", err)
	}
	readers, err := listReaders(ctx)
	if err != nil {
		ctx.Release()
		return nil, err
	}
	var tried []string
	for _, r := range readers {
		if !strings.Contains(strings.ToLower(r), strings.ToLower(filter)) {
			continue
		}
		c, err := connect(ctx, r)
		if err == nil {
			return c, nil
		}
		tried = append(tried, fmt.Sprintf("%q: %v", r, err))
	}
	ctx.Release()
	if len(tried) == 0 {
		return nil, fmt.Errorf("pcsc: no smart card reader matches %q (readers: %q)", filter, readers)
	}
	return nil, fmt.Errorf("pcsc: no YubiKey OATH applet found (%s)", strings.Join(tried, "; "))
}

// connect opens reader, begins a transaction and checks that SELECT of
// the OATH applet succeeds.
func connect(ctx *scard.Context, reader string) (*Card, error) {
	card, err := ctx.Connect(reader, scard.ShareShared, scard.ProtocolT1)
	if err != nil {
		return nil, err
	}
	if err := card.BeginTransaction(); err != nil {
		card.Disconnect(scard.LeaveCard)
		return nil, err
	}
	c := &Card{Reader: reader, ctx: ctx, card: card}
	sel := append([]byte{0x00, ykoath.InsSelect, 0x04, 0x00, byte(len(ykoath.AID))}, ykoath.AID...)
	resp, err := card.Transmit(sel)
	if err == nil && !hasSW(resp, ykoath.SWSuccess) {
		err = fmt.Errorf("SELECT OATH: %v", ykoath.StatusError(sw(resp)))
	}
	if err != nil {
		card.EndTransaction(scard.LeaveCard)
		card.Disconnect(scard.LeaveCard)
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
	resp, err := c.card.Transmit(apdu)
	if err != nil {
		return nil, fmt.Errorf("pcsc: %s: %w", c.Reader, err)
	}
	return resp, nil
}

// Close ends the transaction and resets the card, so that an applet
// unlocked with a password does not stay unlocked for other programs.
func (c *Card) Close() error {
	err := c.card.EndTransaction(scard.LeaveCard)
	err = errors.Join(err, c.card.Disconnect(scard.ResetCard))
	err = errors.Join(err, c.ctx.Release())
	if err != nil {
		return fmt.Errorf("pcsc: close %s: %w", c.Reader, err)
	}
	return nil
}
