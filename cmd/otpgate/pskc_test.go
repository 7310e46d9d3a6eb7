package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/pskc"
)

// copyFigure copies an RFC 6030 figure into a temporary token file.
func copyFigure(t *testing.T, name string) (path, content string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "internal", "pskc", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return writeToken(t, string(b), 0o600), string(b)
}

func eight(c uint64) string {
	return otp.Generate(rfcKey, c, otp.Params{Digits: 8, Period: otp.DefaultPeriod})
}

// Figure 3 (as libpskc writes it): HOTP, counter 2, eight digits. OpenConnect
// 9.01 ignores the Length and prints six; otpgate honours it.
func TestPSKCFigure3(t *testing.T) {
	path, before := copyFigure(t, "fig3.pskc")
	r := otpgate(t, "", nil, "code", "--token-mode", "hotp", "--window", "1", "--token-secret", "@"+path)
	if r.code != 0 || r.stdout != eight(2)+"\n"+eight(3)+"\n" {
		t.Fatalf("fig3: %+v; want %s %s", r, eight(2), eight(3))
	}
	after := readToken(t, path)
	if want := strings.Replace(before, "<PlainValue>2</PlainValue></Counter>", "<PlainValue>4</PlainValue></Counter>", 1); after != want {
		t.Errorf("fig3 after write-back:\n%s\nwant only the counter changed:\n%s", after, want)
	}
}

// Figure 6: encrypted with a pre-shared AES key; the counter is plain.
func TestPSKCPreSharedKey(t *testing.T) {
	path, _ := copyFigure(t, "fig6.pskc")
	keyFile := filepath.Join(t.TempDir(), "pskc.key")
	os.WriteFile(keyFile, []byte("12345678901234567890123456789012\n"), 0o600)
	r := otpgate(t, "", nil, "code", "--token-secret", "@"+path, "--pskc-key-file", keyFile)
	if r.code != 0 || r.stdout != eight(0)+"\n" {
		t.Fatalf("fig6: %+v; want %s", r, eight(0))
	}
	r = otpgate(t, "", map[string]string{"OTPGATE_PSKC_KEY": "12345678901234567890123456789012"}, "code", "--token-secret", "@"+path)
	if r.code != 0 || r.stdout != eight(1)+"\n" {
		t.Fatalf("fig6 second code: %+v; want %s", r, eight(1))
	}
	os.WriteFile(keyFile, []byte("00000000000000000000000000000000"), 0o600)
	before := readToken(t, path)
	r = otpgate(t, "", nil, "code", "--token-secret", "@"+path, "--pskc-key-file", keyFile)
	if r.code != 1 || !strings.Contains(r.stderr, "wrong key or password") || readToken(t, path) != before {
		t.Errorf("wrong key: %+v; want exit 1, a wrong-key error and the file untouched", r)
	}
}

// Figure 7: encrypted under a PBKDF2 password.
func TestPSKCPassword(t *testing.T) {
	path, _ := copyFigure(t, "fig7.pskc")
	r := otpgate(t, "", map[string]string{"OTPGATE_PSKC_PASSWORD": "qwerty"}, "code", "--token-secret", "@"+path)
	if r.code != 0 || r.stdout != eight(0)+"\n" {
		t.Fatalf("fig7: %+v; want %s", r, eight(0))
	}
	r = otpgate(t, "", map[string]string{"OTPGATE_PSKC_PASSWORD": "azerty"}, "code", "--token-secret", "@"+path)
	if r.code != 1 || !strings.Contains(r.stderr, "wrong key or password") {
		t.Errorf("wrong password: %+v", r)
	}
	r = otpgate(t, "", nil, "code", "--token-secret", "@"+path)
	if r.code != 1 || !strings.Contains(r.stderr, "encrypted") || !strings.Contains(r.stderr, "hint:") {
		t.Errorf("no password: %+v", r)
	}
}

// A file with several keys needs --key-id, and the error lists them.
func TestPSKCSeveralKeys(t *testing.T) {
	c1, c9 := uint64(1), uint64(9)
	doc, err := pskc.Encode([]pskc.KeyData{
		{ID: "vpn-1", SerialNo: "1001", Algorithm: pskc.AlgorithmHOTP, Secret: rfcKey, Counter: &c1, Digits: 6},
		{ID: "vpn-2", SerialNo: "1002", Algorithm: pskc.AlgorithmHOTP, Secret: rfcKey, Counter: &c9, Digits: 6},
	}, pskc.EncodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	path := writeToken(t, string(doc), 0o600)
	r := otpgate(t, "", nil, "code", "--token-secret", "@"+path)
	if r.code != 1 || !strings.Contains(r.stderr, `"vpn-1" (serial "1001")`) || !strings.Contains(r.stderr, `"vpn-2"`) {
		t.Errorf("no --key-id: %+v", r)
	}
	r = otpgate(t, "", nil, "code", "--key-id", "1002", "--token-secret", "@"+path)
	if r.code != 0 || r.stdout != "520489\n" {
		t.Errorf("--key-id 1002: %+v; want 520489", r)
	}
	r = otpgate(t, "", nil, "code", "--key-id", "vpn-2", "--token-secret", "@"+path)
	if r.code != 0 || r.stdout != otp.Generate(rfcKey, 10, otp.DefaultParams())+"\n" {
		t.Errorf("--key-id vpn-2 after write-back: %+v", r)
	}
	c, err := pskc.Parse([]byte(readToken(t, path)))
	if err != nil || *c.Keys[0].Counter != 1 || *c.Keys[1].Counter != 11 {
		t.Errorf("counters after write-back: %v; want 1 and 11", err)
	}
}

func TestPSKCModeMismatch(t *testing.T) {
	path, _ := copyFigure(t, "fig3.pskc")
	r := otpgate(t, "", nil, "code", "--token-mode", "totp", "--token-secret", "@"+path)
	if r.code != 1 || !strings.Contains(r.stderr, "is hotp but the token mode is totp") {
		t.Errorf("mode mismatch: %+v", r)
	}
}
