package site

import (
	"os"
	"path/filepath"
	"testing"
)

func envOf(uid int, vars map[string]string) Env {
	return Env{UID: uid, Getenv: func(k string) string { return vars[k] }}
}

// The precedence of the package documentation, flag by flag.
func TestFindPrecedence(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "otpgate.toml")
	if err := os.WriteFile(conf, []byte("db = \"/srv/file.db\"\nkey_file = \"/srv/file.key\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.toml")
	os.WriteFile(empty, nil, 0o600)
	for _, tt := range []struct {
		name             string
		uid              int
		vars             map[string]string
		flags            Flags
		wantDB, wantKey  string
		wantErr, wantCfg bool
	}{
		{name: "root", vars: map[string]string{"HOME": "/root", "XDG_DATA_HOME": "/root/xdg"},
			wantDB: "/var/lib/otpgate/otpgate.db", wantKey: "/var/lib/otpgate/master.key"},
		{name: "xdg", uid: 1000, vars: map[string]string{"HOME": "/home/ann", "XDG_DATA_HOME": "/data/ann"},
			wantDB: "/data/ann/otpgate/otpgate.db", wantKey: "/data/ann/otpgate/master.key"},
		{name: "home", uid: 1000, vars: map[string]string{"HOME": "/home/ann"},
			wantDB: "/home/ann/.local/share/otpgate/otpgate.db", wantKey: "/home/ann/.local/share/otpgate/master.key"},
		{name: "relative xdg ignored", uid: 1000, vars: map[string]string{"HOME": "/home/ann", "XDG_DATA_HOME": "data"},
			wantDB: "/home/ann/.local/share/otpgate/otpgate.db", wantKey: "/home/ann/.local/share/otpgate/master.key"},
		{name: "no home", uid: 1000, vars: map[string]string{}, wantErr: true},
		{name: "env db", vars: map[string]string{EnvDB: "/srv/otp/tokens.db"},
			wantDB: "/srv/otp/tokens.db", wantKey: "/srv/otp/master.key"},
		{name: "env postgres", vars: map[string]string{EnvDB: "postgres://otp@db1/otpgate"},
			wantDB: "postgres://otp@db1/otpgate", wantKey: "/var/lib/otpgate/master.key"},
		{name: "env key", vars: map[string]string{EnvDB: "postgres://otp@db1/otpgate", EnvKeyFile: "/etc/otpgate/master.key"},
			wantDB: "postgres://otp@db1/otpgate", wantKey: "/etc/otpgate/master.key"},
		{name: "relative env key", vars: map[string]string{EnvKeyFile: "master.key"}, wantErr: true},
		{name: "file over env", vars: map[string]string{EnvConfig: conf, EnvDB: "/env.db", EnvKeyFile: "/env.key"},
			wantDB: "/srv/file.db", wantKey: "/srv/file.key", wantCfg: true},
		{name: "flag db over file", vars: map[string]string{EnvConfig: conf}, flags: Flags{DB: "/flag.db"},
			wantDB: "/flag.db", wantKey: "/srv/file.key", wantCfg: true},
		{name: "flag config over env", vars: map[string]string{EnvConfig: conf, EnvDB: "/env.db"}, flags: Flags{Config: empty},
			wantDB: "/env.db", wantKey: "/master.key", wantCfg: true},
		{name: "libpq keyword string", flags: Flags{DB: "host=db1 password=s3cret dbname=otpgate"}, wantErr: true},
	} {
		s, err := Find(envOf(tt.uid, tt.vars), tt.flags)
		if tt.wantErr {
			if err == nil {
				t.Errorf("%s: Find = %+v; want an error", tt.name, s)
			}
			continue
		}
		if err != nil || s.DB != tt.wantDB || s.KeyFile != tt.wantKey || (s.File != "") != tt.wantCfg {
			t.Errorf("%s: Find = %+v, %v; want db %q, key %q, file read %v", tt.name, s, err, tt.wantDB, tt.wantKey, tt.wantCfg)
		}
	}
}

// The system file is read when it exists, and only then.
func TestFindSystemConfig(t *testing.T) {
	dir := t.TempDir()
	sys := filepath.Join(dir, "otpgate.toml")
	e := envOf(0, nil)
	e.SystemConfig = sys
	if s, err := Find(e, Flags{}); err != nil || s.File != "" {
		t.Errorf("Find without the system file = %+v, %v; want the defaults", s, err)
	}
	os.WriteFile(sys, []byte("db = \"/srv/a.db\"\n"), 0o600)
	if s, err := Find(e, Flags{}); err != nil || s.File != sys || s.DB != "/srv/a.db" {
		t.Errorf("Find with the system file = %+v, %v; want it read", s, err)
	}
}

func TestIssuer(t *testing.T) {
	if got := envOf(0, nil).Issuer(); got != DefaultIssuer {
		t.Errorf("Issuer() = %q; want %q", got, DefaultIssuer)
	}
	if got := envOf(0, map[string]string{EnvIssuer: "ACME VPN"}).Issuer(); got != "ACME VPN" {
		t.Errorf("Issuer() = %q; want $%s", got, EnvIssuer)
	}
}
