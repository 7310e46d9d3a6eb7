package sqlite_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/store/sqlite"
)

func ExampleOpen() {
	dir, _ := os.MkdirTemp("", "otpgate")
	defer os.RemoveAll(dir)
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "otpgate.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()

	st.CreateUser(ctx, "alice")
	tok := &store.Token{ID: "tok-1", User: "alice", Type: store.HOTP, Enabled: true, Secret: []byte("sealed")}
	if err := st.AddToken(ctx, tok); err != nil {
		log.Fatal(err)
	}
	// The engine accepted HOTP counter 0: the token's Next becomes 1.
	ok, _ := st.CommitSuccess(ctx, "tok-1", 1, 0, time.Now())
	fmt.Println("first use:", ok)
	ok, _ = st.CommitSuccess(ctx, "tok-1", 1, 0, time.Now())
	fmt.Println("replayed:", ok)
	// Output:
	// first use: true
	// replayed: false
}
