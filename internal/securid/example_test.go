package securid_test

import (
	"errors"
	"fmt"
	"time"

	"otpgate.dev/otpgate/internal/securid"
)

func ExampleParse() {
	tok, err := securid.Parse("http://127.0.0.1/securid/ctf?ctfData=" +
		"258491750817210752367175001073261277346642631755724762324173166222072472716737543")
	if err != nil {
		panic(err)
	}
	if err := tok.Decrypt("", ""); err != nil {
		panic(err)
	}
	code, err := tok.Passcode(time.Unix(1409757465, 0), "9999")
	if err != nil {
		panic(err)
	}
	fmt.Println(tok.Serial(), tok.Digits(), tok.Interval(), tok.UsesPIN(), code)
	// Output: 584917508172 8 1m0s true 65365425
}

func ExampleToken_Decrypt() {
	// stoken export --iphone --new-password=asdf of stoken's tok0.
	tok, err := securid.Parse("com.rsa.securid.iphone://ctf?ctfData=" +
		"258491750817271376337025556032745736615071405660444767006173166222072476671610011")
	if err != nil {
		panic(err)
	}
	fmt.Println(tok.NeedsPassword(), tok.NeedsDeviceID())
	err = tok.Decrypt("qwerty", "")
	fmt.Println(errors.Is(err, securid.ErrBadPassword), err)
	fmt.Println(tok.Decrypt("asdf", ""))
	// Output:
	// true false
	// true securid: wrong password
	// <nil>
}

func ExampleParseRC() {
	rc := "version 1\n" +
		"token 258491750817210752367175001073261277346642631755724762324173166222072472716737543\n" +
		"pin 1234\n"
	tok, err := securid.ParseRC([]byte(rc))
	if err != nil {
		panic(err)
	}
	if err := tok.Decrypt("", ""); err != nil {
		panic(err)
	}
	code, err := tok.Code(time.Unix(1409757465, 0), tok.SavedPIN())
	fmt.Println(code, err)
	// Output: 65367760 <nil>
}

func ExampleToken_EncodeV2() {
	tok, err := securid.Parse("258491750817210752367175001073261277346642631755724762324173166222072472716737543")
	if err != nil {
		panic(err)
	}
	if err := tok.Decrypt("", ""); err != nil {
		panic(err)
	}
	s, err := tok.EncodeV2("new password", "")
	if err != nil {
		panic(err)
	}
	again, _ := securid.Parse(s)
	fmt.Println(len(s), again.NeedsPassword(), again.Decrypt("new password", ""))
	// Output: 81 true <nil>
}
