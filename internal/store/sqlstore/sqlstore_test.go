package sqlstore

import (
	"database/sql"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/store"
)

func TestMigrations(t *testing.T) {
	for _, d := range []Dialect{SQLite, Postgres} {
		ms, err := Migrations(d)
		if err != nil {
			t.Fatalf("Migrations(%s) = %v", d, err)
		}
		if len(ms) == 0 || Latest(d) != len(ms) {
			t.Fatalf("Migrations(%s) has %d files, Latest = %d", d, len(ms), Latest(d))
		}
		for i, m := range ms {
			if m.Version != i+1 || strings.TrimSpace(m.SQL) == "" {
				t.Errorf("%s migration %d = version %d %q with %d bytes of SQL", d, i, m.Version, m.Name, len(m.SQL))
			}
		}
	}
	if Latest(SQLite) != Latest(Postgres) {
		t.Errorf("Latest(sqlite) = %d, Latest(postgres) = %d; every schema change needs a migration for both", Latest(SQLite), Latest(Postgres))
	}
	if _, err := Migrations("oracle"); err == nil {
		t.Errorf("Migrations(oracle) = nil error; want an error")
	}
}

func TestReadMigrationNames(t *testing.T) {
	for _, name := range []string{"init.sql", "0001-init.sql", "x_init.sql", "0000_init.sql", "0001_init.txt"} {
		if _, err := readMigration("migrations/sqlite", name); err == nil {
			t.Errorf("readMigration(%q) = nil error; want a name error", name)
		}
	}
}

func TestTime(t *testing.T) {
	for _, tt := range []struct {
		in   time.Time
		want any
	}{
		{time.Time{}, nil},
		{time.Unix(0, 0), int64(0)},
		{time.Unix(59, 1), int64(59_000_000_001)},
		{time.Date(2026, 3, 14, 15, 9, 26, 535897932, time.FixedZone("CET", 3600)), int64(1773497366535897932)},
		{store.Forever, int64(math.MaxInt64)},
	} {
		if got := Time(tt.in); got != tt.want {
			t.Errorf("Time(%v) = %v; want %v", tt.in, got, tt.want)
		}
		var n sql.NullInt64
		if v, ok := tt.want.(int64); ok {
			n = sql.NullInt64{Int64: v, Valid: true}
		}
		if back := FromNull(n); !back.Equal(tt.in) || back.Location() != time.UTC {
			t.Errorf("FromNull(Time(%v)) = %v; want the same instant in UTC", tt.in, back)
		}
	}
}

func FuzzTime(f *testing.F) {
	f.Add(int64(0), int64(0))
	f.Add(int64(59), int64(1))
	f.Add(int64(253402214400), int64(0)) // store.Forever
	f.Add(int64(-62135596800), int64(0)) // the zero time
	f.Fuzz(func(t *testing.T, sec, nsec int64) {
		in := time.Unix(sec, nsec)
		n := Nanos(in)
		back := FromNanos(n)
		switch {
		case in.After(maxNano):
			if n != math.MaxInt64 || !back.Equal(store.Forever) {
				t.Errorf("Nanos(%v) = %d, back %v; want MaxInt64 and Forever", in, n, back)
			}
		case in.Before(minNano):
			if n != math.MinInt64+1 {
				t.Errorf("Nanos(%v) = %d; want the clamp", in, n)
			}
		case !back.Equal(in):
			t.Errorf("FromNanos(Nanos(%v)) = %v", in, back)
		}
	})
}

func TestSelectAudit(t *testing.T) {
	for _, f := range []store.AuditFilter{
		{},
		{User: "alice"},
		{Since: time.Unix(1, 0)},
		{Limit: 5},
		{User: "alice", Since: time.Unix(1, 0), Limit: 5},
	} {
		q, args := SelectAudit(f)
		if got := strings.Count(q, "$"); got != len(args) {
			t.Errorf("SelectAudit(%+v) = %q with %d args; want one per placeholder", f, q, len(args))
		}
		for i := range args {
			if !strings.Contains(q, "$"+strconv.Itoa(i+1)) {
				t.Errorf("SelectAudit(%+v) = %q: no $%d", f, q, i+1)
			}
		}
	}
}
