package secretbox

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrRekeyPending is returned by Rekey when an earlier rotation of the same
// key file was not finished.
var ErrRekeyPending = errors.New("secretbox: an earlier master key rotation is unfinished")

// Rekey starts a rotation of the master key file at path. It keeps the
// current key as path+".old", writes a new random key to path atomically
// (a synced temporary file renamed over it), and returns a Box that seals
// under the new key and opens under both.
//
// The caller then reseals every value with Box.Reseal in one transaction
// and, once that committed, calls FinishRekey. If path+".old" exists already,
// Rekey refuses with ErrRekeyPending: Load that file's Box, reseal with it
// and call FinishRekey first, or values sealed under the oldest key would
// become unreadable.
func Rekey(path string) (*Box, error) {
	cur, err := Load(path)
	if err != nil {
		return nil, err
	}
	if cur.Rotating() {
		return nil, fmt.Errorf("%w: %s exists; reseal with the current key and finish that rotation first", ErrRekeyPending, path+OldSuffix)
	}
	old, err := readKey(path)
	if err != nil {
		return nil, err
	}
	defer clear(old)
	dir := filepath.Dir(path)
	// A link, not a copy: atomic, and it fails if .old appeared meanwhile.
	if err := os.Link(path, path+OldSuffix); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("%w: %s exists", ErrRekeyPending, path+OldSuffix)
		}
		return nil, fmt.Errorf("secretbox: keep previous master key: %w", err)
	}
	// The previous key must be on disk before the new one replaces it.
	if err := syncDir(dir); err != nil {
		os.Remove(path + OldSuffix)
		return nil, err
	}
	key := make([]byte, KeySize)
	rand.Read(key)
	defer clear(key)
	if err := replaceKeyFile(path, key); err != nil {
		os.Remove(path + OldSuffix) // path still holds the previous key
		return nil, err
	}
	return New(key, old)
}

// replaceKeyFile writes key to path through a synced temporary file and a
// rename, so that path holds the old key or the new one, never a mix.
func replaceKeyFile(path string, key []byte) error {
	tmp, err := writeTemp(path, key)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("secretbox: replace master key: %w", err)
	}
	return syncDir(filepath.Dir(path))
}

// FinishRekey ends a rotation: it removes path+".old". Call it only after
// every value was resealed under the new key and that was committed.
// Finishing a finished rotation does nothing.
func FinishRekey(path string) error {
	err := os.Remove(path + OldSuffix)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("secretbox: remove previous master key: %w", err)
	}
	return syncDir(filepath.Dir(path))
}
