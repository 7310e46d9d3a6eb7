package e2e

import (
	"bufio"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/enroll"
	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/secretbox"
	otpsite "otpgate.dev/otpgate/internal/site"
	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/testpeer"
)

// maxFailures is the policy of every site here: the 5th consecutive failure
// locks the token.
const maxFailures = 5

// hotpWindow is the engine's default HOTP window; wrong codes stay out of it.
const hotpWindow = 10

// otpgateBin is the otpgate binary TestMain builds.
var otpgateBin string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "otpgate-engine-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	otpgateBin = filepath.Join(dir, "otpgate")
	if out, err := exec.Command("go", "build", "-o", otpgateBin, "otpgate.dev/otpgate/cmd/otpgate").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build otpgate: %v\n%s", err, out)
		return 1
	}
	defer testpeer.StopPostgres()
	return m.Run()
}

// site is a store with one HOTP user, its master key and a configuration
// file that `otpgate serve` and `otpgate verify` share.
type site struct {
	dir, db, config, secretFile string
	st                          store.Store // the test's own connection, to reset and inspect
	user, tok                   string
	key                         []byte
}

// newSite enrolls alice with a random HOTP seed into db (a SQLite path or a
// postgres:// URL) and writes the configuration.
func newSite(t *testing.T, db string) *site {
	t.Helper()
	dir := t.TempDir()
	s := &site{dir: dir, db: db, config: filepath.Join(dir, "otpgate.toml"), secretFile: filepath.Join(dir, "nas.secret"), user: "alice"}
	keyFile := filepath.Join(dir, "master.key")
	box, err := secretbox.LoadOrCreate(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if s.st, err = otpsite.OpenStore(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.st.Close() })
	s.key = make([]byte, enroll.OATHSecretSize)
	rand.Read(s.key)
	tok, err := enroll.Enroll(t.Context(), s.st, box, enroll.Spec{User: s.user, Type: store.HOTP, Secret: s.key}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	s.tok = tok.ID
	if err := os.WriteFile(s.secretFile, []byte(rand.Text()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`db = %q
key_file = %q
[policy]
max_failures = %d
[http]
listen = "127.0.0.1:0"
[radius]
listen = "127.0.0.1:0"
[[radius.client]]
name = "nas"
address = "127.0.0.1"
secret_file = %q
style = "code"
rate = 1000000
burst = 1000000
`, db, keyFile, maxFailures, s.secretFile)
	if err := os.WriteFile(s.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return s
}

// codes returns n codes for a burst: the token's next code at position pos
// (1-based) and random wrong codes, none of which any counter near the
// token's Next would accept, elsewhere.
func (s *site) codes(t *testing.T, n, pos int) []string {
	t.Helper()
	tok, err := s.st.Token(t.Context(), s.tok)
	if err != nil {
		t.Fatal(err)
	}
	near := map[string]bool{}
	for c := max(tok.Next-hotpWindow, 0); c < tok.Next+hotpWindow; c++ {
		near[otp.Generate(s.key, uint64(c), otp.DefaultParams())] = true
	}
	codes := make([]string, n)
	for i := range codes {
		for codes[i] == "" || near[codes[i]] {
			v, _ := rand.Int(rand.Reader, big.NewInt(1_000_000))
			codes[i] = fmt.Sprintf("%06d", v.Int64())
		}
	}
	codes[pos-1] = otp.Generate(s.key, uint64(tok.Next), otp.DefaultParams())
	return codes
}

// reset unlocks the token and clears its failures, as `otpgate unlock` does.
func (s *site) reset(t *testing.T) {
	t.Helper()
	if err := s.st.Unlock(t.Context(), s.tok); err != nil {
		t.Fatal(err)
	}
}

// burst submits a burst of n codes with the right one at pos through send,
// which returns how many the client saw accepted, and checks what the store
// recorded: every code verified once, at most one accepted, and an accept
// only while fewer than maxFailures failures were counted before it.
//
// The failures counted before the accept are read from the store, not from
// the order the client sent in: every refusal counts one failure, and the
// accept resets the count, so the failures before it are the refusals minus
// the token's count after the burst.
func (s *site) burst(t *testing.T, n, pos int, send func(codes []string) int) bool {
	t.Helper()
	s.reset(t)
	codes := s.codes(t, n, pos)
	since := time.Now()
	clientAccepts := send(codes)
	evs, err := s.st.Audit(t.Context(), store.AuditFilter{User: s.user, Since: since})
	if err != nil {
		t.Fatal(err)
	}
	accepts, fails := 0, 0
	for _, e := range evs {
		switch {
		case e.Action != "verify":
		case e.Result == "ok":
			accepts++
		default:
			fails++
		}
	}
	tok, err := s.st.Token(t.Context(), s.tok)
	if err != nil {
		t.Fatal(err)
	}
	if accepts+fails != n || accepts != clientAccepts || accepts > 1 {
		t.Fatalf("right code at %d of %d: the store recorded %d accepts and %d refusals, the client saw %d accepts; want %d verifications, at most 1 accept, seen by the client",
			pos, n, accepts, fails, clientAccepts, n)
	}
	if before := fails - tok.Failures; accepts == 1 && before >= maxFailures {
		t.Errorf("right code at %d of %d: accepted after %d counted failures; with max_failures = %d the %dth failure locks the token, so no code may be accepted after it",
			pos, n, before, maxFailures, maxFailures)
	}
	if tok.Failures >= maxFailures && !tok.Locked(time.Now()) {
		t.Errorf("right code at %d of %d: %d failures and the token is not locked", pos, n, tok.Failures)
	}
	return accepts == 1
}

// daemon is a running `otpgate serve`.
type daemon struct {
	radius string // host:port of its RADIUS socket
}

// serve starts otpgate serve on the site's configuration and waits until it
// is ready.
func (s *site) serve(t *testing.T) *daemon {
	t.Helper()
	cmd := exec.Command(otpgateBin, "serve", "--config", s.config, "--log-format", "json")
	cmd.Env = append(os.Environ(), "OTPGATE_CONFIG="+s.config)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	ready := make(chan string, 1)
	go readyAddr(stderr, ready)
	select {
	case addr := <-ready:
		if addr == "" {
			t.Fatal("otpgate serve exited before it was ready")
		}
		return &daemon{radius: addr}
	case <-time.After(time.Minute):
		t.Fatal("otpgate serve was not ready within a minute")
	}
	return nil
}

// readyAddr sends the RADIUS address of the "ready" log line on ready, or
// "" if the log ends first, then drains the log.
func readyAddr(r io.Reader, ready chan<- string) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil && m["msg"] == "otpgate serve: ready" {
			addr, _ := m["radius"].(string)
			ready <- addr
			io.Copy(io.Discard, r)
			return
		}
	}
	ready <- ""
}
