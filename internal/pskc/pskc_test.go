package pskc

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"otpgate.dev/otpgate/internal/otp"
)

// RFC 6030 section 6.1 (Figure 6) pre-shared key and MAC key, and the values
// section 6.2 (Figure 7) derives from "qwerty"; see client-tokens.md section 6.
var (
	fig6Key    = unhex("12345678901234567890123456789012")
	fig6MACKey = unhex("1122334455667788990011223344556677889900")
	fig7Key    = unhex("651e63cd57008476af1ff6422cd02e41")
	fig7MACKey = unhex("bdaab8d648e850d25a3289364f7d7eaaf53ce581")
	rfcSecret  = []byte("12345678901234567890")
)

func unhex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func u64(v uint64) *uint64 { return &v }
func i64(v int64) *int64   { return &v }

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// parseFile parses a test file and decrypts it with key or, if set, password.
func parseFile(t testing.TB, name string, key, password []byte) *Container {
	t.Helper()
	c, err := Parse(readFile(t, name))
	if err != nil {
		t.Fatalf("Parse(%s): %v", name, err)
	}
	switch {
	case password != nil:
		err = c.DecryptPassword(password)
	case key != nil:
		err = c.Decrypt(key)
	}
	if err != nil {
		t.Fatalf("decrypt %s: %v", name, err)
	}
	return c
}

var figureTests = []struct {
	file          string
	key, password []byte
	keyNames      []string
	keys          []KeyData
}{
	{file: "fig2.pskc", keys: []KeyData{{
		ID: "12345678", Algorithm: AlgorithmHOTP, Issuer: "Issuer-A",
		Secret: []byte("1234"), Counter: u64(2),
	}}},
	{file: "fig3.pskc", keys: []KeyData{{
		ID: "12345678", Algorithm: AlgorithmHOTP, Issuer: "Issuer",
		Manufacturer: "Manufacturer", SerialNo: "987654321",
		UserID: "UID=jsmith,DC=example-bank,DC=net", Digits: 8, Encoding: "DECIMAL",
		Secret: rfcSecret, Counter: u64(2),
	}}},
	{file: "fig4.pskc", keys: []KeyData{{
		ID: "12345678", Algorithm: AlgorithmHOTP, Issuer: "Issuer",
		Manufacturer: "Manufacturer", SerialNo: "987654321", Digits: 8, Encoding: "DECIMAL",
		Counter: u64(0),
	}}},
	{file: "fig5.pskc", keys: []KeyData{{
		ID: "12345678", Algorithm: AlgorithmHOTP, Issuer: "Issuer",
		Manufacturer: "Manufacturer", SerialNo: "987654321", Digits: 8, Encoding: "DECIMAL",
		Secret: rfcSecret, Counter: u64(0),
	}, {
		ID: "123456781", Algorithm: AlgorithmPIN,
		Manufacturer: "Manufacturer", SerialNo: "987654321", Digits: 4, Encoding: "DECIMAL",
		Secret: []byte("1234"),
	}}},
	{file: "fig6.pskc", key: fig6Key, keyNames: []string{"Pre-shared-key"}, keys: []KeyData{{
		ID: "12345678", Algorithm: AlgorithmHOTP, Issuer: "Issuer",
		Manufacturer: "Manufacturer", SerialNo: "987654321", Digits: 8, Encoding: "DECIMAL",
		Secret: rfcSecret, Counter: u64(0),
	}}},
	{file: "fig7.pskc", password: []byte("qwerty"), keyNames: []string{"My Password 1"}, keys: []KeyData{{
		ID: "123456", Algorithm: AlgorithmHOTP, Issuer: "Example-Issuer",
		Manufacturer: "TokenVendorAcme", SerialNo: "987654321", Digits: 8, Encoding: "DECIMAL",
		Secret: rfcSecret,
	}}},
}

func TestFigures(t *testing.T) {
	for _, tt := range figureTests {
		c := parseFile(t, tt.file, tt.key, tt.password)
		if c.Encrypted() {
			t.Errorf("%s: Encrypted() = true after decryption", tt.file)
		}
		if got := c.KeyNames(); !reflect.DeepEqual(got, tt.keyNames) {
			t.Errorf("%s: KeyNames() = %q; want %q", tt.file, got, tt.keyNames)
		}
		if got := keyData(c); !reflect.DeepEqual(got, tt.keys) {
			t.Errorf("%s: keys =\n%+v\nwant\n%+v", tt.file, got, tt.keys)
		}
	}
}

func keyData(c *Container) []KeyData {
	var out []KeyData
	for _, k := range c.Keys {
		d := k.KeyData
		if len(d.Secret) == 0 {
			d.Secret = nil
		}
		out = append(out, d)
	}
	return out
}

func TestEncryptedBeforeDecrypt(t *testing.T) {
	for _, tt := range []struct {
		file      string
		encrypted bool
		password  bool
	}{
		{"fig3.pskc", false, false},
		{"fig6.pskc", true, false},
		{"fig7.pskc", true, true},
	} {
		c := parseFile(t, tt.file, nil, nil)
		if got := c.Encrypted(); got != tt.encrypted {
			t.Errorf("%s: Encrypted() = %v; want %v", tt.file, got, tt.encrypted)
		}
		if got := c.PasswordBased(); got != tt.password {
			t.Errorf("%s: PasswordBased() = %v; want %v", tt.file, got, tt.password)
		}
		if tt.encrypted && c.Keys[0].Secret != nil {
			t.Errorf("%s: Secret is set before decryption", tt.file)
		}
	}
}

// TestVectors checks the intermediate values of RFC 6030 Figures 6 and 7
// listed in client-tokens.md section 6.
func TestVectors(t *testing.T) {
	c7 := parseFile(t, "fig7.pskc", nil, nil)
	key, err := c7.DeriveKey([]byte("qwerty"))
	if err != nil || !bytes.Equal(key, fig7Key) {
		t.Errorf("DeriveKey(qwerty) = %x, %v; want %x", key, err, fig7Key)
	}
	c6 := parseFile(t, "fig6.pskc", nil, nil)
	for _, tt := range []struct {
		c           *Container
		key, macKey []byte
		valueMAC    string
	}{
		{c6, fig6Key, fig6MACKey, "Su+NvtQfmvfJzF6bmQiJqoLRExc="},
		{c7, fig7Key, fig7MACKey, "LP6xMvjtypbfT9PdkJhBZ+D6O4w="},
	} {
		o, err := tt.c.opener(tt.key)
		if err != nil || !bytes.Equal(o.macKey, tt.macKey) {
			t.Errorf("MAC key under %x = %x, %v; want %x", tt.key, o.macKey, err, tt.macKey)
			continue
		}
		s := tt.c.Keys[0].sealed[itemSecret]
		if got := o.sum(s.data); !bytes.Equal(got, unb64(tt.valueMAC)) {
			t.Errorf("ValueMAC under %x = %x; want %s", tt.key, got, tt.valueMAC)
		}
		if got, err := o.open(s); err != nil || !bytes.Equal(got, rfcSecret) {
			t.Errorf("secret under %x = %q, %v; want %q", tt.key, got, err, rfcSecret)
		}
	}
}

func unb64(s string) []byte {
	b, err := decodeBase64(s)
	if err != nil {
		panic(err)
	}
	return b
}

func TestWrongKey(t *testing.T) {
	c := parseFile(t, "fig6.pskc", nil, nil)
	wrong := bytes.Clone(fig6Key)
	wrong[0] ^= 1
	if err := c.Decrypt(wrong); !errors.Is(err, ErrWrongKey) {
		t.Errorf("Decrypt(wrong key) = %v; want ErrWrongKey", err)
	}
	if !c.Encrypted() || c.Keys[0].Secret != nil {
		t.Errorf("Decrypt(wrong key) changed the container")
	}
	c = parseFile(t, "fig7.pskc", nil, nil)
	if err := c.DecryptPassword([]byte("qwertz")); !errors.Is(err, ErrWrongKey) {
		t.Errorf("DecryptPassword(wrong) = %v; want ErrWrongKey", err)
	}
	if err := c.Decrypt(fig6Key[:10]); err == nil || errors.Is(err, ErrWrongKey) {
		t.Errorf("Decrypt(10-byte key) = %v; want a key length error", err)
	}
	if err := c.DecryptPassword([]byte("qwerty")); err != nil {
		t.Errorf("DecryptPassword(qwerty) after failures = %v", err)
	}
}

// TestTampered flips one bit of a MAC-protected value or of its MAC.
func TestTampered(t *testing.T) {
	doc := readFile(t, "fig6.pskc")
	for _, tt := range []struct{ old, new string }{
		{"Su+NvtQfmvfJzF6bmQiJqoLRExc=", "Tu+NvtQfmvfJzF6bmQiJqoLRExc="},
		{"AAECAwQFBgcICQoLDA0OD+cI", "AAECAwQFBgcICQoLDA0OD+cJ"},
		{"ESIzRFVmd4iZABEiM0RVZgKn", "ESIzRFVmd4iZABEiM0RVZgKo"},
	} {
		c, err := Parse(bytes.Replace(doc, []byte(tt.old), []byte(tt.new), 1))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Decrypt(fig6Key); !errors.Is(err, ErrWrongKey) {
			t.Errorf("Decrypt with %s changed = %v; want ErrWrongKey", tt.old, err)
		}
	}
}

func TestCBCWithoutMAC(t *testing.T) {
	doc := readFile(t, "fig6.pskc")
	i := bytes.Index(doc, []byte("<ValueMAC>"))
	j := bytes.Index(doc, []byte("</ValueMAC>")) + len("</ValueMAC>")
	c, err := Parse(append(doc[:i:i], doc[j:]...))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Decrypt(fig6Key); err == nil || !strings.Contains(err.Error(), "no ValueMAC") {
		t.Errorf("Decrypt(CBC without ValueMAC) = %v; want a missing ValueMAC error", err)
	}
}

func TestOTPTypeAndHash(t *testing.T) {
	for _, tt := range []struct {
		alg, suite, typ string
		hash            otp.Algorithm
		err             bool
	}{
		{AlgorithmHOTP, "", "hotp", otp.SHA1, false},
		{AlgorithmTOTP, "HMAC-SHA256", "totp", otp.SHA256, false},
		{"urn:ietf:params:xml:ns:keyprov:pskc#totp", "hmac-sha512", "totp", otp.SHA512, false},
		{"urn:ietf:params:xml:ns:keyprov:pskc#hotp", "SHA1", "hotp", otp.SHA1, false},
		{AlgorithmPIN, "", "", otp.SHA1, false},
		{AlgorithmHOTP, "HMAC-MD5", "hotp", 0, true},
	} {
		k := KeyData{Algorithm: tt.alg, Suite: tt.suite}
		if got := k.OTPType(); got != tt.typ {
			t.Errorf("OTPType(%q) = %q; want %q", tt.alg, got, tt.typ)
		}
		h, err := k.Hash()
		if (err != nil) != tt.err || (err == nil && h != tt.hash) {
			t.Errorf("Hash(%q) = %v, %v; want %v, error %v", tt.suite, h, err, tt.hash, tt.err)
		}
	}
}

const plainDoc = `<?xml version="1.0"?>
<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc">
<KeyPackage><Key Id="t1" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:totp"><Data>
<Secret><PlainValue>MTIzNA==</PlainValue></Secret>
<Time><PlainValue>-30</PlainValue></Time>
<TimeInterval><PlainValue>60</PlainValue></TimeInterval>
<TimeDrift><PlainValue>-2</PlainValue></TimeDrift>
</Data></Key></KeyPackage></KeyContainer>`

func TestTimeItems(t *testing.T) {
	c, err := Parse([]byte(plainDoc))
	if err != nil {
		t.Fatal(err)
	}
	k := c.Keys[0]
	if *k.Time != -30 || *k.TimeInterval != 60 || *k.TimeDrift != -2 || k.Counter != nil {
		t.Errorf("Time, TimeInterval, TimeDrift, Counter = %d, %d, %d, %v; want -30, 60, -2, nil",
			*k.Time, *k.TimeInterval, *k.TimeDrift, k.Counter)
	}
}

func TestParseErrors(t *testing.T) {
	deep := strings.Repeat("<a>", 40) + strings.Repeat("</a>", 40)
	many := "<KeyContainer>" + strings.Repeat("<a/>", maxElements) + "</KeyContainer>"
	for _, tt := range []struct{ name, doc, want string }{
		{"empty", "", "no root element"},
		{"not XML", "hello", "no root element"},
		{"unclosed", "<KeyContainer>", "malformed XML"},
		{"wrong root", "<SecretContainer/>", "want <KeyContainer>"},
		{"two roots", "<KeyContainer/><KeyContainer/>", "more than one root"},
		{"version", `<KeyContainer Version="2.0"/>`, "only 1.0"},
		{"too deep", "<KeyContainer>" + deep + "</KeyContainer>", "nested deeper"},
		{"too many", many, "more than 65536 elements"},
		{"too large", "<KeyContainer>" + strings.Repeat(" ", MaxSize) + "</KeyContainer>", "the limit is"},
		{"two keys in a package", kp(`<Key/><Key/>`), "more than one <Key>"},
		{"two counters", key(`<Counter><PlainValue>1</PlainValue></Counter><Counter><PlainValue>2</PlainValue></Counter>`), "more than one <Counter>"},
		{"negative counter", key(`<Counter><PlainValue>-1</PlainValue></Counter>`), "not an unsigned"},
		{"bad time", key(`<Time><PlainValue>x</PlainValue></Time>`), "not a decimal"},
		{"bad base64", key(`<Secret><PlainValue>%%%</PlainValue></Secret>`), "invalid base64"},
		{"plain and encrypted", key(`<Secret><PlainValue>AA==</PlainValue><EncryptedValue/></Secret>`), "both PlainValue and EncryptedValue"},
		{"no value", key(`<Secret/>`), "neither PlainValue nor EncryptedValue"},
		{"no method", key(`<Secret><EncryptedValue><CipherData><CipherValue>AA==</CipherValue></CipherData></EncryptedValue></Secret>`), "no EncryptionMethod"},
		{"digits", kp(`<Key><AlgorithmParameters><ResponseFormat Length="six"/></AlgorithmParameters></Key>`), "ResponseFormat Length"},
		{"iterations", `<KeyContainer><EncryptionKey><DerivedKey><KeyDerivationMethod Algorithm="x#pbkdf2"><PBKDF2-params><Salt><Specified>AA==</Specified></Salt><IterationCount>99999999</IterationCount></PBKDF2-params></KeyDerivationMethod></DerivedKey></EncryptionKey></KeyContainer>`, "IterationCount"},
	} {
		_, err := Parse([]byte(tt.doc))
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "pskc: ") {
			t.Errorf("Parse(%s) = %v; want an error containing %q", tt.name, err, tt.want)
		}
	}
}

func kp(inner string) string {
	return `<KeyContainer Version="1.0"><KeyPackage>` + inner + `</KeyPackage></KeyContainer>`
}

func key(data string) string { return kp(`<Key Id="k"><Data>` + data + `</Data></Key>`) }

func TestSelect(t *testing.T) {
	c := parseFile(t, "fig5.pskc", nil, nil)
	for _, tt := range []struct {
		id, want, err string
	}{
		{"12345678", "12345678", ""},
		{"123456781", "123456781", ""},
		{"987654321", "", `2 keys match "987654321"; the container holds: "12345678" (serial "987654321"), "123456781" (serial "987654321")`},
		{"", "", `holds 2 keys; choose one by Id or SerialNo: "12345678" (serial "987654321"), "123456781"`},
		{"nope", "", `no key has Id or SerialNo "nope"`},
	} {
		k, err := c.Select(tt.id)
		switch {
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("Select(%q) = %v; want an error containing %q", tt.id, err, tt.err)
		case tt.err == "" && (err != nil || k.ID != tt.want):
			t.Errorf("Select(%q) = %v, %v; want key %q", tt.id, k, err, tt.want)
		}
	}
	c = parseFile(t, "fig3.pskc", nil, nil)
	for _, id := range []string{"", "12345678", "987654321"} {
		if k, err := c.Select(id); err != nil || k != &c.Keys[0] {
			t.Errorf("Select(%q) on Figure 3 = %v, %v; want its only key", id, k, err)
		}
	}
	if _, err := (&Container{}).Select(""); err == nil {
		t.Errorf("Select on an empty container succeeded")
	}
}
