package pgstore_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/store/pgstore"
)

// Every node opens the same database; the first to start creates the schema.
func ExampleOpen() {
	ctx := context.Background()
	st, err := pgstore.Open(ctx, "postgres://otpgate:secret@db.example.com/otpgate?sslmode=verify-full&pool_max_conns=20")
	if err != nil {
		log.Fatal(err) // names the server, never the password
	}
	defer st.Close()

	tok := &store.Token{ID: "tok-1", User: "alice", Type: store.HOTP, Enabled: true, Secret: []byte("sealed")}
	if err := st.AddToken(ctx, tok); err != nil {
		log.Fatal(err)
	}
	// The engine on one node accepted HOTP counter 0. The same code sent to
	// another node at the same moment gets false there.
	c, err := st.CommitSuccess(ctx, store.Success{TokenID: "tok-1", Next: 1, Now: time.Now()})
	fmt.Println(c, err)
}
