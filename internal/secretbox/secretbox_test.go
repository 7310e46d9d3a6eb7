package secretbox

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os/exec"
	"strings"
	"testing"

	"otpgate.dev/otpgate/internal/testpeer"
)

// testKey is the key of the vectors: bytes 0 to 31.
func testKey() []byte {
	k := make([]byte, KeySize)
	for i := range k {
		k[i] = byte(i)
	}
	return k
}

func mustNew(t testing.TB, key []byte, old ...[]byte) *Box {
	t.Helper()
	b, err := New(key, old...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// vectors were sealed by this package and checked with Python's
// cryptography AESGCM; they pin the format.
var vectors = []struct {
	tokenID, column string
	plain           string
	sealed          string // hex
}{
	{"tok-1", "secret", "12345678901234567890",
		"0167689fd2b757de5bc45464c2c993af17af5fa41a07644b1b0c08d5b96ba10551ef7d60166f9bb0c277589bede5422e54619b2c6eca9d909a"},
}

func TestVectors(t *testing.T) {
	b := mustNew(t, testKey())
	if got, want := b.Fingerprint(), "67689fd2b757de5b"; got != want {
		t.Errorf("Fingerprint() = %s; want %s", got, want)
	}
	for _, v := range vectors {
		sealed, _ := hex.DecodeString(v.sealed)
		got, err := b.Open(sealed, AAD(v.tokenID, v.column))
		if err != nil || string(got) != v.plain {
			t.Errorf("Open(vector %s/%s) = %q, %v; want %q", v.tokenID, v.column, got, err, v.plain)
		}
		if fp, err := KeyOf(sealed); err != nil || fp != b.Fingerprint() {
			t.Errorf("KeyOf(vector) = %s, %v; want %s", fp, err, b.Fingerprint())
		}
	}
}

func TestRoundTrip(t *testing.T) {
	b := mustNew(t, testKey())
	for _, plain := range [][]byte{nil, {}, {0}, []byte("12345678901234567890"), bytes.Repeat([]byte{0xff}, 64)} {
		aad := AAD("tok", "secret")
		sealed := b.Seal(plain, aad)
		if want := headerSize + nonceSize + len(plain) + tagSize; len(sealed) != want {
			t.Errorf("len(Seal(%d bytes)) = %d; want %d", len(plain), len(sealed), want)
		}
		got, err := b.Open(sealed, aad)
		if err != nil || !bytes.Equal(got, plain) {
			t.Errorf("Open(Seal(%x)) = %x, %v", plain, got, err)
		}
		if again := b.Seal(plain, aad); bytes.Equal(again, sealed) {
			t.Errorf("Seal(%x) twice gave the same value; want a fresh nonce", plain)
		}
	}
}

func TestTamper(t *testing.T) {
	b := mustNew(t, testKey())
	aad := AAD("tok", "secret")
	sealed := b.Seal([]byte("12345678901234567890"), aad)
	for i := range sealed {
		bad := bytes.Clone(sealed)
		bad[i] ^= 0x01
		if got, err := b.Open(bad, aad); err == nil {
			t.Errorf("Open with byte %d flipped = %x, nil; want an error", i, got)
		}
	}
	for _, n := range []int{0, 1, headerSize, headerSize + nonceSize + tagSize - 1} {
		if _, err := b.Open(sealed[:n], aad); err == nil {
			t.Errorf("Open(first %d bytes) = nil error; want an error", n)
		}
	}
	if _, err := b.Open(append(bytes.Clone(sealed), 0), aad); err == nil {
		t.Errorf("Open with a byte appended = nil error; want an error")
	}
	if _, err := b.Open(make([]byte, maxSealed+1), aad); err == nil {
		t.Errorf("Open(%d bytes) = nil error; want an error", maxSealed+1)
	}
}

func TestAADBindsRowAndColumn(t *testing.T) {
	b := mustNew(t, testKey())
	sealed := b.Seal([]byte("seed"), AAD("tok-1", "secret"))
	for _, aad := range [][]byte{
		AAD("tok-2", "secret"),
		AAD("tok-1", "private_id"),
		AAD("tok-", "1secret"),
		nil,
	} {
		if _, err := b.Open(sealed, aad); err == nil {
			t.Errorf("Open with AAD %q = nil error; want an error", aad)
		}
	}
	if bytes.Equal(AAD("ab", "c"), AAD("a", "bc")) {
		t.Errorf("AAD(ab, c) = AAD(a, bc); want the encoding unambiguous")
	}
}

func TestWrongKey(t *testing.T) {
	other := testKey()
	other[0] ^= 1
	sealed := mustNew(t, other).Seal([]byte("seed"), nil)
	_, err := mustNew(t, testKey()).Open(sealed, nil)
	if !errors.Is(err, ErrWrongKey) {
		t.Errorf("Open(sealed under another key) = %v; want ErrWrongKey", err)
	}
	if _, err := New(testKey()[:31]); err == nil {
		t.Errorf("New(31-byte key) = nil error; want an error")
	}
}

// TestPythonCryptography: the format is plain AES-256-GCM. Python's
// cryptography opens what Seal makes, and Open opens what it makes.
func TestPythonCryptography(t *testing.T) {
	testpeer.Python(t, "cryptography")
	b := mustNew(t, testKey())
	aad := AAD("tok-7", "secret")
	sealed := b.Seal([]byte("otpgate seed"), aad)
	script := `
import sys
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
key, sealed, aad = (bytes.fromhex(a) for a in sys.argv[1:4])
hdr, nonce, ct = sealed[:9], sealed[9:21], sealed[21:]
print(AESGCM(key).decrypt(nonce, ct, hdr + aad).hex())
nonce = bytes(range(12))
print((hdr + nonce + AESGCM(key).encrypt(nonce, b"python seed", hdr + aad)).hex())
`
	out, err := exec.Command("python3", "-c", script,
		hex.EncodeToString(testKey()), hex.EncodeToString(sealed), hex.EncodeToString(aad)).CombinedOutput()
	if err != nil {
		t.Fatalf("python3: %v: %s", err, out)
	}
	lines := strings.Fields(string(out))
	if len(lines) != 2 {
		t.Fatalf("python3 printed %q; want two lines", out)
	}
	if opened, _ := hex.DecodeString(lines[0]); string(opened) != "otpgate seed" {
		t.Errorf("python opened %q; want %q", opened, "otpgate seed")
	}
	fromPython := lines[1]
	pySealed, _ := hex.DecodeString(fromPython)
	if got, err := b.Open(pySealed, aad); err != nil || string(got) != "python seed" {
		t.Errorf("Open(sealed by python) = %q, %v; want %q", got, err, "python seed")
	}
}

func FuzzOpen(f *testing.F) {
	for _, v := range vectors {
		sealed, _ := hex.DecodeString(v.sealed)
		f.Add(sealed, []byte(AAD(v.tokenID, v.column)))
	}
	f.Add([]byte{version}, []byte{})
	b := mustNew(f, testKey())
	f.Fuzz(func(t *testing.T, sealed, aad []byte) {
		plain, err := b.Open(sealed, aad)
		if err != nil {
			return
		}
		// Whatever opens re-seals and opens to the same plaintext.
		again, err := b.Open(b.Seal(plain, aad), aad)
		if err != nil || !bytes.Equal(again, plain) {
			t.Errorf("Open(Seal(Open(x))) = %x, %v; want %x", again, err, plain)
		}
	})
}

func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte("12345678901234567890"), "tok-1", "secret")
	f.Add([]byte{}, "", "")
	b := mustNew(f, testKey())
	f.Fuzz(func(t *testing.T, plain []byte, tokenID, column string) {
		aad := AAD(tokenID, column)
		got, err := b.Open(b.Seal(plain, aad), aad)
		if err != nil || !bytes.Equal(got, plain) {
			t.Errorf("Open(Seal(%x)) = %x, %v", plain, got, err)
		}
	})
}
