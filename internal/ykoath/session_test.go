package ykoath_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/ykoath"
	"otpgate.dev/otpgate/internal/ykoath/ykoathsim"
)

// newSession returns a selected session on a fresh simulator.
func newSession(t *testing.T) (*ykoath.Session, *ykoathsim.Applet) {
	t.Helper()
	sim := ykoathsim.New(ykoathsim.Options{})
	s := ykoath.NewSession(sim)
	if _, err := s.Select(); err != nil {
		t.Fatal(err)
	}
	return s, sim
}

func put(t *testing.T, s *ykoath.Session, a ykoath.Account) ykoath.Credential {
	t.Helper()
	c, err := s.Put(a)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// rfc6238Keys are the seeds of RFC 6238 Appendix B (erratum 2866 lengths).
var rfc6238Keys = map[otp.Algorithm][]byte{
	otp.SHA1:   []byte("12345678901234567890"),
	otp.SHA256: []byte("12345678901234567890123456789012"),
	otp.SHA512: []byte("1234567890123456789012345678901234567890123456789012345678901234"),
}

// TestCalculateRFC6238 checks every RFC 6238 Appendix B vector, SHA-512
// included (OpenConnect rejects SHA-512 credentials).
func TestCalculateRFC6238(t *testing.T) {
	tests := []struct {
		unix                 int64
		sha1, sha256, sha512 string
	}{
		{59, "94287082", "46119246", "90693936"},
		{1111111109, "07081804", "68084774", "25091201"},
		{1111111111, "14050471", "67062674", "99943326"},
		{1234567890, "89005924", "91819424", "93441116"},
		{2000000000, "69279037", "90698825", "38618901"},
		{20000000000, "65353130", "77737706", "47863826"},
	}
	s, _ := newSession(t)
	creds := map[otp.Algorithm]ykoath.Credential{}
	for a, key := range rfc6238Keys {
		creds[a] = put(t, s, ykoath.Account{Issuer: "RFC", Name: a.String(), Type: ykoath.TOTP, Algorithm: a, Digits: 8, Secret: key})
	}
	for _, tt := range tests {
		for a, want := range map[otp.Algorithm]string{otp.SHA1: tt.sha1, otp.SHA256: tt.sha256, otp.SHA512: tt.sha512} {
			got, err := s.Calculate(creds[a], time.Unix(tt.unix, 0))
			if got != want || err != nil {
				t.Errorf("Calculate(%s, %d) = %q, %v; want %s", a, tt.unix, got, err, want)
			}
		}
	}
	// The list gives back what was stored.
	list, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range list {
		if c != creds[c.Algorithm] {
			t.Errorf("List() has %+v; want %+v", c, creds[c.Algorithm])
		}
	}
}

// TestCalculatePeriod proves the period comes from the credential ID:
// codes for 60 s and 15 s credentials equal otp.Generate at those periods
// and differ from what a hard-coded 30 s gives.
func TestCalculatePeriod(t *testing.T) {
	s, _ := newSession(t)
	key := rfc6238Keys[otp.SHA512]
	now := time.Unix(1111111111, 0)
	for _, period := range []time.Duration{15 * time.Second, 60 * time.Second, 3600 * time.Second} {
		c := put(t, s, ykoath.Account{Issuer: "VPN", Name: "alice", Type: ykoath.TOTP, Algorithm: otp.SHA512, Digits: 6, Period: period, Secret: key})
		wantID := fmt.Sprintf("%d/VPN:alice", int(period.Seconds()))
		if c.ID != wantID || c.Period != period {
			t.Errorf("Put(period %v) = ID %q, period %v; want %q, %v", period, c.ID, c.Period, wantID, period)
		}
		p := otp.Params{Algorithm: otp.SHA512, Digits: 6, Period: period}
		want := otp.Generate(key, p.Step(now), p)
		got, err := s.Calculate(c, now)
		if got != want || err != nil {
			t.Errorf("Calculate(%q) = %q, %v; want %s", c.ID, got, err, want)
		}
		p30 := otp.Params{Algorithm: otp.SHA512, Digits: 6, Period: 30 * time.Second}
		if wrong := otp.Generate(key, p30.Step(now), p30); got == wrong {
			t.Errorf("Calculate(%q) = %s, the 30 s code; the period was ignored", c.ID, got)
		}
	}
	// oathtool --totp -s 60 -N @1111111111 (reference/client-tokens.md 3)
	c := put(t, s, ykoath.Account{Name: "sixty", Type: ykoath.TOTP, Digits: 6, Period: time.Minute, Secret: rfcKey})
	if got, err := s.Calculate(c, now); got != "360094" || err != nil {
		t.Errorf("Calculate(%q) = %q, %v; want 360094", c.ID, got, err)
	}
}

// TestCalculateHOTP checks the card's counter: an initial counter of 5
// gives RFC 4226 counter 5 and 6, in 6 and 8 digits, for every hash.
func TestCalculateHOTP(t *testing.T) {
	s, _ := newSession(t)
	for _, a := range []otp.Algorithm{otp.SHA1, otp.SHA256, otp.SHA512} {
		for _, digits := range []int{6, 8} {
			c := put(t, s, ykoath.Account{Name: fmt.Sprintf("hotp-%s-%d", a, digits), Type: ykoath.HOTP, Algorithm: a, Digits: digits, Counter: 5, Secret: rfcKey})
			for counter := uint64(5); counter < 7; counter++ {
				want := otp.Generate(rfcKey, counter, otp.Params{Algorithm: a, Digits: digits})
				if got, err := s.Calculate(c, time.Time{}); got != want || err != nil {
					t.Errorf("Calculate(%q) at counter %d = %q, %v; want %s", c.ID, counter, got, err, want)
				}
			}
		}
	}
	// Published: 8-digit counter 5 gives 68254676, HOTP-SHA512 counter 0 gives 125165.
	c := put(t, s, ykoath.Account{Name: "eight", Type: ykoath.HOTP, Digits: 8, Counter: 5, Secret: rfcKey})
	if got, _ := s.Calculate(c, time.Time{}); got != "68254676" {
		t.Errorf("Calculate(%q) = %q; want 68254676", c.ID, got)
	}
	c = put(t, s, ykoath.Account{Name: "sha512", Type: ykoath.HOTP, Algorithm: otp.SHA512, Digits: 6, Secret: rfcKey})
	if got, _ := s.Calculate(c, time.Time{}); got != "125165" {
		t.Errorf("Calculate(%q) = %q; want 125165", c.ID, got)
	}
}

// TestPutKeyShaping checks keys shorter than 14 bytes and keys longer than
// the hash block: both must give the codes of the original key.
func TestPutKeyShaping(t *testing.T) {
	s, _ := newSession(t)
	now := time.Unix(1234567890, 0)
	for _, tt := range []struct {
		a   otp.Algorithm
		key []byte
	}{
		{otp.SHA1, []byte("SecretSecret!")},
		{otp.SHA1, bytes.Repeat([]byte{0xab}, 65)},
		{otp.SHA256, bytes.Repeat([]byte{0xcd}, 100)},
		{otp.SHA512, bytes.Repeat([]byte{0xef}, 129)},
		{otp.SHA512, []byte{1}},
	} {
		c := put(t, s, ykoath.Account{Name: fmt.Sprintf("%s-%d", tt.a, len(tt.key)), Type: ykoath.TOTP, Algorithm: tt.a, Digits: 7, Secret: tt.key})
		p := otp.Params{Algorithm: tt.a, Digits: 7, Period: 30 * time.Second}
		want := otp.Generate(tt.key, p.Step(now), p)
		if got, err := s.Calculate(c, now); got != want || err != nil {
			t.Errorf("Calculate(%s, %d-byte key) = %q, %v; want %s", tt.a, len(tt.key), got, err, want)
		}
	}
}

// TestPassword covers SET CODE, the locked applet, a wrong password, the
// right one, and removing the password.
func TestPassword(t *testing.T) {
	s, _ := newSession(t)
	c := put(t, s, ykoath.Account{Issuer: "VPN", Name: "alice", Type: ykoath.TOTP, Digits: 6, Secret: rfcKey})
	if err := s.SetCode([]byte("s3cret")); err != nil {
		t.Fatal(err)
	}
	info, err := s.Select()
	if err != nil || !info.Locked {
		t.Fatalf("Select() after SetCode = %+v, %v; want locked", info, err)
	}
	if _, err := s.List(); !errors.Is(err, ykoath.ErrAuthRequired) {
		t.Errorf("List() while locked = %v; want ErrAuthRequired", err)
	}
	if err := s.Validate([]byte("wrong")); err != ykoath.ErrWrongPassword {
		t.Errorf("Validate(wrong) = %v; want ErrWrongPassword", err)
	}
	if err := s.Validate([]byte("s3cret")); err != nil {
		t.Fatalf("Validate(right) = %v", err)
	}
	if got, err := s.Calculate(c, time.Unix(59, 0)); got != "287082" || err != nil {
		t.Errorf("Calculate after Validate = %q, %v; want 287082", got, err)
	}
	// A new SELECT locks again.
	if _, err := s.Select(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Calculate(c, time.Unix(59, 0)); !errors.Is(err, ykoath.ErrAuthRequired) {
		t.Errorf("Calculate after re-Select = %v; want ErrAuthRequired", err)
	}
	if err := s.Validate([]byte("s3cret")); err != nil {
		t.Fatal(err)
	}
	if err := s.SetCode(nil); err != nil {
		t.Fatal(err)
	}
	if info, err := s.Select(); err != nil || info.Locked {
		t.Errorf("Select() after clearing = %+v, %v; want unlocked", info, err)
	}
	if err := s.Validate([]byte("s3cret")); err == nil {
		t.Errorf("Validate on an applet without password = nil; want an error")
	}
}

// liar answers VALIDATE correctly for the card but corrupts the card's
// answer to our challenge, as a card without the key would.
type liar struct{ ykoath.Card }

func (l liar) Transmit(apdu []byte) ([]byte, error) {
	resp, err := l.Card.Transmit(apdu)
	if len(apdu) > 1 && apdu[1] == ykoath.InsValidate && len(resp) > 4 {
		resp[3] ^= 1
	}
	return resp, err
}

func TestValidateChecksCard(t *testing.T) {
	s, sim := newSession(t)
	if err := s.SetCode([]byte("pw")); err != nil {
		t.Fatal(err)
	}
	s = ykoath.NewSession(liar{sim})
	if _, err := s.Select(); err != nil {
		t.Fatal(err)
	}
	if err := s.Validate([]byte("pw")); err != ykoath.ErrCardResponse {
		t.Errorf("Validate with a wrong card answer = %v; want ErrCardResponse", err)
	}
}

// recorder counts the commands a session sends.
type recorder struct {
	ykoath.Card
	cmds [][]byte
}

func (r *recorder) Transmit(apdu []byte) ([]byte, error) {
	r.cmds = append(r.cmds, bytes.Clone(apdu))
	return r.Card.Transmit(apdu)
}

// TestListChaining fills the applet with long names so that LIST is far
// beyond 255 bytes and must be read with SEND REMAINING.
func TestListChaining(t *testing.T) {
	s, sim := newSession(t)
	var want []string
	for i := range 32 {
		a := ykoath.Account{Issuer: "Example Corporation", Name: fmt.Sprintf("user-%02d@%s", i, strings.Repeat("x", 30)), Type: ykoath.TOTP, Digits: 6, Secret: rfcKey}
		want = append(want, put(t, s, a).ID)
	}
	rec := &recorder{Card: sim}
	s = ykoath.NewSession(rec)
	creds, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range creds {
		got = append(got, c.ID)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("List() = %q; want %q", got, want)
	}
	var remaining int
	for _, c := range rec.cmds {
		if bytes.Equal(c, []byte{0x00, 0xa5, 0x00, 0x00}) {
			remaining++
		}
	}
	if remaining < 5 {
		t.Errorf("List() sent %d SEND REMAINING; want at least 5 for %d credentials", remaining, len(want))
	}
	if _, err := s.Put(ykoath.Account{Name: "one too many", Type: ykoath.TOTP, Digits: 6, Secret: rfcKey}); !errors.Is(err, ykoath.ErrNoSpace) {
		t.Errorf("Put(33rd) = %v; want ErrNoSpace", err)
	}
}

func TestErrors(t *testing.T) {
	s, _ := newSession(t)
	c := put(t, s, ykoath.Account{Name: "x", Type: ykoath.TOTP, Digits: 6, Secret: rfcKey})
	if err := s.Delete(c); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Calculate(c, time.Now()); !errors.Is(err, ykoath.ErrNoSuchObject) {
		t.Errorf("Calculate(deleted) = %v; want ErrNoSuchObject", err)
	}
	if err := s.Delete(c); !errors.Is(err, ykoath.ErrNoSuchObject) {
		t.Errorf("Delete(deleted) = %v; want ErrNoSuchObject", err)
	}
	for _, a := range []ykoath.Account{
		{Name: "", Type: ykoath.TOTP, Digits: 6, Secret: rfcKey},
		{Name: strings.Repeat("n", 65), Type: ykoath.TOTP, Digits: 6, Secret: rfcKey},
		{Name: "d", Type: ykoath.TOTP, Digits: 9, Secret: rfcKey},
		{Name: "s", Type: ykoath.TOTP, Digits: 6},
		{Name: "t", Type: 0x30, Digits: 6, Secret: rfcKey},
		{Name: "a", Type: ykoath.TOTP, Algorithm: 7, Digits: 6, Secret: rfcKey},
		{Name: "p", Type: ykoath.TOTP, Digits: 6, Period: 1500 * time.Millisecond, Secret: rfcKey},
		{Name: "c", Type: ykoath.TOTP, Digits: 6, Counter: 1, Secret: rfcKey},
	} {
		if _, err := s.Put(a); err == nil || !strings.HasPrefix(err.Error(), "ykoath: put ") {
			t.Errorf("Put(%+v) = %v; want a ykoath: put error", a, err)
		}
	}
	bad := ykoath.Credential{ID: "0/x", Type: ykoath.TOTP}
	if _, err := s.Calculate(bad, time.Now()); err == nil {
		t.Errorf("Calculate(period 0) = nil error; want an error")
	}
	noApplet := ykoath.NewSession(cardFunc(func([]byte) ([]byte, error) { return []byte{0x6a, 0x82}, nil }))
	if _, err := noApplet.Select(); !errors.Is(err, ykoath.ErrAppletNotFound) {
		t.Errorf("Select() on a card without the applet = %v; want ErrAppletNotFound", err)
	}
	forever := ykoath.NewSession(cardFunc(func([]byte) ([]byte, error) { return []byte{0x61, 0x00}, nil }))
	if _, err := forever.List(); err == nil {
		t.Errorf("List() on a card that always answers 6100 = nil error; want an error")
	}
}

type cardFunc func([]byte) ([]byte, error)

func (f cardFunc) Transmit(apdu []byte) ([]byte, error) { return f(apdu) }

// TestSecretsNotInErrors makes sure no error text carries the password.
func TestSecretsNotInErrors(t *testing.T) {
	s, _ := newSession(t)
	if err := s.SetCode([]byte("hunter2-secret")); err != nil {
		t.Fatal(err)
	}
	s.Select()
	for _, pw := range []string{"hunter2-wrong", ""} {
		if err := s.Validate([]byte(pw)); err == nil || (pw != "" && strings.Contains(err.Error(), pw)) {
			t.Errorf("Validate(%q) = %v; want an error without the password", pw, err)
		}
	}
}

func TestReset(t *testing.T) {
	s, _ := newSession(t)
	info, _ := s.Select()
	put(t, s, ykoath.Account{Name: "x", Type: ykoath.TOTP, Digits: 6, Secret: rfcKey})
	if err := s.SetCode([]byte("pw")); err != nil {
		t.Fatal(err)
	}
	s.Select()
	after, err := s.Reset()
	if err != nil {
		t.Fatal(err)
	}
	if after.Locked || bytes.Equal(after.Salt, info.Salt) || after.DeviceID == info.DeviceID {
		t.Errorf("Reset() = %+v; want unlocked with a new salt (was %x)", after, info.Salt)
	}
	if creds, err := s.List(); len(creds) != 0 || err != nil {
		t.Errorf("List() after Reset = %v, %v; want none", creds, err)
	}
}

func TestDeriveKey(t *testing.T) {
	// reference/client-tokens.md 5.1 and 5.2
	salt := []byte{0x1a, 0xc4, 0x3b, 0x4d, 0x84, 0x51, 0x66, 0xb8}
	if got := fmt.Sprintf("%x", ykoath.DeriveKey(salt, []byte("1338"))); got != "94caf75c9308fc3ca840379332defbfb" {
		t.Errorf("DeriveKey(1ac43b4d845166b8, 1338) = %s; want 94caf75c9308fc3ca840379332defbfb", got)
	}
	if got := ykoath.DeviceID(salt); got != "LQMX3QN6WIIZMIosYVsj6g" {
		t.Errorf("DeviceID(1ac43b4d845166b8) = %s; want LQMX3QN6WIIZMIosYVsj6g", got)
	}
}

// TestValidateSHA256AccessKey: an access key of another algorithm (here the
// SHA-256 one of the recorded yawn/ykoath trace) is refused with a clear
// error rather than reported as a wrong password.
func TestValidateSHA256AccessKey(t *testing.T) {
	sim := ykoathsim.New(ykoathsim.Options{})
	for _, apdu := range traceCommands(t, "yubikey-sha256-password.trace")[:2] {
		sim.Transmit(apdu)
	}
	s := ykoath.NewSession(sim)
	if err := s.Validate([]byte("1338")); err == nil {
		t.Errorf("Validate before Select = nil; want an error")
	}
	if info, err := s.Select(); err != nil || !info.Locked {
		t.Fatalf("Select() = %+v, %v; want locked", info, err)
	}
	if err := s.Validate([]byte("1338")); err == nil || !strings.Contains(err.Error(), "algorithm 02 not supported") {
		t.Errorf("Validate with a SHA-256 access key = %v; want algorithm 02 not supported", err)
	}
}

func traceCommands(t *testing.T, name string) [][]byte {
	var out [][]byte
	for _, e := range loadTrace(t, name) {
		out = append(out, e.cmd)
	}
	return out
}
