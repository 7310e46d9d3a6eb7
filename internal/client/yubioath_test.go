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

func TestGenerateYubiOATH(t *testing.T) {
	const now = 1111111111
	step := uint64(now / 60)
	tests := []struct {
		name      string
		password  string // the applet's
		given     string // what Password returns; "-" means no Password func
		req       YubiOATHRequest
		want      []string
		wantErr   error
		errSubstr string
	}{
		{name: "first credential", req: YubiOATHRequest{}, want: []string{totp(step)}},
		{name: "issuer:name", req: YubiOATHRequest{Name: "VPN:alice"}, want: []string{totp(step)}},
		{name: "period/issuer:name", req: YubiOATHRequest{Name: "60/VPN:alice"}, want: []string{totp(step)}},
		{name: "next and window", req: YubiOATHRequest{Name: "alice", Next: true, Count: 2}, want: []string{totp(step + 1), totp(step + 2)}},
		{name: "HOTP advances the card", req: YubiOATHRequest{Name: "bob", Count: 3}, want: []string{hotp(0), hotp(1), hotp(2)}},
		{name: "HOTP next", req: YubiOATHRequest{Name: "bob", Next: true}, errSubstr: "--next is for time-based"},
		{name: "unknown name", req: YubiOATHRequest{Name: "carol"}, errSubstr: `"carol" not found`},
		{name: "unlocked", password: "s3cret", given: "s3cret", req: YubiOATHRequest{Name: "VPN:alice"}, want: []string{totp(step)}},
		{name: "wrong password", password: "s3cret", given: "guess", req: YubiOATHRequest{}, wantErr: ykoath.ErrWrongPassword},
		{name: "no password", password: "s3cret", given: "-", req: YubiOATHRequest{}, wantErr: ErrOATHLocked},
		{name: "unlocked applet ignores Password", given: "-", req: YubiOATHRequest{}, want: []string{totp(step)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, closed, asked := newSim(t, tt.password), 0, 0
			req := tt.req
			req.Now = time.Unix(now, 0)
			req.Open = func() (Card, error) { return simCard{sim, &closed}, nil }
			if tt.given != "-" {
				req.Password = func() ([]byte, error) { asked++; return []byte(tt.given), nil }
			}
			res, err := GenerateYubiOATH(req)
			if closed != 1 {
				t.Errorf("card closed %d times; want 1", closed)
			}
			if tt.password == "" && asked != 0 {
				t.Errorf("Password asked %d times for an unlocked applet; want 0", asked)
			}
			switch {
			case tt.wantErr != nil || tt.errSubstr != "":
				if err == nil || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) || !strings.Contains(err.Error(), tt.errSubstr) {
					t.Errorf("GenerateYubiOATH(%+v) error = %v; want %v %q", tt.req, err, tt.wantErr, tt.errSubstr)
				}
				if tt.given != "" && tt.given != "-" && err != nil && strings.Contains(err.Error(), tt.given) {
					t.Errorf("error %q shows the password", err)
				}
				return
			case err != nil:
				t.Fatalf("GenerateYubiOATH(%+v) = %v", tt.req, err)
			}
			var got []string
			for _, c := range res.Codes {
				got = append(got, c.Code)
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("GenerateYubiOATH(%+v) codes = %q; want %q", tt.req, got, tt.want)
			}
		})
	}
}

func TestGenerateYubiOATHOpenError(t *testing.T) {
	want := errors.New("pcsc: no smart card reader")
	_, err := GenerateYubiOATH(YubiOATHRequest{Open: func() (Card, error) { return nil, want }})
	if !errors.Is(err, want) {
		t.Errorf("GenerateYubiOATH with a failing opener = %v; want %v", err, want)
	}
}
