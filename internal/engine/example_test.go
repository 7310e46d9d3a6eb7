package engine_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"otpgate.dev/otpgate/internal/engine"
	"otpgate.dev/otpgate/internal/enroll"
	"otpgate.dev/otpgate/internal/secretbox"
	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/store/sqlite"
)

func ExampleEngine_Verify() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "otpgate-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	st, err := sqlite.Open(ctx, filepath.Join(dir, "otpgate.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	box, err := secretbox.LoadOrCreate(filepath.Join(dir, "master.key"))
	if err != nil {
		log.Fatal(err)
	}
	now := func() time.Time { return time.Unix(1_700_000_000, 0) }

	// An HOTP token with the RFC 4226 test key, whose first code is 755224.
	spec := enroll.Spec{User: "alice", Type: store.HOTP, Secret: []byte("12345678901234567890")}
	if _, err := enroll.Enroll(ctx, st, box, spec, now()); err != nil {
		log.Fatal(err)
	}
	eng := engine.New(st, box, engine.DefaultPolicy(), now)
	for range 2 {
		res, err := eng.Verify(ctx, engine.Request{User: "alice", Code: "755224", Source: "192.0.2.1", Actor: "example"})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("ok=%v reason=%q\n", res.OK, res.Reason)
	}
	// Output:
	// ok=true reason=""
	// ok=false reason="replayed: the code's counter was already used"
}
