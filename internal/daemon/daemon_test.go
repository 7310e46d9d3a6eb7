package daemon

import (
	"context"
	"net/netip"
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
		{write("world", "s3cret\n", 0o644), "", "group or others may read or write it"},
		{write("group-writable", "s3cret\n", 0o660), "", "chmod 640"},
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
	for _, s := range []loginService{
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

// A client address is read once, by radius.ParsePrefix, for the
// configuration's check and the daemon's table alike: an IPv4-mapped IPv6
// address is the IPv4 host (a dual-stack socket reports IPv4 peers so, and
// the table looks them up as IPv4); a mapped network is refused with a hint
// to write it as IPv4.
func TestClientAddressMapped(t *testing.T) {
	for _, tt := range []struct{ addr, want, err string }{
		{"::ffff:192.0.2.1", "192.0.2.1/32", ""},
		{"192.0.2.1", "192.0.2.1/32", ""},
		{"2001:db8::1", "2001:db8::1/128", ""},
		{"::ffff:192.0.2.0/120", "", "write it as IPv4"},
	} {
		c := config.Default()
		c.RADIUS.Clients = []config.RADIUSClient{{Address: tt.addr, Secret: "a-long-enough-shared-secret"}}
		if err := c.Validate(); err != nil {
			t.Errorf("Validate(address %q) = %v; want it accepted as radius.ParsePrefix does", tt.addr, err)
		}
		clients, err := radiusClients(c)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("radiusClients(address %q) = %v; want an error containing %q", tt.addr, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("radiusClients(address %q) = %v", tt.addr, err)
			continue
		}
		if cl, ok := clients.Lookup(netip.MustParsePrefix(tt.want).Addr()); !ok || cl.Prefix.String() != tt.want {
			t.Errorf("address %q: client %v, %v; want prefix %s", tt.addr, cl.Prefix, ok, tt.want)
		}
	}
}
