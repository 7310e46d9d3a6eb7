package recovery

import (
	"context"
	"crypto/rand"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/testpeer"
)

// memStore keeps codes in memory with the conditional write a real store
// makes; the SQL stores pass the same checks in their conformance suite
// (storetest).
type memStore struct {
	mu    sync.Mutex
	codes []store.RecoveryCode
}

func (m *memStore) RecoveryCodes(_ context.Context, user string) ([]store.RecoveryCode, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []store.RecoveryCode
	for _, c := range m.codes {
		if c.User == user && c.Used.IsZero() {
			out = append(out, c)
		}
	}
	return out, nil
}

func (m *memStore) UseRecoveryCode(_ context.Context, id string, now time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range m.codes {
		if m.codes[i].ID == id && m.codes[i].Used.IsZero() {
			m.codes[i].Used = now
			return true, nil
		}
	}
	return false, nil
}

var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// owasp are the production costs, which TestArgon2Reference checks; the
// other tests hash with small ones, so that the race detector's slowdown
// of Argon2 does not make them take minutes.
var owasp = DefaultParams

func TestMain(m *testing.M) {
	DefaultParams = Params{Time: 1, MemoryKiB: 64, Threads: 1}
	m.Run()
}

func TestGenerateVerifyOnce(t *testing.T) {
	codes, stored, err := Generate("alice", 5, DefaultDigits, t0)
	if err != nil {
		t.Fatal(err)
	}
	other, otherStored, err := Generate("bob", 1, DefaultDigits, t0)
	if err != nil {
		t.Fatal(err)
	}
	st := &memStore{codes: append(stored, otherStored...)}
	seen := map[string]bool{}
	for _, c := range codes {
		if len(c) != DefaultDigits || !wellFormed(c) || seen[c] {
			t.Fatalf("Generate made %q: want %d distinct digits", c, DefaultDigits)
		}
		seen[c] = true
		for _, s := range stored {
			if strings.Contains(s.Hash, c) {
				t.Fatalf("stored hash %q holds the code", s.Hash)
			}
		}
	}
	ctx := context.Background()
	check := func(user, code string, want bool) {
		t.Helper()
		if ok, err := Verify(ctx, st, user, code, t0); err != nil || ok != want {
			t.Errorf("Verify(%s, %s) = %v, %v; want %v", user, code, ok, err, want)
		}
	}
	check("alice", other[0], false) // another user's code
	check("alice", codes[2], true)
	check("alice", codes[2], false) // spent
	check("alice", "0000000000", false)
	check("alice", codes[0][:DefaultDigits-1], false)
	check("alice", codes[0]+"0", false)
	check("alice", "abc", false)
	check("bob", other[0], true)
	for _, i := range []int{0, 1, 3, 4} {
		check("alice", codes[i], true)
	}
}

// TestVerifyRace: many logins with the same code at once; exactly one wins.
func TestVerifyRace(t *testing.T) {
	codes, stored, err := Generate("alice", 2, DefaultDigits, t0)
	if err != nil {
		t.Fatal(err)
	}
	st := &memStore{codes: stored}
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			ok, err := Verify(context.Background(), st, "alice", codes[1], t0)
			if err != nil {
				t.Error(err)
			}
			if ok {
				wins.Add(1)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Errorf("%d logins succeeded with one code; want 1", wins.Load())
	}
}

func TestHashScratchCodes(t *testing.T) {
	stored, err := Hash("carol", []string{"12345678", "87654321"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if stored[0].Digits != 8 || stored[0].Hash == stored[1].Hash {
		t.Errorf("Hash = %+v", stored)
	}
	st := &memStore{codes: stored}
	if ok, err := Verify(context.Background(), st, "carol", "87654321", t0); !ok || err != nil {
		t.Errorf("Verify(scratch code) = %v, %v; want true", ok, err)
	}
	for _, bad := range [][]string{{"1234"}, {"12345678x"}, {strings.Repeat("1", MaxDigits+1)}} {
		if _, err := Hash("carol", bad, t0); err == nil || strings.Contains(err.Error(), bad[0]) {
			t.Errorf("Hash(%q) = %v; want an error that does not quote the code", bad, err)
		}
	}
}

func TestGenerateBounds(t *testing.T) {
	for _, c := range []struct{ n, digits int }{{0, 10}, {MaxCount + 1, 10}, {10, MinDigits - 1}, {10, MaxDigits + 1}} {
		if _, _, err := Generate("a", c.n, c.digits, t0); err == nil {
			t.Errorf("Generate(%d, %d) = nil error", c.n, c.digits)
		}
	}
}

// TestTamperedRowRefuses: a stored hash that cannot be read makes the
// check an error (the login is refused), not a pass and not a panic.
func TestTamperedRowRefuses(t *testing.T) {
	codes, stored, err := Generate("alice", 1, DefaultDigits, t0)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"", "$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHQ$" + strings.Repeat("A", 43), "$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$x"} {
		stored[0].Hash = bad
		ok, err := Verify(context.Background(), &memStore{codes: stored}, "alice", codes[0], t0)
		if ok || err == nil {
			t.Errorf("Verify with stored hash %q = %v, %v; want an error", bad, ok, err)
		}
	}
}

// TestArgon2Reference compares the PHC strings with those of the Argon2
// reference implementation's command-line tool (Debian's argon2 package).
func TestArgon2Reference(t *testing.T) {
	bin := testpeer.Need(t, "argon2")[0]
	for _, code := range []string{"1234567890", "12345678", randomDigits(20)} {
		salt := rand.Text()[:16]
		cmd := exec.Command(bin, salt, "-id", "-t", "2", "-k", "19456", "-p", "1", "-l", "32", "-e")
		cmd.Stdin = strings.NewReader(code)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("argon2: %v", err)
		}
		want := strings.TrimSpace(string(out))
		if got := owasp.hash(code, []byte(salt)).String(); got != want {
			t.Errorf("hash(%s, %s) = %s; argon2 says %s", code, salt, got, want)
		}
		h, err := parsePHC(want)
		if err != nil || h.String() != want {
			t.Errorf("parsePHC(%s) = %v, %v", want, h, err)
		}
	}
}

func FuzzParsePHC(f *testing.F) {
	f.Add("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$I12ElofAmzu8jk9rNR4ITGIENZxFC9IuMZWpiszK7lE")
	f.Add("$argon2id$v=19$m=8,t=1,p=1$AAAAAAAAAAA$")
	f.Fuzz(func(t *testing.T, s string) {
		h, err := parsePHC(s)
		if err != nil {
			return
		}
		if h.params.MemoryKiB > maxMemoryKiB || h.params.Time > maxTime || len(h.sum) != sumLength {
			t.Fatalf("parsePHC(%q) accepted %+v", s, h.params)
		}
		if back, err := parsePHC(h.String()); err != nil || back.String() != h.String() {
			t.Fatalf("parsePHC(String()) = %v, %v", back, err)
		}
	})
}
