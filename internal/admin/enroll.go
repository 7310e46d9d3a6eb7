package admin

import (
	"context"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"otpgate.dev/otpgate/internal/enroll"
	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/tokenspec"
)

// RFC4226TestKey is the secret of the test vectors of RFC 4226 appendix D.
const RFC4226TestKey = "12345678901234567890"

// maxKeyFile bounds a key file: the longest OATH secret in base64 and then
// some.
const maxKeyFile = 4096

// Enrollment is a completed enroll.Spec with its Key URI, checked and ready to
// store. It holds the plaintext secret: call Clear when done.
type Enrollment struct {
	spec enroll.Spec
	// URI is the otpauth:// Key URI; empty for a Yubico OTP token.
	URI string
}

// Enrolled is what an admin is shown once about a new token. It is the only
// output of this package that holds a secret.
type Enrolled struct {
	User    string          `json:"user"`
	TokenID string          `json:"id"`
	Type    store.TokenType `json:"type"`
	// Secret is the OATH seed in base32 without padding, or for Yubico OTP
	// the AES key in hex.
	Secret     string `json:"secret"`
	URI        string `json:"uri,omitempty"`
	Identifier string `json:"identifier,omitempty"`
	PrivateID  string `json:"private_id,omitempty"` // Yubico OTP, hex
	// Replaced lists the tokens the new one replaced (enroll --replace).
	Replaced []string `json:"replaced,omitempty"`
}

// Prepare completes s (drawing the secrets it leaves out) and makes its Key
// URI, without touching any store: every mistake in s is found here. A spec
// without an Issuer takes issuer, which the token keeps.
func Prepare(s enroll.Spec, issuer string) (*Enrollment, error) {
	s, err := s.Complete()
	if err != nil {
		return nil, err
	}
	if s.Issuer == "" {
		s.Issuer = issuer
	}
	en := &Enrollment{spec: s}
	if s.Type != store.Yubico {
		t := store.Token{User: s.User, Type: s.Type, Params: s.Params, Next: s.Counter}
		if en.URI, err = enroll.KeyURI(s.Issuer, &t, s.Secret); err != nil {
			return nil, err
		}
	}
	return en, nil
}

// Clear overwrites the plaintext secrets held by en.
func (en *Enrollment) Clear() {
	clear(en.spec.Secret)
	clear(en.spec.PrivateID)
}

// ErrHasTokens is returned by Enroll for a user who has an app or hardware
// token already: a second one would leave the first (a lost phone)
// working.
var ErrHasTokens = errors.New("admin: user has a token already")

// Enroll stores the prepared token, creating its user if needed. A user
// with app or hardware tokens is refused with ErrHasTokens unless replace
// is set; then the new token replaces every one of them in one
// transaction, so that the user never has both, nor neither. An email or
// SMS token is left as it is. Replaced returns the IDs replaced.
func (a *Admin) Enroll(ctx context.Context, en *Enrollment, replace bool) (Enrolled, error) {
	all, err := a.st.Tokens(ctx, en.spec.User)
	if err != nil {
		return Enrolled{}, fmt.Errorf("admin: tokens of user %q: %w", en.spec.User, err)
	}
	old := ofKind(all, false) // an email or SMS token stays (oob.go)
	if len(old) > 0 && !replace {
		return Enrolled{}, fmt.Errorf("%w: %q has %d (%s)", ErrHasTokens, en.spec.User, len(old), tokenIDs(old))
	}
	t, err := a.store(ctx, en, old)
	if err != nil {
		return Enrolled{}, err
	}
	if err := a.audit(ctx, store.ActionEnroll, t.User, t.ID); err != nil {
		return Enrolled{}, err
	}
	out := Enrolled{User: t.User, TokenID: t.ID, Type: t.Type, URI: en.URI, Identifier: t.Identifier}
	for _, o := range old {
		out.Replaced = append(out.Replaced, o.ID)
	}
	if t.Type == store.Yubico {
		out.Secret = hex.EncodeToString(en.spec.Secret)
		out.PrivateID = hex.EncodeToString(en.spec.PrivateID)
	} else {
		out.Secret = base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(en.spec.Secret)
	}
	return out, nil
}

// store adds the token en describes, in place of old when there are any.
func (a *Admin) store(ctx context.Context, en *Enrollment, old []store.Token) (store.Token, error) {
	if len(old) == 0 {
		return enroll.Enroll(ctx, a.st, a.box, en.spec, a.now())
	}
	t, err := enroll.NewToken(a.box, en.spec, a.now())
	if err != nil {
		return t, err
	}
	ids := make([]string, len(old))
	for i := range old {
		ids[i] = old[i].ID
	}
	if err := a.st.ReplaceTokens(ctx, ids, &t); err != nil {
		return t, fmt.Errorf("admin: replace the tokens of user %q: %w", t.User, err)
	}
	return t, nil
}

func tokenIDs(ts []store.Token) string {
	ids := make([]string, len(ts))
	for i := range ts {
		ids[i] = ts[i].ID
	}
	return strings.Join(ids, ", ")
}

// ReadKeyFile reads a secret from a file holding it in hex, base32 or base64,
// optionally after a "hex:", "base32:" or "base64:" prefix that settles the
// ambiguous cases (without one, text of hex digits is hex, then base32 is
// tried, then base64). Errors never quote the file's content.
func ReadKeyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("admin: key file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, fmt.Errorf("admin: key file %q: %w", path, err)
	}
	defer clear(b)
	if len(b) > maxKeyFile {
		return nil, fmt.Errorf("admin: key file %q: larger than %d bytes", path, maxKeyFile)
	}
	k, err := ParseKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("admin: key file %q: %w", path, err)
	}
	return k, nil
}

// ParseKey decodes a key written as ReadKeyFile describes. Surrounding white
// space is ignored; an empty key is an error.
func ParseKey(s string) ([]byte, error) {
	k, err := parseKey(s)
	if err == nil && len(k) == 0 {
		err = errors.New("empty key (accepted: hex, base32 or base64)")
	}
	return k, err
}

func parseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("empty key (accepted: hex, base32 or base64)")
	}
	prefix, rest, found := strings.Cut(s, ":")
	if found {
		switch strings.ToLower(prefix) {
		case "hex":
			return decodeHex(rest)
		case "base32":
			return tokenspec.DecodeBase32(rest)
		case "base64":
			return decodeBase64(rest)
		}
	}
	if isHex(s) {
		return decodeHex(s)
	}
	if k, err := tokenspec.DecodeBase32(s); err == nil {
		return k, nil
	}
	if k, err := decodeBase64(s); err == nil {
		return k, nil
	}
	return nil, errors.New("key is not hex, base32 or base64 (a prefix hex:, base32: or base64: says which)")
}

func isHex(s string) bool {
	return strings.Trim(s, "0123456789abcdefABCDEF") == ""
}

func decodeHex(s string) ([]byte, error) {
	k, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, errors.New("invalid hex key (accepted: an even number of digits 0-9, a-f)")
	}
	return k, nil
}

func decodeBase64(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(s); err == nil {
			return k, nil
		}
	}
	return nil, errors.New("invalid base64 key (accepted: standard or URL alphabet, padding optional)")
}
