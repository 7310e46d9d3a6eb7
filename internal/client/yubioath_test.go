package client

import (
	"errors"
	"strings"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/ykoath"
	"otpgate.dev/otpgate/internal/ykoath/ykoathsim"
)

// simCard is the simulator as a Card that counts how often it is closed.
type simCard struct {
	*ykoathsim.Applet
	closed *int
}

func (c simCard) Close() error { *c.closed++; return nil }

var (
	aliceKey = []byte("12345678901234567890123456789012")
	bobKey   = []byte("bob's HOTP secret")
)

// newSim returns an applet holding a 60 s SHA-512 TOTP credential and an
// HOTP one, locked with password if it is not empty.
func newSim(t *testing.T, password string) *ykoathsim.Applet {
	t.Helper()
	a := ykoathsim.New(ykoathsim.Options{})
	s := ykoath.NewSession(a)
	if _, err := s.Select(); err != nil {
		t.Fatal(err)
	}
	for _, acc := range []ykoath.Account{
		{Issuer: "VPN", Name: "alice", Type: ykoath.TOTP, Algorithm: otp.SHA512, Digits: 8, Period: time.Minute, Secret: aliceKey},
		{Name: "bob", Type: ykoath.HOTP, Algorithm: otp.SHA1, Digits: 6, Secret: bobKey},
	} {
		if _, err := s.Put(acc); err != nil {
			t.Fatal(err)
		}
	}
	if password != "" {
		if err := s.SetCode([]byte(password)); err != nil {
			t.Fatal(err)
		}
	}
	return a
}

func totp(step uint64) string {
	return otp.Generate(aliceKey, step, otp.Params{Algorithm: otp.SHA512, Digits: 8, Period: time.Minute})
}

func hotp(counter uint64) string {
	return otp.Generate(bobKey, counter, otp.Params{Algorithm: otp.SHA1, Digits: 6})
}

// oathQuery is what one yubioath test asks: the credential and the query.
type oathQuery struct {
	name  string
	next  bool
	count int
}

func TestYubiOATH(t *testing.T) {
	const now = 1111111111
	step := uint64(now / 60)
	tests := []struct {
		name      string
		password  string // the applet's
		given     string // what the terminal answers; "-" means no terminal
		q         oathQuery
		want      []string
		wantErr   error
		errSubstr string
	}{
		{name: "first credential", q: oathQuery{}, want: []string{totp(step)}},
		{name: "issuer:name", q: oathQuery{name: "VPN:alice"}, want: []string{totp(step)}},
		{name: "period/issuer:name", q: oathQuery{name: "60/VPN:alice"}, want: []string{totp(step)}},
		{name: "next and window", q: oathQuery{name: "alice", next: true, count: 2}, want: []string{totp(step + 1), totp(step + 2)}},
		{name: "HOTP advances the card", q: oathQuery{name: "bob", count: 3}, want: []string{hotp(0), hotp(1), hotp(2)}},
		{name: "HOTP next", q: oathQuery{name: "bob", next: true}, errSubstr: "--next is for time-based"},
		{name: "unknown name", q: oathQuery{name: "carol"}, errSubstr: `"carol" not found`},
		{name: "unlocked", password: "s3cret", given: "s3cret", q: oathQuery{name: "VPN:alice"}, want: []string{totp(step)}},
		{name: "wrong password", password: "s3cret", given: "guess", wantErr: ykoath.ErrWrongPassword},
		{name: "no password", password: "s3cret", given: "-", wantErr: ErrOATHLocked},
		{name: "unlocked applet asks nothing", given: "-", want: []string{totp(step)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, closed, asked := newSim(t, tt.password), 0, 0
			src := Source{Mode: YubiOATH, Secret: tt.q.name, OpenCard: func() (Card, error) { return simCard{sim, &closed}, nil }}
			if tt.given != "-" {
				src.Env.Ask = func(string) ([]byte, error) { asked++; return []byte(tt.given), nil }
			}
			tok, err := Open(src)
			if err != nil {
				t.Fatal(err)
			}
			res, err := tok.Codes(Query{Now: time.Unix(now, 0), Next: tt.q.next, Count: tt.q.count})
			if closed != 1 {
				t.Errorf("card closed %d times; want 1", closed)
			}
			if tt.password == "" && asked != 0 {
				t.Errorf("password asked %d times for an unlocked applet; want 0", asked)
			}
			switch {
			case tt.wantErr != nil || tt.errSubstr != "":
				if err == nil || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) || !strings.Contains(err.Error(), tt.errSubstr) {
					t.Errorf("Codes(%+v) error = %v; want %v %q", tt.q, err, tt.wantErr, tt.errSubstr)
				}
				if tt.given != "" && tt.given != "-" && err != nil && strings.Contains(err.Error(), tt.given) {
					t.Errorf("error %q shows the password", err)
				}
				return
			case err != nil:
				t.Fatalf("Codes(%+v) = %v", tt.q, err)
			}
			var got []string
			for _, c := range res.Codes {
				got = append(got, c.Code)
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("Codes(%+v) = %q; want %q", tt.q, got, tt.want)
			}
		})
	}
}

func TestYubiOATHOpenError(t *testing.T) {
	want := errors.New("pcsc: no smart card reader")
	tok, err := Open(Source{Mode: YubiOATH, OpenCard: func() (Card, error) { return nil, want }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tok.Codes(Query{}); !errors.Is(err, want) {
		t.Errorf("Codes with a failing opener = %v; want %v", err, want)
	}
}
