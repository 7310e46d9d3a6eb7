package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	"otpgate.dev/otpgate/internal/enroll"
	"otpgate.dev/otpgate/internal/secretbox"
	"otpgate.dev/otpgate/internal/site"
	"otpgate.dev/otpgate/internal/store"
)

// importBatch is how many tokens one Import transaction stores.
const importBatch = 1000

// benchUser is an enrolled HOTP user with its seed, which the load
// generator needs to compute codes.
type benchUser struct {
	name string
	key  []byte
}

// enrollUsers opens db (migrating it) and stores n users with one HOTP
// token each, made and sealed by enroll.NewToken and written by the
// store's Import, as `otpgate import` would.
func enrollUsers(ctx context.Context, db string, box *secretbox.Box, n int) ([]benchUser, error) {
	st, err := site.OpenStore(ctx, db)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	users := make([]benchUser, n)
	for lo := 0; lo < n; lo += importBatch {
		hi := min(lo+importBatch, n)
		names := make([]string, 0, hi-lo)
		toks := make([]*store.Token, 0, hi-lo)
		for i := lo; i < hi; i++ {
			u := benchUser{name: fmt.Sprintf("bench%06d", i), key: make([]byte, enroll.OATHSecretSize)}
			rand.Read(u.key)
			t, err := enroll.NewToken(box, enroll.Spec{User: u.name, Type: store.HOTP, Secret: u.key}, time.Now())
			if err != nil {
				return nil, err
			}
			users[i] = u
			names, toks = append(names, u.name), append(toks, &t)
		}
		if err := st.Import(ctx, names, toks); err != nil {
			return nil, err
		}
	}
	return users, nil
}
