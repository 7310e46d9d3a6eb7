package web

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Check applies the transport rule: TLS anywhere; plain HTTP only on a
// loopback address, or behind trusted proxies that terminate TLS. It is the
// rule the configuration is validated with, and New applies it again.
func Check(listen string, tlsOn bool, trusted []netip.Prefix) error {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("web: listen %q is not host:port (e.g. 127.0.0.1:8443 or [::]:443)", listen)
	}
	if tlsOn || len(trusted) > 0 || loopback(host) {
		return nil
	}
	return fmt.Errorf("web: plain HTTP on %q would send codes and API keys over the network in the clear "+
		"(accepted: cert_file and key_file for TLS; a loopback address; or trusted_proxies naming the TLS-terminating proxy)", listen)
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}

// proxies are the trusted reverse proxies.
type proxies []netip.Prefix

func (p proxies) trusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, pr := range p {
		if pr.Contains(a) {
			return true
		}
	}
	return false
}

// source returns the client's address: the peer's, or behind trusted
// proxies the rightmost address of X-Forwarded-For that is not a trusted
// proxy. A header that cannot be read leaves the last trusted hop, so a
// client cannot pass itself off as another address with a bad header.
func (p proxies) source(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	addr := ap.Addr().Unmap()
	if !p.trusted(addr) {
		return addr
	}
	hops, err := forwardedFor(r.Header.Values("X-Forwarded-For"))
	if err != nil {
		return addr
	}
	for i := len(hops) - 1; i >= 0; i-- {
		addr = hops[i]
		if !p.trusted(addr) {
			break
		}
	}
	return addr
}

var errForwarded = errors.New("web: malformed X-Forwarded-For")

// maxHops bounds the X-Forwarded-For entries read.
const maxHops = 32

// forwardedFor reads every X-Forwarded-For header, in order, as addresses.
func forwardedFor(values []string) ([]netip.Addr, error) {
	var hops []netip.Addr
	for _, v := range values {
		for f := range strings.SplitSeq(v, ",") {
			a, err := netip.ParseAddr(strings.TrimSpace(f))
			if err != nil || len(hops) == maxHops {
				return nil, errForwarded
			}
			hops = append(hops, a.Unmap())
		}
	}
	return hops, nil
}
