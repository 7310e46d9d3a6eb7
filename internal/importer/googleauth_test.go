package importer

import (
	"bytes"
	"encoding/base32"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/testpeer"
)

// gaTOTPFile is a file made by `google-authenticator -t -d -f -r 3 -R 30
// -w 3 -q -Q NONE` (libpam-google-authenticator 20191231).
const gaTOTPFile = `CDO4R7TP3HVDI4J7CI5OGKBJHA
" RATE_LIMIT 3 30
" WINDOW_SIZE 3
" DISALLOW_REUSE
" TOTP_AUTH
79273426
98515004
57900380
64966160
14227340
`

func TestParseGoogleAuthenticator(t *testing.T) {
	secret, _ := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString("CDO4R7TP3HVDI4J7CI5OGKBJHA")
	totp := Record{Type: TypeTOTP, Secret: secret, Digits: 6, Period: 30, Line: 1}
	tests := []struct {
		name, in string
		want     Record
	}{
		{"CLI TOTP file", gaTOTPFile, func() Record {
			r := totp
			r.RecoveryCodes = []string{"79273426", "98515004", "57900380", "64966160", "14227340"}
			return r
		}()},
		{"rewritten after logins", "CDO4R7TP3HVDI4J7CI5OGKBJHA\n\" RATE_LIMIT 3 30 1700000000 1700000010\n\" WINDOW_SIZE 17\n" +
			"\" DISALLOW_REUSE 56666666 56666668 56666667\n\" TOTP_AUTH\n\" TIME_SKEW -2\n\" RESETTING_TIME_SKEW 56666660+1\n79273426\n",
			func() Record {
				r := totp
				r.Counter, r.Drift, r.RecoveryCodes = 56666668, -2, []string{"79273426"}
				return r
			}()},
		{"step size, lower case, spaces, dash", "cdo4 r7tp-3hvd i4j7 ci5o gkbj ha\r\n\" STEP_SIZE 60\r\n\" TOTP_AUTH\r\n",
			func() Record { r := totp; r.Period = 60; return r }()},
		{"HOTP", "CDO4R7TP3HVDI4J7CI5OGKBJHA\n\" WINDOW_SIZE 5\n\" HOTP_COUNTER 42\n11140965\n",
			Record{Type: TypeHOTP, Secret: secret, Digits: 6, Counter: 42, RecoveryCodes: []string{"11140965"}, Line: 1}},
		// The module reads 0, 1 and 8 as O, L and B.
		{"mistyped characters", "GEZ0\n\" TOTP_AUTH\n", func() Record {
			r := totp
			r.Secret, _ = base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString("GEZO")
			return r
		}()},
	}
	for _, tt := range tests {
		got, err := ParseGoogleAuthenticator(strings.NewReader(tt.in))
		if err != nil || len(got) != 1 || !reflect.DeepEqual(got[0], tt.want) {
			t.Errorf("%s: ParseGoogleAuthenticator(%q) = %+v, %v; want %+v", tt.name, tt.in, got, err, tt.want)
		}
	}
}

func TestParseGoogleAuthenticatorErrors(t *testing.T) {
	const s = "CDO4R7TP3HVDI4J7CI5OGKBJHA\n"
	tests := []struct{ in, want string }{
		{"", "the file is empty"},
		{"CDO4R7TP3HVDI4J7CI5OGKBJHA==\n\" TOTP_AUTH\n", "line 1: the first line is not a base32 secret"},
		{"\n\" TOTP_AUTH\n", "line 1: the first line: the secret is empty"},
		{s + "\" TOTP_AUTH\n\" HOTP_COUNTER 1\n", "both TOTP_AUTH and HOTP_COUNTER"},
		{s + "\" WINDOW_SIZE 3\n12345678\n", "neither TOTP_AUTH nor HOTP_COUNTER"},
		{s + "\" HOTP_COUNTER 0\n", "neither TOTP_AUTH nor HOTP_COUNTER"},
		{s + "\" TOTP_AUTH\n\" TOTP_AUTH\n", "line 3: option TOTP_AUTH appears twice"},
		{s + "\" TOTP_AUTH yes\n", "line 2: option TOTP_AUTH takes no value"},
		{s + "\" TOPT_AUTH\n", "line 2: unknown option"},
		{s + "\"TOTP_AUTH\n", "line 2: an option line must start"},
		{s + "\" TOTP_AUTH\n\" STEP_SIZE 61\n", "line 3: option STEP_SIZE has a malformed or out-of-range value"},
		{s + "\" TOTP_AUTH\n\" WINDOW_SIZE 0\n", "option WINDOW_SIZE"},
		{s + "\" TOTP_AUTH\n\" RATE_LIMIT 3\n", "option RATE_LIMIT"},
		{s + "\" TOTP_AUTH\n\" RATE_LIMIT 101 30\n", "option RATE_LIMIT"},
		{s + "\" TOTP_AUTH\n\" DISALLOW_REUSE 1 x\n", "option DISALLOW_REUSE"},
		{s + "\" TOTP_AUTH\n\" TIME_SKEW 1.5\n", "option TIME_SKEW"},
		{s + "\" TOTP_AUTH\n1234567\n", "line 3: the line is neither an option"},
		{s + "\" TOTP_AUTH\n01234567\n", "line 3: the line is neither an option"},
		{s + "\" TOTP_AUTH\n" + strings.Repeat("12345678\n", 8000), "larger than the 65536 bytes"},
	}
	for _, tt := range tests {
		recs, err := ParseGoogleAuthenticator(strings.NewReader(tt.in))
		if err == nil || recs != nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseGoogleAuthenticator(%.80q) = %v, %v; want error containing %q", tt.in, recs, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "CDO4R7TP") {
			t.Errorf("ParseGoogleAuthenticator error %q contains the secret", err)
		}
	}
}

// TestGoogleAuthenticatorPeer makes files with Debian's google-authenticator
// and checks that the parsed secret gives oathtool's codes for the secret the
// file holds.
func TestGoogleAuthenticatorPeer(t *testing.T) {
	ga := testpeer.Need(t, "google-authenticator")[0]
	tests := []struct {
		args   []string
		typ    string
		period int
	}{
		{[]string{"-t", "-d", "-r", "3", "-R", "30", "-w", "3"}, TypeTOTP, 30},
		{[]string{"-t", "-D", "-u", "-S", "60", "-w", "17"}, TypeTOTP, 60},
		{[]string{"-c", "-u", "-w", "5"}, TypeHOTP, 0},
	}
	at := time.Unix(1_800_000_000, 0)
	for _, tt := range tests {
		path := filepath.Join(t.TempDir(), ".google_authenticator")
		cmd := exec.Command(ga, append(tt.args, "-f", "-C", "-q", "-Q", "NONE", "-s", path)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("google-authenticator %v: %v: %s", tt.args, err, out)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		recs, err := ParseGoogleAuthenticator(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("ParseGoogleAuthenticator(google-authenticator %v): %v", tt.args, err)
		}
		r := recs[0]
		if r.Type != tt.typ || r.Period != tt.period || r.Digits != 6 || tt.typ == TypeHOTP && r.Counter != 1 {
			t.Errorf("google-authenticator %v: parsed %+v; want type %s, period %d, 6 digits", tt.args, r, tt.typ, tt.period)
		}
		var scratch []string
		for _, line := range strings.Split(string(data), "\n") {
			if len(line) == 8 && strings.Trim(line, "0123456789") == "" {
				scratch = append(scratch, line)
			}
		}
		if len(scratch) == 0 || !reflect.DeepEqual(r.RecoveryCodes, scratch) {
			t.Errorf("google-authenticator %v wrote %d scratch codes; the record's recovery codes differ", tt.args, len(scratch))
		}
		b32, _, _ := strings.Cut(string(data), "\n")
		// recordCode compares package otp's code from the parsed secret
		// with oathtool's from the file's base32 secret.
		args := []string{"-b", "-c", "1"}
		if tt.typ == TypeTOTP {
			args = []string{"-b", "--totp", "-s", fmt.Sprintf("%ds", tt.period), "-N", "@1800000000"}
		}
		if got, want := recordCode(t, &r, 1, at), oathtool(t, b32, args...); got != want {
			t.Errorf("google-authenticator %v: code from the parsed secret %s; oathtool on the file's secret %s", tt.args, got, want)
		}
	}
}
