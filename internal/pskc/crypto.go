package pskc

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"fmt"
	"hash"
	"strings"
)

// ErrWrongKey reports that the key or password does not decrypt the
// container: a ValueMAC did not match or the plaintext did not unpad/unwrap.
var ErrWrongKey = errors.New("pskc: wrong key or password (the MAC does not match)")

// Algorithm URIs that Encode writes (RFC 6030 sections 6.1 and 6.2).
const (
	uriAES128CBC = "http://www.w3.org/2001/04/xmlenc#aes128-cbc"
	uriHMACSHA1  = "http://www.w3.org/2000/09/xmldsig#hmac-sha1"
	uriPBKDF2    = "http://www.rsasecurity.com/rsalabs/pkcs/schemas/pkcs-5v2-0#pbkdf2"
)

// DeriveKey derives the encryption key from password with the container's
// PBKDF2 parameters (RFC 6030 section 6.2). SetCounter needs this key.
func (c *Container) DeriveKey(password []byte) ([]byte, error) {
	if c.enc.deriveAlg == "" {
		return nil, errors.New("pskc: the container uses a pre-shared key, not a password")
	}
	if fragment(c.enc.deriveAlg) != "pbkdf2" || c.enc.pbkdf2.iterations == 0 {
		return nil, fmt.Errorf("pskc: key derivation %q is not supported (accepted: PBKDF2 with PBKDF2-params)", c.enc.deriveAlg)
	}
	p := c.enc.pbkdf2
	h, err := hmacHash(p.prf, sha1.New)
	if err != nil {
		return nil, fmt.Errorf("pskc: PBKDF2 PRF: %w", err)
	}
	n := p.keyLen
	if n == 0 {
		if n, err = c.keyLength(); err != nil {
			return nil, wrapErr("PBKDF2", err)
		}
	}
	return pbkdf2.Key(h, string(password), p.salt, p.iterations, n)
}

// keyLength returns the key length of the first encrypted value's cipher.
func (c *Container) keyLength() (int, error) {
	if c.enc.macKey != nil {
		return cipherKeyLen(c.enc.macKey.alg)
	}
	for _, k := range c.Keys {
		for _, s := range k.sealed {
			if s != nil {
				return cipherKeyLen(s.alg)
			}
		}
	}
	return 16, nil
}

// DecryptPassword derives the key from password and calls Decrypt.
func (c *Container) DecryptPassword(password []byte) error {
	key, err := c.DeriveKey(password)
	if err != nil {
		return err
	}
	return c.Decrypt(key)
}

// Decrypt decrypts every encrypted item with key, the pre-shared key of RFC
// 6030 section 6.1 or a key from DeriveKey. It returns ErrWrongKey, and
// changes nothing, unless every ValueMAC matches and every value decrypts.
// A plain container is left as it is.
func (c *Container) Decrypt(key []byte) error {
	if !c.Encrypted() {
		return nil
	}
	o, err := c.opener(key)
	if err != nil {
		return err
	}
	keys := make([]Key, len(c.Keys))
	for i, k := range c.Keys {
		for it, s := range k.sealed {
			if s == nil {
				continue
			}
			b, err := o.open(s)
			if err == nil {
				err = k.setDecrypted(item(it), b)
			}
			if err != nil {
				return wrapErr(fmt.Sprintf("key %d %v", i, item(it)), err)
			}
			k.sealed[it] = nil
		}
		keys[i] = k
	}
	c.Keys = keys
	return nil
}

// opener checks ValueMACs and decrypts values under one key.
type opener struct {
	key    []byte
	macKey []byte
	mac    func() hash.Hash // nil without a MACMethod
}

func (c *Container) opener(key []byte) (*opener, error) {
	o := &opener{key: key, macKey: key}
	if c.enc.macAlg == "" {
		return o, nil
	}
	var err error
	if o.mac, err = hmacHash(c.enc.macAlg, nil); err != nil {
		return nil, fmt.Errorf("pskc: MACMethod: %w", err)
	}
	if c.enc.macKey != nil {
		if o.macKey, err = decrypt(c.enc.macKey.alg, key, c.enc.macKey.data); err != nil {
			return nil, wrapErr("MACKey", err)
		}
	}
	return o, nil
}

// open verifies s's ValueMAC, which CBC values must have, then decrypts.
// The MAC is checked first, so that a wrong key never reaches unpadding.
func (o *opener) open(s *sealedValue) ([]byte, error) {
	if s.mac == nil && isCBC(s.alg) {
		return nil, errors.New("a CBC EncryptedValue has no ValueMAC (RFC 6030 section 6.1.1 requires one)")
	}
	if s.mac != nil {
		if o.mac == nil {
			return nil, errors.New("ValueMAC present but the container has no MACMethod")
		}
		if !hmac.Equal(o.sum(s.data), s.mac) {
			return nil, ErrWrongKey
		}
	}
	return decrypt(s.alg, o.key, s.data)
}

func (o *opener) sum(data []byte) []byte {
	m := hmac.New(o.mac, o.macKey)
	m.Write(data)
	return m.Sum(nil)
}

// wrapErr adds the package prefix and context to err, but leaves
// ErrWrongKey alone so that its message stays the same everywhere.
func wrapErr(context string, err error) error {
	if errors.Is(err, ErrWrongKey) {
		return err
	}
	return fmt.Errorf("pskc: %s: %w", context, err)
}

// fragment returns the lower-case part of an algorithm URI after '#'.
func fragment(uri string) string {
	if i := strings.LastIndexByte(uri, '#'); i >= 0 {
		uri = uri[i+1:]
	}
	return strings.ToLower(strings.TrimSpace(uri))
}

func isCBC(alg string) bool { return strings.HasSuffix(fragment(alg), "-cbc") }

// cipherKeyLen returns the AES key length an EncryptionMethod needs.
func cipherKeyLen(alg string) (int, error) {
	switch fragment(alg) {
	case "aes128-cbc", "kw-aes128":
		return 16, nil
	case "aes192-cbc", "kw-aes192":
		return 24, nil
	case "aes256-cbc", "kw-aes256":
		return 32, nil
	}
	return 0, fmt.Errorf("encryption algorithm %q is not supported (accepted: aes128-cbc, aes192-cbc, aes256-cbc, kw-aes128, kw-aes192, kw-aes256)", alg)
}

// hmacHash maps an HMAC algorithm URI to its hash; "" gives def.
func hmacHash(uri string, def func() hash.Hash) (func() hash.Hash, error) {
	f := strings.ReplaceAll(fragment(uri), "sha-", "sha")
	switch {
	case f == "" && def != nil:
		return def, nil
	case f == "hmac-sha1":
		return sha1.New, nil
	case f == "hmac-sha224":
		return sha256.New224, nil
	case f == "hmac-sha256":
		return sha256.New, nil
	case f == "hmac-sha384":
		return sha512.New384, nil
	case f == "hmac-sha512":
		return sha512.New, nil
	}
	return nil, fmt.Errorf("MAC algorithm %q is not supported (accepted: hmac-sha1, hmac-sha224, hmac-sha256, hmac-sha384, hmac-sha512)", uri)
}

// block returns the AES cipher for alg, checking that key has the length
// alg needs.
func block(alg string, key []byte) (cipher.Block, error) {
	n, err := cipherKeyLen(alg)
	if err != nil {
		return nil, err
	}
	if len(key) != n {
		return nil, fmt.Errorf("%s needs a %d-byte key; got %d bytes", fragment(alg), n, len(key))
	}
	return aes.NewCipher(key)
}

// decrypt decrypts one CipherValue. Bad padding or a failed unwrap check,
// which is what a wrong key gives, is ErrWrongKey.
func decrypt(alg string, key, data []byte) ([]byte, error) {
	b, err := block(alg, key)
	if err != nil {
		return nil, err
	}
	if !isCBC(alg) {
		return unwrap(b, data)
	}
	if len(data) < 2*aes.BlockSize || len(data)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("%s CipherValue of %d bytes is not an IV and whole blocks", fragment(alg), len(data))
	}
	out := make([]byte, len(data)-aes.BlockSize)
	cipher.NewCBCDecrypter(b, data[:aes.BlockSize]).CryptBlocks(out, data[aes.BlockSize:])
	return unpad(out)
}

func unpad(b []byte) ([]byte, error) {
	p := int(b[len(b)-1])
	if p == 0 || p > aes.BlockSize {
		return nil, ErrWrongKey
	}
	for _, c := range b[len(b)-p:] {
		if int(c) != p {
			return nil, ErrWrongKey
		}
	}
	return b[:len(b)-p], nil
}

// seal encrypts plaintext with alg: for CBC, with a fresh IV from
// crypto/rand put in front (RFC 6030 section 6.1); else with a key wrap.
func seal(alg string, key, plaintext []byte) ([]byte, error) {
	b, err := block(alg, key)
	if err != nil {
		return nil, err
	}
	if !isCBC(alg) {
		return wrap(b, plaintext), nil
	}
	p := aes.BlockSize - len(plaintext)%aes.BlockSize
	out := make([]byte, aes.BlockSize+len(plaintext)+p)
	rand.Read(out[:aes.BlockSize])
	copy(out[aes.BlockSize:], plaintext)
	for i := len(out) - p; i < len(out); i++ {
		out[i] = byte(p)
	}
	cipher.NewCBCEncrypter(b, out[:aes.BlockSize]).CryptBlocks(out[aes.BlockSize:], out[aes.BlockSize:])
	return out, nil
}
