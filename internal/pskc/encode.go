package pskc

import (
	"bytes"
	"cmp"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"strconv"
)

// DefaultIterations is the PBKDF2 iteration count Encode uses when
// EncodeOptions.Iterations is 0; it is python-pskc's default.
const DefaultIterations = 100_000

// Namespaces of the elements Encode writes (RFC 6030 figures 6 and 7).
const (
	nsDS     = "http://www.w3.org/2000/09/xmldsig#"
	nsXEnc   = "http://www.w3.org/2001/04/xmlenc#"
	nsXEnc11 = "http://www.w3.org/2009/xmlenc11#"
	nsPKCS5  = "http://www.rsasecurity.com/rsalabs/pkcs/schemas/pkcs-5v2-0#"
)

// EncodeOptions says how Encode protects the secrets. The zero value writes
// them in plain text. Only Secret items are encrypted, as python-pskc does;
// counters and time parameters stay plain.
type EncodeOptions struct {
	ID string // KeyContainer Id; optional

	// Key encrypts with a 16-byte pre-shared key (RFC 6030 section 6.1).
	Key []byte
	// Password encrypts with a key derived by PBKDF2-HMAC-SHA1 over a random
	// 16-byte salt (RFC 6030 section 6.2). Key and Password exclude each other.
	Password []byte
	// Iterations is the PBKDF2 iteration count; 0 means DefaultIterations.
	Iterations int
	// KeyName labels the key (ds:KeyName) or password (MasterKeyName).
	// A pre-shared key needs a name to be schema-valid (ds:KeyInfoType
	// has no empty form): empty is DefaultKeyName.
	KeyName string
}

// DefaultKeyName names a pre-shared key given no name, as RFC 6030's
// figure 6 does.
const DefaultKeyName = "Pre-shared-key"

// Encode writes keys as an RFC 6030 KeyContainer. Encrypted secrets use
// aes128-cbc with a random IV each and an HMAC-SHA1 ValueMAC under a random
// MAC key, which is itself encrypted in MACMethod/MACKey.
func Encode(keys []KeyData, opts EncodeOptions) ([]byte, error) {
	e, err := newEncoder(opts)
	if err != nil {
		return nil, err
	}
	w := &writer{}
	w.b.WriteString(xml.Header)
	attrs := []string{"xmlns:pskc", Namespace}
	if e.key != nil {
		attrs = append(attrs, "xmlns:ds", nsDS, "xmlns:xenc", nsXEnc, "xmlns:xenc11", nsXEnc11, "xmlns:pkcs5", nsPKCS5)
	}
	w.open("pskc:KeyContainer", append(attrs, "Version", "1.0", "Id", opts.ID)...)
	if e.key != nil {
		e.writeEncryptionKey(w, opts)
		e.writeMACMethod(w)
	}
	for i, k := range keys {
		if len(k.Secret) == 0 || k.Digits < 0 {
			return nil, fmt.Errorf("pskc: key %d: a key needs a secret and Digits >= 0", i)
		}
		e.writeKeyPackage(w, &k)
	}
	w.close("pskc:KeyContainer")
	return w.b.Bytes(), nil
}

// encoder holds the keys of one Encode call.
type encoder struct {
	key        []byte // encryption key, nil for a plain container
	macKey     []byte
	salt       []byte // PBKDF2 salt, nil for a pre-shared key
	iterations int
}

func newEncoder(opts EncodeOptions) (*encoder, error) {
	e := &encoder{key: opts.Key}
	switch {
	case opts.Key != nil && opts.Password != nil:
		return nil, errors.New("pskc: EncodeOptions: set Key or Password, not both")
	case opts.Key != nil && len(opts.Key) != 16:
		return nil, fmt.Errorf("pskc: EncodeOptions: Key must be 16 bytes for aes128-cbc; got %d", len(opts.Key))
	case opts.Password != nil:
		if len(opts.Password) == 0 {
			return nil, errors.New("pskc: EncodeOptions: empty Password")
		}
		e.iterations = opts.Iterations
		if e.iterations == 0 {
			e.iterations = DefaultIterations
		}
		if e.iterations < 1 || e.iterations > maxIterations {
			return nil, fmt.Errorf("pskc: EncodeOptions: Iterations must be between 1 and %d", maxIterations)
		}
		e.salt = make([]byte, 16)
		rand.Read(e.salt)
		var err error
		if e.key, err = pbkdf2.Key(sha1.New, string(opts.Password), e.salt, e.iterations, 16); err != nil {
			return nil, fmt.Errorf("pskc: PBKDF2: %w", err)
		}
	}
	if e.key != nil {
		e.macKey = make([]byte, sha1.Size)
		rand.Read(e.macKey)
	}
	return e, nil
}

func (e *encoder) writeEncryptionKey(w *writer, opts EncodeOptions) {
	w.open("pskc:EncryptionKey")
	if e.salt == nil {
		w.leaf("ds:KeyName", cmp.Or(opts.KeyName, DefaultKeyName))
		w.close("pskc:EncryptionKey")
		return
	}
	w.open("xenc11:DerivedKey")
	w.open("xenc11:KeyDerivationMethod", "Algorithm", uriPBKDF2)
	w.open("pkcs5:PBKDF2-params")
	w.open("Salt")
	w.leaf("Specified", base64.StdEncoding.EncodeToString(e.salt))
	w.close("Salt")
	w.leaf("IterationCount", strconv.Itoa(e.iterations))
	w.leaf("KeyLength", "16")
	w.close("pkcs5:PBKDF2-params")
	w.close("xenc11:KeyDerivationMethod")
	w.leaf("xenc11:MasterKeyName", opts.KeyName)
	w.close("xenc11:DerivedKey")
	w.close("pskc:EncryptionKey")
}

func (e *encoder) writeMACMethod(w *writer) {
	w.open("pskc:MACMethod", "Algorithm", uriHMACSHA1)
	w.open("pskc:MACKey")
	data, _ := seal(uriAES128CBC, e.key, e.macKey) // the key length is checked
	writeCipher(w, data)
	w.close("pskc:MACKey")
	w.close("pskc:MACMethod")
}

func (e *encoder) writeKeyPackage(w *writer, k *KeyData) {
	w.open("pskc:KeyPackage")
	if k.Manufacturer != "" || k.SerialNo != "" {
		w.open("pskc:DeviceInfo")
		w.leaf("pskc:Manufacturer", k.Manufacturer)
		w.leaf("pskc:SerialNo", k.SerialNo)
		w.close("pskc:DeviceInfo")
	}
	w.open("pskc:Key", "Id", k.ID, "Algorithm", k.Algorithm)
	w.leaf("pskc:Issuer", k.Issuer)
	if k.Suite != "" || k.Digits != 0 {
		w.open("pskc:AlgorithmParameters")
		w.leaf("pskc:Suite", k.Suite)
		if k.Digits != 0 {
			enc := k.Encoding
			if enc == "" {
				enc = "DECIMAL"
			}
			w.empty("pskc:ResponseFormat", "Encoding", enc, "Length", strconv.Itoa(k.Digits))
		}
		w.close("pskc:AlgorithmParameters")
	}
	w.open("pskc:Data")
	e.writeSecret(w, k.Secret)
	if k.Counter != nil {
		writePlain(w, "pskc:Counter", strconv.FormatUint(*k.Counter, 10))
	}
	for _, v := range []struct {
		name string
		v    *int64
	}{{"pskc:Time", k.Time}, {"pskc:TimeInterval", k.TimeInterval}, {"pskc:TimeDrift", k.TimeDrift}} {
		if v.v != nil {
			writePlain(w, v.name, strconv.FormatInt(*v.v, 10))
		}
	}
	w.close("pskc:Data")
	w.leaf("pskc:UserId", k.UserID)
	w.close("pskc:Key")
	w.close("pskc:KeyPackage")
}

func (e *encoder) writeSecret(w *writer, secret []byte) {
	if e.key == nil {
		writePlain(w, "pskc:Secret", base64.StdEncoding.EncodeToString(secret))
		return
	}
	data, _ := seal(uriAES128CBC, e.key, secret)
	o := opener{key: e.key, macKey: e.macKey, mac: sha1.New}
	w.open("pskc:Secret")
	w.open("pskc:EncryptedValue")
	writeCipher(w, data)
	w.close("pskc:EncryptedValue")
	w.leaf("pskc:ValueMAC", base64.StdEncoding.EncodeToString(o.sum(data)))
	w.close("pskc:Secret")
}

func writePlain(w *writer, name, text string) {
	w.open(name)
	w.leaf("pskc:PlainValue", text)
	w.close(name)
}

func writeCipher(w *writer, data []byte) {
	w.empty("xenc:EncryptionMethod", "Algorithm", uriAES128CBC)
	w.open("xenc:CipherData")
	w.leaf("xenc:CipherValue", base64.StdEncoding.EncodeToString(data))
	w.close("xenc:CipherData")
}

// writer prints indented XML. Attributes come as name, value pairs; those
// with an empty value are left out, as are leaves with empty text.
type writer struct {
	b     bytes.Buffer
	depth int
}

func (w *writer) start(name string, attrs []string) {
	for range w.depth {
		w.b.WriteString("  ")
	}
	w.b.WriteString("<" + name)
	for i := 0; i+1 < len(attrs); i += 2 {
		if attrs[i+1] != "" {
			w.b.WriteString(" " + attrs[i] + `="`)
			xml.EscapeText(&w.b, []byte(attrs[i+1]))
			w.b.WriteString(`"`)
		}
	}
}

func (w *writer) open(name string, attrs ...string) {
	w.start(name, attrs)
	w.b.WriteString(">\n")
	w.depth++
}

func (w *writer) empty(name string, attrs ...string) {
	w.start(name, attrs)
	w.b.WriteString("/>\n")
}

func (w *writer) leaf(name, text string) {
	if text == "" {
		return
	}
	w.start(name, nil)
	w.b.WriteString(">")
	xml.EscapeText(&w.b, []byte(text))
	w.b.WriteString("</" + name + ">\n")
}

func (w *writer) close(name string) {
	w.depth--
	for range w.depth {
		w.b.WriteString("  ")
	}
	w.b.WriteString("</" + name + ">\n")
}
