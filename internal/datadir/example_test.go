package datadir_test

import (
	"fmt"

	"otpgate.dev/otpgate/internal/datadir"
)

func ExampleKeyPath() {
	key, _ := datadir.KeyPath("/srv/otpgate/otpgate.db")
	fmt.Println(key)
	// Output: /srv/otpgate/master.key
}
