package radius

import (
	"math"
	"net/netip"
	"strings"
	"testing"

	"otpgate.dev/otpgate/internal/auth"
)

func TestClientsLookupLongestPrefix(t *testing.T) {
	list := []Client{
		{Name: "lan", Prefix: netip.MustParsePrefix("10.0.0.0/8"), Secret: []byte("a")},
		{Name: "vpn-subnet", Prefix: netip.MustParsePrefix("10.1.0.0/16"), Secret: []byte("b")},
		{Name: "vpn-1", Prefix: netip.MustParsePrefix("10.1.2.3/32"), Secret: []byte("c"), Style: auth.Challenge},
		{Name: "v6-site", Prefix: netip.MustParsePrefix("2001:db8::/32"), Secret: []byte("d")},
		{Name: "v6-host", Prefix: netip.MustParsePrefix("2001:db8::1/128"), Secret: []byte("e")},
		{Name: "all-v4", Prefix: netip.MustParsePrefix("0.0.0.0/0"), Secret: []byte("f")},
	}
	c, err := NewClients(list)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		addr string
		want string // "" for none
	}{
		{"10.1.2.3", "vpn-1"},
		{"10.1.2.4", "vpn-subnet"},
		{"10.2.0.1", "lan"},
		{"192.0.2.1", "all-v4"},
		{"::ffff:10.1.2.3", "vpn-1"}, // from a dual-stack socket
		{"2001:db8::1", "v6-host"},
		{"2001:db8::2", "v6-site"},
		{"fe80::1%eth0", ""},
		{"2001:db9::1", ""},
	}
	for _, tt := range tests {
		got, ok := c.Lookup(netip.MustParseAddr(tt.addr))
		if got.Name != tt.want || ok != (tt.want != "") {
			t.Errorf("Lookup(%s) = %q, %v; want %q", tt.addr, got.Name, ok, tt.want)
		}
	}
	if got, _ := c.Lookup(netip.MustParseAddr("10.1.2.3")); got.Style != auth.Challenge {
		t.Errorf("Lookup(10.1.2.3).Style = %q; want %q", got.Style, auth.Challenge)
	}
	if got, _ := c.Lookup(netip.MustParseAddr("10.2.0.1")); got.Style != auth.Appended {
		t.Errorf("Lookup(10.2.0.1).Style = %q; want the default %q", got.Style, auth.Appended)
	}
	if c.Len() != len(list) {
		t.Errorf("Len() = %d; want %d", c.Len(), len(list))
	}
	var none *Clients
	if _, ok := none.Lookup(netip.MustParseAddr("10.0.0.1")); ok || none.Len() != 0 {
		t.Errorf("nil Clients found a client")
	}
}

func TestNewClientsErrors(t *testing.T) {
	p := netip.MustParsePrefix("192.0.2.0/24")
	tests := []struct {
		name string
		list []Client
		want string
	}{
		{"no prefix", []Client{{Secret: []byte("s")}}, "no address or network"},
		{"host bits", []Client{{Prefix: netip.MustParsePrefix("192.0.2.1/24"), Secret: []byte("s")}}, "did you mean 192.0.2.0/24"},
		{"mapped", []Client{{Prefix: netip.MustParsePrefix("::ffff:192.0.2.1/128"), Secret: []byte("s")}}, "write it as IPv4"},
		{"no secret", []Client{{Prefix: p}}, "empty shared secret"},
		{"separate style", []Client{{Prefix: p, Secret: []byte("s"), Style: auth.Separate}}, `style "separate" is not one of`},
		{"duplicate", []Client{{Prefix: p, Secret: []byte("s")}, {Prefix: p, Secret: []byte("t")}}, "client #2: 192.0.2.0/24 is listed twice"},
		{"bad rate", []Client{{Prefix: p, Secret: []byte("s"), Rate: RateLimit{PerSecond: -1, Burst: 1}}}, "want a positive rate"},
		{"negative burst", []Client{{Prefix: p, Secret: []byte("s"), Rate: RateLimit{PerSecond: 5, Burst: -1}}}, "burst of at least 1"},
		{"bad unauthenticated rate", []Client{{Prefix: p, Secret: []byte("s"), Unauthenticated: RateLimit{PerSecond: -1}}}, "unauthenticated rate limit"},
	}
	for _, tt := range tests {
		_, err := NewClients(tt.list)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "radius: ") {
			t.Errorf("%s: NewClients() = %v; want an error with %q", tt.name, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%s: error shows the secret: %v", tt.name, err)
		}
	}
}

func TestNewClientsCopiesSecretAndRate(t *testing.T) {
	secret := []byte("secret")
	c, err := NewClients([]Client{
		{Prefix: loopback4, Secret: secret, Rate: RateLimit{PerSecond: math.Inf(1)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	secret[0] = 'X'
	e := c.lookup(loopback4.Addr())
	if string(e.Secret) != "secret" {
		t.Errorf("NewClients kept the caller's slice: secret changed to %q", e.Secret)
	}
	if e.limiter != nil {
		t.Errorf("an infinite rate made a limiter; want none")
	}
	if e.Name != "127.0.0.1/32" {
		t.Errorf("Name = %q; want the prefix", e.Name)
	}
}

func TestParsePrefix(t *testing.T) {
	tests := []struct{ in, want string }{
		{"192.0.2.1", "192.0.2.1/32"},
		{"192.0.2.0/24", "192.0.2.0/24"},
		{"2001:db8::1", "2001:db8::1/128"},
		{"2001:db8::/32", "2001:db8::/32"},
		{"::ffff:192.0.2.1", "192.0.2.1/32"},
		{"nas.example", ""},
		{"192.0.2.0/33", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got, err := ParsePrefix(tt.in)
		if tt.want == "" {
			if err == nil {
				t.Errorf("ParsePrefix(%q) = %v; want an error", tt.in, got)
			}
			continue
		}
		if err != nil || got.String() != tt.want {
			t.Errorf("ParsePrefix(%q) = %v, %v; want %s", tt.in, got, err, tt.want)
		}
	}
}
