package main

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"otpgate.dev/otpgate/internal/testpeer"
)

// A daemon follows otpgate rekey without a restart, and /readyz says 503
// while its key opens none of the store's secrets: here a second node's
// admin rotated the key of a shared store and this node has the old one,
// until the new key file is copied in.
func TestServeFollowsRekey(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "otpgate.db")
	mustRun(t, "", "enroll", "alice", "--type", "hotp", "--rfc4226-test-key", "--db", db)
	const secret = "a-shared-secret-of-some-length"
	writeMode(t, filepath.Join(dir, "vpn.secret"), secret+"\n", 0o600)
	d := startServe(t, dir, serveConfig(dir, db, "append"))
	login := func(counter int) string {
		return serveRadclient(t, d.radius, secret, `User-Name = "alice", User-Password = "`+rfc4226Codes[counter]+`"`)
	}
	ready := func() (int, string) { return httpGet(t, "http://"+d.http+"/readyz") }
	if got := login(0); got != "Access-Accept" {
		t.Fatalf("login before rekey: %s; daemon log:\n%s", got, d.logText)
	}

	if r := otpgate(t, "", nil, "rekey", "--db", db); r.code != 0 {
		t.Fatalf("rekey: %+v", r)
	}
	if got := login(1); got != "Access-Accept" {
		t.Errorf("login after rekey: %s; want Access-Accept without a restart; daemon log:\n%s", got, d.logText)
	}
	if code, body := ready(); code != 200 {
		t.Errorf("/readyz after rekey = %d %q; want 200", code, body)
	}

	// Another node's key file, a copy of this one's, rotated there.
	node2 := filepath.Join(t.TempDir(), "master.key")
	key, err := os.ReadFile(filepath.Join(dir, "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	writeMode(t, node2, string(key), 0o600)
	conf2 := writeMode(t, filepath.Join(filepath.Dir(node2), "otpgate.toml"), fmt.Sprintf("db = %q\nkey_file = %q\n", db, node2), 0o600)
	if r := otpgate(t, "", nil, "rekey", "--config", conf2); r.code != 0 {
		t.Fatalf("rekey on the second node: %+v", r)
	}
	if code, body := ready(); code != 503 || !strings.Contains(body, "master key") {
		t.Errorf("/readyz with a key that opens nothing = %d %q; want 503 naming the master key", code, body)
	}
	if got := login(2); got == "Access-Accept" {
		t.Errorf("login with a key that opens nothing: %s; want a refusal", got)
	}

	rotated, _ := os.ReadFile(node2)
	tmp := filepath.Join(dir, "master.key.new")
	writeMode(t, tmp, string(rotated), 0o600)
	if err := os.Rename(tmp, filepath.Join(dir, "master.key")); err != nil {
		t.Fatal(err)
	}
	if code, body := ready(); code != 200 {
		t.Errorf("/readyz once the rotated key is copied in = %d %q; want 200", code, body)
	}
	if got := login(3); got != "Access-Accept" {
		t.Errorf("login once the rotated key is copied in: %s; want Access-Accept; daemon log:\n%s", got, d.logText)
	}
}

// The "serve: ready" line names the database without the password a
// PostgreSQL URL carries in its query.
func TestServeReadyLineRedactsQueryPassword(t *testing.T) {
	u, err := url.Parse(testpeer.Postgres(t))
	if err != nil {
		t.Fatal(err)
	}
	pw, _ := u.User.Password()
	u.User = url.User(u.User.Username())
	q := u.Query()
	q.Set("password", pw)
	u.RawQuery = q.Encode()
	dir := t.TempDir()
	d := startServe(t, dir, fmt.Sprintf("db = %q\nkey_file = %q\n[radius]\nlisten = \"off\"\n[http]\nlisten = \"127.0.0.1:0\"\n",
		u.String(), filepath.Join(dir, "master.key")))
	if strings.Contains(d.logText.String(), pw) {
		t.Errorf("the daemon's log holds the database password:\n%s", d.logText)
	}
	if !strings.Contains(d.logText.String(), "password=xxxxx") {
		t.Errorf("the ready line does not show the redacted password:\n%s", d.logText)
	}
}
