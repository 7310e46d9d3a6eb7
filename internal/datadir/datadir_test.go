package datadir

import "testing"

func TestPaths(t *testing.T) {
	for _, tt := range []struct {
		name          string
		uid           int
		vars          map[string]string
		wantDB        string
		wantKey       string
		wantDirFailed bool
	}{
		{"root", 0, map[string]string{"HOME": "/root", "XDG_DATA_HOME": "/root/xdg"},
			"/var/lib/otpgate/otpgate.db", "/var/lib/otpgate/master.key", false},
		{"xdg", 1000, map[string]string{"HOME": "/home/ann", "XDG_DATA_HOME": "/data/ann"},
			"/data/ann/otpgate/otpgate.db", "/data/ann/otpgate/master.key", false},
		{"home", 1000, map[string]string{"HOME": "/home/ann"},
			"/home/ann/.local/share/otpgate/otpgate.db", "/home/ann/.local/share/otpgate/master.key", false},
		{"relative xdg ignored", 1000, map[string]string{"HOME": "/home/ann", "XDG_DATA_HOME": "data"},
			"/home/ann/.local/share/otpgate/otpgate.db", "/home/ann/.local/share/otpgate/master.key", false},
		{"env override", 1000, map[string]string{"HOME": "/home/ann", EnvDB: "/srv/otp/tokens.db"},
			"/srv/otp/tokens.db", "/srv/otp/master.key", false},
		{"env override for root", 0, map[string]string{EnvDB: "rel/tokens.db"},
			"rel/tokens.db", "rel/master.key", false},
		{"postgres URL", 0, map[string]string{EnvDB: "postgres://otp@db1/otpgate"},
			"postgres://otp@db1/otpgate", "/var/lib/otpgate/master.key", false},
		{"key override", 0, map[string]string{EnvDB: "postgres://otp@db1/otpgate", EnvKey: "/etc/otpgate/master.key"},
			"postgres://otp@db1/otpgate", "/etc/otpgate/master.key", false},
		{"no home", 1000, map[string]string{}, "", "", true},
	} {
		e := env{uid: tt.uid, getenv: func(k string) string { return tt.vars[k] }}
		db, err := e.dbPath()
		if tt.wantDirFailed {
			if err == nil {
				t.Errorf("%s: dbPath() = %q; want an error", tt.name, db)
			}
			continue
		}
		if err != nil || db != tt.wantDB {
			t.Errorf("%s: dbPath() = %q, %v; want %q", tt.name, db, err, tt.wantDB)
		}
		if key, err := e.keyPath(db); err != nil || key != tt.wantKey {
			t.Errorf("%s: keyPath(%q) = %q, %v; want %q", tt.name, db, key, err, tt.wantKey)
		}
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/var/lib/otpgate/otpgate.db", "/var/lib/otpgate/otpgate.db"},
		{"postgres://otpgate:s3cret@db1:5432/otpgate?sslmode=require", "postgres://otpgate:xxxxx@db1:5432/otpgate?sslmode=require"},
		{"postgresql://db1/otpgate", "postgresql://db1/otpgate"},
		{"postgres://u:p@[::1/x", "postgres://(unparsable URL)"},
	}
	for _, tt := range tests {
		if got := Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestKeyPathRelativeOverride(t *testing.T) {
	e := env{uid: 0, getenv: func(k string) string { return map[string]string{EnvKey: "master.key"}[k] }}
	if k, err := e.keyPath("/x/otpgate.db"); err == nil {
		t.Errorf("keyPath with a relative %s = %q; want an error", EnvKey, k)
	}
}
