package pskc

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// maxIterations bounds the PBKDF2 work a file can demand of us.
const maxIterations = 10_000_000

// encryption is what a KeyContainer says about its encryption key and MAC
// (RFC 6030 sections 6.1 and 6.2).
type encryption struct {
	keyNames  []string     // ds:KeyName, xenc11:MasterKeyName
	deriveAlg string       // KeyDerivationMethod Algorithm, "" for a pre-shared key
	pbkdf2    pbkdf2Params // when deriveAlg is PBKDF2
	macAlg    string       // MACMethod Algorithm
	macKey    *sealedValue // MACMethod/MACKey; nil means the encryption key
}

type pbkdf2Params struct {
	salt       []byte
	iterations int
	keyLen     int    // 0: the cipher's key length
	prf        string // PRF Algorithm; "" is HMAC-SHA1
}

// sealedValue is an EncryptedValue with its ValueMAC.
type sealedValue struct {
	alg  string // EncryptionMethod Algorithm URI
	data []byte // CipherValue: IV then ciphertext for CBC
	mac  []byte // ValueMAC, nil when absent
}

// KeyNames returns the names the container gives its encryption key
// (ds:KeyName) or password (xenc11:MasterKeyName), to show the user which
// one is expected. They are labels, not secrets.
func (c *Container) KeyNames() []string { return c.enc.keyNames }

// PasswordBased reports whether the key is derived from a password
// (RFC 6030 section 6.2), so that DecryptPassword is the call to make.
func (c *Container) PasswordBased() bool { return c.enc.deriveAlg != "" }

func parseEncryption(root *node) (encryption, error) {
	var e encryption
	ek, err := root.child("EncryptionKey")
	if err != nil {
		return e, err
	}
	if ek != nil {
		if err := e.parseKeyInfo(ek); err != nil {
			return e, err
		}
	}
	mm, err := root.child("MACMethod")
	if mm == nil || err != nil {
		return e, err
	}
	e.macAlg = mm.attr("Algorithm")
	mk, err := mm.child("MACKey")
	if mk == nil || err != nil {
		return e, err
	}
	e.macKey, err = parseSealed(mk)
	if err != nil {
		return e, fmt.Errorf("MACKey: %w", err)
	}
	return e, nil
}

func (e *encryption) parseKeyInfo(ek *node) error {
	for _, n := range ek.children("KeyName") {
		e.keyNames = append(e.keyNames, strings.TrimSpace(string(n.text)))
	}
	dk, err := ek.child("DerivedKey")
	if dk == nil || err != nil {
		return err
	}
	for _, n := range dk.children("MasterKeyName") {
		e.keyNames = append(e.keyNames, strings.TrimSpace(string(n.text)))
	}
	m, err := dk.child("KeyDerivationMethod")
	if err != nil {
		return err
	}
	if m == nil || m.attr("Algorithm") == "" {
		return errors.New("DerivedKey has no KeyDerivationMethod Algorithm")
	}
	e.deriveAlg = m.attr("Algorithm")
	p, err := m.child("PBKDF2-params")
	if p == nil || err != nil {
		return err
	}
	return e.pbkdf2.parse(p)
}

func (p *pbkdf2Params) parse(n *node) error {
	salt, err1 := n.textOf("Salt", "Specified")
	iter, err2 := n.textOf("IterationCount")
	klen, err3 := n.textOf("KeyLength")
	prf, err4 := n.child("PRF")
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return err
	}
	var err error
	if p.salt, err = decodeBase64(salt); err != nil || len(p.salt) == 0 {
		return errors.New("PBKDF2 Salt/Specified must be non-empty base64")
	}
	if p.iterations, err = strconv.Atoi(iter); err != nil || p.iterations < 1 || p.iterations > maxIterations {
		return fmt.Errorf("PBKDF2 IterationCount %q must be between 1 and %d", iter, maxIterations)
	}
	if klen != "" {
		if p.keyLen, err = strconv.Atoi(klen); err != nil || (p.keyLen != 16 && p.keyLen != 24 && p.keyLen != 32) {
			return fmt.Errorf("PBKDF2 KeyLength %q must be 16, 24 or 32", klen)
		}
	}
	if prf != nil {
		p.prf = prf.attr("Algorithm")
	}
	return nil
}

func parseSealed(n *node) (*sealedValue, error) {
	m, err1 := n.child("EncryptionMethod")
	cv, err2 := n.textOf("CipherData", "CipherValue")
	if err := errors.Join(err1, err2); err != nil {
		return nil, err
	}
	if m == nil || m.attr("Algorithm") == "" {
		return nil, errors.New("EncryptedValue has no EncryptionMethod Algorithm")
	}
	data, err := decodeBase64(cv)
	if err != nil || len(data) == 0 {
		return nil, errors.New("CipherData/CipherValue must be non-empty base64")
	}
	return &sealedValue{alg: m.attr("Algorithm"), data: data}, nil
}
