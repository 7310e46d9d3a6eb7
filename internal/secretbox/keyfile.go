package secretbox

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"otpgate.dev/otpgate/internal/atomicfile"
)

// A key file holds the raw 32 bytes of a key, nothing else.

// maxKeyFile bounds what is read of a file that is not a key.
const maxKeyFile = 4096

// OldSuffix names the previous key's file during a rotation: <path>.old.
const OldSuffix = ".old"

// Load reads the master key file at path, and the previous key from
// path+".old" when a rotation is unfinished. It refuses a key file that
// fails atomicfile.CheckSecret (group or others may read or write it) or
// that does not hold exactly KeySize bytes. A missing file is an error
// wrapping fs.ErrNotExist.
func Load(path string) (*Box, error) {
	key, err := readKey(path)
	if err != nil {
		return nil, err
	}
	defer clear(key)
	old, err := readKey(path + OldSuffix)
	if errors.Is(err, fs.ErrNotExist) {
		return New(key)
	}
	if err != nil {
		return nil, err
	}
	defer clear(old)
	return New(key, old)
}

// LoadOrCreate loads the master key file at path, creating it with a new
// random key when it does not exist (and its directory, mode 0700). Several
// processes may race to create it: one key wins and all of them load it.
func LoadOrCreate(path string) (*Box, error) {
	b, err := Load(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return b, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("secretbox: create key directory: %w", err)
	}
	key := make([]byte, KeySize)
	rand.Read(key)
	defer clear(key)
	if err := createKeyFile(path, key); err != nil {
		return nil, err
	}
	return Load(path)
}

// readKey reads a key file under atomicfile's rule for secret files.
func readKey(path string) ([]byte, error) {
	data, err := atomicfile.ReadSecret(path, maxKeyFile)
	if err != nil {
		return nil, fmt.Errorf("secretbox: master key: %w", err)
	}
	return parseKey(path, data)
}

// parseKey checks that data, the contents of the key file path, is one raw
// key.
func parseKey(path string, data []byte) ([]byte, error) {
	if len(data) == KeySize {
		return data, nil
	}
	defer clear(data)
	return nil, fmt.Errorf("secretbox: master key %q holds %d bytes; want exactly %d, the raw key as otpgate writes it",
		path, len(data), KeySize)
}

// createKeyFile writes key to a new file at path, whole or not at all
// (atomicfile.Create). An existing path is not an error: a racing creator
// won, and the caller loads whichever key that is.
func createKeyFile(path string, key []byte) error {
	if err := atomicfile.Create(path, key); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("secretbox: create master key: %w", err)
	}
	return nil
}
