package enroll_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/enroll"
	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/secretbox"
	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/store/sqlite"
	"otpgate.dev/otpgate/internal/testpeer"
	"otpgate.dev/otpgate/internal/tokenspec"
	"otpgate.dev/otpgate/internal/yubiotp"
)

var now = time.Unix(1_700_000_000, 0).UTC()

func open(t *testing.T) (*sqlite.Store, *secretbox.Box) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	key := make([]byte, secretbox.KeySize)
	rand.Read(key)
	box, err := secretbox.New(key)
	if err != nil {
		t.Fatal(err)
	}
	return st, box
}

func TestNewSecret(t *testing.T) {
	for typ, n := range map[store.TokenType]int{store.HOTP: 20, store.TOTP: 20, store.HOTPPrefixed: 20, store.Yubico: 16} {
		a, b := enroll.NewSecret(typ), enroll.NewSecret(typ)
		if len(a) != n || bytes.Equal(a, b) {
			t.Errorf("NewSecret(%s) = %d bytes, twice the same %v; want %d random bytes", typ, len(a), bytes.Equal(a, b), n)
		}
	}
}

func TestEnroll(t *testing.T) {
	st, box := open(t)
	ctx := context.Background()
	s := enroll.Spec{User: "alice", Type: store.TOTP}
	s, err := s.Complete()
	if err != nil {
		t.Fatal(err)
	}
	tok, err := enroll.Enroll(ctx, st, box, s, now)
	if err != nil {
		t.Fatal(err)
	}
	got, err := st.Token(ctx, tok.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.User != "alice" || got.Type != store.TOTP || !got.Enabled || got.Params != otp.DefaultParams() || got.Next != 0 {
		t.Errorf("stored token = %+v", got)
	}
	if len(tok.ID) != 26 {
		t.Errorf("token ID %q; want 26 characters from crypto/rand.Text", tok.ID)
	}
	plain, err := box.Open(got.Secret, secretbox.AAD(got.ID, enroll.ColumnSecret))
	if err != nil || !bytes.Equal(plain, s.Secret) {
		t.Errorf("stored secret opens to %x, %v; want the enrolled secret", plain, err)
	}
	if _, err := box.Open(got.Secret, secretbox.AAD("other", enroll.ColumnSecret)); err == nil {
		t.Errorf("sealed secret opens for another token ID")
	}
	// A second token for the same user; the user is not created twice.
	if _, err := enroll.Enroll(ctx, st, box, enroll.Spec{User: "alice", Type: store.HOTP}, now); err != nil {
		t.Errorf("second Enroll for alice: %v", err)
	}
}

func TestEnrollYubico(t *testing.T) {
	st, box := open(t)
	ctx := context.Background()
	s, err := enroll.Spec{User: "bob", Type: store.Yubico}.Complete()
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Secret) != 16 || len(s.PrivateID) != 6 || len(s.Identifier) != 12 || !strings.HasPrefix(s.Identifier, "vv") || !yubiotp.IsModhex(s.Identifier) {
		t.Errorf("Complete(yubico) = key %d bytes, private ID %d bytes, public ID %q", len(s.Secret), len(s.PrivateID), s.Identifier)
	}
	tok, err := enroll.Enroll(ctx, st, box, s, now)
	if err != nil {
		t.Fatal(err)
	}
	got, err := st.TokenByIdentifier(ctx, s.Identifier)
	if err != nil || got.ID != tok.ID {
		t.Fatalf("TokenByIdentifier(%q) = %+v, %v", s.Identifier, got, err)
	}
	pid, err := box.Open(got.PrivateID, secretbox.AAD(got.ID, enroll.ColumnPrivateID))
	if err != nil || !bytes.Equal(pid, s.PrivateID) {
		t.Errorf("stored private ID opens to %x, %v", pid, err)
	}
	if _, err := enroll.Enroll(ctx, st, box, s, now); !errors.Is(err, store.ErrExists) {
		t.Errorf("Enroll with a public ID in use = %v; want ErrExists", err)
	}
}

func TestCompleteErrors(t *testing.T) {
	bad := []enroll.Spec{
		{Type: store.TOTP},
		{User: "a", Type: "sms"},
		{User: "a", Type: store.TOTP, Params: otp.Params{Digits: 5, Period: time.Second}},
		{User: "a", Type: store.TOTP, Params: otp.Params{Digits: 6, Period: 1500 * time.Millisecond}},
		{User: "a", Type: store.HOTP, Secret: make([]byte, 9)},
		{User: "a", Type: store.HOTP, Secret: make([]byte, 129)},
		{User: "a", Type: store.HOTP, Counter: -1},
		{User: "a", Type: store.HOTP, Counter: enroll.MaxCounter + 1},
		{User: "a", Type: store.HOTPPrefixed},
		{User: "a", Type: store.HOTP, Identifier: "123"},
		{User: "a", Type: store.Yubico, Secret: make([]byte, 20)},
		{User: "a", Type: store.Yubico, PrivateID: make([]byte, 5)},
		{User: "a", Type: store.Yubico, Identifier: "vvx"},
		{User: "a", Type: store.Yubico, Identifier: strings.Repeat("c", 17)},
	}
	for _, s := range bad {
		if _, err := s.Complete(); err == nil {
			t.Errorf("Complete(%+v) = nil error; want an error", s)
		}
	}
}

var uriTests = []struct {
	issuer string
	tok    store.Token
	want   string
}{
	{"", store.Token{User: "alice", Type: store.TOTP, Params: otp.DefaultParams()},
		"otpauth://totp/alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&algorithm=SHA1&digits=6&period=30"},
	{"ACME Co", store.Token{User: "alice@example.com", Type: store.TOTP, Params: otp.Params{Algorithm: otp.SHA256, Digits: 8, Period: 60 * time.Second}},
		"otpauth://totp/ACME%20Co:alice%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=ACME%20Co&algorithm=SHA256&digits=8&period=60"},
	{"a&b=c", store.Token{User: "x:y/z", Type: store.HOTP, Params: otp.DefaultParams(), Next: 42},
		"otpauth://hotp/a%26b%3Dc:x%3Ay%2Fz?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=a%26b%3Dc&algorithm=SHA1&digits=6&counter=42"},
	{"ACME", store.Token{User: "bob", Type: store.HOTPPrefixed, Identifier: "1234", Params: otp.Params{Algorithm: otp.SHA512, Digits: 8, Period: 30 * time.Second}},
		"otpauth://hotp/ACME:bob?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=ACME&algorithm=SHA512&digits=8&counter=0"},
}

// TestKeyURI checks the URIs against literal expectations and against the
// otpauth parser of package tokenspec, which must read back the same key
// and parameters.
func TestKeyURI(t *testing.T) {
	key := []byte("12345678901234567890")
	for _, tt := range uriTests {
		got, err := enroll.KeyURI(tt.issuer, &tt.tok, key)
		if err != nil || got != tt.want {
			t.Errorf("KeyURI(%q, %+v) = %q, %v; want %q", tt.issuer, tt.tok, got, err, tt.want)
			continue
		}
		spec, err := tokenspec.Parse(got, tokenspec.Options{})
		if err != nil {
			t.Errorf("tokenspec.Parse(%q): %v", got, err)
			continue
		}
		wantParams := tt.tok.Params
		if tt.tok.Type != store.TOTP {
			wantParams.Period = spec.Params.Period // HOTP URIs carry no period
		}
		if !bytes.Equal(spec.Key, key) || spec.Params != wantParams || spec.Counter != uint64(tt.tok.Next) {
			t.Errorf("tokenspec.Parse(%q) = key %q, %+v, counter %d; want %+v, counter %d", got, spec.Key, spec.Params, spec.Counter, wantParams, tt.tok.Next)
		}
	}
	if _, err := enroll.KeyURI("", &store.Token{Type: store.Yubico}, key); err == nil {
		t.Errorf("KeyURI(yubico) = nil error")
	}
}

// TestKeyURISecretWithOathtool: oathtool reads the URI's base32 secret and
// computes the same code.
func TestKeyURISecretWithOathtool(t *testing.T) {
	oathtool := testpeer.Need(t, "oathtool")[0]
	for range 8 {
		key := enroll.NewSecret(store.TOTP)
		tok := store.Token{User: "u", Type: store.TOTP, Params: otp.DefaultParams()}
		uri, err := enroll.KeyURI("", &tok, key)
		if err != nil {
			t.Fatal(err)
		}
		secret := uri[strings.Index(uri, "secret=")+7 : strings.Index(uri, "&")]
		out, err := exec.Command(oathtool, "--totp", "-b", "--now", "@"+strconv.FormatInt(now.Unix(), 10), secret).Output()
		if err != nil {
			t.Fatalf("oathtool -b %s: %v", secret, err)
		}
		want := otp.Generate(key, otp.DefaultParams().Step(now), otp.DefaultParams())
		if got := strings.TrimSpace(string(out)); got != want {
			t.Errorf("oathtool -b (URI secret) = %q; want %q", got, want)
		}
	}
}
