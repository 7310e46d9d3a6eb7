package raddict

import (
	"net"
	"os/exec"
	"strings"
	"testing"

	layeh "layeh.com/radius"

	"otpgate.dev/otpgate/internal/testpeer"
)

// TestRadclientDecodes is a differential test against FreeRADIUS's decoder:
// a responder on loopback answers radclient with attributes this package
// encoded, and radclient (Debian's freeradius-utils, reading Debian's
// dictionaries) must print each one back as it was written.
func TestRadclientDecodes(t *testing.T) {
	d, err := Load(Standard(), debianDir+"dictionary.cisco", debianDir+"dictionary.fortinet", debianDir+"dictionary.microsoft", debianDir+"dictionary.usr")
	if err != nil {
		t.Fatal(err)
	}
	pairs := []struct{ name, value, printed string }{
		{"Filter-Id", "vpn-staff", `Filter-Id = "vpn-staff"`},
		{"Class", "0x7374616666", `Class = 0x7374616666`},
		{"Framed-IP-Address", "10.8.0.42", `Framed-IP-Address = 10.8.0.42`},
		{"Framed-IP-Netmask", "255.255.255.0", `Framed-IP-Netmask = 255.255.255.0`},
		{"Framed-Pool", "staff-pool", `Framed-Pool = "staff-pool"`},
		{"Session-Timeout", "28800", `Session-Timeout = 28800`},
		{"Idle-Timeout", "900", `Idle-Timeout = 900`},
		{"Reply-Message", "welcome", `Reply-Message = "welcome"`},
		{"Service-Type", "Framed-User", `Service-Type = Framed-User`},
		{"Framed-Route", "10.20.0.0/16 0.0.0.0 1", `Framed-Route = "10.20.0.0/16 0.0.0.0 1"`},
		{"Framed-IPv6-Prefix", "2001:db8:1::/48", `Framed-IPv6-Prefix = 2001:db8:1::/48`},
		{"Framed-IPv6-Address", "2001:db8::7", `Framed-IPv6-Address = 2001:db8::7`},
		{"Cisco-AVPair", "ip:inacl#1=permit ip any any", `Cisco-AVPair = "ip:inacl#1=permit ip any any"`},
		{"Fortinet-Group-Name", "admins", `Fortinet-Group-Name = "admins"`},
		{"MS-Primary-DNS-Server", "10.0.0.53", `MS-Primary-DNS-Server = 10.0.0.53`},
		{"USR-Last-Number-Dialed-Out", "5551234", `USR-Last-Number-Dialed-Out = "5551234"`},
	}
	var attrs layeh.Attributes
	for _, p := range pairs {
		enc, err := d.Encode(p.name, p.value)
		if err != nil {
			t.Fatal(err)
		}
		attrs = append(attrs, enc.AVP())
	}
	addr := respond(t, attrs)
	bin := testpeer.Need(t, "radclient")[0]
	cmd := exec.Command(bin, "-x", "-t", "2", "-r", "2", addr, "auth", testSecret)
	cmd.Stdin = strings.NewReader(`User-Name = "alice", User-Password = "x", Message-Authenticator = 0x00` + "\n")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("radclient: %v\n%s", err, out)
	}
	t.Logf("radclient:\n%s", out)
	_, received, ok := strings.Cut(string(out), "Received Access-Accept")
	if !ok {
		t.Fatalf("radclient received no Access-Accept:\n%s", out)
	}
	for _, p := range pairs {
		if !strings.Contains(received, p.printed) {
			t.Errorf("radclient did not print %s:\n%s", p.printed, received)
		}
	}
}

const testSecret = "raddict-test-secret"

// respond answers every Access-Request on a loopback port with an
// Access-Accept carrying attrs, and returns the port's address.
func respond(t *testing.T, attrs layeh.Attributes) string {
	t.Helper()
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	go func() {
		buf := make([]byte, layeh.MaxPacketLength)
		for {
			n, from, err := conn.ReadFrom(buf)
			if err != nil {
				return
			}
			req, err := layeh.Parse(buf[:n], []byte(testSecret))
			if err != nil {
				continue
			}
			resp := req.Response(layeh.CodeAccessAccept)
			resp.Attributes = attrs
			if b, err := resp.Encode(); err == nil {
				conn.WriteTo(b, from)
			}
		}
	}()
	return conn.LocalAddr().String()
}
