package web

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestCheck(t *testing.T) {
	proxy := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/24")}
	tests := []struct {
		listen  string
		tls     bool
		trusted []netip.Prefix
		ok      bool
	}{
		{"127.0.0.1:8080", false, nil, true},
		{"127.9.9.9:8080", false, nil, true},
		{"[::1]:8080", false, nil, true},
		{"localhost:8080", false, nil, true},
		{"0.0.0.0:8080", false, nil, false},
		{"[::]:8080", false, nil, false},
		{":8080", false, nil, false},
		{"192.0.2.10:8080", false, nil, false},
		{"[::ffff:127.0.0.1]:8080", false, nil, true},
		{"0.0.0.0:8443", true, nil, true},
		{"192.0.2.10:8080", false, proxy, true},
		{"nonsense", true, nil, false},
	}
	for _, tt := range tests {
		err := Check(tt.listen, tt.tls, tt.trusted)
		if (err == nil) != tt.ok {
			t.Errorf("Check(%q, tls %v, proxies %v) = %v; want ok %v", tt.listen, tt.tls, tt.trusted, err, tt.ok)
		}
		if err != nil && tt.listen != "nonsense" && !strings.Contains(err.Error(), "trusted_proxies") {
			t.Errorf("Check(%q) = %v; want the accepted ways named", tt.listen, err)
		}
	}
}

func TestSource(t *testing.T) {
	p := proxies{netip.MustParsePrefix("10.0.0.0/24"), netip.MustParsePrefix("2001:db8::/64")}
	tests := []struct {
		name, remote string
		xff          []string
		want         string
	}{
		{"direct", "192.0.2.1:5000", nil, "192.0.2.1"},
		{"untrusted peer's header ignored", "192.0.2.1:5000", []string{"198.51.100.7"}, "192.0.2.1"},
		{"one proxy", "10.0.0.5:5000", []string{"198.51.100.7"}, "198.51.100.7"},
		{"client's own entry left of ours ignored", "10.0.0.5:5000", []string{"203.0.113.9, 198.51.100.7"}, "198.51.100.7"},
		{"two proxies", "10.0.0.5:5000", []string{"198.51.100.7, 10.0.0.9"}, "198.51.100.7"},
		{"two headers", "10.0.0.5:5000", []string{"198.51.100.7", "10.0.0.9"}, "198.51.100.7"},
		{"only proxies", "10.0.0.5:5000", []string{"10.0.0.9"}, "10.0.0.9"},
		{"malformed", "10.0.0.5:5000", []string{"198.51.100.7, garbage"}, "10.0.0.5"},
		{"with a port", "10.0.0.5:5000", []string{"198.51.100.7:1234"}, "10.0.0.5"},
		{"no header", "10.0.0.5:5000", nil, "10.0.0.5"},
		{"ipv6 proxy", "[2001:db8::1]:5000", []string{"2001:db8:1::7"}, "2001:db8:1::7"},
		{"mapped", "[::ffff:10.0.0.5]:5000", []string{"::ffff:198.51.100.7"}, "198.51.100.7"},
	}
	for _, tt := range tests {
		r, _ := http.NewRequest("GET", "/", nil)
		r.RemoteAddr = tt.remote
		for _, v := range tt.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := p.source(r).String(); got != tt.want {
			t.Errorf("%s: source() = %s; want %s", tt.name, got, tt.want)
		}
	}
}

func TestLimiter(t *testing.T) {
	l, err := NewLimiter(Rate{PerSecond: 2, Burst: 3})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1000, 0)
	l.now = func() time.Time { return now }
	allowed := func(key string, n int) (k int) {
		for range n {
			if l.Allow(key) {
				k++
			}
		}
		return k
	}
	if got := allowed("a", 5); got != 3 {
		t.Errorf("a burst of 5 allowed %d; want the burst, 3", got)
	}
	if got := allowed("b", 1); got != 1 {
		t.Errorf("another key after a's burst allowed %d; want 1", got)
	}
	now = now.Add(time.Second)
	if got := allowed("a", 5); got != 2 {
		t.Errorf("one second later allowed %d; want the rate, 2", got)
	}
	for _, bad := range []Rate{{PerSecond: -1, Burst: 1}, {PerSecond: 1}, {Burst: 3}} {
		if _, err := NewLimiter(bad); err == nil {
			t.Errorf("NewLimiter(%+v) = nil error", bad)
		}
	}
	var none *Limiter
	if !none.Allow("x") {
		t.Error("a nil Limiter refused")
	}
}

func TestSourceKey(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.1": "192.0.2.1", "::ffff:192.0.2.1": "192.0.2.1",
		"2001:db8:1:2:3:4:5:6": "2001:db8:1:2::/64", "fe80::1%eth0": "fe80::/64",
	} {
		if got := sourceKey(netip.MustParseAddr(in)); got != want {
			t.Errorf("sourceKey(%s) = %s; want %s", in, got, want)
		}
	}
}

// FuzzSource feeds any X-Forwarded-For to the client-address rule: it never
// panics, an untrusted peer is always its own source, and a trusted peer's
// source is the peer or an address from the header.
func FuzzSource(f *testing.F) {
	f.Add("10.0.0.5:5000", "198.51.100.7, 10.0.0.9")
	f.Add("192.0.2.1:1", "203.0.113.9")
	f.Add("[2001:db8::1]:5000", "2001:db8:1::7,,")
	p := proxies{netip.MustParsePrefix("10.0.0.0/24"), netip.MustParsePrefix("2001:db8::/64")}
	f.Fuzz(func(t *testing.T, remote, xff string) {
		r, _ := http.NewRequest("GET", "/", nil)
		r.RemoteAddr = remote
		r.Header.Set("X-Forwarded-For", xff)
		got := p.source(r)
		peer, err := netip.ParseAddrPort(remote)
		if err != nil {
			if got.IsValid() {
				t.Fatalf("source(%q, %q) = %v for an unreadable peer", remote, xff, got)
			}
			return
		}
		if !p.trusted(peer.Addr()) && got != peer.Addr().Unmap() {
			t.Fatalf("source(%q, %q) = %v; an untrusted peer is its own source", remote, xff, got)
		}
		if got != peer.Addr().Unmap() && !strings.Contains(xff, got.String()) && !strings.Contains(strings.ToLower(xff), got.String()) {
			hops, _ := forwardedFor([]string{xff})
			found := false
			for _, h := range hops {
				found = found || h == got
			}
			if !found {
				t.Fatalf("source(%q, %q) = %v, neither the peer nor a hop", remote, xff, got)
			}
		}
	})
}
