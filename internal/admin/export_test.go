package admin

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/enroll"
	"otpgate.dev/otpgate/internal/importer"
	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/pskc"
	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/testpeer"
)

var exportNow = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// exportAdmin returns an Admin over a new database holding specs, with
// extra applied to each stored token.
func exportAdmin(t *testing.T, specs []enroll.Spec, extra func(*store.Token)) *Admin {
	t.Helper()
	ctx := context.Background()
	a := newTestAdmin(t, func() time.Time { return exportNow })
	for _, s := range specs {
		tok, err := enroll.Enroll(ctx, a.st, a.box, s, exportNow)
		if err != nil {
			t.Fatalf("Enroll(%s): %v", s.User, err)
		}
		if extra != nil {
			extra(&tok)
			if err := a.st.UpdateToken(ctx, &tok); err != nil {
				t.Fatal(err)
			}
		}
	}
	return a
}

var rfcSeed = []byte("12345678901234567890")

func TestExportState(t *testing.T) {
	a := exportAdmin(t, []enroll.Spec{
		{User: "alice", Type: store.HOTP, Secret: rfcSeed, Counter: 5},
		{User: "bob", Type: store.TOTP, Secret: rfcSeed, Params: otp.Params{Algorithm: otp.SHA256, Digits: 8, Period: 60 * time.Second}},
	}, func(tok *store.Token) {
		if tok.Type == store.TOTP {
			tok.Drift = -3
		}
	})
	ctx := context.Background()
	x, err := a.Export(ctx, ExportOptions{Format: "pskc", PSKC: pskc.EncodeOptions{Key: bytes.Repeat([]byte{7}, 16)}})
	if err != nil {
		t.Fatalf("Export(pskc) = %v", err)
	}
	recs, err := importer.ParsePSKC(x.Data, func([]string) ([]byte, []byte, error) { return bytes.Repeat([]byte{7}, 16), nil, nil })
	if err != nil || len(recs) != 2 {
		t.Fatalf("ParsePSKC(export) = %d records, %v", len(recs), err)
	}
	if r := recs[0]; r.User != "alice" || r.Type != importer.TypeHOTP || r.Counter != 5 || !bytes.Equal(r.Secret, rfcSeed) {
		t.Errorf("alice exported as %+v; want HOTP at next counter 5", r)
	}
	if r := recs[1]; r.User != "bob" || r.Type != importer.TypeTOTP || r.Algorithm != otp.SHA256 || r.Digits != 8 || r.Period != 60 || r.Drift != -3 {
		t.Errorf("bob exported as %+v; want TOTP SHA256/8/60 s, drift -3", r)
	}
	if es, _ := a.Audit(ctx, store.AuditFilter{}); countAction(es, store.ActionExport) != 0 {
		t.Errorf("Export audited before RecordExport: %+v", es)
	}
	x.opts.Dest = "/tmp/out.pskc"
	if err := a.RecordExport(ctx, x); err != nil {
		t.Fatal(err)
	}
	es, _ := a.Audit(ctx, store.AuditFilter{})
	if n := countAction(es, store.ActionExport); n != 2 || es[0].Reason != "pskc to /tmp/out.pskc" || es[0].Actor != Actor {
		t.Errorf("after RecordExport, %d export events, newest %+v; want 2, reason %q", n, es[0], "pskc to /tmp/out.pskc")
	}
	x.Clear()
	if bytes.Contains(x.Data, []byte("<")) {
		t.Errorf("Clear left the export's bytes")
	}
}

func countAction(es []store.AuditEvent, action store.Action) int {
	n := 0
	for _, e := range es {
		if e.Action == action {
			n++
		}
	}
	return n
}

// Each token a format cannot carry fails the export, naming its user, or
// is skipped and reported with SkipUnsupported.
func TestExportUnsupported(t *testing.T) {
	specs := []enroll.Spec{
		{User: "ok", Type: store.HOTP, Secret: rfcSeed},
		{User: "sha256", Type: store.TOTP, Secret: rfcSeed, Params: otp.Params{Algorithm: otp.SHA256, Digits: 6, Period: 30 * time.Second}},
		{User: "period45", Type: store.TOTP, Secret: rfcSeed, Params: otp.Params{Algorithm: otp.SHA1, Digits: 6, Period: 45 * time.Second}},
		{User: "yubi", Type: store.Yubico},
		{User: "prefixed", Type: store.HOTPPrefixed, Secret: rfcSeed, Identifier: "UBHE12345678"},
		{User: "t0", Type: store.TOTP, Secret: rfcSeed, Params: otp.Params{Algorithm: otp.SHA1, Digits: 6, Period: 30 * time.Second, T0: 100}},
	}
	a := exportAdmin(t, specs, nil)
	ctx := context.Background()
	tests := []struct {
		format string
		users  []string
		want   []string // users skipped, in order
	}{
		{"users-file", nil, []string{"period45", "prefixed", "sha256", "t0", "yubi"}},
		{"otpauth", nil, []string{"prefixed", "t0", "yubi"}},
		{"pskc", nil, []string{"prefixed", "t0", "yubi"}},
		{"users-file", []string{"ok"}, nil},
		{"users-file", []string{"sha256", "ok", "sha256"}, []string{"sha256"}},
	}
	for _, tt := range tests {
		_, err := a.Export(ctx, ExportOptions{Format: tt.format, Users: tt.users})
		if len(tt.want) == 0 && err != nil {
			t.Errorf("Export(%s, %q) = %v; want success", tt.format, tt.users, err)
		}
		if len(tt.want) > 0 && (!errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), `user "`+tt.want[0]+`"`)) {
			t.Errorf("Export(%s, %q) = %v; want ErrUnsupported naming %q", tt.format, tt.users, err, tt.want[0])
		}
		x, err := a.Export(ctx, ExportOptions{Format: tt.format, Users: tt.users, SkipUnsupported: true})
		if err != nil {
			t.Fatalf("Export(%s, %q, skip) = %v", tt.format, tt.users, err)
		}
		var got []string
		for _, s := range x.Skipped {
			got = append(got, s.User)
			if s.Reason == "" {
				t.Errorf("Export(%s) skipped %s without a reason", tt.format, s.User)
			}
		}
		if strings.Join(got, ",") != strings.Join(tt.want, ",") || len(x.Tokens) != len(specs)-len(tt.want) && tt.users == nil {
			t.Errorf("Export(%s, %q, skip) skipped %q, kept %d; want %q", tt.format, tt.users, got, len(x.Tokens), tt.want)
		}
	}
}

func TestExportBadInput(t *testing.T) {
	a := exportAdmin(t, []enroll.Spec{{User: "alice", Type: store.HOTP, Secret: rfcSeed}}, func(tok *store.Token) { tok.Enabled = false })
	ctx := context.Background()
	if _, err := a.Export(ctx, ExportOptions{Format: "csv"}); err == nil || !strings.Contains(err.Error(), "accepted: users-file, pskc, otpauth") {
		t.Errorf("Export(csv) = %v; want the accepted formats", err)
	}
	if _, err := a.Export(ctx, ExportOptions{Format: "otpauth", Users: []string{"nobody"}}); !errors.Is(err, ErrNoUser) {
		t.Errorf("Export(user nobody) = %v; want ErrNoUser", err)
	}
	if _, err := a.Export(ctx, ExportOptions{Format: "otpauth"}); !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "disabled") {
		t.Errorf("Export(a disabled token) = %v; want ErrUnsupported saying disabled", err)
	}
	if _, err := a.Export(ctx, ExportOptions{Format: "otpauth", SkipUnsupported: true}); err == nil || !strings.Contains(err.Error(), "no token to export (1 left out") {
		t.Errorf("Export(nothing left) = %v; want no token to export", err)
	}
}

// TestIssuerKeptAndExported: the issuer a token was enrolled or imported
// with is stored with it and comes back in every export; a token without
// one takes the export's (issue 14, item 7).
func TestIssuerKeptAndExported(t *testing.T) {
	a := exportAdmin(t, nil, nil)
	ctx := context.Background()
	for _, tt := range []struct {
		spec   enroll.Spec
		issuer string // Prepare's
	}{
		{enroll.Spec{User: "alice", Type: store.TOTP, Secret: rfcSeed}, "Example VPN"},           // enroll --issuer
		{enroll.Spec{User: "bob", Type: store.HOTP, Secret: rfcSeed, Issuer: "ACME"}, "otpgate"}, // a file's own issuer
	} {
		en, err := Prepare(tt.spec, tt.issuer)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Enroll(ctx, en, false); err != nil {
			t.Fatal(err)
		}
	}
	old, err := enroll.Enroll(ctx, a.st, a.box, enroll.Spec{User: "carol", Type: store.HOTP, Secret: rfcSeed}, exportNow)
	if err != nil || old.Issuer != "" {
		t.Fatalf("Enroll without an issuer = %+v, %v", old, err)
	}
	x, err := a.Export(ctx, ExportOptions{Format: "otpauth", Issuer: "Fallback"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"otpauth://totp/Example%20VPN:alice?", "issuer=Example%20VPN", "otpauth://hotp/ACME:bob?", "otpauth://hotp/Fallback:carol?"} {
		if !strings.Contains(string(x.Data), want) {
			t.Errorf("otpauth export lacks %q:\n%s", want, x.Data)
		}
	}
	psk := bytes.Repeat([]byte{7}, 16)
	x, err = a.Export(ctx, ExportOptions{Format: "pskc", PSKC: pskc.EncodeOptions{Key: psk}, Issuer: "Fallback"})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := importer.ParsePSKC(x.Data, func([]string) ([]byte, []byte, error) { return psk, nil, nil })
	if err != nil || len(recs) != 3 || recs[0].Issuer != "Example VPN" || recs[1].Issuer != "ACME" || recs[2].Issuer != "Fallback" {
		t.Errorf("PSKC export's issuers = %+v, %v; want Example VPN, ACME, Fallback", recs, err)
	}
}

// TestExportedPSKCValidates: libpskc's pskctool --validate accepts every
// PSKC export, plain, under a pre-shared key and under a password (issue
// 14, item 12: the pre-shared key's EncryptionKey was empty).
func TestExportedPSKCValidates(t *testing.T) {
	pskctool := testpeer.Need(t, "pskctool")[0]
	a := exportAdmin(t, []enroll.Spec{
		{User: "alice", Type: store.TOTP, Secret: rfcSeed, Issuer: "Example VPN"},
		{User: "bob", Type: store.HOTP, Secret: rfcSeed, Counter: 3},
	}, nil)
	for name, enc := range map[string]pskc.EncodeOptions{
		"plain":    {},
		"key":      {Key: bytes.Repeat([]byte{7}, 16)},
		"password": {Password: []byte("correct horse"), Iterations: 1000},
	} {
		x, err := a.Export(context.Background(), ExportOptions{Format: "pskc", PSKC: enc, Issuer: "otpgate"})
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), name+".pskc")
		if err := os.WriteFile(path, x.Data, 0o600); err != nil {
			t.Fatal(err)
		}
		// The verdict is on stdout, and the exit status is 0 either way.
		out, err := exec.Command(pskctool, "--validate", path).Output()
		if err != nil || strings.TrimSpace(string(out)) != "OK" {
			t.Errorf("pskctool --validate of the %s export = %v, %q\n%s", name, err, out, x.Data)
		}
	}
}
