package radius

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"otpgate.dev/otpgate/internal/auth"
	"otpgate.dev/otpgate/internal/testpeer"
)

// These tests log in through Linux-PAM's pam_radius_auth (Debian package
// libpam-radius-auth) driven by pamtester. Debian 12 ships pam_radius_auth
// 2.0.0, which sends no Message-Authenticator (support came in 3.0.0), so
// its client must be marked AllowMissingMessageAuthenticator; the first
// test proves that the default refuses it.

var pamModuleDirs = []string{"/lib/x86_64-linux-gnu/security", "/usr/lib/x86_64-linux-gnu/security", "/lib/security", "/usr/lib/security"}

// pamService writes a PAM service using pam_radius_auth against ts into
// /etc/pam.d (pamtester looks nowhere else) and removes it when the test
// ends. It returns the service name.
func pamService(t *testing.T, ts *testServer) string {
	t.Helper()
	found := false
	for _, d := range pamModuleDirs {
		if _, err := os.Stat(filepath.Join(d, "pam_radius_auth.so")); err == nil {
			found = true
		}
	}
	if !found {
		t.Fatalf("pam_radius_auth.so not found: run `make test`, which installs libpam-radius-auth")
	}
	conf := filepath.Join(t.TempDir(), "pam_radius_auth.conf")
	if err := os.WriteFile(conf, []byte(ts.addr.String()+" "+testSecret+" 3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var rnd [6]byte
	rand.Read(rnd[:])
	name := "otpgate-test-" + hex.EncodeToString(rnd[:])
	path := filepath.Join("/etc/pam.d", name)
	body := "auth required pam_radius_auth.so conf=" + conf + " retry=0\naccount required pam_permit.so\n"
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatalf("cannot write a PAM service (pamtester reads only /etc/pam.d; run as root): %v", err)
	}
	t.Cleanup(func() { os.Remove(path) })
	return name
}

// pamtester authenticates user through service, answering the prompts
// with the lines of input, and reports whether PAM said yes.
func pamtester(t *testing.T, service, user, input string) (bool, string) {
	t.Helper()
	bin := testpeer.Need(t, "pamtester")[0]
	cmd := exec.Command(bin, "-v", service, user, "authenticate")
	cmd.Stdin = strings.NewReader(input)
	out, err := cmd.CombinedOutput()
	t.Logf("pamtester %s:\n%s", user, out)
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatalf("pamtester: %v", err)
		}
	}
	return err == nil && strings.Contains(string(out), "successfully authenticated"), string(out)
}

func TestPAMRadiusNeedsLegacySwitch(t *testing.T) {
	ts := startServer(t, Config{Clients: testClients(t, auth.Appended, false)})
	service := pamService(t, ts)
	if ok, _ := pamtester(t, service, testUser, testPassword+testCode+"\n"); ok {
		t.Errorf("pam_radius_auth logged in without a Message-Authenticator on a client that requires one")
	}
	ts.waitDrop(t, DropMissingMessageAuthenticator, 1)
}

func TestPAMRadiusAppended(t *testing.T) {
	ts := startServer(t, Config{Clients: testClients(t, auth.Appended, true)})
	service := pamService(t, ts)
	if ok, out := pamtester(t, service, testUser, testPassword+testCode+"\n"); !ok {
		t.Errorf("pam_radius_auth with password+code failed:\n%s", out)
	}
	if ok, _ := pamtester(t, service, testUser, testPassword+"000000\n"); ok {
		t.Errorf("pam_radius_auth with a wrong code succeeded")
	}
	if m := ts.Metrics(); m.Accepts != 1 || m.Rejects != 1 {
		t.Errorf("Metrics() Accepts = %d, Rejects = %d; want 1, 1", m.Accepts, m.Rejects)
	}
}

// TestPAMRadiusChallenge: pam_radius_auth shows our Reply-Message as the
// second prompt and sends the answer back with our State.
func TestPAMRadiusChallenge(t *testing.T) {
	ts := startServer(t, Config{Clients: testClients(t, auth.Challenge, true)})
	service := pamService(t, ts)
	ok, out := pamtester(t, service, testUser, testPassword+"\n"+testCode+"\n")
	if !ok {
		t.Errorf("pam_radius_auth challenge round failed:\n%s", out)
	}
	if !strings.Contains(out, testPrompt) {
		t.Errorf("pamtester did not show the prompt %q:\n%s", testPrompt, out)
	}
	if got := ts.svc.lastCall(); got.ChallengeID != testChallenge || got.Code != testCode {
		t.Errorf("service got challenge %q; want the answer to %q", got.ChallengeID, testChallenge)
	}
	if ok, _ := pamtester(t, service, testUser, testPassword+"\n000000\n"); ok {
		t.Errorf("pam_radius_auth challenge with a wrong code succeeded")
	}
}
