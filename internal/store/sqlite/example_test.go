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
	c, _ := st.CommitSuccess(ctx, store.Success{TokenID: "tok-1", Next: 1, Now: time.Now()})
	fmt.Println("first use:", c)
	c, _ = st.CommitSuccess(ctx, store.Success{TokenID: "tok-1", Next: 1, Now: time.Now()})
	fmt.Println("again:", c)
	// Output:
	// first use: committed
	// again: replayed
}
