//go:build linux

package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"otpgate.dev/otpgate/internal/auth"
	"otpgate.dev/otpgate/internal/radius"
	"otpgate.dev/otpgate/internal/testpeer"
)

// These tests run two strongSwan charon daemons, each in a network
// namespace of its own joined by a veth pair: a gateway that verifies IKEv1
// XAuth credentials through the eap-radius plugin's XAuth backend
// (xauth-radius), and a client that logs in with PSK and XAuth. otpgate
// listens on the gateway namespace's loopback. The RADIUS path is what is
// proven; whether the kernel then installs the IPsec SAs does not matter.

// charonLoad is the plugin list of both daemons: crypto, the kernel and
// socket interfaces, vici for swanctl, eap-radius and xauth-generic (the
// client's XAuth answers).
const charonLoad = "random nonce openssl aes sha1 sha2 md5 hmac gmp pem pkcs1 x509 pubkey kernel-netlink socket-default vici attr eap-radius xauth-generic"

const (
	gatewayAddr = "10.213.0.1"
	clientAddr  = "10.213.0.2"
	ikePSK      = "a pre-shared key for phase one only"
)

// netns is a network namespace the test created.
type netns struct{ name string }

func newNetns(t *testing.T, name string) netns {
	t.Helper()
	run(t, "ip", "netns", "add", name)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	run(t, "ip", "-n", name, "link", "set", "lo", "up")
	return netns{name}
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// listenUDPIn opens a UDP socket on the loopback of ns.
func listenUDPIn(t *testing.T, ns netns) net.PacketConn {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	defer orig.Close()
	target, err := os.Open("/run/netns/" + ns.name)
	if err != nil {
		t.Fatal(err)
	}
	defer target.Close()
	if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
		t.Fatalf("setns %s: %v", ns.name, err)
	}
	conn, lerr := net.ListenPacket("udp4", "127.0.0.1:0")
	if err := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); err != nil {
		panic(fmt.Sprintf("cannot return to the test's network namespace: %v", err)) // the thread is unusable
	}
	if lerr != nil {
		t.Fatal(lerr)
	}
	return conn
}

// ipsecLab is a gateway and a client namespace joined by a veth pair.
type ipsecLab struct {
	t               *testing.T
	dir             string
	gateway, client netns
}

// charonPath is where Debian's strongswan-charon installs the daemon.
const charonPath = "/usr/lib/ipsec/charon"

func newIPsecLab(t *testing.T) *ipsecLab {
	t.Helper()
	testpeer.Need(t, "ip", "unshare", "mount", "swanctl")
	if _, err := os.Stat(charonPath); err != nil {
		t.Fatalf("%s not found: run `make test`, which installs the test peers (strongswan-charon)", charonPath)
	}
	var rnd [3]byte
	rand.Read(rnd[:])
	id := hex.EncodeToString(rnd[:])
	l := &ipsecLab{t: t, dir: t.TempDir(), gateway: newNetns(t, "otpg-gw-"+id), client: newNetns(t, "otpg-cl-"+id)}
	run(t, "ip", "link", "add", "ogw"+id, "netns", l.gateway.name, "type", "veth", "peer", "name", "ocl"+id, "netns", l.client.name)
	run(t, "ip", "-n", l.gateway.name, "addr", "add", gatewayAddr+"/24", "dev", "ogw"+id)
	run(t, "ip", "-n", l.client.name, "addr", "add", clientAddr+"/24", "dev", "ocl"+id)
	run(t, "ip", "-n", l.gateway.name, "link", "set", "ogw"+id, "up")
	run(t, "ip", "-n", l.client.name, "link", "set", "ocl"+id, "up")
	return l
}

// charon is one charon daemon.
type charon struct {
	t    *testing.T
	name string
	vici string
	log  string
	cmd  *exec.Cmd
	done chan struct{}
}

// startCharon starts charon in ns with plugins (a strongswan.conf
// fragment inside charon.plugins) and loads swanctl, a swanctl.conf.
func (l *ipsecLab) startCharon(name string, ns netns, plugins, swanctl string) *charon {
	t := l.t
	t.Helper()
	bin := testpeer.Need(t, "swanctl")[0]
	c := &charon{t: t, name: name, vici: filepath.Join(l.dir, name+".vici"), log: filepath.Join(l.dir, name+".log"), done: make(chan struct{})}
	conf := filepath.Join(l.dir, name+".strongswan.conf")
	writeFile(t, conf, fmt.Sprintf(`charon {
	load = %s
	install_routes = no
	install_virtual_ip = no
	filelog {
		log {
			path = %s
			default = 1
			ike = 2
			cfg = 2
			flush_line = yes
		}
	}
	plugins {
		vici {
			socket = unix://%s
		}
%s
	}
}
`, charonLoad, c.log, c.vici, plugins), 0o600)
	// charon's pid file is /var/run/charon.pid: a private /run per daemon.
	c.cmd = exec.Command("ip", "netns", "exec", ns.name, "unshare", "--mount", "--propagation", "private", "sh", "-c",
		"mount -t tmpfs tmpfs /run && exec "+charonPath)
	c.cmd.Env = append(os.Environ(), "STRONGSWAN_CONF="+conf)
	out, err := os.Create(filepath.Join(l.dir, name+".out"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	c.cmd.Stdout, c.cmd.Stderr = out, out
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := c.cmd.Start(); err != nil {
		t.Fatalf("start charon: %v", err)
	}
	go func() {
		c.cmd.Wait()
		close(c.done)
	}()
	t.Cleanup(c.stop)
	c.waitSocket()
	file := filepath.Join(l.dir, name+".swanctl.conf")
	writeFile(t, file, swanctl, 0o600)
	c.swanctl(bin, "--load-all", "--file", file)
	return c
}

func (c *charon) text() string {
	b, _ := os.ReadFile(c.log)
	return string(b)
}

func (c *charon) waitSocket() {
	c.t.Helper()
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		select {
		case <-c.done:
			out, _ := os.ReadFile(strings.TrimSuffix(c.log, ".log") + ".out")
			c.t.Fatalf("charon %s exited at start:\n%s\n%s", c.name, out, c.text())
		default:
		}
		if _, err := os.Stat(c.vici); err == nil {
			return
		}
	}
	c.t.Fatalf("charon %s made no vici socket:\n%s", c.name, c.text())
}

// swanctl runs swanctl against c and returns its output and whether it
// succeeded.
func (c *charon) swanctl(bin string, args ...string) (string, bool) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, append(args, "--uri", "unix://"+c.vici)...).CombinedOutput()
	c.t.Logf("swanctl %s: %v\n%s", strings.Join(args, " "), err, out)
	return string(out), err == nil
}

func (c *charon) stop() {
	syscall.Kill(-c.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
		<-c.done
	}
	c.t.Logf("charon %s log:\n%s", c.name, c.text())
}

// gatewayPlugins is the eap-radius section of the gateway's strongswan.conf.
func gatewayPlugins(s *stack) string {
	return fmt.Sprintf(`		eap-radius {
			servers {
				otpgate {
					address = %s
					auth_port = %d
					secret = %s
					nas_identifier = strongswan
				}
			}
		}`, s.addr.Addr(), s.addr.Port(), s.secret)
}

const gatewaySwanctl = `connections {
	otp {
		version = 1
		local_addrs = ` + gatewayAddr + `
		local {
			auth = psk
		}
		remote {
			auth = psk
		}
		remote-xauth {
			auth = xauth-radius
		}
		children {
			net {
				local_ts = 10.99.0.0/24
			}
		}
	}
}
secrets {
	ike-otp {
		secret = "` + ikePSK + `"
	}
}
`

// clientSwanctl logs in as testUser with the given XAuth password.
func clientSwanctl(password string) string {
	return `connections {
	otp {
		version = 1
		remote_addrs = ` + gatewayAddr + `
		local {
			auth = psk
		}
		local-xauth {
			auth = xauth
			xauth_id = ` + testUser + `
		}
		remote {
			auth = psk
		}
		children {
			net {
				remote_ts = 10.99.0.0/24
			}
		}
	}
}
secrets {
	ike-otp {
		secret = "` + ikePSK + `"
	}
	xauth-otp {
		id = ` + testUser + `
		secret = "` + password + `"
	}
}
`
}

// xauthLogin loads the client's configuration with password as its XAuth
// secret, starts an IKE_SA, and reports whether XAuth succeeded.
func (l *ipsecLab) xauthLogin(cl *charon, password string) bool {
	l.t.Helper()
	bin := testpeer.Need(l.t, "swanctl")[0]
	file := filepath.Join(l.dir, "client.swanctl.conf")
	writeFile(l.t, file, clientSwanctl(password), 0o600)
	if _, ok := cl.swanctl(bin, "--load-conns", "--file", file); !ok {
		l.t.Fatal("swanctl --load-conns failed")
	}
	if _, ok := cl.swanctl(bin, "--load-creds", "--clear", "--file", file); !ok {
		l.t.Fatal("swanctl --load-creds failed")
	}
	out, _ := cl.swanctl(bin, "--initiate", "--ike", "otp", "--timeout", "60")
	ok := strings.Contains(out, "XAuth authentication of '"+testUser+"' (myself) successful")
	if failed := strings.Contains(out, "XAuth authentication of '"+testUser+"' (myself) failed"); ok == failed {
		l.t.Fatalf("swanctl --initiate: XAuth neither succeeded nor failed:\n%s", out)
	}
	cl.swanctl(bin, "--terminate", "--ike", "otp", "--timeout", "30")
	return ok
}

// startXAuthLab starts otpgate in the gateway namespace in the append style
// (XAuth has no Access-Challenge) with Message-Authenticator required, and
// both charon daemons.
func startXAuthLab(t *testing.T) (*stack, *ipsecLab, *charon, *charon) {
	t.Helper()
	l := newIPsecLab(t)
	s := newStack(t)
	s.conn = listenUDPIn(t, l.gateway)
	s.serve(auth.Appended, false)
	gw := l.startCharon("gateway", l.gateway, gatewayPlugins(s), gatewaySwanctl)
	cl := l.startCharon("client", l.client, "", clientSwanctl(""))
	return s, l, gw, cl
}

// TestStrongswanXAuth: the XAuth password is password and code together,
// which charon sends as User-Password with a Message-Authenticator.
func TestStrongswanXAuth(t *testing.T) {
	s, l, gw, cl := startXAuthLab(t)
	if !l.xauthLogin(cl, testPassword+s.code(0)) {
		t.Errorf("XAuth with password and code failed")
	}
	if !strings.Contains(gw.text(), "received RADIUS Access-Accept from server 'otpgate'") {
		t.Errorf("the gateway did not log otpgate's Access-Accept")
	}
	if n := s.srv.Metrics().Drops[radius.DropMissingMessageAuthenticator.String()]; n != 0 {
		t.Errorf("%d requests from charon lacked a Message-Authenticator", n)
	}
	s.wantAudit("verify:ok")
}

// TestStrongswanXAuthRefusals: a wrong code, then a right one, then the
// same one again.
func TestStrongswanXAuthRefusals(t *testing.T) {
	s, l, _, cl := startXAuthLab(t)
	code := s.code(0)
	for _, tt := range []struct {
		password string
		want     bool
	}{
		{testPassword + s.wrongCode(), false},
		{testPassword + code, true},
		{testPassword + code, false},
	} {
		if got := l.xauthLogin(cl, tt.password); got != tt.want {
			t.Errorf("XAuth succeeded = %v; want %v", got, tt.want)
		}
	}
	s.wantAudit("verify:fail", "verify:ok", "verify:replay")
}
