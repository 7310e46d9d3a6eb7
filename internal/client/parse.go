package client

import (
	"bufio"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"otpgate.dev/otpgate/internal/tokenspec"
)

// ReadSpec reads a token spec from r, standard input for --token-secret -.
func ReadSpec(r io.Reader) (string, error) {
	if r == nil {
		return "", errors.New("client: no standard input to read the token secret from")
	}
	data, err := io.ReadAll(io.LimitReader(bufio.NewReader(r), tokenspec.MaxSpecSize+1))
	if err != nil {
		return "", fmt.Errorf("client: read the token secret from standard input: %w", err)
	}
	if len(data) > tokenspec.MaxSpecSize {
		return "", fmt.Errorf("client: the token secret on standard input is larger than %d bytes", tokenspec.MaxSpecSize)
	}
	return string(data), nil
}

// ParseHexKey reads a key written in hex, with white space around it.
func ParseHexKey(data []byte) ([]byte, error) {
	key, err := hex.DecodeString(strings.TrimSpace(string(data)))
	if err != nil || len(key) == 0 {
		clear(key)
		return nil, errors.New("does not hold a hex key (accepted: hex digits, as openssl rand -hex 16 prints them)")
	}
	return key, nil
}

// ParseTime reads a --time: Unix seconds (optionally after '@', as
// oathtool writes them) or RFC 3339.
func ParseTime(s string) (time.Time, error) {
	if n, err := strconv.ParseInt(strings.TrimPrefix(s, "@"), 10, 64); err == nil {
		return time.Unix(n, 0).UTC(), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, &UsageError{Msg: fmt.Sprintf("--time %q is neither Unix seconds nor RFC 3339 (e.g. 1700000000 or 2026-11-23T10:00:00Z)", s)}
}
