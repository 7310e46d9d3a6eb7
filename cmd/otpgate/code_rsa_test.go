package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/client"
	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/testpeer"
	"otpgate.dev/otpgate/internal/ykoath"
	"otpgate.dev/otpgate/internal/ykoath/ykoathsim"
)

// stoken runs Debian's stoken with --batch, no standard input, a private
// HOME and rcfile and a timeout: without a terminal it may otherwise prompt
// forever.
type stoken struct {
	t         *testing.T
	path, dir string
}

func newStoken(t *testing.T) *stoken {
	t.Helper()
	return &stoken{t: t, path: testpeer.Need(t, "stoken")[0], dir: t.TempDir()}
}

func (s *stoken) run(args ...string) string {
	s.t.Helper()
	if !hasRCFile(args) {
		args = append(args, "--rcfile="+filepath.Join(s.dir, "no-such-stokenrc"))
	}
	args = append(args, "--batch")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.path, args...)
	cmd.Env = append(os.Environ(), "HOME="+s.dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		s.t.Fatalf("stoken %s: %v: %s", args[0], err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out))
}

func hasRCFile(args []string) bool {
	for _, a := range args {
		if strings.HasPrefix(a, "--rcfile=") {
			return true
		}
	}
	return false
}

func (s *stoken) write(name, data string) string {
	s.t.Helper()
	p := filepath.Join(s.dir, name)
	if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
		s.t.Fatal(err)
	}
	return p
}

// issue returns a new v2 CTF string from `stoken issue` and `stoken export`.
func (s *stoken) issue(digits, interval, pinMode int, exportArgs ...string) string {
	s.t.Helper()
	tpl := s.write("t.xml", fmt.Sprintf(`<?xml version="1.0"?>
<TKNBatch><TKNHeader><DefDigits>%d</DefDigits><DefInterval>%d</DefInterval>
<DefAddPIN>%d</DefAddPIN><DefLocalPIN>%d</DefLocalPIN><DefMode>0</DefMode>
<DefAppDerivedSeeds>0</DefAppDerivedSeeds><DefTimeDerivedSeeds>1</DefTimeDerivedSeeds>
</TKNHeader><TKN></TKN></TKNBatch>
`, digits, interval, pinMode>>1, pinMode&1))
	sdtid := s.write("t.sdtid", s.run("issue", "--template="+tpl))
	return s.run(append([]string{"export", "--file=" + sdtid}, exportArgs...)...)
}

var rsaTimes = []int64{1735689600, 1735689629, 1735689630, 1735689659, 1798761599}

// TestCodeRSAStoken compares `otpgate code --token-mode rsa` with `stoken
// tokencode --use-time` for tokens in every way the CLI takes them.
func TestCodeRSAStoken(t *testing.T) {
	s := newStoken(t)
	const devid = "0123456789abcdef0123456789ABCDEF01234567"
	plain := s.issue(6, 30, 0)
	withPw := s.issue(8, 60, 0, "--new-password=s3cret pass")
	withDev := s.issue(6, 60, 0, "--new-devid="+devid)
	mixed := s.issue(8, 30, 3)
	rc := s.write("stokenrc", "# stoken rcfile\nversion 1\ntoken "+mixed+"\npin 1234\n")
	home := t.TempDir()
	if err := os.WriteFile(filepath.Join(home, ".stokenrc"), []byte("version 1\ntoken "+plain+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		vars     map[string]string
		peerArgs []string
		prefix   string // what otpgate writes in front of stoken's code
	}{
		{"v2", []string{"--token-secret", plain}, nil, []string{"--token=" + plain}, ""},
		{"v2 dashed", []string{"--token-secret", dashed(plain)}, nil, []string{"--token=" + plain}, ""},
		{"v2 PIN prepended", []string{"--token-secret", plain}, map[string]string{"OTPGATE_RSA_PIN": "5678"}, []string{"--token=" + plain}, "5678"},
		{"password via env", []string{"--token-secret", withPw}, map[string]string{"OTPGATE_RSA_PASSWORD": "s3cret pass"},
			[]string{"--token=" + withPw, "--password=s3cret pass"}, ""},
		{"password via file", []string{"--token-secret", withPw, "--password-file", s.write("pw", "s3cret pass\n")}, nil,
			[]string{"--token=" + withPw, "--password=s3cret pass"}, ""},
		{"device ID", []string{"--token-secret", withDev, "--devid", devid}, nil, []string{"--token=" + withDev, "--devid=" + devid}, ""},
		{"PIN mixed in", []string{"--token-secret", mixed}, map[string]string{"OTPGATE_RSA_PIN": "9876"}, []string{"--token=" + mixed, "--pin=9876"}, ""},
		{"rcfile via @file", []string{"--token-secret", "@" + rc}, nil, []string{"--rcfile=" + rc}, ""},
		{"rcfile via HOME", nil, map[string]string{"HOME": home}, []string{"--rcfile=" + filepath.Join(home, ".stokenrc")}, ""},
	}
	for _, tt := range tests {
		for _, at := range rsaTimes {
			ts := strconv.FormatInt(at, 10)
			want := tt.prefix + s.run(append([]string{"tokencode", "--use-time=" + ts}, tt.peerArgs...)...)
			args := append([]string{"code", "--token-mode", "rsa", "--time", ts}, tt.args...)
			r := otpgate(t, "", tt.vars, args...)
			if r.code != 0 || strings.TrimSpace(r.stdout) != want {
				t.Errorf("%s: otpgate %q = %d, %q, %q; stoken says %q", tt.name, args, r.code, r.stdout, r.stderr, want)
			}
		}
	}
}

// dashed writes a CTF string in the 5-digit groups of `stoken export --blocks`.
func dashed(ctf string) string {
	var groups []string
	for len(ctf) > 5 {
		groups, ctf = append(groups, ctf[:5]), ctf[5:]
	}
	return strings.Join(append(groups, ctf), "-")
}

// TestCodeRSANext checks that --next is the code one interval later.
func TestCodeRSANext(t *testing.T) {
	s := newStoken(t)
	tok := s.issue(8, 60, 0)
	want := s.run("tokencode", "--token="+tok, "--use-time=1735689660")
	r := otpgate(t, "", nil, "code", "--token-mode", "rsa", "--token-secret", tok, "--time", "1735689601", "--next")
	if r.code != 0 || strings.TrimSpace(r.stdout) != want {
		t.Errorf("otpgate code --next = %d, %q, %q; want %q", r.code, r.stdout, r.stderr, want)
	}
}

// TestCodeRSAWrongSecrets checks that a wrong password or device ID is
// reported as such, with exit status 1, and never shown.
func TestCodeRSAWrongSecrets(t *testing.T) {
	s := newStoken(t)
	withPw := s.issue(6, 30, 0, "--new-password=right one")
	withDev := s.issue(6, 30, 0, "--new-devid=deadbeef")
	exposed := s.write("exposed.pw", "right one\n")
	if err := os.Chmod(exposed, 0o640); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, secret string
		vars         map[string]string
		args         []string
		want, hidden string
	}{
		{"wrong password", withPw, map[string]string{"OTPGATE_RSA_PASSWORD": "wrong guess"}, nil, "wrong password", "wrong guess"},
		{"no password", withPw, nil, nil, "needs a password", ""},
		{"exposed password file", withPw, nil, []string{"--password-file", exposed}, "mode 0640: group or others may read or write it", ""},
		{"wrong device ID", withDev, nil, []string{"--devid", "cafef00d"}, "wrong device ID", ""},
		{"bad PIN", withPw, map[string]string{"OTPGATE_RSA_PASSWORD": "right one", "OTPGATE_RSA_PIN": "12x"}, nil, "PIN must be", "12x"},
	}
	for _, tt := range tests {
		args := append([]string{"code", "--token-mode", "rsa", "--token-secret", tt.secret}, tt.args...)
		r := otpgate(t, "", tt.vars, args...)
		if r.code != 1 || r.stdout != "" || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("%s: otpgate = %d, %q, %q; want exit 1 and %q", tt.name, r.code, r.stdout, r.stderr, tt.want)
		}
		if tt.hidden != "" && strings.Contains(r.stderr, tt.hidden) {
			t.Errorf("%s: stderr %q shows the secret", tt.name, r.stderr)
		}
	}
}

// simCard is the OATH applet simulator as a client.Card.
type simCard struct{ *ykoathsim.Applet }

func (simCard) Close() error { return nil }

// TestCodeYubiOATH drives --token-mode yubioath against the simulator: the
// credential is found by name and the locked applet is unlocked with
// $OTPGATE_YUBIKEY_PASSWORD.
func TestCodeYubiOATH(t *testing.T) {
	sim := ykoathsim.New(ykoathsim.Options{})
	s := ykoath.NewSession(sim)
	key := []byte("12345678901234567890")
	if _, err := s.Select(); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"first", "alice"} {
		if _, err := s.Put(ykoath.Account{Issuer: "VPN", Name: name, Type: ykoath.TOTP, Digits: 6, Period: time.Minute, Secret: key}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SetCode([]byte("s3cret")); err != nil {
		t.Fatal(err)
	}
	openOATHCard = func() (client.Card, error) { return simCard{sim}, nil }
	t.Cleanup(func() { openOATHCard = nil })
	p := otp.Params{Digits: 6, Period: time.Minute}
	args := []string{"code", "--token-mode", "yubioath", "--token-secret", "60/VPN:alice", "--time", "1111111111"}
	r := otpgate(t, "", map[string]string{"OTPGATE_YUBIKEY_PASSWORD": "s3cret"}, append(args, "--next")...)
	if want := otp.Generate(key, 1111111111/60+1, p); r.code != 0 || strings.TrimSpace(r.stdout) != want {
		t.Errorf("otpgate %q = %d, %q, %q; want %q", args, r.code, r.stdout, r.stderr, want)
	}
	r = otpgate(t, "", map[string]string{"OTPGATE_YUBIKEY_PASSWORD": "wrong"}, args...)
	if r.code != 1 || r.stdout != "" || !strings.Contains(r.stderr, "wrong password") {
		t.Errorf("otpgate %q with a wrong password = %d, %q, %q; want exit 1 and \"wrong password\"", args, r.code, r.stdout, r.stderr)
	}
}
