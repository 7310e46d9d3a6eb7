package engine_test

import (
	"bytes"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"otpgate.dev/otpgate/internal/engine"
	"otpgate.dev/otpgate/internal/enroll"
	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/yubiotp"
)

// TestNoPlaintextSecretOnDisk enrolls tokens, uses them, and searches the
// database file and its WAL for each secret in every encoding an admin
// might give it: raw, hex, base32, base64, modhex.
func TestNoPlaintextSecretOnDisk(t *testing.T) {
	f := newFixture(t, engine.DefaultPolicy())
	var secrets [][]byte
	for i, typ := range []store.TokenType{store.HOTP, store.TOTP, store.HOTPPrefixed} {
		s := enroll.Spec{User: "user" + string(rune('a'+i)), Type: typ, Secret: enroll.NewSecret(typ)}
		if typ == store.HOTPPrefixed {
			s.Identifier = "55555555"
		}
		f.enroll(s)
		secrets = append(secrets, s.Secret)
	}
	f.enroll(enroll.Spec{User: "rfc", Type: store.HOTP, Secret: rfcKey})
	secrets = append(secrets, rfcKey)
	yk := newYubikey("vvcccccccccc")
	f.enroll(yk.spec("yubi"))
	secrets = append(secrets, yk.key, yk.privateID[:])
	f.verify("rfc", hotp(0, 6))
	f.verify("yubi", yk.otp(1, 0))

	files := []string{f.path, f.path + "-wal"}
	check := func(when string) {
		for _, name := range files {
			data, err := os.ReadFile(name)
			if os.IsNotExist(err) && name != f.path {
				continue // the WAL is checkpointed and removed on close
			}
			if err != nil {
				t.Fatalf("%s: %v", when, err)
			}
			for _, s := range secrets {
				for _, form := range encodings(s) {
					if bytes.Contains(bytes.ToLower(data), bytes.ToLower(form)) {
						t.Errorf("%s: %s holds a secret in plain form %q", when, name, form)
					}
				}
			}
		}
	}
	check("open")
	f.st.Close()
	check("closed")
}

func encodings(s []byte) [][]byte {
	b32 := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(s)
	return [][]byte{
		s,
		[]byte(hex.EncodeToString(s)),
		[]byte(b32),
		[]byte(base64.RawStdEncoding.EncodeToString(s)),
		[]byte(yubiotp.EncodeModhex(s)),
		[]byte(strings.ToLower(b32)),
	}
}
