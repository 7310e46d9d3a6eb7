package tokenspec

import (
	"errors"

	"otpgate.dev/otpgate/internal/otp"
)

// pskcSource is filled in when internal/pskc lands.
type pskcSource struct{}

func parsePSKC(string, otp.Algorithm, bool, *Options) (*Spec, error) {
	return nil, errors.New("tokenspec: PSKC token files are not supported by this build yet")
}

func (p *pskcSource) encode(uint64) (string, error) {
	return "", errors.New("tokenspec: PSKC token files are not supported by this build yet")
}
