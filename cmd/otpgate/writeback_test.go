package main

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/tokenspec"
)

var rfcKey = []byte("12345678901234567890")

func writeToken(t *testing.T, content string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "vpn.token")
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	return path
}

func readToken(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Every form is written back as it was given, with the counter advanced, and
// the file keeps its mode (0400 here) and trailing newline.
func TestWriteBackForms(t *testing.T) {
	tests := []struct {
		content, after string
		codes          string
	}{
		{"12345678901234567890,3\n", "12345678901234567890,5\n", "969429\n338314\n"},
		{"12345678901234567890", "12345678901234567890,2", "755224\n287082\n"},
		{"0x3132333435363738393031323334353637383930,0x8", "0x3132333435363738393031323334353637383930,0xa", "399871\n520489\n"},
		{"base32:gezdgnbvgy3tqojqgezdgnbvgy3tqojq,5\n\n", "base32:gezdgnbvgy3tqojqgezdgnbvgy3tqojq,7\n\n", "254676\n287922\n"},
		{"SHA256:0x3132333435363738393031323334353637383930,0", "SHA256:0x3132333435363738393031323334353637383930,2",
			otp.Generate(rfcKey, 0, otp.Params{Algorithm: otp.SHA256, Digits: 6, Period: 30 * time.Second}) + "\n" +
				otp.Generate(rfcKey, 1, otp.Params{Algorithm: otp.SHA256, Digits: 6, Period: 30 * time.Second}) + "\n"},
		{"otpauth://hotp/VPN:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&counter=1&issuer=VPN\n",
			"otpauth://hotp/VPN:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&counter=3&issuer=VPN\n", "287082\n359152\n"},
	}
	for _, tt := range tests {
		path := writeToken(t, tt.content, 0o400)
		r := otpgate(t, "", nil, "code", "--token-mode", "hotp", "--window", "1", "--token-secret", "@"+path)
		if r.code != 0 || r.stdout != tt.codes {
			t.Errorf("code @%q = %d, %q, %q; want codes %q", tt.content, r.code, r.stdout, r.stderr, tt.codes)
		}
		if got := readToken(t, path); got != tt.after {
			t.Errorf("file after code @%q = %q; want %q", tt.content, got, tt.after)
		}
		if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o400 {
			t.Errorf("mode after write-back = %v; want 0400", fi.Mode().Perm())
		}
	}
}

// A token file that group or others may read is refused, whatever the mode
// and wherever it is read, and is left as it was: its secret is already
// exposed, and the error says how to stop that.
func TestExposedTokenFile(t *testing.T) {
	for _, mode := range []string{"hotp", "totp", "rsa"} {
		path := writeToken(t, "12345678901234567890,3\n", 0o644)
		r := otpgate(t, "", nil, "code", "--token-mode", mode, "--token-secret", "@"+path)
		if r.code != 1 || r.stdout != "" || !strings.Contains(r.stderr, "mode 0644") || !strings.Contains(r.stderr, "chmod 600 "+path) {
			t.Errorf("--token-mode %s with a 0644 token file = %+v; want exit 1, no code and the chmod", mode, r)
		}
		if readToken(t, path) != "12345678901234567890,3\n" {
			t.Errorf("--token-mode %s: a refused token file was changed", mode)
		}
	}
}

// The SHA-256 prefix survives write-back, so the second run still uses
// SHA-256 (OpenConnect drops it and falls back to SHA-1).
func TestWriteBackKeepsAlgorithm(t *testing.T) {
	path := writeToken(t, "sha256:12345678901234567890,0", 0o600)
	p := otp.Params{Algorithm: otp.SHA256, Digits: 6, Period: 30 * time.Second}
	for c := uint64(0); c < 3; c++ {
		r := otpgate(t, "", nil, "code", "--token-mode", "hotp", "--token-secret", path)
		if want := otp.Generate(rfcKey, c, p) + "\n"; r.stdout != want || r.stderr != "" {
			t.Fatalf("run %d = %q, %q; want %q", c, r.stdout, r.stderr, want)
		}
	}
}

// A TOTP token file and a --counter look are never rewritten.
func TestNoWriteBack(t *testing.T) {
	path := writeToken(t, "12345678901234567890,4", 0o600)
	before, _ := os.Stat(path)
	otpgate(t, "", nil, "code", "--token-mode", "totp", "--token-secret", "@"+path)
	otpgate(t, "", nil, "code", "--token-mode", "hotp", "--counter", "9", "--token-secret", "@"+path)
	after, _ := os.Stat(path)
	if !os.SameFile(before, after) || readToken(t, path) != "12345678901234567890,4" {
		t.Errorf("token file was rewritten: %q", readToken(t, path))
	}
}

// Bad content leaves the file exactly as it was.
func TestBadFileUntouched(t *testing.T) {
	path := writeToken(t, "0x123,4\n", 0o600)
	r := otpgate(t, "", nil, "code", "--token-mode", "hotp", "--token-secret", "@"+path)
	if r.code != 1 || !strings.Contains(r.stderr, path) || readToken(t, path) != "0x123,4\n" {
		t.Errorf("bad token file: %+v, file %q", r, readToken(t, path))
	}
}

// 16 concurrent otpgate processes on one HOTP file print 16 distinct
// consecutive codes and leave the counter 16 higher.
func TestConcurrentProcesses(t *testing.T) {
	const n, start = 16, 1000
	path := writeToken(t, "base32:GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ,"+strconv.Itoa(start)+"\n", 0o600)
	var wg sync.WaitGroup
	codes := make([]string, n)
	for i := range n {
		wg.Go(func() {
			out, err := otpgateCmd("code", "--token-mode", "hotp", "--token-secret", "@"+path).Output()
			if err != nil {
				t.Errorf("process %d: %v", i, err)
			}
			codes[i] = strings.TrimSpace(string(out))
		})
	}
	wg.Wait()
	want := map[string]bool{}
	for c := uint64(start); c < start+n; c++ {
		want[otp.Generate(rfcKey, c, otp.DefaultParams())] = true
	}
	seen := map[string]bool{}
	for _, c := range codes {
		if !want[c] || seen[c] {
			t.Errorf("code %q is not one of counters %d..%d or was printed twice", c, start, start+n-1)
		}
		seen[c] = true
	}
	if got, want := readToken(t, path), "base32:GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ,"+strconv.Itoa(start+n)+"\n"; got != want {
		t.Errorf("final file %q; want %q", got, want)
	}
}

// A process killed at a random moment leaves the old file or the new one,
// never a broken one, and never a counter that went backwards.
func TestKilledMidWrite(t *testing.T) {
	path := writeToken(t, "otpauth://hotp/VPN:bob?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&counter=0\n", 0o600)
	// Time one whole run, then kill the others at random points of it.
	t0 := time.Now()
	if err := otpgateCmd("code", "--token-mode", "hotp", "--token-secret", "@"+path).Run(); err != nil {
		t.Fatal(err)
	}
	span := int64(time.Since(t0))
	last := uint64(1)
	for i := range 60 {
		cmd := otpgateCmd("code", "--token-mode", "hotp", "--token-secret", "@"+path)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rand.Int64N(span)))
		cmd.Process.Kill()
		cmd.Wait()
		s, err := tokenspec.Parse(readToken(t, path), tokenspec.Options{Mode: tokenspec.HOTP})
		if err != nil {
			t.Fatalf("after kill %d the token file does not parse: %v", i, err)
		}
		if s.Counter < last || s.Counter > last+1 {
			t.Fatalf("after kill %d the counter is %d; was %d", i, s.Counter, last)
		}
		last = s.Counter
	}
	t.Logf("%d of 60 killed runs had saved their counter", last-1)
	if err := otpgateCmd("code", "--token-mode", "hotp", "--token-secret", "@"+path).Run(); err != nil {
		t.Fatal(err)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".vpn.token.tmp-*")); len(left) != 0 {
		t.Errorf("after the kills and one clean run, temporary files with the secret remain: %v", left)
	}
}

// TestWriteBackThroughSymlink: a token file reached through a symbolic link
// is the file the link points to. 16 concurrent processes, half through the
// link and half through the real path, print 16 distinct codes; the link
// stays a link and the real file holds the final counter.
func TestWriteBackThroughSymlink(t *testing.T) {
	const n, start = 16, 40
	real := writeToken(t, "base32:GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ,"+strconv.Itoa(start)+"\n", 0o600)
	link := filepath.Join(t.TempDir(), "vpn.link")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	codes := make([]string, n)
	for i := range n {
		path := []string{real, link}[i%2]
		wg.Go(func() {
			out, err := otpgateCmd("code", "--token-mode", "hotp", "--token-secret", "@"+path).Output()
			if err != nil {
				t.Errorf("process %d through %s: %v", i, path, err)
			}
			codes[i] = strings.TrimSpace(string(out))
		})
	}
	wg.Wait()
	seen := map[string]int{}
	for i, c := range codes {
		if j, dup := seen[c]; dup {
			t.Errorf("code %q printed twice: by process %d and %d", c, j, i)
		}
		seen[c] = i
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("after write-back %s is no longer a symbolic link: %v, %v", link, fi.Mode(), err)
	}
	if got, want := readToken(t, real), "base32:GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ,"+strconv.Itoa(start+n)+"\n"; got != want {
		t.Errorf("real file after write-back through both paths = %q; want %q", got, want)
	}
}

// TestStaleTempFiles: a write-back killed between creating its temporary
// file and renaming it leaves .FILE.tmp-* holding the secret; the next run
// of the same token removes it (and leaves other files' alone). A planted
// leftover stands in for the crash, which TestKilledMidWrite produces for
// real.
func TestStaleTempFiles(t *testing.T) {
	path := writeToken(t, "12345678901234567890,0\n", 0o600)
	dir := filepath.Dir(path)
	stale := filepath.Join(dir, ".vpn.token.tmp-LEFTOVER")
	other := filepath.Join(dir, ".other.token.tmp-LEFTOVER")
	for _, p := range []string{stale, other} {
		if err := os.WriteFile(p, []byte("12345678901234567890,0\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	r := otpgate(t, "", nil, "code", "--token-mode", "hotp", "--token-secret", "@"+path)
	if r.code != 0 || r.stdout != "755224\n" {
		t.Fatalf("code = %+v; want 755224", r)
	}
	if _, err := os.Lstat(stale); err == nil {
		t.Errorf("the stale temporary file %s of the token is still there", stale)
	}
	if _, err := os.Lstat(other); err != nil {
		t.Errorf("another token's file %s was removed: %v", other, err)
	}
}
