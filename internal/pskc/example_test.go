package pskc_test

import (
	"errors"
	"fmt"
	"log"
	"os"

	"otpgate.dev/otpgate/internal/pskc"
)

func ExampleParse() {
	doc, err := os.ReadFile("testdata/fig3.pskc")
	if err != nil {
		log.Fatal(err)
	}
	c, err := pskc.Parse(doc)
	if err != nil {
		log.Fatal(err)
	}
	k, err := c.Select("987654321") // a serial number, or a key Id
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(k.ID, k.OTPType(), k.Digits, *k.Counter)
	// Output: 12345678 hotp 8 2
}

func ExampleContainer_DecryptPassword() {
	doc, err := os.ReadFile("testdata/fig7.pskc")
	if err != nil {
		log.Fatal(err)
	}
	c, err := pskc.Parse(doc)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.Encrypted(), c.PasswordBased(), c.KeyNames())
	if err := c.DecryptPassword([]byte("wrong")); errors.Is(err, pskc.ErrWrongKey) {
		fmt.Println(err)
	}
	if err := c.DecryptPassword([]byte("qwerty")); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s\n", c.Keys[0].Secret)
	// Output:
	// true true [My Password 1]
	// pskc: wrong key or password (the MAC does not match)
	// 12345678901234567890
}

func ExampleSetCounter() {
	doc, err := os.ReadFile("testdata/fig2.pskc")
	if err != nil {
		log.Fatal(err)
	}
	out, err := pskc.SetCounter(doc, 0, 3, nil)
	if err != nil {
		log.Fatal(err)
	}
	c, err := pskc.Parse(out)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(*c.Keys[0].Counter, len(out)-len(doc))
	// Output: 3 0
}

func ExampleEncode() {
	counter := uint64(0)
	keys := []pskc.KeyData{{
		ID: "alice-hotp", Algorithm: pskc.AlgorithmHOTP, Digits: 6,
		Secret: []byte("12345678901234567890"), Counter: &counter,
	}}
	doc, err := pskc.Encode(keys, pskc.EncodeOptions{Password: []byte("export password")})
	if err != nil {
		log.Fatal(err)
	}
	c, err := pskc.Parse(doc)
	if err != nil {
		log.Fatal(err)
	}
	if err := c.DecryptPassword([]byte("export password")); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s %s\n", c.Keys[0].ID, c.Keys[0].Secret)
	// Output: alice-hotp 12345678901234567890
}
