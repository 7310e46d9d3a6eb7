package secretbox_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"otpgate.dev/otpgate/internal/secretbox"
)

func Example() {
	dir, _ := os.MkdirTemp("", "otpgate")
	defer os.RemoveAll(dir)
	box, err := secretbox.LoadOrCreate(filepath.Join(dir, "master.key"))
	if err != nil {
		log.Fatal(err)
	}
	sealed := box.Seal([]byte("12345678901234567890"), secretbox.AAD("tok-1", "secret"))

	seed, err := box.Open(sealed, secretbox.AAD("tok-1", "secret"))
	fmt.Printf("%s %v\n", seed, err)
	_, err = box.Open(sealed, secretbox.AAD("tok-2", "secret"))
	fmt.Println(err != nil)
	// Output:
	// 12345678901234567890 <nil>
	// true
}

func ExampleRekey() {
	dir, _ := os.MkdirTemp("", "otpgate")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "master.key")
	box, _ := secretbox.LoadOrCreate(path)
	aad := secretbox.AAD("tok-1", "secret")
	stored := box.Seal([]byte("seed"), aad)

	next, err := secretbox.Rekey(path)
	if err != nil {
		log.Fatal(err)
	}
	// In one store transaction (store.Store.Reseal), reseal every value:
	stored, err = next.Reseal(stored, aad)
	if err != nil {
		log.Fatal(err)
	}
	// ... and once it committed:
	if err := secretbox.FinishRekey(path); err != nil {
		log.Fatal(err)
	}
	box, _ = secretbox.Load(path)
	seed, _ := box.Open(stored, aad)
	fmt.Println(string(seed), box.Rotating())
	// Output: seed false
}
