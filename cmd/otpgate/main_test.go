package main

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestMain lets tests run the otpgate binary as a separate process: the test
// binary re-executes itself with OTPGATE_TEST_MAIN=1 and becomes otpgate.
func TestMain(m *testing.M) {
	if os.Getenv("OTPGATE_TEST_MAIN") == "1" {
		e := osEnv()
		// Never this machine's /etc/otpgate/otpgate.toml: packaging's TestDeb
		// installs one while these tests run, whose store is the package's.
		e.configFile = ""
		os.Exit(run(os.Args[1:], e))
	}
	os.Exit(m.Run())
}

// result is what one in-process run of otpgate produced.
type result struct {
	code           int
	stdout, stderr string
}

// testEnv returns an env with a fixed clock and an empty environment.
func testEnv(stdin string, vars map[string]string) (*env, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	return &env{
		stdin:  strings.NewReader(stdin),
		stdout: &out, stderr: &errb,
		getenv: func(k string) string { return vars[k] },
		now:    func() time.Time { return time.Unix(59, 0).UTC() },
		readPassword: func(string) ([]byte, error) {
			return nil, os.ErrNotExist
		},
	}, &out, &errb
}

func otpgate(t *testing.T, stdin string, vars map[string]string, args ...string) result {
	t.Helper()
	e, out, errb := testEnv(stdin, vars)
	code := run(args, e)
	return result{code, out.String(), errb.String()}
}

// otpgateCmd returns an exec.Cmd that runs otpgate in its own process.
func otpgateCmd(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "OTPGATE_TEST_MAIN=1")
	return cmd
}

func TestUsageAndExitCodes(t *testing.T) {
	tests := []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{nil, 2, "", "Usage:"},
		{[]string{"help"}, 0, "code", ""},
		{[]string{"--version"}, 0, "otpgate ", ""},
		{[]string{"frobnicate"}, 2, "", `unknown command "frobnicate"`},
		{[]string{"code", "--help"}, 0, "Examples:", ""},
		{[]string{"help", "code"}, 0, "--token-secret SPEC", ""},
		{[]string{"code", "--token-mode", "motp", "--token-secret", "x"}, 2, "", `unknown token mode "motp"`},
		{[]string{"code", "--token-mode", "totp"}, 2, "", "no token secret given"},
		{[]string{"code", "--token-mode", "totp", "--token-secret", "x", "extra"}, 2, "", `unexpected argument "extra"`},
		{[]string{"code", "--digits", "5", "--token-mode", "totp", "--token-secret", "x"}, 2, "", "--digits must be from 6 to 10"},
		{[]string{"code", "--window=-1", "--token-mode", "totp", "--token-secret", "x"}, 2, "", "--window"},
		{[]string{"code", "--time", "yesterday", "--token-mode", "totp", "--token-secret", "x"}, 2, "", "--time"},
		{[]string{"code", "--token-mode", "totp", "--token-secret", "0x123"}, 1, "", "odd number of digits"},
		{[]string{"code", "--token-mode", "hotp", "--token-secret", "@/nonexistent/token"}, 1, "", "no such file"},
		{[]string{"code", "--token-mode", "hotp", "--token-secret", "@"}, 2, "", "no file name"},
		{[]string{"code", "--token-mode", "totp", "--next", "--token-secret", "12345678901234567890"}, 0, "359152\n", ""},
		{[]string{"code", "--token-mode", "hotp", "--next", "--token-secret", "x"}, 1, "", "--next is for time-based"},
	}
	for _, tt := range tests {
		r := otpgate(t, "", nil, tt.args...)
		if r.code != tt.code || !strings.Contains(r.stdout, tt.stdout) || !strings.Contains(r.stderr, tt.stderr) {
			t.Errorf("otpgate %q = %d, stdout %q, stderr %q; want %d, %q, %q", tt.args, r.code, r.stdout, r.stderr, tt.code, tt.stdout, tt.stderr)
		}
		if tt.code != 0 && tt.args != nil && strings.Count(strings.TrimSpace(r.stderr), "\n") > 1 {
			t.Errorf("otpgate %q: stderr has more than an error and a hint:\n%s", tt.args, r.stderr)
		}
	}
}

// Errors never echo the secret they refuse.
func TestErrorsHideSecret(t *testing.T) {
	const secret = "0xdeadbeefcafe1"
	r := otpgate(t, "", nil, "code", "--token-mode", "totp", "--token-secret", secret)
	if r.code != 1 || strings.Contains(r.stderr, "deadbeef") {
		t.Errorf("exit %d, stderr %q: want 1 and no secret", r.code, r.stderr)
	}
}

func TestSecretSources(t *testing.T) {
	const rfc = "12345678901234567890"
	r := otpgate(t, rfc+"\n", nil, "code", "--token-mode", "totp", "--token-secret", "-")
	if r.stdout != "287082\n" {
		t.Errorf("stdin spec: %+v", r)
	}
	r = otpgate(t, "", map[string]string{"OTPGATE_TOKEN_SECRET": rfc}, "code", "--token-mode", "totp")
	if r.stdout != "287082\n" {
		t.Errorf("environment spec: %+v", r)
	}
	r = otpgate(t, "", nil, "code", "--token-mode", "totp", "--time", "1111111109", "--digits", "8", "--token-secret", rfc)
	if r.stdout != "07081804\n" {
		t.Errorf("--time --digits: %+v", r)
	}
	r = otpgate(t, "", nil, "code", "--token-mode", "totp", "--time", "2005-03-18T01:58:29Z", "--digits", "8", "--token-secret", rfc)
	if r.stdout != "07081804\n" {
		t.Errorf("--time RFC 3339: %+v", r)
	}
	r = otpgate(t, "", nil, "code", "--token-mode", "hotp", "--counter", "3", "--window", "1", "--token-secret", rfc)
	if r.stdout != "969429\n338314\n" || r.stderr != "" {
		t.Errorf("--counter --window: %+v", r)
	}
}

func TestJSON(t *testing.T) {
	r := otpgate(t, "", nil, "code", "--json", "--window", "1", "--token-secret", "otpauth://totp/VPN:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=VPN")
	want := `{
  "mode": "totp",
  "form": "otpauth",
  "algorithm": "SHA1",
  "digits": 6,
  "period": 30,
  "codes": [
    {
      "code": "287082",
      "counter": 1,
      "valid_from": "1970-01-01T00:00:30Z",
      "valid_until": "1970-01-01T00:01:00Z"
    },
    {
      "code": "359152",
      "counter": 2,
      "valid_from": "1970-01-01T00:01:00Z",
      "valid_until": "1970-01-01T00:01:30Z"
    }
  ],
  "saved": false
}
`
	if r.code != 0 || r.stdout != want {
		t.Errorf("--json output:\n%s\nwant:\n%s\nstderr: %s", r.stdout, want, r.stderr)
	}
}
