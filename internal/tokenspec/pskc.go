package tokenspec

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/pskc"
)

// pskcSource is a PSKC document kept as written, so that write-back changes
// only the counter of the chosen key (package pskc edits the bytes in place).
type pskcSource struct {
	prefix string // an algorithm prefix written before the document
	doc    string
	index  int    // the chosen KeyPackage
	encKey []byte // the document's encryption key, to re-seal an encrypted counter
}

func (p *pskcSource) encode(n uint64) (string, error) {
	out, err := pskc.SetCounter([]byte(p.doc), p.index, n, p.encKey)
	if err != nil {
		return "", err
	}
	return p.prefix + string(out), nil
}

// parsePSKC reads the key o.KeyID selects from a PSKC document that starts
// at s[prefixLen:], decrypting it if needed.
func parsePSKC(s string, prefixLen int, alg otp.Algorithm, algGiven bool, o *Options) (*Spec, error) {
	src := &pskcSource{prefix: s[:prefixLen], doc: s[prefixLen:]}
	c, err := pskc.Parse([]byte(src.doc))
	if err != nil {
		return nil, err
	}
	if src.index, err = c.Index(o.KeyID); err != nil {
		return nil, err
	}
	if src.encKey, err = unlockPSKC(c, o); err != nil {
		return nil, err
	}
	k := &c.Keys[src.index].KeyData
	spec := &Spec{Form: PSKC, Params: defaultParams(alg), doc: src}
	if spec.Mode, err = pskcMode(k, o.Mode); err != nil {
		return nil, err
	}
	if err := applyPSKCKey(spec, k, algGiven); err != nil {
		return nil, fmt.Errorf("tokenspec: PSKC key %q: %w", k.ID, err)
	}
	return spec, nil
}

// unlockPSKC decrypts an encrypted document with the key or password that
// o.Unlock supplies, and returns the encryption key.
func unlockPSKC(c *pskc.Container, o *Options) ([]byte, error) {
	if !c.Encrypted() {
		return nil, nil
	}
	if o.Unlock == nil {
		return nil, errors.New("tokenspec: the PSKC document is encrypted and no key or password was given")
	}
	key, password, err := o.Unlock(c.KeyNames())
	if err != nil {
		return nil, err
	}
	if password != nil {
		if key, err = c.DeriveKey(password); err != nil {
			return nil, err
		}
	}
	if err := c.Decrypt(key); err != nil {
		return nil, err
	}
	return key, nil
}

func pskcMode(k *pskc.KeyData, want Mode) (Mode, error) {
	var m Mode
	switch k.OTPType() {
	case "hotp":
		m = HOTP
	case "totp":
		m = TOTP
	default:
		return 0, fmt.Errorf("tokenspec: PSKC key %q has algorithm %q (accepted: the PSKC hotp and totp URIs)", k.ID, k.Algorithm)
	}
	if want != ModeUnknown && want != m {
		return 0, fmt.Errorf("tokenspec: PSKC key %q is %s but the token mode is %s", k.ID, m, want)
	}
	return m, nil
}

func applyPSKCKey(spec *Spec, k *pskc.KeyData, algGiven bool) error {
	if len(k.Secret) == 0 {
		return errors.New("it has no Secret")
	}
	spec.Key = k.Secret
	if k.Suite != "" {
		h, err := k.Hash()
		if err != nil {
			return err
		}
		if algGiven && h != spec.Params.Algorithm {
			return fmt.Errorf("the algorithm prefix and the Suite %q disagree", k.Suite)
		}
		spec.Params.Algorithm = h
	}
	if e := strings.ToUpper(k.Encoding); e != "" && e != "DECIMAL" {
		return fmt.Errorf("ResponseFormat Encoding %q is not supported (accepted: DECIMAL)", k.Encoding)
	}
	if k.Digits != 0 {
		if k.Digits < otp.MinDigits || k.Digits > otp.MaxDigits {
			return fmt.Errorf("ResponseFormat Length %d is not from 6 to 10", k.Digits)
		}
		spec.Params.Digits, spec.DigitsGiven = k.Digits, true
	}
	if k.TimeInterval != nil {
		if *k.TimeInterval < 1 || *k.TimeInterval > 86400 {
			return fmt.Errorf("TimeInterval %d is not from 1 to 86400 seconds", *k.TimeInterval)
		}
		spec.Params.Period, spec.PeriodGiven = time.Duration(*k.TimeInterval)*time.Second, true
	}
	if k.Time != nil {
		spec.Params.T0 = *k.Time
	}
	if k.Counter != nil {
		if *k.Counter >= 1<<63 {
			return errors.New("Counter is 2^63 or more")
		}
		spec.Counter = *k.Counter
	}
	return nil
}
