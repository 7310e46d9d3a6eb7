// Package raddict reads RADIUS dictionaries in FreeRADIUS's format
// (dictionary(5) of FreeRADIUS 3: ATTRIBUTE, VALUE, VENDOR,
// BEGIN-VENDOR/END-VENDOR, BEGIN-TLV/END-TLV and $INCLUDE) and encodes
// attribute values given as text onto layeh.com/radius attributes, standard
// ones (RFC 2865 section 5) and vendor ones inside a Vendor-Specific
// attribute (RFC 2865 section 5.26, with the vendor's type and length sizes).
//
// Use [Standard] for the RFC attributes otpgate sends in replies, [Load] to
// add a site's vendor dictionaries (e.g. Debian's
// /usr/share/freeradius/dictionary.cisco), and [Dictionary.Encode] to turn
// "Cisco-AVPair" = "shell:priv-lvl=15" into wire form once, when the
// configuration is read. Dictionaries are hostile input like any file: the
// parser bounds the file size, the number of definitions and the depth of
// $INCLUDE, and reports the first error with its file and line.
//
// A Dictionary is safe for concurrent use once built; Load and Parse build
// a new one and never change their argument.
package raddict

import (
	"fmt"
	"strings"
)

// Type is an attribute's data type as a dictionary names it.
type Type string

// The data types of FreeRADIUS 3's dictionaries.
const (
	String       Type = "string"
	Octets       Type = "octets"
	IPAddr       Type = "ipaddr"
	IPv4Prefix   Type = "ipv4prefix"
	IPv6Addr     Type = "ipv6addr"
	IPv6Prefix   Type = "ipv6prefix"
	ComboIP      Type = "combo-ip"
	Integer      Type = "integer"
	Byte         Type = "byte"
	Short        Type = "short"
	Integer64    Type = "integer64"
	Signed       Type = "signed"
	Date         Type = "date"
	Ether        Type = "ether"
	IfID         Type = "ifid"
	ABinary      Type = "abinary"
	TLV          Type = "tlv"
	VSA          Type = "vsa"
	EVS          Type = "evs"
	Extended     Type = "extended"
	LongExtended Type = "long-extended"
)

// typeNames maps a dictionary's spelling of a type (compared without
// case) to the Type; uint16 and uint32 are FreeRADIUS 4 names that
// Debian's DHCP dictionary already uses.
var typeNames = map[string]Type{
	"string": String, "octets": Octets, "ipaddr": IPAddr, "ipv4prefix": IPv4Prefix,
	"ipv6addr": IPv6Addr, "ipv6prefix": IPv6Prefix, "combo-ip": ComboIP,
	"integer": Integer, "uint32": Integer, "byte": Byte, "short": Short, "uint16": Short,
	"integer64": Integer64, "signed": Signed, "date": Date, "ether": Ether, "ifid": IfID,
	"abinary": ABinary, "tlv": TLV, "vsa": VSA, "evs": EVS, "extended": Extended,
	"long-extended": LongExtended,
}

// Flags are the options after an ATTRIBUTE's type.
type Flags struct {
	HasTag  bool // RFC 2868 tagged attribute
	Encrypt int  // 1: User-Password style, 2: Tunnel-Password style, 3: Ascend
	Array   bool
	Concat  bool
	Virtual bool // never on the wire
	Secret  bool
}

// Vendor is an SMI private enterprise number and the shape of its
// attributes inside a Vendor-Specific attribute.
type Vendor struct {
	Name string
	ID   uint32
	// TypeSize and LengthSize are the octets of a vendor attribute's type
	// (1, 2 or 4) and length (0, 1 or 2): format=1,1 by default.
	TypeSize, LengthSize int
	// Continuation is the WiMAX continuation octet after the length.
	Continuation bool
	// Extended names the extended attribute that carries the vendor
	// ("Extended-Vendor-Specific-5") when it lives there (RFC 6929).
	Extended string
}

// Attribute is one ATTRIBUTE definition.
type Attribute struct {
	Name string
	// Vendor is nil for a standard attribute.
	Vendor *Vendor
	// Number is the attribute's type: the standard type, or the vendor's
	// type for a vendor attribute. It is meaningful only when OID is empty.
	Number uint32
	// OID is set instead of Number for an attribute inside a TLV or an
	// extended attribute ("241.1", "1.3"): it is read but not encoded.
	OID   string
	Type  Type
	Size  int // octets[N]: the exact length; 0 otherwise
	Flags Flags
	// Values are the VALUE names of an integer-like attribute.
	Values map[string]uint64
	// Where is the file and line that defined the attribute.
	Where string
}

// Dictionary is a set of attribute and vendor definitions. Names compare
// without case, as in FreeRADIUS.
type Dictionary struct {
	attrs   map[string]*Attribute
	vendors map[string]*Vendor
}

func newDictionary() *Dictionary {
	return &Dictionary{attrs: make(map[string]*Attribute), vendors: make(map[string]*Vendor)}
}

// Attribute returns the attribute called name.
func (d *Dictionary) Attribute(name string) (*Attribute, bool) {
	a, ok := d.attrs[strings.ToLower(name)]
	return a, ok
}

// Vendor returns the vendor called name.
func (d *Dictionary) Vendor(name string) (*Vendor, bool) {
	v, ok := d.vendors[strings.ToLower(name)]
	return v, ok
}

// clone returns a copy of d that can be extended without changing d. The
// attributes are shared until a VALUE changes one (see addValue).
func (d *Dictionary) clone() *Dictionary {
	c := newDictionary()
	for k, a := range d.attrs {
		c.attrs[k] = a
	}
	for k, v := range d.vendors {
		c.vendors[k] = v
	}
	return c
}

// sameAs reports whether b defines what a does, so that a dictionary may
// repeat a definition (Debian's whole dictionary repeats many).
func (a *Attribute) sameAs(b *Attribute) bool {
	return a.Vendor.id() == b.Vendor.id() && a.Number == b.Number && a.OID == b.OID &&
		a.Type == b.Type && a.Size == b.Size && a.Flags == b.Flags
}

func (v *Vendor) id() int64 {
	if v == nil {
		return -1
	}
	return int64(v.ID)
}

func (a *Attribute) String() string {
	if a.Vendor != nil {
		return fmt.Sprintf("%s (vendor %s %d, type %s)", a.Name, a.Vendor.Name, a.Vendor.ID, a.number())
	}
	return fmt.Sprintf("%s (type %s)", a.Name, a.number())
}

func (a *Attribute) number() string {
	if a.OID != "" {
		return a.OID
	}
	return fmt.Sprint(a.Number)
}
