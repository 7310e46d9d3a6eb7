package engine_test

import (
	"encoding/hex"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/engine"
	"otpgate.dev/otpgate/internal/enroll"
	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/testpeer"
)

// TestOathtool has Debian's oathtool (OATH Toolkit) make codes that the
// engine must accept and that Current must show.
func TestOathtool(t *testing.T) {
	oathtool := testpeer.Need(t, "oathtool")[0]
	tests := []struct {
		typ     store.TokenType
		alg     otp.Algorithm
		digits  int
		period  time.Duration
		counter int64
	}{
		{store.HOTP, otp.SHA1, 6, 0, 0},
		{store.HOTP, otp.SHA1, 8, 0, 5},
		{store.HOTP, otp.SHA1, 6, 0, 123456789},
		{store.TOTP, otp.SHA1, 6, 30 * time.Second, 0},
		{store.TOTP, otp.SHA256, 8, 60 * time.Second, 0},
		{store.TOTP, otp.SHA512, 6, 30 * time.Second, 0},
		{store.TOTP, otp.SHA512, 8, 45 * time.Second, 0},
	}
	f := newFixture(t, engine.DefaultPolicy())
	for i, tt := range tests {
		key := enroll.NewSecret(tt.typ)
		user := fmt.Sprintf("user%d", i)
		p := otp.Params{Algorithm: tt.alg, Digits: tt.digits, Period: tt.period}
		tok := f.enroll(enroll.Spec{User: user, Type: tt.typ, Secret: key, Params: p, Counter: tt.counter})
		args := []string{"-d", strconv.Itoa(tt.digits)}
		if tt.typ == store.HOTP {
			args = append(args, "--hotp", "-c", strconv.FormatInt(tt.counter, 10))
		} else {
			args = append(args, "--totp="+strings.ToLower(tt.alg.String()), "-s", tt.period.String(),
				"--now", "@"+strconv.FormatInt(f.clock.Now().Unix(), 10))
		}
		out, err := exec.Command(oathtool, append(args, hex.EncodeToString(key))...).Output()
		if err != nil {
			t.Fatalf("oathtool %v: %v", args, err)
		}
		want := strings.TrimSpace(string(out))
		if got, err := f.eng.Current(f.ctx, tok.ID); err != nil || got != want {
			t.Errorf("case %d: Current() = %q, %v; oathtool %v says %q", i, got, err, args, want)
		}
		if res := f.verify(user, want); !res.OK {
			t.Errorf("case %d: Verify(oathtool's code) = %+v; want OK", i, res)
		}
	}
}
