// Package secretbox seals otpgate's token secrets at rest with AES-256-GCM
// (NIST SP 800-38D) under a master key kept in a file.
//
// Use [LoadOrCreate] to get a [Box] from the master key file (created on
// first use, mode 0600; a file that group or others may read or write is
// refused), then [Box.Seal] and [Box.Open] with [AAD] of the token's ID and
// column as associated data, so that a sealed value copied to another row
// or column does not open.
//
// A sealed value is
//
//	version (1 byte, 1) | key ID (8 bytes) | nonce (12 bytes) | ciphertext | tag (16 bytes)
//
// with a random nonce (at most 2^32 values per key, as NIST advises for
// random nonces) and the version and key ID authenticated with the
// associated data. The key ID is the key's [Box.Fingerprint]: it tells which
// key opens a value, and that a database was sealed under another master
// key than the one at hand.
//
// # Rotation
//
// [Rekey] starts a rotation: it keeps the current key file as <path>.old
// and replaces it with a new key, atomically. The Box it returns seals under
// the new key and opens under both. Reseal every value in one transaction,
// commit, then call [FinishRekey], which removes <path>.old. Until then,
// [Load] keeps opening values sealed under either key, so a rotation
// interrupted at any point loses nothing.
//
// [NIST SP 800-38D]: https://csrc.nist.gov/pubs/sp/800/38/d/final
package secretbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
)

// KeySize is the size of a master key: AES-256.
const KeySize = 32

const (
	version    = 1
	keyIDSize  = 8
	headerSize = 1 + keyIDSize
	nonceSize  = 12
	tagSize    = 16
	// maxSealed bounds what Open accepts: token secrets are a few dozen
	// bytes.
	maxSealed = 1 << 16
)

// ErrWrongKey is returned by Open for a value sealed under a master key the
// Box does not hold: the key file does not belong to this database.
var ErrWrongKey = errors.New("secretbox: sealed under another master key")

// Box seals and opens values. It holds one key to seal with and, during a
// rotation, the previous key to open with. A Box is safe for concurrent use.
type Box struct {
	keys []boxKey // keys[0] seals; every key opens
}

type boxKey struct {
	id   [keyIDSize]byte
	aead cipher.AEAD
	mac  []byte // the pseudorandom key that MAC keys are expanded from (mac.go)
}

// New returns a Box that seals under key and opens under key and old.
func New(key []byte, old ...[]byte) (*Box, error) {
	b := &Box{}
	for _, k := range append([][]byte{key}, old...) {
		bk, err := newKey(k)
		if err != nil {
			return nil, err
		}
		b.keys = append(b.keys, bk)
	}
	return b, nil
}

func newKey(key []byte) (boxKey, error) {
	if len(key) != KeySize {
		return boxKey{}, fmt.Errorf("secretbox: key is %d bytes; want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return boxKey{}, fmt.Errorf("secretbox: %w", err)
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return boxKey{}, fmt.Errorf("secretbox: %w", err)
	}
	return boxKey{id: keyID(key), aead: aead, mac: macRoot(key)}, nil
}

// keyID is the first 8 bytes of a domain-separated SHA-256 of the key.
func keyID(key []byte) [keyIDSize]byte {
	h := sha256.New()
	h.Write([]byte("otpgate secretbox key id v1\x00"))
	h.Write(key)
	var id [keyIDSize]byte
	copy(id[:], h.Sum(nil))
	return id
}

// Fingerprint names the key b seals under, in hex. It is safe to show: it
// reveals nothing useful about the key.
func (b *Box) Fingerprint() string {
	return hex.EncodeToString(b.keys[0].id[:])
}

// Rotating reports whether b holds a previous key: a rotation began and
// has not been finished with FinishRekey.
func (b *Box) Rotating() bool {
	return len(b.keys) > 1
}

// Seal encrypts plain under b's current key, binding aad (see AAD).
func (b *Box) Seal(plain, aad []byte) []byte {
	k := b.keys[0]
	out := make([]byte, headerSize, headerSize+nonceSize+len(plain)+tagSize)
	out[0] = version
	copy(out[1:], k.id[:])
	return k.aead.Seal(out, nil, plain, associated(out[:headerSize], aad))
}

// Open decrypts a value made by Seal with the same aad. It fails with
// ErrWrongKey when no key of b sealed it, and with an error when the value
// was altered or belongs to another row or column.
func (b *Box) Open(sealed, aad []byte) ([]byte, error) {
	id, err := parseHeader(sealed)
	if err != nil {
		return nil, err
	}
	for _, k := range b.keys {
		if k.id != id {
			continue
		}
		plain, err := k.aead.Open(nil, nil, sealed[headerSize:], associated(sealed[:headerSize], aad))
		if err != nil {
			return nil, errors.New("secretbox: message authentication failed: the value was altered or belongs to another row")
		}
		return plain, nil
	}
	return nil, fmt.Errorf("%w: the value's key is %x, this key file's is %s: wrong master key file for this database",
		ErrWrongKey, id, b.Fingerprint())
}

// Reseal opens sealed and seals the plaintext again under b's current key:
// the step of a rotation for one value.
func (b *Box) Reseal(sealed, aad []byte) ([]byte, error) {
	plain, err := b.Open(sealed, aad)
	if err != nil {
		return nil, err
	}
	out := b.Seal(plain, aad)
	clear(plain)
	return out, nil
}

// KeyOf returns the fingerprint of the key that sealed a value, to compare
// with Box.Fingerprint.
func KeyOf(sealed []byte) (string, error) {
	id, err := parseHeader(sealed)
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(id[:]), nil
}

func parseHeader(sealed []byte) ([keyIDSize]byte, error) {
	var id [keyIDSize]byte
	switch {
	case len(sealed) < headerSize+nonceSize+tagSize:
		return id, fmt.Errorf("secretbox: sealed value is %d bytes; a sealed value has at least %d", len(sealed), headerSize+nonceSize+tagSize)
	case len(sealed) > maxSealed:
		return id, fmt.Errorf("secretbox: sealed value is %d bytes; at most %d are accepted", len(sealed), maxSealed)
	case sealed[0] != version:
		return id, fmt.Errorf("secretbox: sealed value has format version %d; this otpgate reads version %d", sealed[0], version)
	}
	copy(id[:], sealed[1:headerSize])
	return id, nil
}

// associated is the data GCM authenticates: the header, then the caller's.
func associated(header, aad []byte) []byte {
	return append(append(make([]byte, 0, len(header)+len(aad)), header...), aad...)
}

// AAD returns the associated data that binds a sealed value to one column
// of one token. The encoding is unambiguous: AAD("ab", "c") differs from
// AAD("a", "bc").
func AAD(tokenID, column string) []byte {
	b := binary.AppendUvarint(nil, uint64(len(tokenID)))
	b = append(b, tokenID...)
	return append(b, column...)
}
