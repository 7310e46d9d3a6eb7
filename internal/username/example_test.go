package username_test

import (
	"fmt"

	"otpgate.dev/otpgate/internal/username"
)

func Example() {
	name, err := username.Canonical("Zoe\u0308") // "e" and a combining diaeresis
	fmt.Printf("%q %v\n", name, err)
	_, err = username.Canonical("alice\n")
	fmt.Println(err)
	fmt.Println(username.Quote("\x1b[31mroot"))
	// Output:
	// "Zoë" <nil>
	// username: invalid: the name "alice\n" holds U+000A, which is not a letter, mark, digit, punctuation, symbol or space (accepted: UTF-8 letters, digits, punctuation, symbols and inner spaces, 1 to 253 bytes)
	// "\x1b[31mroot"
}
