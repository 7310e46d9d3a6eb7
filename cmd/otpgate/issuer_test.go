package main

import (
	"strings"
	"testing"
)

// TestIssuerLasts: the issuer of `enroll --issuer`, of $totpIssuerName (the
// knob of the OpenVPN TOTP script, seed 004) and of an imported URI is kept
// with the token, and `export` gives it back (issue 14, item 7).
func TestIssuerLasts(t *testing.T) {
	f, db := adminDB(t)
	mustRun(t, "", "enroll", "alice", "--issuer", "Example VPN", f, db)
	if r := otpgate(t, "", map[string]string{"totpIssuerName": "Seed VPN"}, "enroll", "bob", f, db); r.code != 0 ||
		!strings.Contains(r.stdout, "issuer=Seed%20VPN") {
		t.Fatalf("enroll with totpIssuerName = %d, %q, %q; want its URI to name Seed VPN", r.code, r.stdout, r.stderr)
	}
	uri := "otpauth://totp/ACME:carol?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=ACME\n"
	mustRun(t, uri, "import", "--format", "otpauth", "-", f, db)
	r := mustRun(t, "", "export", "--format", "otpauth", "--out", "-", f, db)
	for _, want := range []string{"/Example%20VPN:alice?", "/Seed%20VPN:bob?", "/ACME:carol?"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("export lacks %q:\n%s", want, r.stdout)
		}
	}
}
