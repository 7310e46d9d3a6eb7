package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"otpgate.dev/otpgate/internal/testpeer"
)

// TestTokenImportStoken imports tokens made by `stoken issue`, with and
// without password and device ID, in several forms, and checks that the
// written file is 0600, holds no device binding, and that `otpgate code`,
// `stoken tokencode --file` and `stoken tokencode --token=` all give the
// code stoken gives for the original token.
func TestTokenImportStoken(t *testing.T) {
	s := newStoken(t)
	const devid = "0123456789abcdef0123456789ABCDEF01234567"
	sdtid := s.write("src.sdtid", s.run("export", "--file="+s.write("t.sdtid", s.run("issue", "--template="+s.write("t.xml", rsaTemplate))), "--sdtid", "--new-password=sdtid pw"))
	plain := s.issue(6, 30, 0)
	withPw := s.issue(8, 60, 0, "--new-password=old pw")
	withDev := s.issue(6, 60, 0, "--new-devid="+devid)
	both := s.issue(8, 30, 0, "--new-password=both pw", "--new-devid="+devid)
	tests := []struct {
		name     string
		args     []string
		stdin    string
		vars     map[string]string
		peerArgs []string
		newPw    string
	}{
		{"plain", []string{"--token-secret", plain}, "", nil, []string{"--token=" + plain}, ""},
		{"password via file, new password", []string{"--token-secret", withPw, "--password-file", s.write("pw", "old pw\n")}, "", nil,
			[]string{"--token=" + withPw, "--password=old pw"}, "new pw"},
		{"device ID", []string{"--token-secret", withDev, "--devid", devid}, "", nil, []string{"--token=" + withDev, "--devid=" + devid}, ""},
		{"stdin, password and device ID from env, new password", []string{"--token-secret", "-"}, both + "\n",
			map[string]string{"OTPGATE_RSA_PASSWORD": "both pw", "OTPGATE_RSA_DEVID": devid},
			[]string{"--token=" + both, "--password=both pw", "--devid=" + devid}, "other pw"},
		{"sdtid file", []string{"--token-secret", "@" + sdtid, "--password-file", s.write("spw", "sdtid pw\n")}, "", nil,
			[]string{"--file=" + sdtid, "--password=sdtid pw"}, ""},
	}
	for i, tt := range tests {
		out := filepath.Join(t.TempDir(), "vpn.rsa")
		args := append([]string{"token", "import", "--token-mode", "rsa", "--out", out}, tt.args...)
		if tt.newPw != "" {
			args = append(args, "--new-password-file", s.write("new"+strconv.Itoa(i), tt.newPw+"\n"))
		}
		r := otpgate(t, tt.stdin, tt.vars, args...)
		if r.code != 0 || r.stdout != "" || !strings.Contains(r.stderr, "wrote SecurID token") {
			t.Errorf("%s: otpgate %q = %d, %q, %q; want 0 and a note on stderr", tt.name, args, r.code, r.stdout, r.stderr)
			continue
		}
		if info, err := os.Stat(out); err != nil || info.Mode().Perm() != 0o600 {
			t.Errorf("%s: %s: %v, mode %v; want 0600", tt.name, out, err, info.Mode().Perm())
		}
		data, _ := os.ReadFile(out)
		ctf := strings.TrimSpace(string(data))
		pwArg := "--password=" + tt.newPw
		for _, at := range rsaTimes[:3] {
			ts := strconv.FormatInt(at, 10)
			want := s.run(append([]string{"tokencode", "--use-time=" + ts}, tt.peerArgs...)...)
			for _, peer := range [][]string{{"--file=" + out, pwArg}, {"--token=" + ctf, pwArg}} {
				if got := s.run(append([]string{"tokencode", "--use-time=" + ts}, peer...)...); got != want {
					t.Errorf("%s: stoken tokencode %q = %s; the original gives %s", tt.name, peer, got, want)
				}
			}
			r := otpgate(t, "", map[string]string{"OTPGATE_RSA_PASSWORD": tt.newPw}, "code", "--token-mode", "rsa", "--token-secret", "@"+out, "--time", ts)
			if strings.TrimSpace(r.stdout) != want {
				t.Errorf("%s: otpgate code @%s = %d, %q, %q; stoken says %s", tt.name, out, r.code, r.stdout, r.stderr, want)
			}
		}
	}
}

const rsaTemplate = `<?xml version="1.0"?>
<TKNBatch><TKNHeader><DefDigits>8</DefDigits><DefInterval>60</DefInterval>
<DefAddPIN>0</DefAddPIN><DefLocalPIN>0</DefLocalPIN><DefMode>0</DefMode>
<DefAppDerivedSeeds>0</DefAppDerivedSeeds><DefTimeDerivedSeeds>1</DefTimeDerivedSeeds>
</TKNHeader><TKN></TKN></TKNBatch>
`

// TestTokenImportErrors: usage mistakes exit 2; a wrong password or device
// ID exits 1 saying which, without showing it; an existing file is kept
// unless --force.
func TestTokenImportErrors(t *testing.T) {
	s := newStoken(t)
	withPw := s.issue(6, 30, 0, "--new-password=right one")
	withDev := s.issue(6, 30, 0, "--new-devid=deadbeef")
	plain := s.issue(6, 30, 0)
	dir := t.TempDir()
	existing := filepath.Join(dir, "existing")
	if err := os.WriteFile(existing, []byte("keep me\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	imp := func(extra ...string) []string {
		return append([]string{"token", "import", "--token-mode", "rsa"}, extra...)
	}
	tests := []struct {
		args         []string
		vars         map[string]string
		code         int
		want, hidden string
	}{
		{[]string{"token"}, nil, 2, "name the action: import", ""},
		{[]string{"token", "export"}, nil, 2, `unknown action "export"`, ""},
		{[]string{"token", "import", "--token-mode", "totp", "--out", "x"}, nil, 2, "--token-mode must be rsa", ""},
		{imp("--token-secret", plain), nil, 2, "--out FILE is required", ""},
		{imp("--token-secret", "@", "--out", filepath.Join(dir, "a")), nil, 2, "no file name after '@'", ""},
		{imp("--token-secret", "12345", "--out", filepath.Join(dir, "a")), nil, 1, "CTF string has 5 digits", ""},
		{imp("--token-secret", "@/nonexistent/t.sdtid", "--out", filepath.Join(dir, "a")), nil, 1, "no such file", ""},
		{imp("--token-secret", withPw, "--out", filepath.Join(dir, "a")), map[string]string{"OTPGATE_RSA_PASSWORD": "wrong guess"}, 1, "wrong password", "wrong guess"},
		{imp("--token-secret", withPw, "--out", filepath.Join(dir, "a")), nil, 1, "needs a password", ""},
		{imp("--token-secret", withDev, "--devid", "cafef00d", "--out", filepath.Join(dir, "a")), nil, 1, "wrong device ID", "cafef00d"},
		{imp("--token-secret", plain, "--out", filepath.Join(dir, "nodir", "a")), nil, 1, "no such file or directory", ""},
		{imp("--token-secret", plain, "--out", existing), nil, 1, "already exists", ""},
	}
	for _, tt := range tests {
		r := otpgate(t, "", tt.vars, tt.args...)
		if r.code != tt.code || !strings.Contains(r.stderr, tt.want) || strings.Count(strings.TrimSpace(r.stderr), "\n") > 1 {
			t.Errorf("otpgate %q = %d, %q; want %d, %q on one line and a hint", tt.args, r.code, r.stderr, tt.code, tt.want)
		}
		if tt.hidden != "" && strings.Contains(r.stderr, tt.hidden) {
			t.Errorf("otpgate %q: stderr %q shows the secret", tt.args, r.stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "a")); err == nil {
		t.Errorf("a failed import left a file behind")
	}
	if b, _ := os.ReadFile(existing); string(b) != "keep me\n" {
		t.Errorf("an import without --force changed an existing file")
	}
	r := otpgate(t, "", nil, imp("--token-secret", plain, "--out", existing, "--force")...)
	if b, _ := os.ReadFile(existing); r.code != 0 || strings.TrimSpace(string(b)) == "keep me" {
		t.Errorf("import --force = %d, %q; file holds %q", r.code, r.stderr, b)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*tmp*")); len(left) != 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

// TestTokenImportFullDisk: when the token cannot be written (a full file
// system), import fails and leaves no file, neither FILE nor a temporary
// one: a truncated SecurID file must never appear under FILE's name.
func TestTokenImportFullDisk(t *testing.T) {
	plain := newStoken(t).issue(6, 30, 0)
	dir := testpeer.FullDir(t)
	out := filepath.Join(dir, "vpn.rsa")
	for _, force := range []bool{false, true} {
		args := []string{"token", "import", "--token-mode", "rsa", "--token-secret", plain, "--out", out}
		if force {
			args = append(args, "--force")
		}
		r := otpgate(t, "", nil, args...)
		if r.code != 1 || !strings.Contains(r.stderr, "no space left") {
			t.Errorf("otpgate %q on a full disk = %d, %q; want 1 and \"no space left\"", args, r.code, r.stderr)
		}
		if _, err := os.Lstat(out); err == nil {
			t.Errorf("otpgate %q on a full disk left %s behind", args, out)
		}
		if left, _ := filepath.Glob(filepath.Join(dir, ".*tmp*")); len(left) != 0 {
			t.Errorf("otpgate %q on a full disk left temporary files: %v", args, left)
		}
	}
}
