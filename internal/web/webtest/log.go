package webtest

import (
	"log/slog"

	"otpgate.dev/otpgate/internal/testpeer"
)

// Logger returns a text logger into b, or one that discards when b is nil.
func Logger(b *testpeer.Buffer) *slog.Logger {
	if b == nil {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(b, nil))
}
