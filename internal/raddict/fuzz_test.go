package raddict

import (
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary dictionaries to the parser, every $INCLUDE
// reading the same text again (so include depth and loops are exercised),
// and encodes a few values for each attribute that parsed. Neither may
// panic, and every attribute of a dictionary that parsed is found under its
// name. The seeds are short (Debian's whole files are read by the other
// tests): the fuzzer minimizes each new input byte by byte, and a 40 kB one
// would stall it for a minute.
func FuzzParse(f *testing.F) {
	seeds := []string{
		"ATTRIBUTE\tFilter-Id\t11\tstring\nATTRIBUTE\tService-Type\t6\tinteger\nVALUE\tService-Type\tFramed-User\t2\n",
		"VENDOR\tCisco\t9\nBEGIN-VENDOR\tCisco\nATTRIBUTE\tCisco-AVPair\t1\tstring\nEND-VENDOR\tCisco\n",
		"VENDOR\tUSR\t429\tformat=4,0\nATTRIBUTE\tUSR-X\t0x0066\tstring\tUSR\n",
		"VENDOR V 1 format=1,1,c\nBEGIN-VENDOR V\nATTRIBUTE A 1 tlv\nBEGIN-TLV A\nATTRIBUTE B 1 octets[2]\nEND-TLV A\nEND-VENDOR V\n",
		"ATTRIBUTE E 241 extended\nATTRIBUTE EVS 241.26 evs\nVENDOR F 11344\nBEGIN-VENDOR F format=EVS\nATTRIBUTE F-A 1 octets\nEND-VENDOR F\n",
		"$INCLUDE x\nATTRIBUTE T 64 integer has_tag\nATTRIBUTE P 69 string encrypt=2\n# comment\n",
		"$INCLUDE- y\nATTRIBUTE D 55 date\nATTRIBUTE P6 97 ipv6prefix\nATTRIBUTE M 1 ether\nATTRIBUTE I 96 ifid\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	base := Standard() // parsed once per worker, before fuzzing
	f.Fuzz(func(t *testing.T, data []byte) {
		read := func(string) ([]byte, error) { return data, nil }
		d, err := Parse(base, "main", data, read)
		if err != nil {
			return
		}
		// d.attrs, not the sorted Names: a sort's path depends on the map's
		// random order, and coverage must not change from run to run.
		for key, a := range d.attrs {
			if b, ok := d.Attribute(a.Name); !ok || b != a || key != strings.ToLower(a.Name) {
				t.Fatalf("attribute %q is not found under its own name", a.Name)
			}
			for _, v := range []string{"1", "0x00ff", "10.0.0.1", "2001:db8::/32", "text"} {
				if p, err := a.Encode(v); err == nil && len(p.AVP().Attribute) > maxValue {
					t.Fatalf("Encode(%s, %q) made %d octets", a.Name, v, len(p.AVP().Attribute))
				}
			}
		}
	})
}
