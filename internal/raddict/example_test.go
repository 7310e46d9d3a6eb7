package raddict_test

import (
	"fmt"

	"otpgate.dev/otpgate/internal/raddict"
)

// A site's vendor dictionary is read on top of the standard one, and each
// reply attribute is encoded once, when the configuration is read.
func Example() {
	d, err := raddict.Load(raddict.Standard(), "/usr/share/freeradius/dictionary.cisco")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, kv := range [][2]string{{"Filter-Id", "vpn-staff"}, {"Cisco-AVPair", "shell:priv-lvl=15"}, {"Session-Timeout", "later"}} {
		p, err := d.Encode(kv[0], kv[1])
		if err != nil {
			fmt.Println(err)
			continue
		}
		avp := p.AVP()
		fmt.Printf("%s: type %d, %d octets\n", p.Attr.Name, avp.Type, len(avp.Attribute))
	}
	// Output:
	// Filter-Id: type 11, 9 octets
	// Cisco-AVPair: type 26, 23 octets
	// raddict: Session-Timeout: "later" is not a number from 0 to 4294967295, nor a VALUE name of the attribute
}
