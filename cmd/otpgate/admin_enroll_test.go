package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// runTTY runs otpgate with stdin a terminal that answers answer.
func runTTY(t *testing.T, answer string, args ...string) result {
	t.Helper()
	e, out, errb := testEnv(answer, nil)
	e.stdinTerminal = true
	code := run(args, e)
	return result{code, out.String(), errb.String()}
}

// enroll refuses a second token for a user (a re-issued QR code would leave
// the lost phone working); --replace swaps them in one transaction, and
// delete --token removes one token.
func TestEnrollExistingUser(t *testing.T) {
	f, db := adminDB(t)
	mustRun(t, "", "enroll", "alice", "--type", "hotp", "--rfc4226-test-key", f, db)
	r := otpgate(t, "", nil, "enroll", "alice", "--type", "hotp", f, db)
	if r.code != 1 || !strings.Contains(r.stderr, "has a token already") || !strings.Contains(r.stderr, "hint: give --replace") {
		t.Errorf("enroll of a user with a token = %d, %q; want a refusal and the --replace hint", r.code, r.stderr)
	}
	var before []struct{ Tokens []struct{ ID string } }
	json.Unmarshal([]byte(mustRun(t, "", "list", "--json", f, db).stdout), &before)
	if len(before) != 1 || len(before[0].Tokens) != 1 {
		t.Fatalf("list after the refused enroll = %+v; want alice's one token", before)
	}
	old := before[0].Tokens[0].ID

	r = mustRun(t, "", "enroll", "alice", "--type", "hotp", "--replace", "--json", f, db)
	var out struct {
		ID       string
		Secret   string
		Replaced []string
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || out.Secret == "" || len(out.Replaced) != 1 || out.Replaced[0] != old {
		t.Fatalf("enroll --replace --json = %q (%v); want the new token, replacing %s", r.stdout, err, old)
	}
	if r := otpgate(t, "", nil, "verify", "alice", hotpCodes[0], f, db); r.code != 1 {
		t.Errorf("the replaced token's code = %d; want refused", r.code)
	}
	if r := mustRun(t, "", "show", "alice", f, db); strings.Count(r.stdout, "token:") != 1 || !strings.Contains(r.stdout, out.ID) {
		t.Errorf("show after --replace:\n%s\nwant only %s", r.stdout, out.ID)
	}

	if r := otpgate(t, "", nil, "delete", "alice", "--token", "NOSUCHTOKEN", "--yes", f, db); r.code != 1 || !strings.Contains(r.stderr, "no token") {
		t.Errorf("delete --token of an unknown token = %d, %q", r.code, r.stderr)
	}
	mustRun(t, "", "delete", "alice", "--token", out.ID, "--yes", f, db)
	if r := mustRun(t, "", "list", f, db); r.stdout != "alice\n" {
		t.Errorf("list after delete --token = %q; want alice without tokens", r.stdout)
	}
	mustRun(t, "", "enroll", "alice", f, db) // no token left: no --replace needed
}

// delete and audit --delete-before ask on a terminal, take --yes from a
// script, and refuse otherwise.
func TestDestructiveCommandsConfirm(t *testing.T) {
	f, db := adminDB(t)
	mustRun(t, "", "enroll", "alice", f, db)
	users := func() string { return mustRun(t, "", "list", f, db).stdout }
	if r := otpgate(t, "", nil, "delete", "alice", f, db); r.code != 2 || !strings.Contains(r.stderr, "not a terminal") || !strings.Contains(r.stderr, "--yes") {
		t.Errorf("delete without a terminal or --yes = %d, %q; want a usage error naming --yes", r.code, r.stderr)
	}
	if r := runTTY(t, "n\n", "delete", "alice", f, db); r.code != 1 || !strings.Contains(r.stderr, "[y/N]") || !strings.Contains(r.stderr, "not confirmed") {
		t.Errorf("delete answered n = %d, %q", r.code, r.stderr)
	}
	if !strings.Contains(users(), "alice") {
		t.Fatal("alice was deleted without confirmation")
	}
	if r := runTTY(t, "y\n", "delete", "alice", f, db); r.code != 0 || strings.Contains(users(), "alice") {
		t.Errorf("delete answered y = %d, %q; want alice deleted", r.code, r.stderr)
	}
	trail := func() string { return mustRun(t, "", "audit", "--limit", "0", f, db).stdout }
	n := strings.Count(trail(), "\n")
	if r := otpgate(t, "", nil, "audit", "--delete-before", "0s", f, db); r.code != 2 || !strings.Contains(r.stderr, "--yes") {
		t.Errorf("audit --delete-before without --yes = %d, %q; want a usage error", r.code, r.stderr)
	}
	if r := runTTY(t, "\n", "audit", "--delete-before", "0s", f, db); r.code != 1 {
		t.Errorf("audit --delete-before answered with Enter = %d, %q; want not confirmed", r.code, r.stderr)
	}
	if got := strings.Count(trail(), "\n"); got != n {
		t.Errorf("the trail has %d lines after refusals; want %d", got, n)
	}
	if r := otpgate(t, "", nil, "audit", "--delete-before", "0s", "--yes", f, db); r.code != 0 || !strings.Contains(r.stdout, "deleted") {
		t.Errorf("audit --delete-before --yes = %d, %q %q", r.code, r.stdout, r.stderr)
	}
}

func TestVerifyTestJSON(t *testing.T) {
	f, db := adminDB(t)
	mustRun(t, "", "enroll", "bob", "--type", "hotp", "--rfc4226-test-key", f, db)
	var codes []struct{ ID, Code string }
	if err := json.Unmarshal([]byte(mustRun(t, "", "test", "bob", "--json", f, db).stdout), &codes); err != nil || len(codes) != 1 || codes[0].Code != hotpCodes[0] {
		t.Errorf("test --json = %+v, %v; want bob's code %s", codes, err, hotpCodes[0])
	}
	var v struct {
		User     string
		Accepted bool
		Token    string
		Reason   string
	}
	r := mustRun(t, "", "verify", "bob", hotpCodes[0], "--json", f, db)
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil || !v.Accepted || v.User != "bob" || v.Token != codes[0].ID {
		t.Errorf("verify --json = %q (%v); want accepted by %s", r.stdout, err, codes[0].ID)
	}
	r = otpgate(t, "", nil, "verify", "bob", hotpCodes[0], "--json", f, db)
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil || r.code != 1 || v.Accepted || v.Reason == "" || r.stderr != "" {
		t.Errorf("verify --json of a replay = %d, %q, %q; want exit 1, accepted false and a reason, no stderr", r.code, r.stdout, r.stderr)
	}
}
