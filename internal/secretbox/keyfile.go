package secretbox

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// A key file holds the raw 32 bytes of a key, nothing else.

// OldSuffix names the previous key's file during a rotation: <path>.old.
const OldSuffix = ".old"

// Load reads the master key file at path, and the previous key from
// path+".old" when a rotation is unfinished. It refuses a key file that is
// not a regular file, that group or others may read or write, or that does
// not hold exactly KeySize bytes. A missing file is an error wrapping
// fs.ErrNotExist.
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

// readKey reads a key file, checking the opened file itself so that the
// file checked is the file read.
func readKey(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("secretbox: master key: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("secretbox: master key: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("secretbox: master key %q is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("secretbox: master key %q has mode %04o: group or others may read or write it; "+
			"fix it with: chmod 600 %q", path, perm, path)
	}
	key, err := io.ReadAll(io.LimitReader(f, KeySize+1))
	if err != nil {
		return nil, fmt.Errorf("secretbox: master key %q: %w", path, err)
	}
	if len(key) != KeySize {
		size := fmt.Sprint(len(key))
		if len(key) > KeySize {
			size = "more than " + fmt.Sprint(KeySize)
		}
		clear(key)
		return nil, fmt.Errorf("secretbox: master key %q holds %s bytes; want exactly %d, the raw key as otpgate writes it",
			path, size, KeySize)
	}
	return key, nil
}

// createKeyFile writes key to a new file at path. The key goes to a
// temporary file (O_CREATE|O_EXCL, 0600), is synced, and is then linked to
// path: link fails if path exists, so the file appears complete or not at
// all and a racing creator never overwrites a key. An existing path is not
// an error; the caller loads whichever key won.
func createKeyFile(path string, key []byte) error {
	tmp, err := writeTemp(path, key)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, path); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("secretbox: create master key: %w", err)
	}
	return syncDir(filepath.Dir(path))
}

// writeTemp writes key to a new file beside path and syncs it.
func writeTemp(path string, key []byte) (string, error) {
	tmp := path + ".tmp-" + rand.Text()
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("secretbox: create master key: %w", err)
	}
	_, err = f.Write(key)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("secretbox: write master key: %w", err)
	}
	return tmp, nil
}

// syncDir makes a link, rename or removal in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("secretbox: sync %q: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("secretbox: sync %q: %w", dir, err)
	}
	return nil
}
