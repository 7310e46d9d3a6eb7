package engine_test

import (
	"strings"
	"testing"

	"otpgate.dev/otpgate/internal/engine"
	"otpgate.dev/otpgate/internal/enroll"
	"otpgate.dev/otpgate/internal/store"
)

func TestAudit(t *testing.T) {
	pol := engine.DefaultPolicy()
	pol.MaxFailures = 2
	f := newFixture(t, pol)
	tok := f.enroll(enroll.Spec{User: "alice", Type: store.HOTP, Secret: rfcKey})
	codes := []string{hotp(0, 6), hotp(0, 6), "000000", hotp(1, 6), "12345", hotp(1, 6)}
	for _, c := range codes {
		f.verify("alice", c)
	}
	f.verify("mallory", "654321")
	codes = append(codes, "654321")
	if err := f.eng.Unlock(f.ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.eng.Current(f.ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.eng.Resync(f.ctx, engine.ResyncRequest{User: "alice", Code1: hotp(7, 6), Code2: hotp(8, 6)}); err != nil {
		t.Fatal(err)
	}
	codes = append(codes, hotp(7, 6), hotp(8, 6))

	evs, err := f.st.Audit(f.ctx, store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		action store.Action
		user   string
		result store.Result
		reason string
	}{
		{"verify", "alice", "ok", "hotp counter 0"},
		{"verify", "alice", "replay", engine.ReasonReplay},
		{"verify", "alice", "fail", engine.ReasonWrongCode + ", " + engine.ReasonNowLocked},
		{"verify", "alice", "locked", engine.ReasonLocked},
		{"verify", "alice", "fail", engine.ReasonNoFit},
		{"verify", "alice", "locked", engine.ReasonLocked},
		{"verify", "mallory", "fail", engine.ReasonNoToken},
		{"unlock", "alice", "ok", ""},
		{"test", "alice", "ok", "current code shown"},
		{"resync", "alice", "ok", "next counter 9, drift 0"},
	}
	if len(evs) != len(want) {
		t.Fatalf("%d audit events; want %d: %+v", len(evs), len(want), evs)
	}
	for i, w := range want {
		e := evs[len(evs)-1-i] // newest first
		if e.Action != w.action || e.User != w.user || e.Result != w.result || e.Reason != w.reason {
			t.Errorf("event %d = %+v; want %+v", i, e, w)
		}
		if w.user == "alice" && e.TokenID != tok.ID && w.reason != engine.ReasonNoFit {
			t.Errorf("event %d token = %q; want %q", i, e.TokenID, tok.ID)
		}
		if e.Action == store.ActionVerify && (e.Source != "test" || e.Actor != "test") {
			t.Errorf("event %d source, actor = %q, %q; want test, test", i, e.Source, e.Actor)
		}
		if e.Action != store.ActionVerify && e.Actor != store.ActorAdmin {
			t.Errorf("event %d actor = %q; want %q", i, e.Actor, store.ActorAdmin)
		}
		for _, c := range codes {
			if strings.Contains(e.Reason+e.Source+string(e.Actor)+e.User+e.TokenID+string(e.Result), c) {
				t.Errorf("event %d %+v contains a code", i, e)
			}
		}
	}
}
