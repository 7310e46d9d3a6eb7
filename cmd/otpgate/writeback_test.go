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
// the file keeps its mode and trailing newline.
func TestWriteBackForms(t *testing.T) {
	tests := []struct {
		content, after string
		codes          string
	}{
		{"12345678901234567890,3\n", "12345678901234567890,5\n", "969429\n338314\n"},
		{"12345678901234567890", "12345678901234567890,2", "755224\n287082\n"},
		{"0x3132333435363738393031323334353637383930,0x8", "0x3132333435363738393031323334353637383930,10", "399871\n520489\n"},
		{"base32:gezdgnbvgy3tqojqgezdgnbvgy3tqojq,5\n\n", "base32:gezdgnbvgy3tqojqgezdgnbvgy3tqojq,7\n\n", "254676\n287922\n"},
		{"SHA256:0x3132333435363738393031323334353637383930,0", "SHA256:0x3132333435363738393031323334353637383930,2",
			otp.Generate(rfcKey, 0, otp.Params{Algorithm: otp.SHA256, Digits: 6, Period: 30 * time.Second}) + "\n" +
				otp.Generate(rfcKey, 1, otp.Params{Algorithm: otp.SHA256, Digits: 6, Period: 30 * time.Second}) + "\n"},
		{"otpauth://hotp/VPN:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&counter=1&issuer=VPN\n",
			"otpauth://hotp/VPN:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&counter=3&issuer=VPN\n", "287082\n359152\n"},
	}
	for _, tt := range tests {
		path := writeToken(t, tt.content, 0o640)
		r := otpgate(t, "", nil, "code", "--token-mode", "hotp", "--window", "1", "--token-secret", "@"+path)
		if r.code != 0 || r.stdout != tt.codes {
			t.Errorf("code @%q = %d, %q, %q; want codes %q", tt.content, r.code, r.stdout, r.stderr, tt.codes)
		}
		if got := readToken(t, path); got != tt.after {
			t.Errorf("file after code @%q = %q; want %q", tt.content, got, tt.after)
		}
		if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o640 {
			t.Errorf("mode after write-back = %v; want 0640", fi.Mode().Perm())
		}
		if !strings.Contains(r.stderr, "readable by other users") {
			t.Errorf("no warning for a 0640 token file; stderr %q", r.stderr)
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
}
