package raddict

import (
	"encoding/hex"
	"errors"
	"io/fs"
	"strings"
	"testing"
)

// debianDir holds the dictionaries of Debian's freeradius-common.
const debianDir = "/usr/share/freeradius/"

// TestDebianVendorFiles reads the vendor files the issue names and checks
// the numbers their vendors publish: Cisco's SMI number 9, Fortinet's 12356,
// Microsoft's 311 (RFC 2548).
func TestDebianVendorFiles(t *testing.T) {
	d, err := Load(Standard(), debianDir+"dictionary.cisco", debianDir+"dictionary.fortinet", debianDir+"dictionary.microsoft")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		vendor uint32
		number uint32
		typ    Type
	}{
		{"Cisco-AVPair", 9, 1, String},
		{"cisco-avpair", 9, 1, String},
		{"Cisco-Account-Info", 9, 250, String},
		{"Fortinet-Group-Name", 12356, 1, String},
		{"Fortinet-Client-IP-Address", 12356, 2, IPAddr},
		{"MS-Primary-DNS-Server", 311, 28, IPAddr},
		{"MS-MPPE-Encryption-Types", 311, 8, Integer},
		{"Filter-Id", 0, 11, String},
	}
	for _, tt := range tests {
		a, ok := d.Attribute(tt.name)
		if !ok {
			t.Errorf("Attribute(%q) not found", tt.name)
			continue
		}
		vendor := uint32(0)
		if a.Vendor != nil {
			vendor = a.Vendor.ID
		}
		if vendor != tt.vendor || a.Number != tt.number || a.Type != tt.typ {
			t.Errorf("Attribute(%q) = vendor %d, number %d, %s; want %d, %d, %s", tt.name, vendor, a.Number, a.Type, tt.vendor, tt.number, tt.typ)
		}
	}
	if _, ok := Standard().Attribute("Cisco-AVPair"); ok {
		t.Error("Load changed its base dictionary")
	}
}

// TestDebianWholeDictionary reads Debian's top-level dictionary: 237 files
// through $INCLUDE, every construct FreeRADIUS 3 ships.
func TestDebianWholeDictionary(t *testing.T) {
	d, err := Load(Standard(), debianDir+"dictionary")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Cisco-AVPair", "Fortinet-Group-Name", "MS-CHAP-Challenge", "WiMAX-Release", "Framed-Pool", "Juniper-Local-User-Name"} {
		if _, ok := d.Attribute(name); !ok {
			t.Errorf("Attribute(%q) not found", name)
		}
	}
	if a, _ := d.Attribute("WiMAX-Release"); a.OID != "1.1" {
		t.Errorf("WiMAX-Release OID = %q; want 1.1", a.OID)
	}
	if a, _ := d.Attribute("Service-Type"); a.Values["framed-user"] != 2 {
		t.Errorf("Service-Type Framed-User = %d; want 2", a.Values["framed-user"])
	}
}

// mapFS reads files from a map, for includes without a disk.
func mapFS(files map[string]string) ReadFile {
	return func(path string) ([]byte, error) {
		s, ok := files[path]
		if !ok {
			return nil, fs.ErrNotExist
		}
		return []byte(s), nil
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, text, want string }{
		{"keyword", "ATTRIBUTE A 1 string\nFOO bar\n", "main:2: unknown keyword \"FOO\""},
		{"type", "ATTRIBUTE A 1 strung\n", "main:1: attribute A: unknown type"},
		{"number", "ATTRIBUTE A one string\n", "main:1: attribute A: number \"one\""},
		{"name", "ATTRIBUTE A=B 1 string\n", "has a character other than"},
		{"flag", "ATTRIBUTE A 1 string bogus\n", "unknown flag or vendor \"bogus\""},
		{"redefined", "ATTRIBUTE A 1 string\nATTRIBUTE A 2 string\n", "main:2: attribute A is already defined differently at main:1"},
		{"vendor", "BEGIN-VENDOR Nobody\n", "names no VENDOR defined before it"},
		{"unclosed", "VENDOR V 9\nBEGIN-VENDOR V\n", "BEGIN-VENDOR V has no END-VENDOR"},
		{"vendor size", "VENDOR V 9\nBEGIN-VENDOR V\nATTRIBUTE V-A 256 string\nEND-VENDOR V\n", "does not fit vendor V's 1-octet types"},
		{"format", "VENDOR V 9 format=3,1\n", "bad \"format=3,1\""},
		{"value", "VALUE Nothing X 1\n", "VALUE for attribute \"Nothing\", which no ATTRIBUTE defines"},
		{"include missing", "$INCLUDE nothing.dict\n", "main:1: nothing.dict"},
		{"include loop", "$INCLUDE main\n", "nested more than 8 deep"},
		{"tlv", "BEGIN-TLV X\n", "names no tlv attribute"},
		{"end tlv", "ATTRIBUTE T 1 tlv\nBEGIN-TLV T\nEND-TLV U\n", "END-TLV does not close"},
		{"sized", "ATTRIBUTE A 1 integer[4]\n", "bad sized type"},
	}
	for _, tt := range tests {
		_, err := Parse(nil, "main", []byte(tt.text), mapFS(map[string]string{"main": tt.text}))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Parse = %v; want an error with %q", tt.name, err, tt.want)
		}
		var e *Error
		if err != nil && tt.name != "value" && !errors.As(err, &e) && !strings.Contains(err.Error(), "END-VENDOR") {
			t.Errorf("%s: %v is not an *Error", tt.name, err)
		}
	}
}

func TestParseIncludesAndBlocks(t *testing.T) {
	files := map[string]string{
		"/d/main":       "$INCLUDE sub/vendor\n$INCLUDE- /d/absent\nVALUE Early-Value One 1\nATTRIBUTE Early-Value 200 integer\n",
		"/d/sub/vendor": "VENDOR Acme 4242 format=2,1\nBEGIN-VENDOR Acme\nATTRIBUTE Acme-Name 300 string\nATTRIBUTE Acme-Box 1 tlv\nBEGIN-TLV Acme-Box\nATTRIBUTE Acme-Inner 2 byte\nEND-TLV Acme-Box\nEND-VENDOR Acme\nATTRIBUTE Acme-Old 7 integer Acme\n",
	}
	d, err := Parse(nil, "/d/main", []byte(files["/d/main"]), mapFS(files))
	if err != nil {
		t.Fatal(err)
	}
	if a, _ := d.Attribute("Acme-Name"); a == nil || a.Vendor.ID != 4242 || a.Number != 300 || a.Vendor.TypeSize != 2 {
		t.Errorf("Acme-Name = %+v", a)
	}
	if a, _ := d.Attribute("Acme-Inner"); a == nil || a.OID != "1.2" {
		t.Errorf("Acme-Inner = %+v; want OID 1.2", a)
	}
	if a, _ := d.Attribute("Acme-Old"); a == nil || a.Vendor == nil || a.Vendor.ID != 4242 {
		t.Errorf("Acme-Old (old vendor syntax) = %+v", a)
	}
	if a, _ := d.Attribute("Early-Value"); a == nil || a.Values["one"] != 1 {
		t.Errorf("Early-Value = %+v; want VALUE One = 1", a)
	}
}

func TestEncode(t *testing.T) {
	d, err := Load(Standard(), debianDir+"dictionary.cisco", debianDir+"dictionary.microsoft", debianDir+"dictionary.usr", debianDir+"dictionary.wimax")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, value string
		wire        string // hex of type, length, value
	}{
		// RFC 2865 section 7.1's Access-Accept has Service-Type = Login-User.
		{"Service-Type", "Login-User", "060600000001"},
		{"Service-Type", "framed-user", "060600000002"},
		{"Framed-IP-Address", "255.255.255.254", "0806fffffffe"},
		{"Filter-Id", "vpn-users", "0b0b76706e2d7573657273"},
		{"Class", "0x0102ff", "190501" + "02ff"},
		{"Class", "staff", "19077374616666"},
		{"Session-Timeout", "3600", "1b0600000e10"},
		{"Framed-IPv6-Prefix", "2001:db8::/32", "61080020" + "20010db8"},
		{"Framed-IPv6-Address", "2001:db8::1", "a812" + "20010db8000000000000000000000001"},
		{"Framed-Interface-Id", "0011:2233:4455:6677", "600a0011223344556677"},
		// Vendor-Specific: type 26, length, vendor id, vendor type, vendor length, value.
		{"Cisco-AVPair", "shell:priv-lvl=15", "1a19" + "00000009" + "0113" + hex.EncodeToString([]byte("shell:priv-lvl=15"))},
		{"MS-Primary-DNS-Server", "10.0.0.1", "1a0c" + "00000137" + "1c06" + "0a000001"},
		// USR uses format=4,0: a four-octet type and no length.
		{"USR-Last-Number-Dialed-Out", "123", "1a0d" + "000001ad" + "00000066" + "313233"},
	}
	for _, tt := range tests {
		p, err := d.Encode(tt.name, tt.value)
		if err != nil {
			t.Errorf("Encode(%q, %q): %v", tt.name, tt.value, err)
			continue
		}
		avp := p.AVP()
		got := hex.EncodeToString(append([]byte{byte(avp.Type), byte(2 + len(avp.Attribute))}, avp.Attribute...))
		if got != tt.wire {
			t.Errorf("Encode(%q, %q) = %s; want %s", tt.name, tt.value, got, tt.wire)
		}
	}
}

func TestEncodeRefuses(t *testing.T) {
	d, err := Load(Standard(), debianDir+"dictionary")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, value, want string }{
		{"Framed-IP-Address", "10.0.0", "is not an IP address"},
		{"Framed-IP-Address", "2001:db8::1", "is not an IPv4 address"},
		{"Session-Timeout", "-1", "is not a number from 0 to 4294967295"},
		{"Session-Timeout", "Forever", "nor a VALUE name"},
		{"Framed-IPv6-Prefix", "2001:db8::1/32", "canonical form"},
		{"Class", "0xzz", "not hex digits"},
		{"Filter-Id", strings.Repeat("x", 254), "at most 253 fit"},
		{"Cisco-AVPair", strings.Repeat("x", 248), "at most 247 fit"},
		{"Tunnel-Type", "VLAN", "tagged"},
		{"Tunnel-Password", "x", "encrypted"},
		{"WiMAX-Release", "1", "inside a TLV"},
		{"FreeRADIUS-802.1X-Anonce", "x", "inside Extended-Vendor-Specific-5"},
		{"Vendor-Specific", "x", "by its name"},
		{"MS-CHAP-Response", "x", "exactly 50"},
		{"Nonexistent-Attribute", "x", "no attribute"},
	}
	for _, tt := range tests {
		_, err := d.Encode(tt.name, tt.value)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Encode(%q, %q) = %v; want an error with %q", tt.name, clip(tt.value), err, tt.want)
		}
	}
}

func TestCheckReply(t *testing.T) {
	d, err := Load(Standard(), debianDir+"dictionary")
	if err != nil {
		t.Fatal(err)
	}
	for name, ok := range map[string]bool{
		"Filter-Id": true, "Class": true, "Cisco-AVPair": true, "Egress-VLANID": true,
		"User-Password": false, "State": false, "Message-Authenticator": false, "Proxy-State": false,
		"Acct-Session-Id": false, "Calling-Station-Id": false, "Tunnel-Type": false,
	} {
		a, found := d.Attribute(name)
		if !found {
			t.Fatalf("Attribute(%q) not found", name)
		}
		if err := a.CheckReply(); (err == nil) != ok {
			t.Errorf("CheckReply(%s) = %v; want ok %v", name, err, ok)
		}
	}
}

func TestStandardSubsetOfDebian(t *testing.T) {
	// The built-in names and numbers are the ones FreeRADIUS uses: loading
	// Debian's files on top of them redefines nothing differently.
	d, err := Load(Standard(), debianDir+"dictionary")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range Standard().attrs {
		b, _ := d.Attribute(a.Name)
		if a.Name != b.Name || !a.sameAs(b) {
			t.Errorf("%s: built in as %v, Debian's %v", a.Name, a, b)
		}
	}
}
