//go:build linux

package e2e

import (
	"fmt"
	"os"
	"syscall"
	"testing"

	"otpgate.dev/otpgate/internal/openvpn"
)

// TestServeHookSocket: OpenVPN 2.6 runs the built binary as its
// auth-user-pass-verify script; with `otpgate serve` on the hook socket the
// hook hands it the login (the daemon's /metrics counts it), and once the
// daemon is gone the same hook opens the store itself. Replays are refused
// both ways, across the switch too: one store, one counter.
func TestServeHookSocket(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	p := newServeProduct(l)
	sock := l.path("hook.sock")
	s := l.serve(p, fmt.Sprintf(`db = %q
[http]
listen = "127.0.0.1:0"
[radius]
listen = "off"
[auth]
primary = "htpasswd:%s"
[openvpn]
hook_socket = %q
`, p.db, p.htpasswd, sock))
	if fi, err := os.Stat(sock); err != nil || fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o660 {
		t.Fatalf("hook socket: %v, %v; want a socket of mode 0660", fi, err)
	}
	l.startServer("script-security 2",
		fmt.Sprintf("auth-user-pass-verify %q via-file", p.bin+" openvpn verify"),
		"setenv "+openvpn.EnvStyle+" append",
		"setenv totpTokenDbPath "+p.db,
		"setenv otpgatePrimary htpasswd:"+p.htpasswd,
		"setenv "+openvpn.EnvHookSocket+" "+sock)

	l.wantConnected(l.fileClient("daemon", "alice", servePassword+hotpCode(1)))
	l.wantRefused(l.fileClient("daemon-replay", "alice", servePassword+hotpCode(1)))
	l.wantRefused(l.fileClient("daemon-password", "alice", "wrong"+hotpCode(2)))
	s.wantMetrics(`otpgate_logins_total{result="accept"} 1`, `otpgate_logins_total{result="reject"} 2`)

	s.cmd.Process.Signal(syscall.SIGTERM)
	<-s.done
	if _, err := os.Lstat(sock); !os.IsNotExist(err) {
		t.Fatalf("after otpgate serve stopped, the hook socket: %v; want it removed", err)
	}
	l.wantConnected(l.fileClient("alone", "alice", servePassword+hotpCode(3)))
	l.wantRefused(l.fileClient("alone-replay", "alice", servePassword+hotpCode(3)))
	l.wantRefused(l.fileClient("alone-older", "alice", servePassword+hotpCode(1)))
}
