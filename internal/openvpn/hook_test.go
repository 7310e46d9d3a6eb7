package openvpn

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"otpgate.dev/otpgate/internal/openvpn/authtoken"
)

// openvpnRun imitates one script run: OpenVPN's three pre-created control
// files in a tmp-dir and the environment it sets.
type openvpnRun struct {
	dir string
	env Env
	log bytes.Buffer
}

func newRun(t *testing.T, scriptType string) *openvpnRun {
	t.Helper()
	r := &openvpnRun{dir: t.TempDir()}
	r.env = Env{EnvScriptType: scriptType, EnvUntrustedIP: "192.0.2.7", EnvUsername: "alice"}
	for name, file := range map[string]string{EnvAuthControlFile: "acf", EnvAuthPendingFile: "apf", EnvAuthFailedReasonFile: "afr"} {
		p := filepath.Join(r.dir, "openvpn_"+file+"_0123.tmp")
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		r.env[name] = p
	}
	return r
}

func (r *openvpnRun) file(t *testing.T, name string, content string) string {
	t.Helper()
	p := filepath.Join(r.dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func (r *openvpnRun) read(t *testing.T, envName string) string {
	t.Helper()
	p := r.env[envName]
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v; want 0600", envName, fi.Mode().Perm())
	}
	b, _ := os.ReadFile(p)
	return string(b)
}

func (r *openvpnRun) hook(t *testing.T, style Style) *Hook {
	a, _ := newAuth(t, style)
	return &Hook{Auth: a, Log: slog.New(slog.NewTextHandler(&r.log, nil))}
}

func TestVerify(t *testing.T) {
	for _, tt := range []struct {
		name  string
		style Style
		creds string // via-file content; "-" for none (via-env)
		env   Env
		exit  int
		acf   string
		apf   string
		afr   string
	}{
		{name: "append via-file", style: StyleAppend, creds: "alice\nsecret123456\n", exit: ExitSuccess},
		{name: "append wrong", style: StyleAppend, creds: "alice\nsecret000000\n", exit: ExitFailure},
		{name: "via-env", style: StyleAppend, creds: "-", env: Env{EnvPassword: "secret123456"}, exit: ExitSuccess},
		{name: "via-env without password", style: StyleAppend, creds: "-", exit: ExitFailure},
		{name: "static", style: StyleStatic, creds: "alice\nSCRV1:c2VjcmV0:MTIzNDU2\n", exit: ExitSuccess},
		{name: "crtext", style: StyleCRText, creds: "alice\nsecret\n", env: Env{EnvIVSSO: "webauth,crtext"}, exit: ExitDeferred,
			acf: "pending:ch1\n", apf: "60\ncrtext\nCR_TEXT:R,E:Code?\n"},
		{name: "crtext fallback", style: StyleCRText, creds: "alice\nsecret\n", env: Env{EnvIVSSO: "webauth"}, exit: ExitFailure,
			afr: "CRV1:R,E:ch1:YWxpY2U=:Code?"},
		{name: "crv1 answer", style: StyleCRV1, creds: "alice\nCRV1::ch1::123456\n", exit: ExitSuccess},
		{name: "hostile username", style: StyleAppend, creds: "$(reboot)/../x\nsecret123456\n", exit: ExitFailure},
		{name: "three lines", style: StyleAppend, creds: "alice\nsecret123456\nx\n", exit: ExitFailure},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := newRun(t, "user-pass-verify")
			for k, v := range tt.env {
				r.env[k] = v
			}
			var args []string
			if tt.creds != "-" {
				args = []string{r.file(t, "openvpn_up_0123.tmp", tt.creds)}
			}
			if got := r.hook(t, tt.style).Run(context.Background(), ScriptVerify, r.env, args); got != tt.exit {
				t.Errorf("Verify = %d; want %d; log:\n%s", got, tt.exit, r.log.String())
			}
			for name, want := range map[string]string{EnvAuthControlFile: tt.acf, EnvAuthPendingFile: tt.apf, EnvAuthFailedReasonFile: tt.afr} {
				if got := r.read(t, name); got != want {
					t.Errorf("%s = %q; want %q", name, got, want)
				}
			}
			if strings.Contains(r.log.String(), "secret") || strings.Contains(r.log.String(), "123456") {
				t.Errorf("log holds a secret:\n%s", r.log.String())
			}
		})
	}
}

func TestVerifyFailsClosed(t *testing.T) {
	for name, mutate := range map[string]func(r *openvpnRun, args []string) []string{
		"missing credentials file":  func(r *openvpnRun, _ []string) []string { return []string{filepath.Join(r.dir, "nope")} },
		"relative credentials path": func(r *openvpnRun, _ []string) []string { return []string{"openvpn_up.tmp"} },
		"credentials directory":     func(r *openvpnRun, _ []string) []string { return []string{r.dir} },
		"no auth_pending_file": func(r *openvpnRun, a []string) []string {
			delete(r.env, EnvAuthPendingFile)
			return a
		},
		"no auth_control_file": func(r *openvpnRun, a []string) []string {
			delete(r.env, EnvAuthControlFile)
			return a
		},
		"unwritable tmp-dir": func(r *openvpnRun, a []string) []string {
			r.env[EnvAuthPendingFile] = "/proc/nonexistent/apf"
			return a
		},
		"wrong script_type": func(r *openvpnRun, a []string) []string {
			r.env[EnvScriptType] = "client-connect"
			return a
		},
	} {
		r := newRun(t, "user-pass-verify")
		r.env[EnvIVSSO] = "crtext"
		args := mutate(r, []string{r.file(t, "up.tmp", "alice\nsecret\n")})
		if got := r.hook(t, StyleCRText).Run(context.Background(), ScriptVerify, r.env, args); got != ExitFailure {
			t.Errorf("%s: exit %d; want %d", name, got, ExitFailure)
		}
		if !strings.Contains(r.log.String(), "level=") {
			t.Errorf("%s: no log line", name)
		}
	}
}

// pendingRun returns a run where Verify deferred alice's login.
func pendingRun(t *testing.T) (*openvpnRun, *Hook) {
	t.Helper()
	r := newRun(t, "user-pass-verify")
	r.env[EnvIVSSO] = "crtext"
	h := r.hook(t, StyleCRText)
	if got := h.Verify(context.Background(), r.env, []string{r.file(t, "up.tmp", "alice\nsecret\n")}); got != ExitDeferred {
		t.Fatalf("Verify = %d; want %d", got, ExitDeferred)
	}
	r.env[EnvScriptType] = "client-crresponse"
	return r, h
}

func TestCRResponse(t *testing.T) {
	for _, tt := range []struct {
		name     string
		response string // file content; "-" for no argument
		acf      string
	}{
		{"right code", "MTIzNDU2\n", "1"},
		{"wrong code", "NjU0MzIx\n", "0"},
		{"bad base64", "MTIz*NDU2\n", "0"},
		{"empty", "\n", "0"},
		{"10 kB", strings.Repeat("A", 10240), "0"},
		{"no file", "-", "0"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, h := pendingRun(t)
			var args []string
			if tt.response != "-" {
				args = []string{r.file(t, "openvpn_cr_0123.tmp", tt.response)}
			}
			if got := h.Run(context.Background(), ScriptCRResponse, r.env, args); got != ExitSuccess {
				t.Errorf("CRResponse = %d; want %d", got, ExitSuccess)
			}
			if got := r.read(t, EnvAuthControlFile); got != tt.acf {
				t.Errorf("auth_control_file = %q; want %q; log:\n%s", got, tt.acf, r.log.String())
			}
		})
	}
}

func TestCRResponseDecidedOnce(t *testing.T) {
	r, h := pendingRun(t)
	right := []string{r.file(t, "cr1.tmp", "MTIzNDU2\n")}
	wrong := []string{r.file(t, "cr2.tmp", "NjU0MzIx\n")}
	h.CRResponse(context.Background(), r.env, wrong)
	h.CRResponse(context.Background(), r.env, right)
	if got := r.read(t, EnvAuthControlFile); got != "0" {
		t.Errorf("auth_control_file after a refused and a right answer = %q; want %q", got, "0")
	}
}

func TestCRResponseFailsClosed(t *testing.T) {
	r := newRun(t, "client-crresponse")
	h := r.hook(t, StyleCRText)
	args := []string{r.file(t, "cr.tmp", "MTIzNDU2\n")}
	h.CRResponse(context.Background(), r.env, args)
	if got := r.read(t, EnvAuthControlFile); got != "0" {
		t.Errorf("answer without a pending challenge: auth_control_file = %q; want 0", got)
	}
	delete(r.env, EnvAuthControlFile)
	if got := h.CRResponse(context.Background(), r.env, args); got != ExitFailure {
		t.Errorf("CRResponse without auth_control_file = %d; want %d", got, ExitFailure)
	}
}

func TestClientConnect(t *testing.T) {
	r := newRun(t, "client-connect")
	r.env[EnvCertDigest] = "ab:cd"
	h := r.hook(t, StyleStatic)
	conf := r.file(t, "openvpn_cc_0123.tmp", "")
	if got := h.Run(context.Background(), ScriptClientConnect, r.env, []string{conf}); got != ExitSuccess {
		t.Fatalf("ClientConnect = %d; log:\n%s", got, r.log.String())
	}
	b, _ := os.ReadFile(conf)
	line := strings.TrimSpace(string(b))
	tok, ok := strings.CutPrefix(line, `push "auth-token `)
	tok, ok2 := strings.CutSuffix(tok, `"`)
	if !ok || !ok2 || len(tok) != authtoken.Len {
		t.Fatalf("config file = %q; want one push of an auth token", b)
	}
	if d := h.Auth.Login(context.Background(), Login{User: "alice", Password: tok, Binding: "ab:cd"}); d.Verdict != Accept {
		t.Errorf("pushed token: verdict %v (%s); want accept", d.Verdict, d.Why)
	}
	if strings.Contains(r.log.String(), tok) {
		t.Errorf("log holds the token")
	}

	r.env[EnvSessionState] = SessionInitial
	empty := r.file(t, "cc2.tmp", "")
	if got := h.ClientConnect(context.Background(), r.env, []string{empty}); got != ExitSuccess {
		t.Errorf("ClientConnect with auth-gen-token = %d", got)
	}
	if b, _ := os.ReadFile(empty); len(b) != 0 {
		t.Errorf("ClientConnect with auth-gen-token wrote %q", b)
	}
	delete(r.env, EnvSessionState)
	if got := h.ClientConnect(context.Background(), r.env, nil); got != ExitFailure {
		t.Errorf("ClientConnect without a file = %d; want %d", got, ExitFailure)
	}
	h.Auth.Tokens = nil
	if got := h.ClientConnect(context.Background(), r.env, nil); got != ExitSuccess {
		t.Errorf("ClientConnect without tokens = %d; want %d", got, ExitSuccess)
	}
}

func TestRunUnknownScript(t *testing.T) {
	r := newRun(t, "up")
	if got := r.hook(t, StyleCRText).Run(context.Background(), "up", r.env, nil); got != ExitFailure {
		t.Errorf("Run(up) = %d; want %d", got, ExitFailure)
	}
}
