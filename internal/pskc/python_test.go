package pskc

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"

	"otpgate.dev/otpgate/internal/testpeer"
)

// Differential tests against Debian's python3-pskc, driven through
// testdata/oracle.py.

// pyKey is a key as oracle.py reads and writes it.
type pyKey struct {
	ID           string  `json:"id,omitempty"`
	Algorithm    string  `json:"algorithm,omitempty"`
	SecretHex    string  `json:"secret_hex,omitempty"`
	Counter      *uint64 `json:"counter,omitempty"`
	TimeOffset   *int64  `json:"time_offset,omitempty"`
	TimeInterval *int64  `json:"time_interval,omitempty"`
	TimeDrift    *int64  `json:"time_drift,omitempty"`
	Suite        string  `json:"algorithm_suite,omitempty"`
	Serial       string  `json:"serial,omitempty"`
	Manufacturer string  `json:"manufacturer,omitempty"`
	Issuer       string  `json:"issuer,omitempty"`
	Digits       int     `json:"response_length,omitempty"`
	Encoding     string  `json:"response_encoding,omitempty"`
	UserID       string  `json:"userid,omitempty"`
}

func toPy(k KeyData) pyKey {
	return pyKey{k.ID, k.Algorithm, hex.EncodeToString(k.Secret), k.Counter, k.Time, k.TimeInterval,
		k.TimeDrift, k.Suite, k.SerialNo, k.Manufacturer, k.Issuer, k.Digits, k.Encoding, k.UserID}
}

type pyEncryption struct {
	Mode       string   `json:"mode"`
	KeyHex     string   `json:"key_hex,omitempty"`
	Password   string   `json:"password,omitempty"`
	Algorithm  string   `json:"algorithm,omitempty"`
	Fields     []string `json:"fields,omitempty"`
	Iterations int      `json:"iterations,omitempty"`
	KeyName    string   `json:"key_name,omitempty"`
}

// oracle runs testdata/oracle.py with Debian's python3.
type oracle struct {
	t  *testing.T
	py string
}

func newOracle(t *testing.T) *oracle { return &oracle{t, testpeer.Python(t, "pskc")} }

// run runs oracle.py with args and stdin, and returns its stdout.
func (o *oracle) run(stdin []byte, args ...string) []byte {
	t := o.t
	t.Helper()
	cmd := exec.Command(o.py, append([]string{"testdata/oracle.py"}, args...)...)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("oracle.py %q: %v\n%s", args, err, stderr.Bytes())
	}
	return out
}

// write has python-pskc write keys with enc.
func (o *oracle) write(enc pyEncryption, keys []KeyData) []byte {
	t := o.t
	t.Helper()
	spec := struct {
		Encryption pyEncryption `json:"encryption"`
		Keys       []pyKey      `json:"keys"`
	}{Encryption: enc}
	for _, k := range keys {
		spec.Keys = append(spec.Keys, toPy(k))
	}
	in, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	return o.run(in, "write")
}

// read has python-pskc read doc, decrypting with "--key", hex or
// "--password", pw.
func (o *oracle) read(doc []byte, secret ...string) []pyKey {
	t := o.t
	t.Helper()
	path := filepath.Join(t.TempDir(), "in.pskc")
	if err := os.WriteFile(path, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	var keys []pyKey
	if err := json.Unmarshal(o.run(nil, append([]string{"read", path}, secret...)...), &keys); err != nil {
		t.Fatal(err)
	}
	return keys
}

// pyKeys are the keys python-pskc writes in TestPythonWrites. Counter 49
// is encrypted by python-pskc as the single byte "1", which python-pskc
// itself then reads back as 1; RFC 6030 says big-endian, so we read 49.
var pyKeys = []KeyData{{
	ID: "h1", Algorithm: AlgorithmHOTP, Issuer: "Issuer", Manufacturer: "Feitian",
	SerialNo: "SN-1", UserID: "bob", Digits: 8, Encoding: "DECIMAL",
	Secret: rfcSecret, Counter: u64(49),
}, {
	ID: "t1", Algorithm: AlgorithmTOTP, Suite: "HMAC-SHA512", Digits: 6,
	Secret: bytes.Repeat([]byte{0xa5}, 64), Time: i64(0), TimeInterval: i64(60), TimeDrift: i64(3),
}}

const pyKeyHex = "000102030405060708090a0b0c0d0e0f"

var pyEncryptions = []struct {
	name    string
	enc     pyEncryption
	key     []byte
	keyName string
}{
	{"plain", pyEncryption{Mode: "none"}, nil, ""},
	{"aes128-cbc", pyEncryption{Mode: "key", KeyHex: pyKeyHex, KeyName: "Pre-shared-key",
		Fields: []string{"secret", "counter", "time_offset", "time_interval", "time_drift"}}, unhex(pyKeyHex), "Pre-shared-key"},
	{"aes256-cbc", pyEncryption{Mode: "key", KeyHex: pyKeyHex + pyKeyHex, Algorithm: "aes256-cbc",
		Fields: []string{"secret", "counter"}}, unhex(pyKeyHex + pyKeyHex), ""},
	{"kw-aes128", pyEncryption{Mode: "key", KeyHex: pyKeyHex, Algorithm: "kw-aes128",
		Fields: []string{"secret", "counter", "time_interval"}}, unhex(pyKeyHex), ""},
	{"pbkdf2", pyEncryption{Mode: "password", Password: "qwerty", Iterations: 2000, KeyName: "My Password",
		Fields: []string{"secret", "counter"}}, nil, "My Password"},
}

func TestPythonWrites(t *testing.T) {
	py := newOracle(t)
	for _, tt := range pyEncryptions {
		doc := py.write(tt.enc, pyKeys)
		c, err := Parse(doc)
		if err != nil {
			t.Fatalf("%s: Parse: %v\n%s", tt.name, err, doc)
		}
		if got := c.Encrypted(); got != (tt.enc.Mode != "none") {
			t.Errorf("%s: Encrypted() = %v", tt.name, got)
		}
		if names := c.KeyNames(); tt.keyName != "" && (len(names) != 1 || names[0] != tt.keyName) {
			t.Errorf("%s: KeyNames() = %q; want [%q]", tt.name, names, tt.keyName)
		}
		if tt.enc.Mode != "none" {
			if err := decryptPy(c, tt.key, "wrong"); !errors.Is(err, ErrWrongKey) {
				t.Errorf("%s: decrypt with the wrong key = %v; want ErrWrongKey", tt.name, err)
			}
		}
		if err := decryptPy(c, tt.key, tt.enc.Password); err != nil {
			t.Fatalf("%s: decrypt: %v", tt.name, err)
		}
		if got := keyData(c); !reflect.DeepEqual(got, pyKeys) {
			t.Errorf("%s: python-pskc's file reads as\n%+v\nwant\n%+v", tt.name, got, pyKeys)
		}
	}
}

// decryptPy decrypts with password when the container is password-based,
// else with key, spoiling the key when password is "wrong".
func decryptPy(c *Container, key []byte, password string) error {
	if c.PasswordBased() {
		return c.DecryptPassword([]byte(password))
	}
	if password == "wrong" {
		key = bytes.Clone(key)
		key[0] ^= 1
	}
	return c.Decrypt(key)
}

func TestPythonReads(t *testing.T) {
	py := newOracle(t)
	for _, tt := range encodeTests {
		doc, err := Encode(exportKeys, tt.opts)
		if err != nil {
			t.Fatal(err)
		}
		var secret []string
		switch {
		case tt.opts.Key != nil:
			secret = []string{"--key", hex.EncodeToString(tt.opts.Key)}
		case tt.opts.Password != nil:
			secret = []string{"--password", string(tt.opts.Password)}
		}
		var want []pyKey
		for _, k := range exportKeys {
			want = append(want, toPy(k))
		}
		if got := py.read(doc, secret...); !reflect.DeepEqual(got, want) {
			t.Errorf("python-pskc reads Encode(%s) as\n%+v\nwant\n%+v", tt.name, got, want)
		}
	}
}

// TestPythonSetCounter rewrites the counter of python-pskc's files, plain
// and encrypted, and has python-pskc read the result.
func TestPythonSetCounter(t *testing.T) {
	py := newOracle(t)
	for _, tt := range pyEncryptions {
		doc := py.write(tt.enc, pyKeys)
		c, err := Parse(doc)
		if err != nil {
			t.Fatal(err)
		}
		key, secret := tt.key, []string{"--key", hex.EncodeToString(tt.key)}
		switch {
		case c.PasswordBased():
			if key, err = c.DeriveKey([]byte(tt.enc.Password)); err != nil {
				t.Fatal(err)
			}
			secret = []string{"--password", tt.enc.Password}
		case key == nil:
			secret = nil
		}
		out, err := SetCounter(doc, 0, 123456, key)
		if err != nil {
			t.Fatalf("%s: SetCounter: %v", tt.name, err)
		}
		if tt.enc.Mode != "none" {
			if err := onlyTextChanged(doc, out, "CipherValue", "ValueMAC"); err != nil {
				t.Errorf("%s: SetCounter: %v", tt.name, err)
			}
		}
		got := py.read(out, secret...)
		if got[0].Counter == nil || *got[0].Counter != 123456 || got[0].SecretHex != hex.EncodeToString(rfcSecret) {
			t.Errorf("%s: python-pskc reads the new counter as %v, secret %s; want 123456 and the RFC secret",
				tt.name, got[0].Counter, got[0].SecretHex)
		}
	}
}
