package pskc

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"otpgate.dev/otpgate/internal/testpeer"
)

// exportKeys covers every KeyData field Encode writes.
var exportKeys = []KeyData{{
	ID: "hotp-1", Algorithm: AlgorithmHOTP, Issuer: "Example & Co <IT>",
	Manufacturer: "Yubico", SerialNo: "1234567", UserID: "alice",
	Digits: 8, Encoding: "DECIMAL", Secret: rfcSecret, Counter: u64(1000),
}, {
	ID: "totp-1", Algorithm: AlgorithmTOTP, Suite: "HMAC-SHA256", Issuer: "otpgate",
	Digits: 6, Encoding: "DECIMAL", Secret: []byte("12345678901234567890123456789012"),
	Time: i64(0), TimeInterval: i64(60), TimeDrift: i64(-1),
}}

var encodeTests = []struct {
	name string
	opts EncodeOptions
}{
	{"plain", EncodeOptions{ID: "export-1"}},
	{"preshared", EncodeOptions{Key: fig6Key, KeyName: "Pre-shared-key"}},
	{"preshared-unnamed", EncodeOptions{Key: fig6Key}}, // as otpgate export --key-file writes it
	{"password-unnamed", EncodeOptions{Password: []byte("correct horse"), Iterations: 2000}},
	{"password", EncodeOptions{Password: []byte("correct horse"), Iterations: 2000, KeyName: "My Password"}},
}

// decryptWith decrypts c with the key or password of opts.
func decryptWith(c *Container, opts EncodeOptions) error {
	switch {
	case opts.Password != nil:
		return c.DecryptPassword(opts.Password)
	case opts.Key != nil:
		return c.Decrypt(opts.Key)
	}
	return nil
}

func TestEncodeRoundTrip(t *testing.T) {
	for _, tt := range encodeTests {
		doc, err := Encode(exportKeys, tt.opts)
		if err != nil {
			t.Fatalf("Encode(%s): %v", tt.name, err)
		}
		c, err := Parse(doc)
		if err != nil {
			t.Fatalf("Parse(Encode(%s)): %v\n%s", tt.name, err, doc)
		}
		if got, want := c.Encrypted(), tt.opts.Key != nil || tt.opts.Password != nil; got != want {
			t.Errorf("Encode(%s): Encrypted() = %v; want %v", tt.name, got, want)
		}
		if got, want := c.PasswordBased(), tt.opts.Password != nil; got != want {
			t.Errorf("Encode(%s): PasswordBased() = %v; want %v", tt.name, got, want)
		}
		if err := decryptWith(c, tt.opts); err != nil {
			t.Fatalf("Encode(%s) then decrypt: %v", tt.name, err)
		}
		if got := keyData(c); !reflect.DeepEqual(got, exportKeys) {
			t.Errorf("Encode(%s) read back as\n%+v\nwant\n%+v", tt.name, got, exportKeys)
		}
		if c.ID != tt.opts.ID {
			t.Errorf("Encode(%s): Id = %q; want %q", tt.name, c.ID, tt.opts.ID)
		}
	}
}

func TestEncodeWrongPassword(t *testing.T) {
	doc, err := Encode(exportKeys, EncodeOptions{Password: []byte("right"), Iterations: 1000})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := Parse(doc)
	if err := c.DecryptPassword([]byte("wrong")); !errors.Is(err, ErrWrongKey) {
		t.Errorf("DecryptPassword(wrong) = %v; want ErrWrongKey", err)
	}
}

func TestEncodeFresh(t *testing.T) {
	opts := EncodeOptions{Password: []byte("pw"), Iterations: 1000}
	a, _ := Encode(exportKeys, opts)
	b, _ := Encode(exportKeys, opts)
	if bytes.Equal(a, b) {
		t.Errorf("two encodings with the same password are identical: salt, IV or MAC key is not random")
	}
}

func TestEncodeErrors(t *testing.T) {
	for _, tt := range []struct {
		name string
		keys []KeyData
		opts EncodeOptions
	}{
		{"both", exportKeys, EncodeOptions{Key: fig6Key, Password: []byte("x")}},
		{"short key", exportKeys, EncodeOptions{Key: fig6Key[:8]}},
		{"empty password", exportKeys, EncodeOptions{Password: []byte{}}},
		{"iterations", exportKeys, EncodeOptions{Password: []byte("x"), Iterations: -1}},
		{"no secret", []KeyData{{ID: "x"}}, EncodeOptions{}},
	} {
		if _, err := Encode(tt.keys, tt.opts); err == nil || !strings.HasPrefix(err.Error(), "pskc: ") {
			t.Errorf("Encode(%s) = %v; want a pskc error", tt.name, err)
		}
	}
}

// TestSchema validates Encode's and SetCounter's output against the RFC 6030
// schema with libpskc's pskctool, the library OpenConnect reads PSKC with.
func TestSchema(t *testing.T) {
	pskctool := testpeer.Need(t, "pskctool")[0]
	dir := t.TempDir()
	docs := map[string][]byte{}
	for _, tt := range encodeTests {
		doc, err := Encode(exportKeys, tt.opts)
		if err != nil {
			t.Fatal(err)
		}
		docs["encode-"+tt.name] = doc
		if docs["counter-"+tt.name], err = SetCounter(doc, 1, 7, nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"fig2.pskc", "fig5.pskc", "fig6.pskc"} {
		out, err := SetCounter(readFile(t, f), len(parseFile(t, f, nil, nil).Keys)-1, 9, nil)
		if err != nil {
			t.Fatal(err)
		}
		docs["counter-"+f] = out
	}
	for name, doc := range docs {
		path := filepath.Join(dir, name+".xml")
		if err := os.WriteFile(path, doc, 0o600); err != nil {
			t.Fatal(err)
		}
		// Stdout has the verdict; stderr warns that libpskc cannot decrypt.
		out, err := exec.Command(pskctool, "--validate", path).Output()
		if err != nil || strings.TrimSpace(string(out)) != "OK" {
			t.Errorf("pskctool --validate %s = %v, %s\n%s", name, err, out, doc)
		}
	}
}

// TestLibpskcReads checks that libpskc, which OpenConnect uses, reads the
// secret and counter of a plain Encode output.
func TestLibpskcReads(t *testing.T) {
	pskctool := testpeer.Need(t, "pskctool")[0]
	doc, err := Encode(exportKeys[:1], EncodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "plain.xml")
	if err := os.WriteFile(path, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(pskctool, "--info", "--strict", path).CombinedOutput()
	if err != nil {
		t.Fatalf("pskctool --info: %v\n%s", err, out)
	}
	for _, want := range []string{
		"Key Secret (base64): MTIzNDU2Nzg5MDEyMzQ1Njc4OTA=",
		"Key Counter: 1000",
		"Algorithm: " + AlgorithmHOTP,
		"SerialNo: 1234567",
		"Response Format Length: 8",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("pskctool --info lacks %q:\n%s", want, out)
		}
	}
}
