package auditlog_test

import (
	"bytes"
	"context"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/engine"
	"otpgate.dev/otpgate/internal/enroll"
	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/secretbox"
	"otpgate.dev/otpgate/internal/store"
)

// secretForms are the ways a secret could leak into a line.
func secretForms(b []byte) []string {
	return []string{
		string(b), hex.EncodeToString(b), strings.ToUpper(hex.EncodeToString(b)),
		base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b),
		base64.StdEncoding.EncodeToString(b), base64.RawURLEncoding.EncodeToString(b),
	}
}

// TestNoSecretOrCodeInLines runs a whole cycle through an engine whose
// store is teed to JSON lines (enroll, success, wrong code, replay, resync,
// lockout, unlock, the admin's current code), then checks that no line holds
// a secret in any encoding or any code that was typed or computed. The CLI
// test of `otpgate audit --json` covers export the same way.
func TestNoSecretOrCodeInLines(t *testing.T) {
	ctx := context.Background()
	s := newSite(t)
	box, err := secretbox.LoadOrCreate(filepath.Join(filepath.Dir(s.db), "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	log := s.tee(t)
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	pol := engine.DefaultPolicy()
	pol.MaxFailures = 3
	eng := engine.New(log, box, pol, clock)

	hotpKey := []byte("12345678901234567890")
	totpKey := []byte("abcdefghijklmnopqrst")
	enrollToken(t, log, box, enroll.Spec{User: "alice", Type: store.HOTP, Secret: hotpKey}, now)
	enrollToken(t, log, box, enroll.Spec{User: "bob", Type: store.TOTP, Secret: totpKey}, now)
	p := otp.DefaultParams()
	var codes []string
	verify := func(user, code string, want bool) {
		t.Helper()
		codes = append(codes, code)
		res, err := eng.Verify(ctx, engine.Request{User: user, Code: code, Source: "198.51.100.7", Actor: "test"})
		if err != nil || res.OK != want {
			t.Fatalf("Verify(%q, %q) = %+v, %v; want OK %v", user, code, res, err, want)
		}
	}
	verify("alice", otp.Generate(hotpKey, 0, p), true)
	verify("alice", otp.Generate(hotpKey, 0, p), false) // replay
	verify("alice", otp.Generate(hotpKey, 500, p), false)
	c1, c2 := otp.Generate(hotpKey, 600, p), otp.Generate(hotpKey, 601, p)
	codes = append(codes, c1, c2)
	if _, err := eng.Resync(ctx, engine.ResyncRequest{User: "alice", Code1: c1, Code2: c2}); err != nil {
		t.Fatalf("Resync: %v", err)
	}
	step := p.Step(now)
	verify("bob", otp.Generate(totpKey, step, p), true)
	for range 4 {
		verify("bob", "000000", false)
	}
	toks, _ := log.Tokens(ctx, "bob")
	if err := eng.Unlock(ctx, toks[0].ID); err != nil {
		t.Fatal(err)
	}
	cur, err := eng.Current(ctx, toks[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	codes = append(codes, cur, otp.Generate(hotpKey, 602, p))
	if err := log.Close(); err != nil {
		t.Fatal(err)
	}

	b, err := os.ReadFile(s.file)
	if err != nil {
		t.Fatal(err)
	}
	out := string(b)
	got := lines(t, out)
	actions := map[string]int{}
	for _, l := range got {
		actions[l.Action+"/"+l.Result]++
	}
	for _, want := range []string{"verify/ok", "verify/fail", "verify/replay", "resync/ok", "unlock/ok", "test/ok", "verify/locked"} {
		if actions[want] == 0 {
			t.Errorf("no %s line in %v", want, actions)
		}
	}
	for _, key := range [][]byte{hotpKey, totpKey} {
		for _, s := range secretForms(key) {
			if strings.Contains(out, s) {
				t.Errorf("a line holds a secret (%q)", s)
			}
		}
	}
	for _, c := range codes {
		if c != "000000" && strings.Contains(out, c) {
			t.Errorf("a line holds the code %q:\n%s", c, out)
		}
	}
	if strings.Count(out, `"000000"`) > 0 || bytes.Contains([]byte(out), []byte(`:"000000`)) {
		t.Errorf("a line holds the typed wrong code")
	}
}

func enrollToken(t *testing.T, st store.Store, box *secretbox.Box, s enroll.Spec, now time.Time) {
	t.Helper()
	if _, err := enroll.Enroll(context.Background(), st, box, s, now); err != nil {
		t.Fatalf("Enroll(%s): %v", s.User, err)
	}
}
