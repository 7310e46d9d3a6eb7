package admin

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/engine"
	"otpgate.dev/otpgate/internal/enroll"
	"otpgate.dev/otpgate/internal/site"
	"otpgate.dev/otpgate/internal/store"
)

// TestRekeyLeavesNoOldCiphertext: after rekey, no value sealed under the
// old key, nor any 16 bytes of one, is left in the database file, its WAL
// or its shared memory file: not in the rows, not in free pages, not in old
// WAL frames (issue 12, item 2). Tokens deleted before the rekey count too:
// their sealed secrets opened under the old key as well.
func TestRekeyLeavesNoOldCiphertext(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "otpgate.db")
	st, err := site.Find(site.Env{Getenv: func(string) string { return "" }, UID: 1000}, site.Flags{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	h, err := st.Open(ctx, site.MayCreate)
	if err != nil {
		t.Fatal(err)
	}
	a := New(h, engine.DefaultPolicy(), time.Now)
	var sealed [][]byte
	for i := range 150 {
		s := enroll.Spec{User: fmt.Sprintf("user%03d", i), Type: store.TOTP}
		if i%10 == 0 {
			s = enroll.Spec{User: s.User, Type: store.Yubico}
		}
		tok, err := enroll.Enroll(ctx, a.st, a.box, s, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		sealed = append(sealed, tok.Secret)
		if tok.PrivateID != nil {
			sealed = append(sealed, tok.PrivateID)
		}
		if i%7 == 0 { // churn: free pages holding sealed secrets
			if err := a.st.DeleteUser(ctx, s.User); err != nil {
				t.Fatal(err)
			}
		}
	}
	a.Close()
	if n, err := Rekey(ctx, st); err != nil || n != 150-22 {
		t.Fatalf("Rekey = %d, %v; want %d tokens resealed", n, err, 150-22)
	}
	for _, path := range []string{db, db + "-wal", db + "-shm"} {
		b, err := os.ReadFile(path)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		found := 0
		for _, v := range sealed {
			if containsPiece(b, v) {
				found++
			}
		}
		if found > 0 {
			t.Errorf("%s (%d bytes) still holds %d of %d values sealed under the old key", filepath.Base(path), len(b), found, len(sealed))
		}
	}
	// The resealed store still works.
	h, err = st.Open(ctx, site.MustExist)
	if err != nil {
		t.Fatal(err)
	}
	b := New(h, engine.DefaultPolicy(), time.Now)
	defer b.Close()
	if _, err := b.Current(ctx, "user001", ""); err != nil {
		t.Errorf("Current after Rekey = %v", err)
	}
}

// containsPiece reports whether b holds any 16 consecutive bytes of v.
func containsPiece(b, v []byte) bool {
	for i := 0; i+16 <= len(v); i += 8 {
		if bytes.Contains(b, v[i:i+16]) {
			return true
		}
	}
	return false
}
