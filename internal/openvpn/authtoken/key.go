package authtoken

import (
	"bytes"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"

	"otpgate.dev/otpgate/internal/atomicfile"
)

// pemType labels a key file.
const pemType = "OTPGATE OPENVPN AUTH-TOKEN KEY"

// KeySize is the size of a key in bytes.
const KeySize = 32

// Key signs and verifies tokens. It is safe for concurrent use.
type Key struct {
	k [KeySize]byte
}

// GenerateKey returns a new random key.
func GenerateKey() (*Key, error) {
	k := new(Key)
	if _, err := rand.Read(k.k[:]); err != nil {
		return nil, fmt.Errorf("authtoken: generate key: %w", err)
	}
	return k, nil
}

// MarshalPEM returns the key as a PEM block, the key file format.
func (k *Key) MarshalPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: pemType, Bytes: k.k[:]})
}

// ParseKey parses a key file.
func ParseKey(b []byte) (*Key, error) {
	block, rest := pem.Decode(b)
	if block == nil || block.Type != pemType {
		return nil, fmt.Errorf("authtoken: no %q PEM block", pemType)
	}
	if len(block.Bytes) != KeySize || len(block.Headers) != 0 {
		return nil, fmt.Errorf("authtoken: key must be %d bytes without headers", KeySize)
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return nil, errors.New("authtoken: trailing data after the key")
	}
	k := new(Key)
	copy(k.k[:], block.Bytes)
	return k, nil
}

// LoadKey reads a key file under atomicfile.GroupRead: the OpenVPN server's
// user may read it through its group, nobody else.
func LoadKey(path string) (*Key, error) {
	b, err := atomicfile.GroupRead.Read(path, 4096)
	if err != nil {
		return nil, fmt.Errorf("authtoken: key file: %w", err)
	}
	k, err := ParseKey(b)
	if err != nil {
		return nil, fmt.Errorf("%w (in %q)", err, path)
	}
	return k, nil
}

// WriteKeyFile creates path, which must not exist, holding a new key, mode
// 0600, whole or not at all (atomicfile.Create).
func WriteKeyFile(path string) (*Key, error) {
	k, err := GenerateKey()
	if err != nil {
		return nil, err
	}
	if err := atomicfile.Create(path, k.MarshalPEM()); err != nil {
		return nil, fmt.Errorf("authtoken: create key file: %w", err)
	}
	return k, nil
}
