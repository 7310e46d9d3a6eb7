package authtoken_test

import (
	"fmt"
	"time"

	"otpgate.dev/otpgate/internal/openvpn/authtoken"
)

func Example() {
	key, err := authtoken.GenerateKey() // or authtoken.LoadKey("/etc/otpgate/openvpn-token.key")
	if err != nil {
		panic(err)
	}
	now := time.Now()
	// client-connect: push "auth-token <tok>".
	tok, _, err := key.Sign("alice", "client certificate digest", now, 12*time.Hour)
	if err != nil {
		panic(err)
	}
	// verify, on the next renegotiation: the password is the token.
	_, err = key.Verify(tok, "alice", "client certificate digest", now.Add(time.Hour))
	fmt.Println(len(tok), err)
	// Output: 92 <nil>
}
