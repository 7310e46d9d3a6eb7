package raddict

import (
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
)

// attribute handles "ATTRIBUTE name number type [flags|vendor]".
func (p *parser) attribute(f *fileState, args []string) error {
	if len(args) != 3 && len(args) != 4 {
		return errors.New("ATTRIBUTE takes a name, a number, a type and optional flags")
	}
	a := &Attribute{Name: args[0], Vendor: f.vendor, Where: f.where()}
	if err := checkName(a.Name); err != nil {
		return err
	}
	if err := a.setType(args[2]); err != nil {
		return err
	}
	if len(args) == 4 {
		if err := p.setFlags(a, args[3]); err != nil {
			return err
		}
	}
	if err := a.setNumber(args[1], f.tlvs); err != nil {
		return err
	}
	return p.define(a)
}

// checkName applies FreeRADIUS's rule for attribute names: letters,
// digits and - _ . /.
func checkName(name string) error {
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./", r)) {
			return fmt.Errorf("attribute name %q has a character other than letters, digits and - _ . /", clip(name))
		}
	}
	return nil
}

// setType reads "integer", "octets[16]", ...
func (a *Attribute) setType(s string) error {
	name, size, sized := strings.Cut(s, "[")
	t, ok := typeNames[strings.ToLower(name)]
	if !ok {
		return fmt.Errorf("attribute %s: unknown type %q", a.Name, clip(s))
	}
	a.Type = t
	if sized {
		n, err := strconv.Atoi(strings.TrimSuffix(size, "]"))
		if err != nil || !strings.HasSuffix(size, "]") || n < 1 || n > 253 || (t != Octets && t != String) {
			return fmt.Errorf("attribute %s: bad sized type %q (accepted: octets[1] to octets[253])", a.Name, clip(s))
		}
		a.Size = n
	}
	return nil
}

// setFlags reads "has_tag,encrypt=2", or the name of a vendor (the old
// syntax for a vendor attribute outside BEGIN-VENDOR).
func (p *parser) setFlags(a *Attribute, s string) error {
	if v, ok := p.d.Vendor(s); ok {
		a.Vendor = v
		return nil
	}
	for _, flag := range strings.Split(s, ",") {
		switch key, val, _ := strings.Cut(flag, "="); key {
		case "has_tag":
			a.Flags.HasTag = true
		case "array":
			a.Flags.Array = true
		case "concat":
			a.Flags.Concat = true
		case "virtual":
			a.Flags.Virtual = true
		case "secret":
			a.Flags.Secret = true
		case "encrypt":
			n, err := strconv.Atoi(val)
			if err != nil || n < 0 || n > 3 {
				return fmt.Errorf("attribute %s: encrypt=%q is not 0 to 3", a.Name, clip(val))
			}
			a.Flags.Encrypt = n
		default:
			return fmt.Errorf("attribute %s: unknown flag or vendor %q (accepted: has_tag, encrypt=N, array, concat, virtual, secret, or a VENDOR's name)", a.Name, clip(flag))
		}
	}
	return nil
}

// setNumber reads a number, or a dotted one inside a TLV or for an
// extended attribute (RFC 6929).
func (a *Attribute) setNumber(s string, tlvs []*Attribute) error {
	if len(tlvs) > 0 {
		parent := tlvs[len(tlvs)-1]
		s = parent.number() + "." + s
	}
	if strings.Contains(s, ".") {
		for _, part := range strings.Split(s, ".") {
			if _, err := strconv.ParseUint(part, 10, 32); err != nil {
				return fmt.Errorf("attribute %s: number %q is not a number or numbers joined by dots", a.Name, clip(s))
			}
		}
		a.OID = s
		return nil
	}
	n, err := parseNumber(s, 32)
	if err != nil {
		return fmt.Errorf("attribute %s: number %q: %w", a.Name, clip(s), err)
	}
	a.Number = uint32(n)
	if v := a.Vendor; v != nil && v.TypeSize < 4 && n >= 1<<(8*v.TypeSize) {
		return fmt.Errorf("attribute %s: number %d does not fit vendor %s's %d-octet types", a.Name, n, v.Name, v.TypeSize)
	}
	return nil
}

// parseNumber reads a decimal or 0x-hexadecimal number of at most bits.
func parseNumber(s string, bits int) (uint64, error) {
	base := 10
	if h, ok := strings.CutPrefix(strings.ToLower(s), "0x"); ok {
		s, base = h, 16
	}
	n, err := strconv.ParseUint(s, base, bits)
	if err != nil {
		return 0, fmt.Errorf("not a %d-bit decimal or 0x-hexadecimal number", bits)
	}
	return n, nil
}

// define adds a, unless a definition of the same name differs.
func (p *parser) define(a *Attribute) error {
	key := strings.ToLower(a.Name)
	if old, ok := p.d.attrs[key]; ok {
		if !old.sameAs(a) {
			return fmt.Errorf("attribute %s is already defined differently at %s", a.Name, old.Where)
		}
		return nil
	}
	p.d.attrs[key] = a
	p.own[a] = true
	return nil
}

// value handles "VALUE attribute name number".
func (p *parser) value(f *fileState, args []string) error {
	if len(args) != 3 {
		return errors.New("VALUE takes an attribute, a name and a number")
	}
	n, err := parseNumber(args[2], 64)
	if err != nil {
		return fmt.Errorf("VALUE %s: %w", clip(args[1]), err)
	}
	a, ok := p.d.Attribute(args[0])
	if !ok {
		p.pending = append(p.pending, pendingValue{attr: args[0], name: args[1], n: n, where: f.where()})
		return nil
	}
	return p.addValue(a, args[1], n)
}

// addValue names n for a. An attribute of the base dictionary is copied
// before it changes, so that the base stays as it was.
func (p *parser) addValue(a *Attribute, name string, n uint64) error {
	if !a.Type.integerLike() {
		return nil // as in FreeRADIUS: Debian's CableLabs dictionary names octets values
	}
	if !p.own[a] {
		c := *a
		c.Values = maps.Clone(a.Values)
		p.d.attrs[strings.ToLower(a.Name)] = &c
		p.own[&c] = true
		a = &c
	}
	if a.Values == nil {
		a.Values = make(map[string]uint64)
	}
	a.Values[strings.ToLower(name)] = n
	return nil
}

func (t Type) integerLike() bool {
	switch t {
	case Integer, Byte, Short, Integer64, Signed:
		return true
	}
	return false
}

// vendor handles "VENDOR name id [format=t,l[,c]]".
func (p *parser) vendor(args []string) error {
	if len(args) != 2 && len(args) != 3 {
		return errors.New("VENDOR takes a name, a number and an optional format=")
	}
	if err := checkName(args[0]); err != nil {
		return err
	}
	id, err := parseNumber(args[1], 32)
	if err != nil {
		return fmt.Errorf("VENDOR %s: %w", args[0], err)
	}
	v := &Vendor{Name: args[0], ID: uint32(id), TypeSize: 1, LengthSize: 1}
	if len(args) == 3 {
		if err := v.setFormat(args[2]); err != nil {
			return err
		}
	}
	key := strings.ToLower(v.Name)
	if old, ok := p.d.vendors[key]; ok {
		if *old != *v {
			return fmt.Errorf("vendor %s is already defined differently (number %d, format=%d,%d)", v.Name, old.ID, old.TypeSize, old.LengthSize)
		}
		return nil
	}
	p.d.vendors[key] = v
	return nil
}

// setFormat reads format=1,1 / 2,1 / 4,0 / 1,1,c.
func (v *Vendor) setFormat(s string) error {
	bad := fmt.Errorf("VENDOR %s: bad %q (accepted: format=T,L with T 1, 2 or 4 and L 0, 1 or 2, and an optional ,c)", v.Name, clip(s))
	spec, ok := strings.CutPrefix(s, "format=")
	if !ok {
		return bad
	}
	parts := strings.Split(spec, ",")
	if len(parts) < 2 || len(parts) > 3 || len(parts) == 3 && parts[2] != "c" {
		return bad
	}
	t, err1 := strconv.Atoi(parts[0])
	l, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil || (t != 1 && t != 2 && t != 4) || l < 0 || l > 2 {
		return bad
	}
	v.TypeSize, v.LengthSize, v.Continuation = t, l, len(parts) == 3
	if v.Continuation && (t != 1 || l != 1) {
		return bad
	}
	return nil
}

// beginVendor opens a block whose attributes belong to a vendor, or with
// format=Extended-Vendor-Specific-N to the vendor inside that extended
// attribute.
func (p *parser) beginVendor(f *fileState, args []string) error {
	if len(args) != 1 && len(args) != 2 {
		return errors.New("BEGIN-VENDOR takes a vendor's name and an optional format=")
	}
	if f.vendor != nil {
		return fmt.Errorf("BEGIN-VENDOR %s inside BEGIN-VENDOR %s", clip(args[0]), f.vendor.Name)
	}
	v, ok := p.d.Vendor(args[0])
	if !ok {
		return fmt.Errorf("BEGIN-VENDOR %s names no VENDOR defined before it", clip(args[0]))
	}
	if len(args) == 2 {
		ext, ok := strings.CutPrefix(args[1], "format=")
		a, known := p.d.Attribute(ext)
		if !ok || !known || a.Type != EVS {
			return fmt.Errorf("BEGIN-VENDOR %s: %q names no evs attribute (accepted: format=Extended-Vendor-Specific-N)", v.Name, clip(args[1]))
		}
		c := *v
		c.Extended = a.Name
		v = &c
	}
	f.vendor = v
	return nil
}

func (p *parser) endVendor(f *fileState, args []string) error {
	if len(args) != 1 || f.vendor == nil || !strings.EqualFold(args[0], f.vendor.Name) {
		return errors.New("END-VENDOR does not close the BEGIN-VENDOR before it")
	}
	if len(f.tlvs) > 0 {
		return fmt.Errorf("END-VENDOR inside BEGIN-TLV %s", f.tlvs[len(f.tlvs)-1].Name)
	}
	f.vendor = nil
	return nil
}

// beginTLV opens a block of the sub-attributes of a tlv attribute.
func (p *parser) beginTLV(f *fileState, args []string) error {
	if len(args) != 1 {
		return errors.New("BEGIN-TLV takes an attribute's name")
	}
	a, ok := p.d.Attribute(args[0])
	if !ok || a.Type != TLV {
		return fmt.Errorf("BEGIN-TLV %s names no tlv attribute defined before it", clip(args[0]))
	}
	if len(f.tlvs) >= MaxIncludeDepth {
		return fmt.Errorf("BEGIN-TLV nested more than %d deep", MaxIncludeDepth)
	}
	f.tlvs = append(f.tlvs, a)
	return nil
}

func (p *parser) endTLV(f *fileState, args []string) error {
	if len(args) != 1 || len(f.tlvs) == 0 || !strings.EqualFold(args[0], f.tlvs[len(f.tlvs)-1].Name) {
		return errors.New("END-TLV does not close the BEGIN-TLV before it")
	}
	f.tlvs = f.tlvs[:len(f.tlvs)-1]
	return nil
}
