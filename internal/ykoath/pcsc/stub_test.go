//go:build !cgo

package pcsc_test

import (
	"strings"
	"testing"

	"otpgate.dev/otpgate/internal/ykoath/pcsc"
)

func TestStub(t *testing.T) {
	if _, err := pcsc.Open(""); err == nil || !strings.Contains(err.Error(), "not compiled in") {
		t.Errorf("Open(\"\") = %v; want a not-compiled-in error", err)
	}
	if _, err := pcsc.Readers(); err == nil {
		t.Errorf("Readers() = nil error; want an error")
	}
}
