package sqlite

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/store/sqlstore"
	"otpgate.dev/otpgate/internal/testpeer"
)

// shell runs Debian's sqlite3 shell on the database: the file must stay
// readable by the reference implementation, while otpgate has it open.
func shell(t *testing.T, path, sql string) string {
	t.Helper()
	bin := testpeer.Need(t, "sqlite3")[0]
	out, err := exec.Command(bin, "-batch", "-cmd", ".timeout 10000", path, sql).CombinedOutput()
	if err != nil {
		t.Fatalf("sqlite3 %q: %v: %s", sql, err, out)
	}
	return strings.TrimSpace(string(out))
}

func addToken(t *testing.T, s *Store, id string) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.CreateUser(ctx, "user-"+id); err != nil {
		t.Fatal(err)
	}
	tok := &store.Token{ID: id, User: "user-" + id, Type: store.HOTP, Enabled: true, Secret: []byte{1, 2, 3}}
	if err := s.AddToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
}

func TestSQLite3Shell(t *testing.T) {
	s, path := openTemp(t)
	addToken(t, s, "tok")
	if ok, err := s.CommitSuccess(context.Background(), store.Success{TokenID: "tok", Next: 42, Now: time.Now()}); ok != store.Committed || err != nil {
		t.Fatalf("CommitSuccess = %v, %v", ok, err)
	}
	// While the store is open: the commit is visible to another process.
	for _, tt := range []struct{ sql, want string }{
		{"SELECT next_counter FROM tokens WHERE id = 'tok'", "42"},
		{"PRAGMA journal_mode", "wal"},
		{"SELECT MAX(version) FROM schema_migrations", strconv.Itoa(sqlstore.Latest(sqlstore.SQLite))},
		{"PRAGMA integrity_check", "ok"},
		{"PRAGMA foreign_key_check", ""},
	} {
		if got := shell(t, path, tt.sql); got != tt.want {
			t.Errorf("sqlite3 %q = %q; want %q", tt.sql, got, tt.want)
		}
	}
	// A write by the shell is seen by the store, and replay protection holds
	// across them.
	shell(t, path, "UPDATE tokens SET next_counter = 100 WHERE id = 'tok'")
	if ok, err := s.CommitSuccess(context.Background(), store.Success{TokenID: "tok", Next: 60, Now: time.Now()}); ok != store.Replayed || err != nil {
		t.Errorf("CommitSuccess(60) after the shell set 100 = %v, %v; want false", ok, err)
	}
}

func TestFileModes(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "data")
	s, err := Open(context.Background(), filepath.Join(dir, "otpgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	addToken(t, s, "tok") // makes the WAL grow
	for _, tt := range []struct {
		name string
		want os.FileMode
	}{
		{"", 0o700 | os.ModeDir},
		{"otpgate.db", 0o600},
		{"otpgate.db-wal", 0o600},
		{"otpgate.db-shm", 0o600},
	} {
		fi, err := os.Stat(filepath.Join(dir, tt.name))
		if err != nil {
			t.Errorf("stat %q: %v", tt.name, err)
			continue
		}
		if fi.Mode() != tt.want {
			t.Errorf("mode of %q = %v; want %v", tt.name, fi.Mode(), tt.want)
		}
	}
}

func TestRefuseNewerSchema(t *testing.T) {
	s, path := openTemp(t)
	s.Close()
	shell(t, path, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_future.sql', 0)")
	_, err := Open(context.Background(), path)
	if !errors.Is(err, sqlstore.ErrSchemaNewer) {
		t.Errorf("Open(database at version 9999) = %v; want ErrSchemaNewer", err)
	}
}

func TestReopenKeepsData(t *testing.T) {
	s, path := openTemp(t)
	addToken(t, s, "tok")
	if ok, err := s.CommitSuccess(context.Background(), store.Success{TokenID: "tok", Next: 7, Now: time.Now()}); ok != store.Committed || err != nil {
		t.Fatalf("CommitSuccess = %v, %v", ok, err)
	}
	s.Close()
	s2, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if ok, err := s2.CommitSuccess(context.Background(), store.Success{TokenID: "tok", Next: 7, Now: time.Now()}); ok != store.Replayed || err != nil {
		t.Errorf("CommitSuccess(7) after reopening = %v, %v; want replayed", ok, err)
	}
}

func TestClosed(t *testing.T) {
	s, _ := openTemp(t)
	addToken(t, s, "tok")
	s.Close()
	if _, err := s.CommitSuccess(context.Background(), store.Success{TokenID: "tok", Next: 9, Now: time.Now()}); err == nil {
		t.Errorf("CommitSuccess after Close = nil error; want an error")
	}
	if _, err := s.Token(context.Background(), "tok"); err == nil {
		t.Errorf("Token after Close = nil error; want an error")
	}
}
