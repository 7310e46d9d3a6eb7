package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/apikey"
	"otpgate.dev/otpgate/internal/secretbox"
	"otpgate.dev/otpgate/internal/store/sqlite"
)

func TestAPIKeyCommands(t *testing.T) {
	f, db := adminDB(t)
	mustRun(t, "", "enroll", "alice", f, db)
	r := mustRun(t, "", "apikey", "create", "--scope", "verify", "--name", "intranet", f, db)
	id, key := field(r.stdout, "id:"), field(r.stdout, "key:")
	if !strings.HasPrefix(key, "otpgate_"+id+"_") || field(r.stdout, "scope:") != "verify" ||
		!strings.Contains(r.stderr, "otpgate: hint: send it as \"Authorization: Bearer KEY\"") {
		t.Fatalf("apikey create = %q, %q", r.stdout, r.stderr)
	}
	r = mustRun(t, "", "apikey", "create", "--yubico", "--json", f, db)
	var y struct{ ID, Kind, Scope, Key string }
	if err := json.Unmarshal([]byte(r.stdout), &y); err != nil || y.ID != "1" || y.Kind != "yubico" || y.Scope != "verify" || len(y.Key) != 28 {
		t.Fatalf("apikey create --yubico --json = %q, %v", r.stdout, err)
	}
	r = mustRun(t, "", "apikey", "list", f, db)
	if !strings.Contains(r.stdout, id+"  bearer  verify") || !strings.Contains(r.stdout, "intranet") || strings.Contains(r.stdout, key) || strings.Contains(r.stdout, y.Key) {
		t.Errorf("apikey list = %q; want both keys, no secret", r.stdout)
	}
	mustRun(t, "", "apikey", "revoke", id, f, db)
	r = mustRun(t, "", "apikey", "list", "--json", f, db)
	var ks []struct {
		ID      string
		Revoked *string
	}
	if err := json.Unmarshal([]byte(r.stdout), &ks); err != nil || len(ks) != 2 {
		t.Fatalf("apikey list --json after revoke = %q, %v", r.stdout, err)
	}
	for _, k := range ks {
		if (k.Revoked != nil) != (k.ID == id) {
			t.Errorf("apikey list --json after revoking %s: %s revoked %v", id, k.ID, k.Revoked)
		}
	}
	r = otpgate(t, "", nil, "apikey", "revoke", id, f, db)
	if r.code != 1 || !strings.Contains(r.stderr, "otpgate: error: apikey: no such API key, or it is revoked already") ||
		!strings.Contains(r.stderr, `hint: run "otpgate apikey list"`) {
		t.Errorf("revoke twice = %d %q", r.code, r.stderr)
	}
	for _, p := range []string{db, db + "-wal"} {
		data, _ := os.ReadFile(p)
		if bytes.Contains(data, []byte(key[len(key)-20:])) || bytes.Contains(data, []byte(y.Key)) {
			t.Errorf("%s holds a key in the clear", filepath.Base(p))
		}
	}
}

func TestAPIKeyUsage(t *testing.T) {
	f, db := adminDB(t)
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"apikey"}, 2, "missing subcommand"},
		{[]string{"apikey", "make"}, 2, `unknown subcommand "make"`},
		{[]string{"apikey", "create", f, db}, 2, "missing --scope"},
		{[]string{"apikey", "create", "--yubico", "--scope", "admin", f, db}, 2, "takes no --scope admin"},
		{[]string{"apikey", "revoke", f, db}, 2, "missing the ID"},
		{[]string{"apikey", "create", "--scope", "root", f, db}, 1, "no database"},
	}
	for _, tt := range tests {
		r := otpgate(t, "", nil, tt.args...)
		if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("otpgate %q = %d %q; want %d with %q", tt.args, r.code, r.stderr, tt.code, tt.want)
		}
	}
	mustRun(t, "", "enroll", "alice", f, db)
	if r := otpgate(t, "", nil, "apikey", "create", "--scope", "root", f, db); r.code != 1 || !strings.Contains(r.stderr, `scope "root" is not a scope (accepted: verify, admin)`) {
		t.Errorf("create --scope root = %d %q", r.code, r.stderr)
	}
	if r := mustRun(t, "", "apikey", "--help"); !strings.Contains(r.stdout, "otpgate apikey create --scope") {
		t.Errorf("apikey --help = %q", r.stdout)
	}
}

// otpgate rekey reseals the Yubico clients' keys with the tokens' secrets:
// after it, the client's key opens under the new master key alone.
func TestAPIKeyRekey(t *testing.T) {
	f, db := adminDB(t)
	mustRun(t, "", "enroll", "alice", f, db)
	r := mustRun(t, "", "apikey", "create", "--yubico", f, db)
	want, _ := base64.StdEncoding.DecodeString(field(r.stdout, "key:"))
	mustRun(t, "", "rekey", f, db)
	box, err := secretbox.Load(filepath.Join(filepath.Dir(db), "master.key"))
	if err != nil || box.Rotating() {
		t.Fatalf("master key after rekey: %v, rotating %v", err, box != nil && box.Rotating())
	}
	st, err := sqlite.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got, err := apikey.New(st, box, time.Now).YubicoKey(t.Context(), field(r.stdout, "id:"))
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("YubicoKey() after rekey = %x, %v; want %x", got, err, want)
	}
}
