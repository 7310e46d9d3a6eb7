//go:build linux

package e2e

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"otpgate.dev/otpgate/internal/openvpn"
)

// TestAppend: the code appended to the password, read via-file by the verify
// hook, with plain openvpn clients reading their credentials from a file.
func TestAppend(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	l.startServer(l.scripts(openvpn.StyleAppend)...)
	code := l.svc.code(t, "alice", 0)
	l.wantConnected(l.fileClient("valid", "alice", "secret"+code))
	l.wantRefused(l.fileClient("replayed", "alice", "secret"+code))
	l.wantRefused(l.fileClient("wrong", "alice", "secret"+wrong(l.svc.code(t, "alice", 1))))
	l.wantRefused(l.fileClient("late", "alice", "secret"+l.svc.code(t, "alice", -3)))
	l.wantRefused(l.fileClient("badpassword", "alice", "terces"+l.svc.code(t, "alice", 1)))
	l.wantServerLog("why=\"replayed code\"", "why=\"wrong code\"", "why=\"unknown user or wrong password\"")
	if got := l.svc.accepted(t); got != 1 {
		t.Errorf("service accepted %d codes; want 1", got)
	}
}

// TestViaEnv: the credentials via-env, which needs script-security 3.
func TestViaEnv(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	lines := l.scripts(openvpn.StyleAppend)
	lines[0], lines[1] = "script-security 3", fmt.Sprintf("auth-user-pass-verify %q via-env", hookCommand(t, openvpn.ScriptVerify))
	l.startServer(lines...)
	l.wantConnected(l.fileClient("valid", "alice", "secret"+l.svc.code(t, "alice", 0)))
	l.wantRefused(l.fileClient("wrong", "alice", "secret"+wrong(l.svc.code(t, "alice", 1))))
	l.wantServerLog(`why="wrong code"`)
}

// TestHostileUsernames: names OpenVPN passes byte for byte are refused
// cleanly, run nothing and create nothing.
func TestHostileUsernames(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	l.startServer(l.scripts(openvpn.StyleAppend)...)
	canary := l.path("pwned")
	for i, user := range []string{
		"../../etc/passwd", "alice bob", "$(touch " + canary + ")", "`touch " + canary + "`",
		"alice;touch " + canary, "\"alice\"", "élise/../x", "\xff\xfe", strings.Repeat("a", 300),
	} {
		l.wantRefused(l.fileClient("hostile"+string(rune('a'+i)), user, "secret"+l.svc.code(t, "alice", 0)))
	}
	if _, err := os.Stat(canary); err == nil {
		t.Errorf("a username ran a command: %s exists", canary)
	}
	if countLog(l.srv, "level=WARN msg=") != 9 {
		t.Errorf("server log lacks the hook's refusals:\n%s", l.srv.text())
	}
}

// TestCodeOnly: the code alone in the password field, the client
// certificate being the other factor.
func TestCodeOnly(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	l.startServer(l.scripts(openvpn.StyleCode)...)
	code := l.svc.code(t, "alice", 0)
	l.wantConnected(l.fileClient("valid", "alice", code))
	l.wantRefused(l.fileClient("replayed", "alice", code))
	l.wantServerLog(`why="replayed code"`)
}
