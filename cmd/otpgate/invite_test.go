package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestInvite(t *testing.T) {
	f, db := adminDB(t)
	mustRun(t, "", "enroll", "alice", f, db)
	r := mustRun(t, "", "invite", "alice", "--url", "https://vpn.example.org", f, db)
	link := strings.TrimSpace(r.stdout)
	if !strings.HasPrefix(link, "https://vpn.example.org/invite?code=") || len(link) != len("https://vpn.example.org/invite?code=")+26 {
		t.Errorf("invite = %q; want a link with a 26-character code", link)
	}
	if !strings.Contains(r.stderr, "works once") {
		t.Errorf("invite's hint = %q", r.stderr)
	}
	var inv struct {
		User    string
		Link    string
		Expires time.Time
	}
	r = mustRun(t, "", "invite", "bob", "--url", "https://vpn.example.org", "--ttl", "4h", "--json", f, db)
	if err := json.Unmarshal([]byte(r.stdout), &inv); err != nil || inv.User != "bob" || inv.Link == link || inv.Expires.IsZero() {
		t.Errorf("invite --json = %s (%v)", r.stdout, err)
	}
	if a := mustRun(t, "", "audit", f, db).stdout; !strings.Contains(a, "invite") || strings.Contains(a, link[len(link)-26:]) {
		t.Errorf("audit after invite = %s; want the invitation, without its code", a)
	}
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"invite", "alice", f, db}, 1, "the link needs the portal's address"},
		{[]string{"invite", "alice", "--url", "http://vpn.example.org", f, db}, 2, "is not the portal's address"},
		{[]string{"invite", "alice", "--url", "https://vpn.example.org", "--ttl", "1m", f, db}, 2, "out of range"},
		{[]string{"invite", f, db}, 2, "the user to invite"},
	} {
		if r := otpgate(t, "", nil, tt.args...); r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("otpgate %q = %d %q; want %d and %q", tt.args, r.code, r.stderr, tt.code, tt.want)
		}
	}
}
