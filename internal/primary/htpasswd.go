package primary

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// Htpasswd checks passwords against bcrypt hashes from an Apache htpasswd
// file. Only bcrypt ($2y$, $2a$, $2b$) is accepted: the file's other schemes
// (MD5-crypt, SHA-1, crypt, plain text) are too weak for a VPN.
type Htpasswd struct {
	hashes map[string][]byte
	dummy  []byte // compared for unknown users, so they take as long as known ones
}

// MaxHtpasswdSize bounds the file.
const MaxHtpasswdSize = 16 << 20

// LoadHtpasswd reads path.
func LoadHtpasswd(path string) (*Htpasswd, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("primary: %w", err)
	}
	defer f.Close()
	h, err := ParseHtpasswd(io.LimitReader(f, MaxHtpasswdSize))
	if err != nil {
		return nil, fmt.Errorf("primary: %s: %w", path, err)
	}
	return h, nil
}

// ParseHtpasswd reads "user:hash" lines; blank lines and '#' comments are
// skipped.
func ParseHtpasswd(r io.Reader) (*Htpasswd, error) {
	h := &Htpasswd{hashes: map[string][]byte{}}
	maxCost := bcrypt.MinCost
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), 4096)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		user, hash, ok := strings.Cut(line, ":")
		if !ok || user == "" {
			return nil, fmt.Errorf("line %d: want user:bcrypt-hash", n)
		}
		cost, err := bcrypt.Cost([]byte(hash))
		if err != nil {
			return nil, fmt.Errorf("line %d: the hash for %q is not bcrypt (create it with htpasswd -B)", n, user)
		}
		maxCost = max(maxCost, cost)
		if _, dup := h.hashes[user]; dup {
			return nil, fmt.Errorf("line %d: user %q appears twice", n, user)
		}
		h.hashes[user] = []byte(hash)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line too long or unreadable: %w", err)
	}
	dummy, err := bcrypt.GenerateFromPassword([]byte("otpgate-unknown-user"), maxCost)
	if err != nil {
		return nil, err
	}
	h.dummy = dummy
	return h, nil
}

// Check compares password with the user's hash.
func (h *Htpasswd) Check(_ context.Context, user, password string) (bool, error) {
	hash, ok := h.hashes[user]
	if !ok {
		bcrypt.CompareHashAndPassword(h.dummy, []byte(password))
		return false, nil
	}
	err := bcrypt.CompareHashAndPassword(hash, []byte(password))
	if errors.Is(err, bcrypt.ErrMismatchedHashAndPassword) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("primary: bcrypt: %w", err)
	}
	return true, nil
}
