package oob_test

import (
	"fmt"

	"otpgate.dev/otpgate/internal/oob"
)

func ExampleMask() {
	fmt.Println(oob.Mask("alice@example.org"))
	fmt.Println(oob.Mask("+15551234567"))
	fmt.Println(oob.Mask("5551234567@sms.example.net"))
	// Output:
	// a***@example.org
	// +1********67
	// 5***@sms.example.net
}

func ExampleParseAddress() {
	for _, a := range []string{"+1 (555) 123-4567", "5551234567@sms.example.net", "555-CALL-NOW"} {
		addr, err := oob.ParseAddress(oob.SMS, a)
		fmt.Printf("%q %v\n", addr, err)
	}
	// Output:
	// "+15551234567" <nil>
	// "5551234567@sms.example.net" <nil>
	// "" oob: not a phone number or an email-to-SMS address (accepted: +15551234567, 5551234567@sms.example.net)
}

func ExampleParseTemplate() {
	t, err := oob.ParseTemplate("{vpn} code {code}, valid {lifetime} ({{literal})", "vpn", "code", "lifetime")
	if err != nil {
		panic(err)
	}
	fmt.Println(t.Expand(map[string]string{"vpn": "Example VPN", "code": "042917", "lifetime": "15 minutes"}))
	// Output: Example VPN code 042917, valid 15 minutes ({literal})
}
