package site_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"otpgate.dev/otpgate/internal/site"
)

func ExampleFind() {
	dir, _ := os.MkdirTemp("", "site")
	defer os.RemoveAll(dir)
	env := site.Env{Getenv: func(string) string { return "" }, UID: 1000}
	s, err := site.Find(env, site.Flags{DB: filepath.Join(dir, "otpgate.db")})
	if err != nil {
		fmt.Println(err)
		return
	}
	h, err := s.Open(context.Background(), site.MayCreate) // enroll's mode
	if err != nil {
		fmt.Println(err)
		return
	}
	defer h.Close()
	for _, c := range h.Created {
		fmt.Println("created", filepath.Base(c))
	}
	// Output:
	// created otpgate.db
	// created master.key
}
