package raddict

import (
	_ "embed"
	"fmt"
	"sync"
)

//go:embed standard.dict
var standardDict []byte

// Standard returns the built-in dictionary of the standard attributes a
// server sends in an Access-Accept (RFC 2865, 2869, 3162, 4818, 4849,
// 6911), under the names FreeRADIUS gives them. Vendor attributes come from
// the vendor's dictionary file, read with [Load] on top of this one.
var Standard = sync.OnceValue(func() *Dictionary {
	d, err := Parse(nil, "standard.dict", standardDict, nil)
	if err != nil {
		panic(fmt.Sprintf("raddict: the built-in dictionary: %v", err)) // a build defect, caught by every test
	}
	return d
})
