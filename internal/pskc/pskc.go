// Package pskc reads and writes the Portable Symmetric Key Container (PSKC)
// of RFC 6030, the XML file in which token vendors ship HOTP and TOTP seeds.
//
// Use [Parse] to read a container, then, if [Container.Encrypted] reports
// so, [Container.DecryptPassword] (RFC 6030 section 6.2, PBKDF2) or
// [Container.Decrypt] (section 6.1, a pre-shared key); [Container.KeyNames]
// says which password or key the file expects. [Container.Select] picks a key
// by Id or serial number. [SetCounter] writes an HOTP counter back into the
// original bytes without disturbing anything else, and [Encode] writes a new
// container, plain or encrypted, that python-pskc and libpskc read.
//
// Encrypted values may use aes128-cbc, aes192-cbc or aes256-cbc (with the IV
// in front of the ciphertext and a ValueMAC, HMAC-SHA1/224/256/384/512, over
// both) or the kw-aes128/192/256 key wraps of RFC 3394 and RFC 5649. A wrong
// key or password is always reported as [ErrWrongKey], never as a garbage
// secret. Asymmetric encryption (section 6.3) and signatures (section 7) are
// not supported.
//
// TOTP is not in RFC 6030 itself: its URI comes from
// draft-hoyer-keyprov-pskc-algorithm-profiles-01 and is accepted as
// [AlgorithmTOTP] or with '#' in place of the last ':'. The HMAC hash of a
// key is read from AlgorithmParameters/Suite (RFC 6030 section 4.3.4), where
// python-pskc writes it, e.g. "HMAC-SHA256"; see [KeyData.Hash].
//
// [RFC 6030]: https://www.rfc-editor.org/rfc/rfc6030
package pskc

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"otpgate.dev/otpgate/internal/otp"
)

// URIs of RFC 6030 section 10 and of the algorithm profiles draft.
const (
	Namespace     = "urn:ietf:params:xml:ns:keyprov:pskc"
	AlgorithmHOTP = "urn:ietf:params:xml:ns:keyprov:pskc:hotp"
	AlgorithmTOTP = "urn:ietf:params:xml:ns:keyprov:pskc:totp"
	AlgorithmPIN  = "urn:ietf:params:xml:ns:keyprov:pskc:pin"
)

// Container is a parsed KeyContainer. Its zero value is an empty, plain
// container. A Container is not safe for concurrent use while Decrypt runs.
type Container struct {
	Version string // KeyContainer Version, "1.0"
	ID      string // KeyContainer Id, often empty
	Keys    []Key  // one per KeyPackage that holds a Key, in document order
	enc     encryption
}

// KeyData is the content of one key: what Parse reads and Encode writes.
// Pointer and slice fields are nil when the item is absent or, in a [Key],
// still encrypted.
type KeyData struct {
	ID           string // Key Id
	Algorithm    string // Key Algorithm URI, e.g. AlgorithmHOTP
	Suite        string // AlgorithmParameters/Suite, e.g. "HMAC-SHA256"
	Issuer       string
	Manufacturer string // DeviceInfo/Manufacturer
	SerialNo     string // DeviceInfo/SerialNo
	UserID       string // Key/UserId, or else DeviceInfo/UserId
	Digits       int    // ResponseFormat Length, 0 when absent
	Encoding     string // ResponseFormat Encoding, e.g. "DECIMAL"

	Secret       []byte  // the HMAC key
	Counter      *uint64 // HOTP moving factor
	Time         *int64  // the Time element: T0 for TOTP (RFC 6030 section 4.1)
	TimeInterval *int64  // TOTP step in seconds
	TimeDrift    *int64  // device clock drift in steps
}

// Key is one key of a container.
type Key struct {
	KeyData
	sealed [numItems]*sealedValue // encrypted items, nil once plain
}

// item names the Data children, in the order RFC 6030's schema puts them.
type item int

const (
	itemSecret item = iota
	itemCounter
	itemTime
	itemTimeInterval
	itemTimeDrift
	numItems
)

var itemNames = [numItems]string{"Secret", "Counter", "Time", "TimeInterval", "TimeDrift"}

func (it item) String() string { return itemNames[it] }

// Encrypted reports whether any Data item of k is still encrypted.
func (k *Key) Encrypted() bool {
	for _, s := range k.sealed {
		if s != nil {
			return true
		}
	}
	return false
}

// OTPType returns "hotp", "totp" or "" from the Algorithm URI, accepting the
// draft spelling with '#' as well as the ':' one.
func (k *KeyData) OTPType() string {
	a := strings.Replace(k.Algorithm, "pskc#", "pskc:", 1)
	switch a {
	case AlgorithmHOTP:
		return "hotp"
	case AlgorithmTOTP:
		return "totp"
	}
	return ""
}

// Hash returns the HMAC hash named by Suite: SHA1 when Suite is empty, else
// "SHA1", "SHA256" or "SHA512", optionally prefixed "HMAC-", in any case.
func (k *KeyData) Hash() (otp.Algorithm, error) {
	s := strings.TrimSpace(k.Suite)
	if s == "" {
		return otp.SHA1, nil
	}
	if len(s) > 5 && strings.EqualFold(s[:5], "HMAC-") {
		s = s[5:]
	}
	a, err := otp.ParseAlgorithm(s)
	if err != nil {
		return 0, fmt.Errorf("pskc: key %q: unknown Suite %q (accepted: HMAC-SHA1, HMAC-SHA256, HMAC-SHA512)", k.ID, k.Suite)
	}
	return a, nil
}

// Encrypted reports whether some key still has an encrypted item.
func (c *Container) Encrypted() bool {
	for i := range c.Keys {
		if c.Keys[i].Encrypted() {
			return true
		}
	}
	return false
}

// Parse reads an RFC 6030 KeyContainer of at most [MaxSize] bytes. Encrypted
// items stay encrypted until Decrypt or DecryptPassword. Elements are matched
// by local name, whatever their namespace prefix.
func Parse(data []byte) (*Container, error) {
	c, _, err := parse(data)
	return c, err
}

// parse is Parse that also returns the element tree, for SetCounter.
func parse(data []byte) (*Container, *node, error) {
	root, err := parseTree(data)
	if err != nil {
		return nil, nil, err
	}
	if root.name.Local != "KeyContainer" {
		return nil, nil, fmt.Errorf("pskc: root element is <%s>; want <KeyContainer> (RFC 6030)", root.name.Local)
	}
	c := &Container{Version: root.attr("Version"), ID: root.attr("Id")}
	if c.Version != "" && c.Version != "1.0" && c.Version != "1" {
		return nil, nil, fmt.Errorf("pskc: KeyContainer Version %q; only 1.0 is supported", c.Version)
	}
	if c.enc, err = parseEncryption(root); err != nil {
		return nil, nil, fmt.Errorf("pskc: %w", err)
	}
	for _, kp := range root.children("KeyPackage") {
		kn, err := kp.child("Key")
		if err != nil {
			return nil, nil, fmt.Errorf("pskc: %w", err)
		}
		if kn == nil {
			continue
		}
		k, err := parseKey(kp, kn)
		if err != nil {
			return nil, nil, fmt.Errorf("pskc: key %d: %w", len(c.Keys), err)
		}
		c.Keys = append(c.Keys, k)
	}
	return c, root, nil
}

// keyNodes returns the Key elements in the order Parse numbers them.
func keyNodes(root *node) []*node {
	var out []*node
	for _, kp := range root.children("KeyPackage") {
		out = append(out, kp.children("Key")...)
	}
	return out
}

func parseKey(kp, kn *node) (Key, error) {
	k := Key{KeyData: KeyData{ID: kn.attr("Id"), Algorithm: kn.attr("Algorithm")}}
	var errs []error
	text := func(dst *string, n *node, path ...string) {
		s, err := n.textOf(path...)
		*dst = s
		errs = append(errs, err)
	}
	text(&k.Issuer, kn, "Issuer")
	text(&k.Suite, kn, "AlgorithmParameters", "Suite")
	text(&k.Manufacturer, kp, "DeviceInfo", "Manufacturer")
	text(&k.SerialNo, kp, "DeviceInfo", "SerialNo")
	text(&k.UserID, kn, "UserId")
	if k.UserID == "" {
		text(&k.UserID, kp, "DeviceInfo", "UserId")
	}
	if err := errors.Join(errs...); err != nil {
		return k, err
	}
	if err := k.parseResponseFormat(kn); err != nil {
		return k, err
	}
	data, err := kn.child("Data")
	if err != nil || data == nil {
		return k, err
	}
	for it := range numItems {
		n, err := data.child(it.String())
		if err != nil {
			return k, err
		}
		if n != nil {
			if err := k.parseItem(it, n); err != nil {
				return k, fmt.Errorf("%v: %w", it, err)
			}
		}
	}
	return k, nil
}

func (k *Key) parseResponseFormat(kn *node) error {
	rf, err := kn.path("AlgorithmParameters", "ResponseFormat")
	if rf == nil || err != nil {
		return err
	}
	k.Encoding = rf.attr("Encoding")
	if l := rf.attr("Length"); l != "" {
		n, err := strconv.Atoi(strings.TrimSpace(l))
		if err != nil || n < 0 || n > 1000 {
			return fmt.Errorf("ResponseFormat Length %q is not a number of digits", l)
		}
		k.Digits = n
	}
	return nil
}

// parseItem reads one Data child: a PlainValue, or an EncryptedValue with an
// optional ValueMAC.
func (k *Key) parseItem(it item, n *node) error {
	plain, err1 := n.child("PlainValue")
	enc, err2 := n.child("EncryptedValue")
	macText, err3 := n.textOf("ValueMAC")
	if err := errors.Join(err1, err2, err3); err != nil {
		return err
	}
	switch {
	case plain != nil && enc != nil:
		return errors.New("has both PlainValue and EncryptedValue")
	case plain != nil:
		return k.setPlain(it, strings.TrimSpace(string(plain.text)))
	case enc != nil:
		s, err := parseSealed(enc)
		if err != nil {
			return err
		}
		if macText != "" {
			if s.mac, err = decodeBase64(macText); err != nil {
				return fmt.Errorf("ValueMAC: %w", err)
			}
		}
		k.sealed[it] = s
		return nil
	}
	return errors.New("has neither PlainValue nor EncryptedValue")
}

// setPlain stores a PlainValue: base64 for the secret, decimal otherwise.
func (k *KeyData) setPlain(it item, s string) error {
	if it == itemSecret {
		b, err := decodeBase64(s)
		if err != nil {
			return fmt.Errorf("PlainValue: %w", err)
		}
		k.Secret = b
		return nil
	}
	if it == itemCounter {
		u, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return errors.New("PlainValue is not an unsigned decimal integer")
		}
		k.setInt(it, u)
		return nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return errors.New("PlainValue is not a decimal integer")
	}
	k.setInt(it, uint64(v))
	return nil
}

// setDecrypted stores a decrypted value: the raw secret, or an integer as
// big-endian bytes (RFC 6030 section 4.1 uses 8 bytes; python-pskc writes
// as few as needed).
func (k *KeyData) setDecrypted(it item, b []byte) error {
	if it == itemSecret {
		k.Secret = b
		return nil
	}
	if len(b) == 0 || len(b) > 8 {
		return fmt.Errorf("decrypted integer is %d bytes; want 1 to 8", len(b))
	}
	var u uint64
	for _, c := range b {
		u = u<<8 | uint64(c)
	}
	k.setInt(it, u)
	return nil
}

// setInt stores an integer item; signed items take u as two's complement.
func (k *KeyData) setInt(it item, u uint64) {
	v := int64(u)
	switch it {
	case itemCounter:
		k.Counter = &u
	case itemTime:
		k.Time = &v
	case itemTimeInterval:
		k.TimeInterval = &v
	case itemTimeDrift:
		k.TimeDrift = &v
	}
}

// decodeBase64 decodes standard base64, ignoring the line breaks and
// indentation that pretty-printed files put inside.
func decodeBase64(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, s)
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, errors.New("invalid base64")
	}
	return b, nil
}
