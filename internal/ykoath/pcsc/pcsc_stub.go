//go:build !cgo

package pcsc

import "errors"

// errNoPCSC is returned by every function of a build without cgo.
var errNoPCSC = errors.New("pcsc: PC/SC support not compiled in (build otpgate with CGO_ENABLED=1)")

// Card is a PC/SC card connection; without cgo none can be opened.
type Card struct {
	Reader string
}

// Readers reports that PC/SC support is not compiled in.
func Readers() ([]string, error) { return nil, errNoPCSC }

// Open reports that PC/SC support is not compiled in.
func Open(filter string) (*Card, error) { return nil, errNoPCSC }

// Transmit reports that PC/SC support is not compiled in.
func (c *Card) Transmit(apdu []byte) ([]byte, error) { return nil, errNoPCSC }

// Close does nothing.
func (c *Card) Close() error { return nil }
