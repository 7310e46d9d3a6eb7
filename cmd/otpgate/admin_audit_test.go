package main

import (
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/auditlog"
)

// A whole admin cycle (enroll, verify, wrong code, replay, resync, test,
// export) leaves an audit trail whose JSON lines and text hold no secret
// in any encoding and none of the codes.
func TestAuditNoSecretOrCode(t *testing.T) {
	db := filepath.Join(t.TempDir(), "otpgate.db")
	r := mustRun(t, "", "enroll", "alice", "--type", "hotp", "--db", db)
	b32 := field(r.stdout, "secret:")
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(b32)
	if err != nil {
		t.Fatal(err)
	}
	mustRun(t, "", "enroll", "bob", "--type", "hotp", "--rfc4226-test-key", "--db", db)
	codes := []string{hotpCode(0), hotpCode(100), hotpCode(101), hotpCode(102)}
	mustRun(t, codes[0], "verify", "bob", "-", "--db", db)
	otpgate(t, codes[0], nil, "verify", "bob", "-", "--db", db) // replay
	otpgate(t, "999999", nil, "verify", "bob", "-", "--db", db)
	mustRun(t, "", "resync", "bob", codes[1], codes[2], "--db", db)
	r = mustRun(t, "", "test", "bob", "--db", db)
	codes = append(codes, strings.TrimSpace(r.stdout))
	mustRun(t, "", "export", "--format", "otpauth", "--out", filepath.Join(t.TempDir(), "x"), "--db", db)

	js := mustRun(t, "", "audit", "--json", "--limit", "0", "--db", db).stdout
	text := mustRun(t, "", "audit", "--limit", "0", "--db", db).stdout
	var actions []string
	for _, l := range strings.Split(strings.TrimSuffix(js, "\n"), "\n") {
		var v auditlog.Line
		dec := json.NewDecoder(strings.NewReader(l))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("audit --json line %q: %v", l, err)
		}
		actions = append(actions, v.Action+"/"+v.Result)
	}
	for _, want := range []string{"enroll/ok", "verify/ok", "verify/replay", "verify/fail", "resync/ok", "test/ok", "export/ok"} {
		if !strings.Contains(strings.Join(actions, " "), want) {
			t.Errorf("audit --json lacks %s: %v", want, actions)
		}
	}
	for _, key := range [][]byte{secret, rfcKey4226} {
		for _, s := range []string{string(key), b32, base32.StdEncoding.EncodeToString(key), base64.StdEncoding.EncodeToString(key), hex.EncodeToString(key)} {
			if strings.Contains(js, s) || strings.Contains(text, s) {
				t.Errorf("the audit trail holds a secret (%q)", s)
			}
		}
	}
	for _, c := range append(codes, "999999") {
		if strings.Contains(js, c) || strings.Contains(text, c) {
			t.Errorf("the audit trail holds the code %q", c)
		}
	}
}

func TestAuditFilters(t *testing.T) {
	db := filepath.Join(t.TempDir(), "otpgate.db")
	mustRun(t, "", "enroll", "alice", "--db", db)
	mustRun(t, "", "enroll", "bob", "--db", db)
	mustRun(t, "", "disable", "bob", "--db", db)
	count := func(args ...string) int {
		t.Helper()
		out := mustRun(t, "", append([]string{"audit", "--json", "--db", db}, args...)...).stdout
		return strings.Count(out, "\n")
	}
	tests := []struct {
		args []string
		want int
	}{
		{nil, 3},
		{[]string{"--user", "bob"}, 2},
		{[]string{"--limit", "1"}, 1},
		{[]string{"--since", "1h"}, 3},
		{[]string{"--since", "1970-01-01T00:01:00Z"}, 0}, // the test clock is Unix 59
	}
	for _, tt := range tests {
		if got := count(tt.args...); got != tt.want {
			t.Errorf("audit %q = %d events; want %d", tt.args, got, tt.want)
		}
	}
	r := mustRun(t, "", "audit", "--user", "bob", "--db", db)
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "TIME") || !strings.Contains(lines[1], "disable") ||
		!strings.Contains(lines[1], "1970-01-01T00:00:59Z") || !strings.Contains(lines[2], "enroll") {
		t.Errorf("audit --user bob =\n%s\nwant a header, then disable and enroll, newest first", r.stdout)
	}
	for _, bad := range [][]string{{"--since", "yesterday"}, {"--since", "-1h"}, {"--limit", "-1"}, {"extra"}} {
		r := otpgate(t, "", nil, append([]string{"audit", "--db", db}, bad...)...)
		if r.code != 2 || !strings.HasPrefix(r.stderr, "otpgate audit: error: ") {
			t.Errorf("audit %q = %d, %q; want 2 and a usage error", bad, r.code, r.stderr)
		}
	}
}

// FuzzParseSince checks that no --since value panics and that an accepted
// one is never after now unless it is an explicit time.
func FuzzParseSince(f *testing.F) {
	for _, s := range []string{"24h", "90m", "0s", "-1h", "2026-11-23T08:00:00Z", "2026-11-23T08:00:00.5+01:00", "yesterday", ""} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseSince(s, now)
		if err != nil {
			return
		}
		if _, derr := time.ParseDuration(s); derr == nil && got.After(now) {
			t.Errorf("parseSince(%q) = %v, after now %v", s, got, now)
		}
	})
}

// audit --delete-before deletes the older events, records the deletion,
// and refuses a time in the future or a mix with the reading flags.
func TestAuditDeleteBefore(t *testing.T) {
	f, db := adminDB(t)
	mustRun(t, "", "enroll", "alice", "--type", "hotp", f, db) // logged at the test clock, 00:00:59
	mustRun(t, "", "enroll", "bob", "--type", "hotp", f, db)
	later := func(args ...string) result { // two hours on
		e, out, errb := testEnv("", nil)
		e.now = func() time.Time { return time.Unix(59, 0).Add(2 * time.Hour).UTC() }
		code := run(args, e)
		return result{code, out.String(), errb.String()}
	}
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"audit", "--delete-before", "1h", "--user", "alice", f, db}, 2, "takes no --user"},
		{[]string{"audit", "--delete-before", "soon", f, db}, 2, `--delete-before "soon" is neither a duration nor an RFC 3339 time`},
		{[]string{"audit", "--delete-before", "2999-01-01T00:00:00Z", "--yes", f, db}, 1, "is in the future"},
		{[]string{"audit", "--delete-before", "3h", "--yes", f, db}, 0, "deleted 0 audit events logged before 1969-12-31T23:00:59Z"},
		{[]string{"audit", "--delete-before", "1h", "--yes", f, db}, 0, "deleted 2 audit events logged before 1970-01-01T01:00:59Z"},
	} {
		r := later(tt.args...)
		if r.code != tt.code || !strings.Contains(r.stdout+r.stderr, tt.want) {
			t.Errorf("otpgate %q = %d, %q %q; want %d and %q", tt.args, r.code, r.stdout, r.stderr, tt.code, tt.want)
		}
	}
	js := later("audit", "--json", "--limit", "0", f, db).stdout
	var lines []auditlog.Line
	for _, l := range strings.Split(strings.TrimSpace(js), "\n") {
		var v auditlog.Line
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("audit --json line %q: %v", l, err)
		}
		lines = append(lines, v)
	}
	if len(lines) != 2 || lines[0].Action != "prune-audit" || !strings.HasPrefix(lines[0].Reason, "2 events logged before") ||
		lines[1].Action != "prune-audit" || !strings.HasPrefix(lines[1].Reason, "0 events") {
		t.Errorf("the trail after deleting = %+v; want only the two deletions, newest first", lines)
	}
}
