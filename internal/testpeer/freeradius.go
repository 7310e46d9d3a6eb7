package testpeer

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// FreeRADIUSConfig is what a throwaway FreeRADIUS answers.
type FreeRADIUSConfig struct {
	// Secret is the shared secret of its one client, 127.0.0.1, which must
	// send a Message-Authenticator.
	Secret string
	// Users is the files module's users file: "name Cleartext-Password :=
	// ..." and its reply lines.
	Users string
	// Authorize is unlang run at the start of the authorize section,
	// before files and pap; the modules reject and handled (rlm_always)
	// are there for it, and "update control { Response-Packet-Type :=
	// Access-Challenge }" followed by handled sends a challenge.
	Authorize string
}

// FreeRADIUS is a FreeRADIUS server (Debian's freeradius) started by a
// test on a loopback port, with a configuration of its own in a temporary
// directory: PAP against a users file, no EAP, no logging but stderr.
type FreeRADIUS struct {
	Addr netip.AddrPort
	Log  *Buffer // its stderr
	dir  string
	cmd  *exec.Cmd
	done chan struct{}
}

// StartFreeRADIUS starts a server, waits until it is ready and stops it
// when t ends.
func StartFreeRADIUS(t testing.TB, cfg FreeRADIUSConfig) *FreeRADIUS {
	t.Helper()
	bin := Need(t, "freeradius")[0]
	f := &FreeRADIUS{dir: t.TempDir()}
	if err := os.WriteFile(filepath.Join(f.dir, "users"), []byte(cfg.Users), 0o600); err != nil {
		t.Fatal(err)
	}
	var err error
	for range 5 { // another process may take the free port before FreeRADIUS binds it
		if err = f.start(bin, cfg); err == nil {
			t.Cleanup(f.Stop)
			return f
		}
	}
	t.Fatalf("testpeer: freeradius: %v", err)
	return nil
}

func (f *FreeRADIUS) start(bin string, cfg FreeRADIUSConfig) error {
	port, err := freeUDPPort()
	if err != nil {
		return err
	}
	f.Addr = netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(port))
	if err := os.WriteFile(filepath.Join(f.dir, "radiusd.conf"), []byte(freeRADIUSConf(f.dir, port, cfg)), 0o600); err != nil {
		return err
	}
	f.Log = &Buffer{}
	f.cmd = exec.Command(bin, "-f", "-d", f.dir)
	f.cmd.Stdout, f.cmd.Stderr = f.Log, f.Log
	f.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := f.cmd.Start(); err != nil {
		return err
	}
	f.done = make(chan struct{})
	go func() { f.cmd.Wait(); close(f.done) }()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); {
		select {
		case <-f.done:
			return fmt.Errorf("exited at start:\n%s", f.Log)
		case <-time.After(50 * time.Millisecond):
		}
		if strings.Contains(f.Log.String(), "Ready to process requests") {
			return nil
		}
	}
	f.Stop()
	return fmt.Errorf("not ready within a minute:\n%s", f.Log)
}

// Stop kills the server and waits until it has exited; a stopped server's
// port answers nothing, as a legacy server that is down does.
func (f *FreeRADIUS) Stop() {
	if f.cmd == nil || f.cmd.Process == nil {
		return
	}
	f.cmd.Process.Kill()
	<-f.done
}

func freeUDPPort() (int, error) {
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port, nil
}

// freeRADIUSConf is a whole radiusd.conf: one client, one listener, the
// pap, files and always modules, no reject delay.
func freeRADIUSConf(dir string, port int, cfg FreeRADIUSConfig) string {
	return fmt.Sprintf(`prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = /var
sbindir = /usr/sbin
logdir = %[1]s
raddbdir = %[1]s
radacctdir = %[1]s
name = freeradius
confdir = %[1]s
modconfdir = %[1]s
certdir = %[1]s
cadir = %[1]s
run_dir = %[1]s
db_dir = %[1]s
libdir = /usr/lib/freeradius
pidfile = %[1]s/radiusd.pid
max_request_time = 30
cleanup_delay = 5
max_requests = 1024
hostname_lookups = no
log {
	destination = stderr
	auth = yes
}
security {
	allow_core_dumps = no
	max_attributes = 200
	reject_delay = 0
	status_server = yes
}
thread pool {
	start_servers = 2
	max_servers = 4
	min_spare_servers = 1
	max_spare_servers = 2
	max_requests_per_server = 0
}
client test {
	ipaddr = 127.0.0.1
	secret = "%[3]s"
	require_message_authenticator = yes
}
modules {
	pap {
	}
	files {
		filename = %[1]s/users
	}
	always reject {
		rcode = reject
	}
	always handled {
		rcode = handled
	}
}
server default {
	listen {
		type = auth
		ipaddr = 127.0.0.1
		port = %[2]d
	}
	authorize {
%[4]s
		files
		pap
	}
	authenticate {
		Auth-Type PAP {
			pap
		}
	}
}
`, dir, port, cfg.Secret, cfg.Authorize)
}
