package sqlite

import (
	"testing"

	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/store/storetest"
)

func TestOOBConformance(t *testing.T) {
	storetest.RunOOB(t, func(t *testing.T) store.Store {
		s, _ := openTemp(t)
		return s
	})
}
