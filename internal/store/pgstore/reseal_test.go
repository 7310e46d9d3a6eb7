package pgstore

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"otpgate.dev/otpgate/internal/store"
)

// TestResealLeavesNoOldRow: after Reseal, the files of the database hold
// none of the replaced sealed values, nor 16 bytes of one: the old row
// versions went with the rewrite of the table (issue 12, item 2). The
// cluster's write-ahead log is not the database's, and keeps them: see
// docs/security.md.
func TestResealLeavesNoOldRow(t *testing.T) {
	s, _ := openTemp(t)
	ctx := t.Context()
	if _, err := s.CreateUser(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	var old [][]byte
	for i := range 100 {
		secret := make([]byte, 48)
		rand.Read(secret)
		old = append(old, secret)
		tok := &store.Token{ID: fmt.Sprintf("t%03d", i), User: "alice", Type: store.TOTP, Enabled: true, Secret: secret}
		if err := s.AddToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	err := s.Reseal(ctx, func(tok *store.Token) error {
		tok.Secret = make([]byte, 48)
		rand.Read(tok.Secret)
		return nil
	})
	if err != nil {
		t.Fatalf("Reseal = %v", err)
	}
	var dir string
	err = s.pool.QueryRow(ctx, `SELECT current_setting('data_directory') || '/base/' || oid FROM pg_database WHERE datname = current_database()`).Scan(&dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.pool.Exec(ctx, "CHECKPOINT"); err != nil { // every page to the files
		t.Fatal(err)
	}
	files, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(dir, f.Name()))
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range old {
			for j := 0; j+16 <= len(v); j += 8 {
				if bytes.Contains(b, v[j:j+16]) {
					t.Fatalf("file %s of the database holds bytes of token t%03d's old secret after Reseal", f.Name(), i)
				}
			}
		}
	}
}
