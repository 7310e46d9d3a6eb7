package policy

import (
	"strings"
	"testing"

	"otpgate.dev/otpgate/internal/raddict"
)

func pairs(t *testing.T, kv ...string) []raddict.Pair {
	t.Helper()
	d, err := raddict.Load(raddict.Standard(), "/usr/share/freeradius/dictionary.microsoft")
	if err != nil {
		t.Fatal(err)
	}
	var ps []raddict.Pair
	for i := 0; i < len(kv); i += 2 {
		p, err := d.Encode(kv[i], kv[i+1])
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	return ps
}

func TestOpenVPN(t *testing.T) {
	tests := []struct {
		kv      []string
		netmask string
		lines   string
		skipped string
	}{
		{[]string{"Framed-IP-Address", "10.8.0.42", "Framed-IP-Netmask", "255.255.255.0"}, "", "ifconfig-push 10.8.0.42 255.255.255.0", ""},
		{[]string{"Framed-IP-Address", "10.8.0.42"}, "255.255.0.0", "ifconfig-push 10.8.0.42 255.255.0.0", ""},
		{[]string{"Framed-Route", "10.20.0.0/16"}, "", `push "route 10.20.0.0 255.255.0.0"`, ""},
		{[]string{"Framed-Route", "10.20.0.0/16 0.0.0.0 1"}, "", `push "route 10.20.0.0 255.255.0.0 vpn_gateway 1"`, ""},
		{[]string{"Framed-Route", "192.168.7.0/24 10.8.0.1"}, "", `push "route 192.168.7.0 255.255.255.0 10.8.0.1"`, ""},
		{[]string{"Framed-Route", "0.0.0.0/0 0.0.0.0"}, "", `push "route 0.0.0.0 0.0.0.0"`, ""},
		{[]string{"Framed-IPv6-Route", "2001:db8::/32 :: 1"}, "", `push "route-ipv6 2001:db8::/32"`, ""},
		{[]string{"Session-Timeout", "3600", "Idle-Timeout", "600"}, "", `session-timeout 3600|push "inactive 600"`, ""},
		{[]string{"MS-Primary-DNS-Server", "10.0.0.53", "DNS-Server-IPv6-Address", "2001:db8::53"}, "", `push "dhcp-option DNS 10.0.0.53"|push "dhcp-option DNS6 2001:db8::53"`, ""},
		{[]string{"Class", "admins", "Filter-Id", "x", "Framed-Route", "10.1.0.0/16", "Framed-IP-Address", "10.8.0.9"}, "255.255.255.0",
			`ifconfig-push 10.8.0.9 255.255.255.0|push "route 10.1.0.0 255.255.0.0"`, "Class|Filter-Id"},
	}
	for _, tt := range tests {
		lines, skipped, err := OpenVPN(pairs(t, tt.kv...), tt.netmask)
		if err != nil {
			t.Errorf("OpenVPN(%v): %v", tt.kv, err)
			continue
		}
		if got := strings.Join(lines, "|"); got != tt.lines {
			t.Errorf("OpenVPN(%v) = %s; want %s", tt.kv, got, tt.lines)
		}
		if got := strings.Join(skipped, "|"); got != tt.skipped {
			t.Errorf("OpenVPN(%v) skipped %s; want %s", tt.kv, got, tt.skipped)
		}
	}
}

func TestOpenVPNRefuses(t *testing.T) {
	for _, kv := range [][]string{
		{"Framed-IP-Address", "10.8.0.42"}, // no netmask anywhere
		{"Framed-Route", "10.20.0.1/16"},
		{"Framed-Route", "10.20.0.0 255.255.0.0"},
		{"Framed-Route", "10.20.0.0/16 gw"},
		{"Framed-Route", "2001:db8::/32"},
		{"Framed-IPv6-Route", "10.0.0.0/8"},
		{"Framed-Route", "10.0.0.0/8 0.0.0.0 1 2"},
	} {
		if lines, _, err := OpenVPN(pairs(t, kv...), ""); err == nil {
			t.Errorf("OpenVPN(%v) = %v; want an error", kv, lines)
		}
	}
}
