package ykoath_test

import (
	"fmt"
	"log"
	"time"

	"otpgate.dev/otpgate/internal/ykoath"
	"otpgate.dev/otpgate/internal/ykoath/ykoathsim"
)

// The simulator stands in for a YubiKey; with a real one, use
// pcsc.Open("") as the card.
func Example() {
	card := ykoathsim.New(ykoathsim.Options{})
	s := ykoath.NewSession(card)
	if _, err := s.Select(); err != nil {
		log.Fatal(err)
	}
	// What `ykman oath accounts add -P 60 -i VPN alice <key>` stores.
	if _, err := s.Put(ykoath.Account{Issuer: "VPN", Name: "alice", Type: ykoath.TOTP, Digits: 6, Period: time.Minute, Secret: []byte("12345678901234567890")}); err != nil {
		log.Fatal(err)
	}

	creds, err := s.List()
	if err != nil {
		log.Fatal(err)
	}
	c, err := ykoath.Find(creds, "VPN:alice")
	if err != nil {
		log.Fatal(err)
	}
	code, err := s.Calculate(c, time.Unix(1111111111, 0))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.ID, c.Period, code)
	// Output: 60/VPN:alice 1m0s 360094
}

// A password-protected applet must be unlocked after each Select.
func ExampleSession_Validate() {
	s := ykoath.NewSession(ykoathsim.New(ykoathsim.Options{}))
	s.Select()
	s.SetCode([]byte("s3cret"))

	info, _ := s.Select()
	fmt.Println("locked:", info.Locked)
	fmt.Println(s.Validate([]byte("guess")))
	fmt.Println(s.Validate([]byte("s3cret")))
	// Output:
	// locked: true
	// ykoath: validate: wrong password
	// <nil>
}
