//go:build linux

package e2e

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/auth"
	"otpgate.dev/otpgate/internal/otp"
)

// fileService is the tests' login service: passwords and TOTP keys in a
// JSON file shared by the test and the hook processes, under flock. It
// refuses a code whose step is not above the last accepted one (replay),
// keeps challenges with their expiry, and runs on a clock the test can move.
type fileService struct{ path string }

type svcUser struct {
	Password string
	Key      []byte
	Last     uint64 // last accepted TOTP step
}

type svcChallenge struct {
	User    string
	Expires int64
}

type svcState struct {
	Offset     int64 // seconds added to the wall clock
	TTL        int64 // challenge lifetime in seconds
	Users      map[string]*svcUser
	Challenges map[string]*svcChallenge
	Accepted   int // codes accepted
}

var totp = otp.DefaultParams()

// newService creates the state file with users alice and bob.
func newService(t *testing.T, dir string) fileService {
	s := fileService{path: dir + "/state.json"}
	st := &svcState{TTL: 300, Users: map[string]*svcUser{}, Challenges: map[string]*svcChallenge{}}
	for _, u := range []string{"alice", "bob"} {
		key := make([]byte, 20)
		rand.Read(key)
		st.Users[u] = &svcUser{Password: "secret", Key: key}
	}
	if err := s.save(st); err != nil {
		t.Fatal(err)
	}
	return s
}

func (s fileService) Authenticate(ctx context.Context, req auth.Request) (auth.Response, error) {
	var resp auth.Response
	err := s.update(func(st *svcState) { resp = st.authenticate(req) })
	return resp, err
}

func (st *svcState) now() time.Time { return time.Now().Add(time.Duration(st.Offset) * time.Second) }

func (st *svcState) authenticate(req auth.Request) auth.Response {
	if req.ChallengeID != "" {
		ch, ok := st.Challenges[req.ChallengeID]
		delete(st.Challenges, req.ChallengeID)
		switch {
		case !ok:
			return reject("unknown challenge")
		case st.now().Unix() > ch.Expires:
			return reject("challenge expired")
		}
		return st.checkCode(ch.User, req.Code)
	}
	u, ok := st.Users[req.User]
	password, code := req.Password, req.Code
	if req.Style == auth.Appended && len(password) >= totp.Digits {
		password, code = password[:len(password)-totp.Digits], password[len(password)-totp.Digits:]
	}
	if req.Style == auth.CodeOnly {
		password, code = "", password
	}
	if !ok || (req.Style != auth.CodeOnly && subtle.ConstantTimeCompare([]byte(password), []byte(u.Password)) != 1) {
		return reject("unknown user or wrong password")
	}
	if req.Style == auth.Challenge {
		id := make([]byte, 16)
		rand.Read(id)
		exp := st.now().Add(time.Duration(st.TTL) * time.Second)
		st.Challenges[hex.EncodeToString(id)] = &svcChallenge{User: req.User, Expires: exp.Unix()}
		return auth.Response{Outcome: auth.ChallengeIssued, User: req.User,
			Challenge: &auth.PendingChallenge{ID: hex.EncodeToString(id), Prompt: auth.DefaultPrompt, Echo: true, Expires: exp}}
	}
	return st.checkCode(req.User, code)
}

func (st *svcState) checkCode(user, code string) auth.Response {
	u := st.Users[user]
	lo, hi := otp.Window(totp.Step(st.now()), 1, 1)
	c, ok := otp.Verify(u.Key, code, lo, hi, totp)
	switch {
	case !ok:
		return reject("wrong code")
	case c <= u.Last:
		return reject("replayed code")
	}
	u.Last = c
	st.Accepted++
	return auth.Response{Outcome: auth.Accept, User: user, Reason: "code accepted"}
}

func reject(why string) auth.Response { return auth.Response{Outcome: auth.Reject, Reason: why} }

// update runs fn on the state under an exclusive lock.
func (s fileService) update(fn func(*svcState)) error {
	lock, err := os.OpenFile(s.path+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return err
	}
	st, err := s.load()
	if err != nil {
		return err
	}
	fn(st)
	return s.save(st)
}

func (s fileService) load() (*svcState, error) {
	b, err := os.ReadFile(s.path)
	if err != nil {
		return nil, err
	}
	st := new(svcState)
	return st, json.Unmarshal(b, st)
}

func (s fileService) save(st *svcState) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	tmp := s.path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, s.path)
}

// code returns user's code steps periods from the service's now.
func (s fileService) code(t *testing.T, user string, steps int) string {
	t.Helper()
	var code string
	if err := s.update(func(st *svcState) {
		code = otp.Generate(st.Users[user].Key, uint64(int64(totp.Step(st.now()))+int64(steps)), totp)
	}); err != nil {
		t.Fatal(err)
	}
	return code
}

// advance moves the service's clock.
func (s fileService) advance(t *testing.T, d time.Duration) {
	t.Helper()
	if err := s.update(func(st *svcState) { st.Offset += int64(d / time.Second) }); err != nil {
		t.Fatal(err)
	}
}

// accepted returns how many codes the service has accepted.
func (s fileService) accepted(t *testing.T) int {
	t.Helper()
	st, err := s.load()
	if err != nil {
		t.Fatal(err)
	}
	return st.Accepted
}

// otpauthURI returns user's token as an otpauth URI, for internal/client.
func (s fileService) otpauthURI(t *testing.T, user string) string {
	st, err := s.load()
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("otpauth://totp/e2e:%s?secret=%s", user, b32(st.Users[user].Key))
}

// wrong returns a code that is not code.
func wrong(code string) string {
	return strings.Map(func(r rune) rune { return '0' + (r-'0'+5)%10 }, code)
}

func b32(key []byte) string {
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(key)
}
