package raddict

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	layeh "layeh.com/radius"
)

// Wire limits (RFC 2865 section 5 and 5.26).
const (
	maxValue       = 253 // octets of one attribute's value
	vendorSpecific = 26  // the Vendor-Specific attribute's type
	vendorIDLength = 4
)

// Pair is an attribute with a value, encoded once.
type Pair struct {
	Attr *Attribute
	Text string // the value as given
	avp  layeh.AVP
}

// AVP returns the pair as an attribute of a layeh.com/radius packet: a
// vendor attribute is a Vendor-Specific (26) attribute. The caller may
// change the copy it gets.
func (p Pair) AVP() *layeh.AVP {
	return &layeh.AVP{Type: p.avp.Type, Attribute: slices.Clone(p.avp.Attribute)}
}

// Encode encodes value for the attribute called name; see
// [Attribute.Encode].
func (d *Dictionary) Encode(name, value string) (Pair, error) {
	a, ok := d.Attribute(name)
	if !ok {
		return Pair{}, fmt.Errorf("raddict: no attribute %q in the dictionaries (add the vendor's dictionary file)", clip(name))
	}
	return a.Encode(value)
}

// Encode encodes value, written as FreeRADIUS writes it: text for string,
// "0x" and hex digits (or text) for octets, an address for ipaddr and
// ipv6addr, a network for ipv4prefix and ipv6prefix, a number or a VALUE
// name for the integer types, RFC 3339 or seconds since 1970 for date, six
// colon-separated hex octets for ether. Attributes that cannot be sent
// alone (tlv, extended, evs, vsa, abinary, virtual, encrypted, tagged, in
// a TLV or an extended vendor space) are refused.
func (a *Attribute) Encode(value string) (Pair, error) {
	if err := a.encodable(); err != nil {
		return Pair{}, fmt.Errorf("raddict: %s: %w", a.Name, err)
	}
	b, err := a.encodeValue(value)
	if err != nil {
		return Pair{}, fmt.Errorf("raddict: %s: %w", a.Name, err)
	}
	if a.Size != 0 && len(b) != a.Size {
		return Pair{}, fmt.Errorf("raddict: %s: the value has %d octets; the attribute takes exactly %d", a.Name, len(b), a.Size)
	}
	avp, err := a.wrap(b)
	if err != nil {
		return Pair{}, fmt.Errorf("raddict: %s: %w", a.Name, err)
	}
	return Pair{Attr: a, Text: value, avp: avp}, nil
}

// encodable says why a cannot be sent on its own, if it cannot.
func (a *Attribute) encodable() error {
	switch {
	case a.OID != "":
		return fmt.Errorf("it lives inside a TLV or an extended attribute (%s), which otpgate does not encode", a.OID)
	case a.Vendor != nil && a.Vendor.Extended != "":
		return fmt.Errorf("vendor %s lives inside %s, which otpgate does not encode", a.Vendor.Name, a.Vendor.Extended)
	case a.Flags.Virtual:
		return errors.New("it is virtual: FreeRADIUS never sends it")
	case a.Flags.Encrypt != 0:
		return errors.New("it is encrypted with the request's authenticator, which otpgate does not encode")
	case a.Flags.HasTag:
		return errors.New("it is tagged (RFC 2868), which otpgate does not encode")
	case a.Flags.Array || a.Flags.Concat:
		return errors.New("it packs several values (array or concat), which otpgate does not encode")
	case a.Vendor == nil && (a.Number == 0 || a.Number > 255):
		return fmt.Errorf("number %d is not a RADIUS attribute type (1 to 255): FreeRADIUS uses it internally", a.Number)
	case a.Vendor == nil && a.Number == vendorSpecific:
		return errors.New("give the vendor's attribute by its name instead")
	}
	return nil
}

// encodeValue turns the text into the value's octets.
func (a *Attribute) encodeValue(s string) ([]byte, error) {
	switch a.Type {
	case String:
		return []byte(s), nil
	case Octets:
		if h, ok := strings.CutPrefix(s, "0x"); ok {
			b, err := hex.DecodeString(h)
			if err != nil {
				return nil, errors.New(`the value starts with "0x" but is not hex digits`)
			}
			return b, nil
		}
		return []byte(s), nil
	case IPAddr, IPv6Addr, ComboIP:
		return encodeAddr(a.Type, s)
	case IPv4Prefix, IPv6Prefix:
		return encodePrefix(a.Type, s)
	case Integer, Byte, Short, Integer64, Signed:
		return a.encodeInteger(s)
	case Date:
		return encodeDate(s)
	case Ether:
		mac, err := net.ParseMAC(s)
		if err != nil || len(mac) != 6 {
			return nil, fmt.Errorf("%q is not a MAC address (accepted: e.g. 00:11:22:33:44:55)", clip(s))
		}
		return mac, nil
	case IfID:
		return encodeIfID(s)
	}
	return nil, fmt.Errorf("type %s is not encoded by otpgate (accepted: string, octets, ipaddr, ipv6addr, ipv4prefix, ipv6prefix, combo-ip, integer, byte, short, integer64, signed, date, ether, ifid)", a.Type)
}

func encodeAddr(t Type, s string) ([]byte, error) {
	ip, err := netip.ParseAddr(s)
	switch {
	case err != nil || ip.Zone() != "":
		return nil, fmt.Errorf("%q is not an IP address", clip(s))
	case t == IPAddr && !ip.Is4():
		return nil, fmt.Errorf("%q is not an IPv4 address", clip(s))
	case t == IPv6Addr && !ip.Is6():
		return nil, fmt.Errorf("%q is not an IPv6 address", clip(s))
	}
	return ip.AsSlice(), nil
}

// encodePrefix writes RFC 3162 section 2.3 (and RFC 6572 section 3.4.2 for
// IPv4): a reserved octet, the prefix length, then the prefix's octets.
func encodePrefix(t Type, s string) ([]byte, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil || (t == IPv4Prefix) != p.Addr().Is4() || p.Masked() != p {
		return nil, fmt.Errorf("%q is not a network in canonical form (accepted: e.g. 10.1.0.0/16 or 2001:db8::/32)", clip(s))
	}
	b := []byte{0, byte(p.Bits())}
	if t == IPv4Prefix {
		return append(b, p.Addr().AsSlice()...), nil
	}
	return append(b, p.Addr().AsSlice()[:(p.Bits()+7)/8]...), nil
}

// encodeInteger reads a number or one of the attribute's VALUE names.
func (a *Attribute) encodeInteger(s string) ([]byte, error) {
	size := map[Type]int{Byte: 1, Short: 2, Integer: 4, Signed: 4, Integer64: 8}[a.Type]
	n, ok := a.Values[strings.ToLower(s)]
	if !ok {
		var err error
		if n, err = parseInteger(a.Type, s, size); err != nil {
			return nil, err
		}
	}
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, n)
	return b[8-size:], nil
}

func parseInteger(t Type, s string, size int) (uint64, error) {
	if t == Signed {
		v, err := strconv.ParseInt(s, 10, 32)
		if err != nil {
			return 0, fmt.Errorf("%q is not a number from %d to %d", clip(s), int32(-1<<31), int32(1<<31-1))
		}
		return uint64(uint32(int32(v))), nil
	}
	n, err := strconv.ParseUint(s, 10, size*8)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number from 0 to %d, nor a VALUE name of the attribute", clip(s), uint64(1)<<(size*8)-1)
	}
	return n, nil
}

// encodeDate reads RFC 3339 or seconds since 1970 (RFC 2865 section 5: a
// 32-bit count of seconds).
func encodeDate(s string) ([]byte, error) {
	var secs int64
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		secs = t.Unix()
	} else if secs, err = strconv.ParseInt(s, 10, 64); err != nil {
		return nil, fmt.Errorf("%q is not a date (accepted: RFC 3339, e.g. 2030-01-02T15:04:05Z, or seconds since 1970)", clip(s))
	}
	if secs < 0 || secs > 1<<32-1 {
		return nil, fmt.Errorf("%q is outside 1970 to 2106", clip(s))
	}
	return binary.BigEndian.AppendUint32(nil, uint32(secs)), nil
}

// encodeIfID reads an interface identifier, 0011:2233:4455:6677.
func encodeIfID(s string) ([]byte, error) {
	parts := strings.Split(s, ":")
	var b []byte
	for _, p := range parts {
		v, err := strconv.ParseUint(p, 16, 16)
		if err != nil || len(parts) != 4 {
			return nil, fmt.Errorf("%q is not an interface identifier (accepted: e.g. 0011:2233:4455:6677)", clip(s))
		}
		b = binary.BigEndian.AppendUint16(b, uint16(v))
	}
	return b, nil
}

// wrap makes the attribute: standard, or a vendor attribute in a
// Vendor-Specific attribute with the vendor's type and length sizes
// (RFC 2865 section 5.26).
func (a *Attribute) wrap(value []byte) (layeh.AVP, error) {
	v := a.Vendor
	if v == nil {
		if len(value) > maxValue {
			return layeh.AVP{}, fmt.Errorf("the value has %d octets; at most %d fit", len(value), maxValue)
		}
		return layeh.AVP{Type: layeh.Type(a.Number), Attribute: value}, nil
	}
	head := v.TypeSize + v.LengthSize
	if v.Continuation {
		head++
	}
	if room := maxValue - vendorIDLength - head; len(value) > room {
		return layeh.AVP{}, fmt.Errorf("the value has %d octets; at most %d fit in a vendor attribute of %s", len(value), room, v.Name)
	}
	b := binary.BigEndian.AppendUint32(nil, v.ID)
	b = appendUint(b, uint64(a.Number), v.TypeSize)
	b = appendUint(b, uint64(head+len(value)), v.LengthSize)
	if v.Continuation {
		b = append(b, 0) // the last (only) fragment
	}
	return layeh.AVP{Type: vendorSpecific, Attribute: append(b, value...)}, nil
}

// appendUint appends the low size octets of n, big-endian.
func appendUint(b []byte, n uint64, size int) []byte {
	for i := size - 1; i >= 0; i-- {
		b = append(b, byte(n>>(8*i)))
	}
	return b
}

// notInAccept are the standard attributes an Access-Accept must not carry
// (RFC 2865 section 5.44, RFC 2869 section 5.19, RFC 3579 section 3), or
// that otpgate's RADIUS server writes itself: State, Proxy-State,
// Message-Authenticator.
var notInAccept = map[uint32]bool{
	2: true, 3: true, 4: true, 5: true, 24: true, 26: true, 30: true, 31: true,
	32: true, 33: true, 60: true, 61: true, 76: true, 79: true, 80: true,
}

// CheckReply reports whether a may be sent in an Access-Accept: not one
// the RFCs keep out of it, not an accounting attribute (40 to 55), and one
// that Encode can write.
func (a *Attribute) CheckReply() error {
	if a.Vendor == nil && (notInAccept[a.Number] || a.Number >= 40 && a.Number <= 55) {
		return fmt.Errorf("raddict: %s cannot be sent in an Access-Accept (RFC 2865 section 5.44), or otpgate writes it itself", a.Name)
	}
	if err := a.encodable(); err != nil {
		return fmt.Errorf("raddict: %s: %w", a.Name, err)
	}
	return nil
}
