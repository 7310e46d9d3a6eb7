package policy

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"otpgate.dev/otpgate/internal/raddict"
)

// OpenVPN gives reply attributes their meaning for an OpenVPN server, as
// the lines a client-connect script writes to its configuration file
// (openvpn(8), --client-connect, --client-config-dir):
//
//	Framed-IP-Address (+ Framed-IP-Netmask)  ifconfig-push ADDRESS NETMASK
//	Framed-Route "10.1.0.0/16 0.0.0.0 1"     push "route 10.1.0.0 255.255.0.0"
//	Framed-IPv6-Route "2001:db8::/32 :: 1"   push "route-ipv6 2001:db8::/32"
//	Session-Timeout                           session-timeout SECONDS
//	Idle-Timeout                              push "inactive SECONDS"
//	MS-Primary/Secondary-DNS-Server           push "dhcp-option DNS ADDRESS"
//	DNS-Server-IPv6-Address                   push "dhcp-option DNS6 ADDRESS"
//
// netmask is used with a Framed-IP-Address that comes without a
// Framed-IP-Netmask: the server's own (client-connect's ifconfig_netmask,
// with topology subnet). The other attributes (Class, Filter-Id, vendor
// attributes) mean nothing to OpenVPN and are skipped; skipped lists them.
func OpenVPN(reply []raddict.Pair, netmask string) (lines, skipped []string, err error) {
	var addr, mask string
	for _, p := range reply {
		line, err := openVPNLine(p)
		if err != nil {
			return nil, nil, fmt.Errorf("policy: %s = %q for OpenVPN: %w", p.Attr.Name, p.Text, err)
		}
		switch {
		case isStandard(p, "Framed-IP-Address"):
			addr = p.Text
		case isStandard(p, "Framed-IP-Netmask"):
			mask = p.Text
		case line != "":
			lines = append(lines, line)
		default:
			skipped = append(skipped, p.Attr.Name)
		}
	}
	if addr != "" {
		if mask == "" {
			mask = netmask
		}
		if _, err := netip.ParseAddr(mask); err != nil {
			return nil, nil, fmt.Errorf("policy: Framed-IP-Address = %q for OpenVPN needs a netmask: send Framed-IP-Netmask, or use topology subnet", addr)
		}
		lines = append([]string{"ifconfig-push " + addr + " " + mask}, lines...)
	} else if mask != "" {
		skipped = append(skipped, "Framed-IP-Netmask")
	}
	return lines, skipped, nil
}

func isStandard(p raddict.Pair, name string) bool {
	return p.Attr.Vendor == nil && strings.EqualFold(p.Attr.Name, name)
}

func isMicrosoft(p raddict.Pair, name string) bool {
	return p.Attr.Vendor != nil && p.Attr.Vendor.ID == 311 && strings.EqualFold(p.Attr.Name, name)
}

// openVPNLine is the line of one attribute, or "" for the address pair
// (handled together) and attributes without a meaning.
func openVPNLine(p raddict.Pair) (string, error) {
	switch {
	case isStandard(p, "Framed-Route"):
		return framedRoute(p.Text)
	case isStandard(p, "Framed-IPv6-Route"):
		return framedIPv6Route(p.Text)
	case isStandard(p, "Session-Timeout"):
		return "session-timeout " + p.Text, nil
	case isStandard(p, "Idle-Timeout"):
		return `push "inactive ` + p.Text + `"`, nil
	case isMicrosoft(p, "MS-Primary-DNS-Server"), isMicrosoft(p, "MS-Secondary-DNS-Server"):
		return `push "dhcp-option DNS ` + p.Text + `"`, nil
	case isStandard(p, "DNS-Server-IPv6-Address"):
		return `push "dhcp-option DNS6 ` + p.Text + `"`, nil
	}
	return "", nil
}

// framedRoute reads RFC 2865 section 5.22's text, "10.1.0.0/16 [gateway
// [metric]]", where a gateway of 0.0.0.0 means the VPN itself.
func framedRoute(s string) (string, error) {
	f := strings.Fields(s)
	if len(f) == 0 || len(f) > 3 {
		return "", errRoute
	}
	p, err := netip.ParsePrefix(f[0])
	if err != nil || !p.Addr().Is4() || p.Masked() != p {
		return "", errRoute
	}
	mask := netip.AddrFrom4([4]byte(netmaskBytes(p.Bits())))
	line := "route " + p.Addr().String() + " " + mask.String()
	if len(f) >= 2 {
		gw, err := netip.ParseAddr(f[1])
		if err != nil || !gw.Is4() {
			return "", errRoute
		}
		if !gw.IsUnspecified() || len(f) == 3 {
			line += " " + gatewayWord(gw)
		}
	}
	if len(f) == 3 {
		if _, err := strconv.ParseUint(f[2], 10, 16); err != nil {
			return "", errRoute
		}
		line += " " + f[2]
	}
	return `push "` + line + `"`, nil
}

var errRoute = fmt.Errorf(`not "NETWORK/BITS [GATEWAY [METRIC]]" (e.g. "10.1.0.0/16 0.0.0.0 1")`)

// gatewayWord is the gateway as OpenVPN's route option takes it:
// vpn_gateway for the VPN itself.
func gatewayWord(gw netip.Addr) string {
	if gw.IsUnspecified() {
		return "vpn_gateway"
	}
	return gw.String()
}

func netmaskBytes(bits int) []byte {
	var m [4]byte
	for i := range bits {
		m[i/8] |= 0x80 >> (i % 8)
	}
	return m[:]
}

// framedIPv6Route reads RFC 3162 section 2.5's "2001:db8::/32 [gateway
// [metric]]"; the metric is dropped, since route-ipv6 takes one only after
// an explicit gateway.
func framedIPv6Route(s string) (string, error) {
	f := strings.Fields(s)
	if len(f) == 0 || len(f) > 3 {
		return "", errRoute
	}
	p, err := netip.ParsePrefix(f[0])
	if err != nil || !p.Addr().Is6() || p.Masked() != p {
		return "", errRoute
	}
	line := "route-ipv6 " + p.String()
	if len(f) >= 2 {
		gw, err := netip.ParseAddr(f[1])
		if err != nil || !gw.Is6() {
			return "", errRoute
		}
		if !gw.IsUnspecified() {
			line += " " + gw.String()
		}
	}
	return `push "` + line + `"`, nil
}
