package testpeer

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func connect(t *testing.T, url string) (*pgx.Conn, error) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	return pgx.Connect(ctx, url)
}

func TestPostgres(t *testing.T) {
	a, b := Postgres(t), Postgres(t)
	if a == b {
		t.Fatalf("Postgres returned %q twice; want a new database each call", a)
	}
	ca, err := connect(t, a)
	if err != nil {
		t.Fatalf("connect to the first database: %v", err)
	}
	defer ca.Close(context.Background())
	if _, err := ca.Exec(t.Context(), "CREATE TABLE only_here (x int)"); err != nil {
		t.Fatalf("CREATE TABLE = %v", err)
	}
	cb, err := connect(t, b)
	if err != nil {
		t.Fatalf("connect to the second database: %v", err)
	}
	defer cb.Close(context.Background())
	var n int
	if err := cb.QueryRow(t.Context(), "SELECT count(*) FROM pg_tables WHERE tablename = 'only_here'").Scan(&n); err != nil || n != 0 {
		t.Errorf("second database sees %d tables of the first (%v); want a fresh database", n, err)
	}
	var fsync string
	if err := ca.QueryRow(t.Context(), "SELECT current_setting('fsync')").Scan(&fsync); err != nil || fsync != "off" {
		t.Errorf("fsync = %q, %v; want off for a throwaway cluster", fsync, err)
	}
}

func TestPostgresWrongPassword(t *testing.T) {
	c := shared.c
	if c == nil {
		Postgres(t)
		c = shared.c
	}
	url := "postgres://postgres:wrong@" + c.Addr() + "/postgres?sslmode=disable"
	if conn, err := connect(t, url); err == nil {
		conn.Close(context.Background())
		t.Errorf("connect with a wrong password succeeded; want password authentication on 127.0.0.1")
	}
}

func TestNewPostgresStopStart(t *testing.T) {
	c := NewPostgres(t, "max_connections=20")
	url := c.NewDB(t)
	conn, err := connect(t, url)
	if err != nil {
		t.Fatalf("connect = %v", err)
	}
	conn.Close(context.Background())

	c.Stop(t)
	if conn, err := connect(t, url); err == nil {
		conn.Close(context.Background())
		t.Fatalf("connect after Stop succeeded")
	}
	c.Start(t)
	conn, err = connect(t, url)
	if err != nil {
		t.Fatalf("connect after Start = %v", err)
	}
	var max string
	conn.QueryRow(t.Context(), "SHOW max_connections").Scan(&max)
	conn.Close(context.Background())
	if max != "20" {
		t.Errorf("max_connections = %q; want the setting given to NewPostgres, 20", max)
	}

	c.close()
	if _, err := os.Stat(c.dir); !os.IsNotExist(err) {
		t.Errorf("cluster directory %s after close: %v; want it removed", c.dir, err)
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	dir := ""
	if shared.c != nil {
		dir = shared.c.dir
	}
	StopPostgres()
	if dir != "" {
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			println("testpeer: shared cluster directory", dir, "left after StopPostgres")
			code = 1
		}
	}
	os.Exit(code)
}
