package recovery_test

import (
	"fmt"
	"time"

	"otpgate.dev/otpgate/internal/recovery"
)

// Generate makes the codes to show once and the hashes to store; only the
// hashes are kept.
func ExampleGenerate() {
	codes, stored, err := recovery.Generate("alice", recovery.DefaultCount, recovery.DefaultDigits, time.Now())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(codes), len(codes[0]), stored[0].Hash[:len("$argon2id$v=19$")])
	// Output: 10 10 $argon2id$v=19$
}
