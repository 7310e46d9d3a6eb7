package daemon

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"otpgate.dev/otpgate/internal/auth"
	"otpgate.dev/otpgate/internal/config"
	"otpgate.dev/otpgate/internal/engine"
)

func TestPolicy(t *testing.T) {
	c, err := config.Parse([]byte("[policy]\nmax_failures = 0\nlock_for = \"0s\"\ntotp_back = 5\ntotp_forward = 5\n"))
	if err != nil {
		t.Fatal(err)
	}
	p := c.Policy.Engine()
	want := engine.DefaultPolicy()
	want.MaxFailures, want.LockFor, want.TOTPBack, want.TOTPForward = 0, 0, 5, 5
	if p != want {
		t.Errorf("policy = %+v; want %+v", p, want)
	}
	if p := config.Default().Policy.Engine(); p != engine.DefaultPolicy() {
		t.Errorf("Policy.Engine() of the default = %+v; want the engine's defaults", p)
	}
}

func TestRestartOnly(t *testing.T) {
	old := config.Default()
	same := config.Default()
	same.RADIUS.Clients = []config.RADIUSClient{{Address: "10.0.0.1", SecretFile: "/s"}}
	if got := restartOnly(old, same); len(got) != 0 {
		t.Errorf("restartOnly after a client change = %v; want nothing", got)
	}
	moved := config.Default()
	moved.DB, moved.HTTP.Listen, moved.OpenVPN.Management = "/other.db", config.Off, "/run/openvpn.sock"
	if got := strings.Join(restartOnly(old, moved), " "); got != "db/key_file http.listen openvpn" {
		t.Errorf("restartOnly = %q", got)
	}
}

func TestReadSecretFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(text), mode)
		os.Chmod(p, mode)
		return p
	}
	tests := []struct {
		path, want, err string
	}{
		{write("ok", "s3cret-s3cret-s3cret\nignored\n", 0o600), "s3cret-s3cret-s3cret", ""},
		{write("crlf", "s3cret\r\n", 0o640), "s3cret", ""},
		{write("world", "s3cret\n", 0o644), "", "readable by everyone"},
		{write("empty", "\n", 0o600), "", "is empty"},
		{write("big", strings.Repeat("x", maxSecretFile+1), 0o600), "", "larger than"},
		{filepath.Join(dir, "missing"), "", "no such file"},
	}
	for _, tt := range tests {
		got, err := readSecretFile("secret_file", tt.path)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("readSecretFile(%s) = %v; want an error containing %q", filepath.Base(tt.path), err, tt.err)
			}
			if err != nil && strings.Contains(err.Error(), "s3cret") {
				t.Errorf("readSecretFile(%s) error quotes the secret: %v", filepath.Base(tt.path), err)
			}
			continue
		}
		if err != nil || string(got) != tt.want {
			t.Errorf("readSecretFile(%s) = %q, %v; want %q", filepath.Base(tt.path), got, err, tt.want)
		}
	}
}

// fixedService answers every login with one outcome, or an error.
type fixedService struct {
	resp auth.Response
	err  error
}

func (f fixedService) Authenticate(context.Context, auth.Request) (auth.Response, error) {
	return f.resp, f.err
}

func TestInstrumented(t *testing.T) {
	m := newLoginMetrics()
	for _, s := range []auth.Service{
		fixedService{resp: auth.Response{Outcome: auth.Accept}},
		fixedService{resp: auth.Response{Outcome: auth.Reject}},
		fixedService{resp: auth.Response{Outcome: auth.Reject}},
		fixedService{resp: auth.Response{Outcome: auth.ChallengeIssued}},
		fixedService{err: context.DeadlineExceeded},
		fixedService{err: context.Canceled},
	} {
		instrumented{s, m}.Authenticate(context.Background(), auth.Request{Frontend: "radius"})
	}
	want := map[string]uint64{resultAccept: 1, resultReject: 2, resultChallenge: 1, resultError: 2}
	for k, v := range want {
		if got := m.logins.Value(k); got != v {
			t.Errorf("logins{%s} = %d; want %d", k, got, v)
		}
	}
	if got := m.storeErrors.Value("radius"); got != 1 {
		t.Errorf("store errors = %d; want 1 (a cancelled login is not a store error)", got)
	}
}

func TestSwapService(t *testing.T) {
	var s swapService
	s.set(fixedService{resp: auth.Response{Outcome: auth.Reject}})
	s.set(fixedService{resp: auth.Response{Outcome: auth.Accept}})
	if r, _ := s.Authenticate(context.Background(), auth.Request{}); r.Outcome != auth.Accept {
		t.Errorf("after set, Authenticate = %v; want the new service's accept", r.Outcome)
	}
	if ok, err := s.Active(context.Background(), "alice"); !ok || err != nil {
		t.Errorf("Active through a service without ActiveChecker = %v, %v; want true", ok, err)
	}
}
