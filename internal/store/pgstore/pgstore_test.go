package pgstore

import (
	"context"
	"errors"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/store/sqlstore"
	"otpgate.dev/otpgate/internal/store/storetest"
	"otpgate.dev/otpgate/internal/testpeer"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testpeer.StopPostgres()
	os.Exit(code)
}

// openURL opens the store at u, closed when t ends.
func openURL(t testing.TB, u string) *Store {
	t.Helper()
	s, err := Open(context.Background(), u)
	if err != nil {
		t.Fatalf("Open = %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// openTemp opens a store on a new database of the test cluster.
func openTemp(t testing.TB) (*Store, string) {
	t.Helper()
	u := testpeer.Postgres(t)
	return openURL(t, u), u
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, _ := openTemp(t)
		return s
	})
}

func TestIsURL(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want bool
	}{
		{"postgres://otpgate@db/otpgate", true},
		{"postgresql://otpgate:pw@db:5433/otpgate?sslmode=verify-full", true},
		{"postgres:///otpgate?host=/var/run/postgresql", true},
		{"/var/lib/otpgate/otpgate.db", false},
		{"otpgate.db", false},
		{"host=db user=otpgate", false},
		{"sqlite:///var/lib/otpgate.db", false},
		{"", false},
	} {
		if got := IsURL(tt.in); got != tt.want {
			t.Errorf("IsURL(%q) = %v; want %v", tt.in, got, tt.want)
		}
	}
}

// schemaVersions returns the versions recorded in schema_migrations.
func schemaVersions(t *testing.T, s *Store) []int {
	t.Helper()
	rows, err := s.pool.Query(t.Context(), `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatalf("read schema_migrations: %v", err)
	}
	defer rows.Close()
	var vs []int
	for rows.Next() {
		var v int
		rows.Scan(&v)
		vs = append(vs, v)
	}
	return vs
}

func wantAllMigrations(t *testing.T, s *Store) {
	t.Helper()
	vs := schemaVersions(t, s)
	if len(vs) != sqlstore.Latest(sqlstore.Postgres) || vs[len(vs)-1] != len(vs) {
		t.Errorf("schema_migrations = %v; want each of 1..%d once", vs, sqlstore.Latest(sqlstore.Postgres))
	}
}

func TestMigrateAgain(t *testing.T) {
	s, u := openTemp(t)
	if _, err := s.CreateUser(t.Context(), "alice"); err != nil {
		t.Fatalf("CreateUser = %v", err)
	}
	s.Close()
	s = openURL(t, u)
	wantAllMigrations(t, s)
	if _, err := s.User(t.Context(), "alice"); err != nil {
		t.Errorf("User(alice) after a second Open = %v; want the data kept", err)
	}
}

// TestOpenConcurrently: three nodes starting at once on an empty database
// migrate it once, one after the other.
func TestOpenConcurrently(t *testing.T) {
	u := testpeer.Postgres(t)
	var (
		wg     sync.WaitGroup
		stores [3]*Store
		errs   [3]error
		start  = make(chan struct{})
	)
	for i := range stores {
		wg.Go(func() {
			<-start
			stores[i], errs[i] = Open(t.Context(), u)
		})
	}
	close(start)
	wg.Wait()
	for i, s := range stores {
		if errs[i] != nil {
			t.Fatalf("concurrent Open #%d = %v", i, errs[i])
		}
		t.Cleanup(func() { s.Close() })
	}
	wantAllMigrations(t, stores[0])
}

func TestSchemaNewer(t *testing.T) {
	s, u := openTemp(t)
	newer := sqlstore.Latest(sqlstore.Postgres) + 1
	_, err := s.pool.Exec(t.Context(), `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, 'future.sql', 0)`, newer)
	if err != nil {
		t.Fatalf("record a future migration: %v", err)
	}
	s.Close()
	if s, err := Open(t.Context(), u); !errors.Is(err, sqlstore.ErrSchemaNewer) {
		if err == nil {
			s.Close()
		}
		t.Errorf("Open(database at version %d) = %v; want ErrSchemaNewer", newer, err)
	}
}

// TestErrorsRedactPassword: no error shows the password of the URL, however
// the URL or the connection fails.
func TestErrorsRedactPassword(t *testing.T) {
	good, err := url.Parse(testpeer.Postgres(t))
	if err != nil {
		t.Fatal(err)
	}
	const pw = "Wr0ng-pa55word"
	withPW := func(host, query string) string {
		return "postgres://postgres:" + pw + "@" + host + "/postgres?sslmode=disable" + query
	}
	closedPort := freePort(t)
	for _, tt := range []struct {
		name, url, want string
	}{
		{"wrong password", withPW(good.Host, ""), "cannot log in to the database at " + good.Host},
		{"unreachable", withPW(closedPort, ""), "database at " + closedPort + " is unreachable"},
		{"bad pool size", withPW(good.Host, "&pool_max_conns=lots"), "invalid database URL"},
		{"bad port", "postgres://postgres:" + pw + "@127.0.0.1:99999/x", "invalid database URL"},
		{"malformed", "postgres://postgres:" + pw + "%zz@127.0.0.1/x", "malformed database URL"},
		{"not a URL", "host=127.0.0.1 password=" + pw, "must be a postgres:// or postgresql:// URL"},
	} {
		s, err := Open(t.Context(), tt.url)
		if err == nil {
			s.Close()
			t.Errorf("Open(%s) succeeded; want an error", tt.name)
			continue
		}
		if msg := err.Error(); strings.Contains(msg, pw) || !strings.Contains(msg, tt.want) {
			t.Errorf("Open(%s) = %q; want it to say %q and never the password", tt.name, msg, tt.want)
		}
	}
}

// freePort returns a loopback host:port that nothing listens on.
func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(l.Addr().(*net.TCPAddr).Port))
}

func TestPoolSettings(t *testing.T) {
	s, u := openTemp(t)
	if got := s.pool.Config().MaxConns; got != defaultMaxConns {
		t.Errorf("pool size = %d; want the default %d", got, defaultMaxConns)
	}
	var timeout string
	if err := s.pool.QueryRow(t.Context(), `SHOW statement_timeout`).Scan(&timeout); err != nil || timeout != defaultStatementTimeout {
		t.Errorf("statement_timeout = %q, %v; want %q", timeout, err, defaultStatementTimeout)
	}
	s2 := openURL(t, u+"&pool_max_conns=3&statement_timeout=250ms")
	if got := s2.pool.Config().MaxConns; got != 3 {
		t.Errorf("pool size with pool_max_conns=3 = %d; want 3", got)
	}
	if err := s2.pool.QueryRow(t.Context(), `SHOW statement_timeout`).Scan(&timeout); err != nil || timeout != "250ms" {
		t.Errorf("statement_timeout with statement_timeout=250ms = %q, %v; want 250ms", timeout, err)
	}
	_, err := s2.pool.Exec(t.Context(), `SELECT pg_sleep(30)`)
	if err == nil || !strings.Contains(err.Error(), "statement timeout") {
		t.Errorf("a 30 s statement under a 250ms timeout = %v; want it cancelled", err)
	}
}
