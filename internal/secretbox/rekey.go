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

// ErrRekeyPending is returned by Rekey when an earlier rotation of the same
// key file was not finished.
var ErrRekeyPending = errors.New("secretbox: an earlier master key rotation is unfinished")

// Rekey starts a rotation of the master key file at path. It keeps the
// current key as path+".old", writes a new random key to path atomically
// (atomicfile.Replace), and returns a Box that seals
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
	// The new key file keeps the old one's owner and mode, so that whoever
	// could read the old key (the daemon's user) can read the new.
	like, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("secretbox: master key: %w", err)
	}
	dir := filepath.Dir(path)
	// A link, not a copy: atomic, and it fails if .old appeared meanwhile.
	if err := os.Link(path, path+OldSuffix); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("%w: %s exists", ErrRekeyPending, path+OldSuffix)
		}
		return nil, fmt.Errorf("secretbox: keep previous master key: %w", err)
	}
	// The previous key must be on disk before the new one replaces it.
	if err := atomicfile.SyncDir(dir); err != nil {
		os.Remove(path + OldSuffix)
		return nil, err
	}
	key := make([]byte, KeySize)
	rand.Read(key)
	defer clear(key)
	if err := atomicfile.Replace(path, key, like); err != nil {
		os.Remove(path + OldSuffix) // path still holds the previous key
		return nil, fmt.Errorf("secretbox: replace master key: %w", err)
	}
	return New(key, old)
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
	return atomicfile.SyncDir(filepath.Dir(path))
}
