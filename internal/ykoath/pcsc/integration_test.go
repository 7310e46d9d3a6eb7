package pcsc_test

import (
	"encoding/base32"
	"errors"
	"strings"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/testpeer"
	"otpgate.dev/otpgate/internal/ykoath"
	"otpgate.dev/otpgate/internal/ykoath/pcsc"
	"otpgate.dev/otpgate/internal/ykoath/ykoathsim"
)

// account is a credential added through ykman and what we expect of it.
type account struct {
	id     string
	key    []byte
	params otp.Params
	typ    ykoath.Type
	add    []string // ykman oath accounts add arguments, without the secret
}

var accounts = []account{
	{"60/VPN:alice", []byte("1234567890123456789012345678901234567890123456789012345678901234"),
		otp.Params{Algorithm: otp.SHA512, Digits: 8, Period: time.Minute}, ykoath.TOTP,
		[]string{"-o", "TOTP", "-a", "SHA512", "-d", "8", "-P", "60", "-i", "VPN", "alice"}},
	{"Mail:bob", []byte("12345678901234567890"),
		otp.Params{Algorithm: otp.SHA1, Digits: 6, Period: 30 * time.Second}, ykoath.TOTP,
		[]string{"-o", "TOTP", "-d", "6", "-i", "Mail", "bob"}},
	{"Corp:carol", []byte("12345678901234567890123456789012"),
		otp.Params{Algorithm: otp.SHA256, Digits: 6}, ykoath.HOTP,
		[]string{"-o", "HOTP", "-a", "SHA256", "-d", "6", "-c", "5", "-i", "Corp", "carol"}},
}

func b32(key []byte) string {
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(key)
}

// TestYkmanInterop runs ykman 4.0.9 and this package's PC/SC client against
// the simulator behind pcscd's virtual reader: credentials ykman adds are
// read and calculated by our client, and both agree with package otp, with
// and without a password.
func TestYkmanInterop(t *testing.T) {
	testpeer.Need(t, "ykman")
	ensurePCSCD(t)
	insertCard(t, ykoathsim.New(ykoathsim.Options{}))
	home := t.TempDir()

	for _, a := range accounts {
		mustYkman(t, home, append(append([]string{"oath", "accounts", "add", "--force"}, a.add...), b32(a.key))...)
	}
	t.Run("list", func(t *testing.T) { checkList(t, "") })
	t.Run("ykman codes", func(t *testing.T) { checkYkmanCodes(t, home) })
	t.Run("hotp counter is shared", func(t *testing.T) { checkHOTP(t, home) })
	t.Run("put through our client", func(t *testing.T) { checkPut(t, home) })

	mustYkman(t, home, "oath", "access", "change", "--new-password", "s3cret")
	t.Run("password", func(t *testing.T) { checkPassword(t, home) })
}

// withSession opens the virtual reader, selects the applet, and unlocks it
// when password is not empty.
func withSession(t *testing.T, password string, f func(*ykoath.Session, *ykoath.Info)) {
	t.Helper()
	card, err := pcsc.Open(reader)
	if err != nil {
		t.Fatal(err)
	}
	defer card.Close()
	s := ykoath.NewSession(card)
	info, err := s.Select()
	if err != nil {
		t.Fatal(err)
	}
	if password != "" {
		if err := s.Validate([]byte(password)); err != nil {
			t.Fatal(err)
		}
	}
	f(s, info)
}

// checkList reads what ykman stored and calculates the TOTP codes.
func checkList(t *testing.T, password string) {
	withSession(t, password, func(s *ykoath.Session, _ *ykoath.Info) {
		creds, err := s.List()
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range accounts {
			c, err := ykoath.Find(creds, a.id)
			if err != nil {
				t.Fatal(err)
			}
			if c.ID != a.id || c.Type != a.typ || c.Algorithm != a.params.Algorithm || c.Period != a.params.Period {
				t.Errorf("List() has %+v; want ID %q, %s, %s, period %v", c, a.id, a.typ, a.params.Algorithm, a.params.Period)
			}
			if a.typ != ykoath.TOTP {
				continue
			}
			now := time.Now()
			got, err := s.Calculate(c, now)
			if want := otp.Generate(a.key, a.params.Step(now), a.params); got != want || err != nil {
				t.Errorf("Calculate(%q) = %q, %v; otp.Generate gives %s", c.ID, got, err, want)
			}
		}
	})
}

// ykmanCodes runs `ykman oath accounts code` and parses "ID  CODE" lines.
// ykman uses the current time, so the run is repeated once if a TOTP step
// changed while it ran.
func ykmanCodes(t *testing.T, home string, args ...string) (map[string]string, time.Time) {
	t.Helper()
	for try := 0; ; try++ {
		before := time.Now()
		out := mustYkman(t, home, append([]string{"oath", "accounts", "code"}, args...)...)
		after := time.Now()
		if try == 0 && stepChanged(before, after) {
			continue
		}
		codes := map[string]string{}
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			if i := strings.LastIndex(line, "  "); i > 0 && !strings.HasSuffix(line, "]") {
				codes[strings.TrimSpace(line[:i])] = strings.TrimSpace(line[i:])
			}
		}
		return codes, before
	}
}

func stepChanged(a, b time.Time) bool {
	for _, acc := range accounts {
		if acc.typ == ykoath.TOTP && acc.params.Step(a) != acc.params.Step(b) {
			return true
		}
	}
	return false
}

func checkYkmanCodes(t *testing.T, home string) {
	codes, at := ykmanCodes(t, home)
	for _, a := range accounts {
		if a.typ != ykoath.TOTP {
			continue
		}
		if want := otp.Generate(a.key, a.params.Step(at), a.params); codes[a.id] != want {
			t.Errorf("ykman code %q = %q; otp.Generate gives %s (output %v)", a.id, codes[a.id], want, codes)
		}
	}
}

// checkHOTP: ykman computes counter 5, then our client gets counter 6 from
// the same card.
func checkHOTP(t *testing.T, home string) {
	carol := accounts[2]
	out := strings.TrimSpace(mustYkman(t, home, "oath", "accounts", "code", "--single", carol.id))
	if want := otp.Generate(carol.key, 5, carol.params); out != want {
		t.Errorf("ykman code %q = %q; want counter 5: %s", carol.id, out, want)
	}
	withSession(t, "", func(s *ykoath.Session, _ *ykoath.Info) {
		creds, _ := s.List()
		c, err := ykoath.Find(creds, "carol")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := mustCalculate(t, s, c, time.Now()), otp.Generate(carol.key, 6, carol.params); got != want {
			t.Errorf("Calculate(%q) = %q; want counter 6: %s", c.ID, got, want)
		}
	})
}

func mustCalculate(t *testing.T, s *ykoath.Session, c ykoath.Credential, at time.Time) string {
	t.Helper()
	code, err := s.Calculate(c, at)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// checkPut stores a 45 s SHA-256 credential with our client; ykman must
// list it under the same ID and compute the same codes.
func checkPut(t *testing.T, home string) {
	key := []byte("otpgate test key, 45 s period")
	p := otp.Params{Algorithm: otp.SHA256, Digits: 7, Period: 45 * time.Second}
	withSession(t, "", func(s *ykoath.Session, _ *ykoath.Info) {
		if _, err := s.Put(ykoath.Account{Issuer: "otpgate", Name: "dave", Type: ykoath.TOTP, Algorithm: p.Algorithm, Digits: p.Digits, Period: p.Period, Secret: key}); err != nil {
			t.Fatal(err)
		}
	})
	for try := 0; try < 2; try++ {
		before := time.Now()
		out := strings.TrimSpace(mustYkman(t, home, "oath", "accounts", "code", "--single", "45/otpgate:dave"))
		if p.Step(before) != p.Step(time.Now()) && try == 0 {
			continue
		}
		if want := otp.Generate(key, p.Step(before), p); out != want {
			t.Errorf("ykman code 45/otpgate:dave = %q; want %s", out, want)
		}
		break
	}
	mustYkman(t, home, "oath", "accounts", "delete", "--force", "45/otpgate:dave")
}

// checkPassword runs with the password ykman set: our client needs it,
// rejects a wrong one, changes it, and ykman accepts the change.
func checkPassword(t *testing.T, home string) {
	withSession(t, "", func(s *ykoath.Session, info *ykoath.Info) {
		if !info.Locked {
			t.Fatalf("Select() after ykman set a password = %+v; want locked", info)
		}
		if _, err := s.List(); !errors.Is(err, ykoath.ErrAuthRequired) {
			t.Errorf("List() while locked = %v; want ErrAuthRequired", err)
		}
		if err := s.Validate([]byte("wrong")); err != ykoath.ErrWrongPassword {
			t.Errorf("Validate(wrong) = %v; want ErrWrongPassword", err)
		}
	})
	checkList(t, "s3cret")
	codes, at := ykmanCodes(t, home, "--password", "s3cret")
	if bob := accounts[1]; codes[bob.id] != otp.Generate(bob.key, bob.params.Step(at), bob.params) {
		t.Errorf("ykman code with password: %q = %q; want the otp code", bob.id, codes[bob.id])
	}
	if _, err := ykman(t, home, "oath", "accounts", "list", "--password", "wrong"); err == nil {
		t.Errorf("ykman with a wrong password succeeded")
	}
	withSession(t, "s3cret", func(s *ykoath.Session, _ *ykoath.Info) {
		if err := s.SetCode([]byte("n3w-pass")); err != nil {
			t.Fatal(err)
		}
	})
	out := mustYkman(t, home, "oath", "accounts", "list", "--password", "n3w-pass")
	if !strings.Contains(out, "60/VPN:alice") {
		t.Errorf("ykman list with our new password = %q; want the accounts", out)
	}
	mustYkman(t, home, "oath", "access", "change", "--password", "n3w-pass", "--clear")
	withSession(t, "", func(s *ykoath.Session, info *ykoath.Info) {
		if info.Locked {
			t.Errorf("Select() after ykman cleared the password = %+v; want unlocked", info)
		}
	})
}
