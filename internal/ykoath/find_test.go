package ykoath_test

import (
	"strings"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/ykoath"
)

func cred(id string, t ykoath.Type) ykoath.Credential {
	c := ykoath.Credential{ID: id, Type: t, Algorithm: otp.SHA1}
	c.Issuer, c.Name, c.Period = ykoath.ParseID(id, t)
	return c
}

func TestFind(t *testing.T) {
	creds := []ykoath.Credential{
		cred("VPN:alice", ykoath.TOTP),
		cred("60/Corp:bob", ykoath.TOTP),
		cred("Mail:carol", ykoath.HOTP),
		cred("dave", ykoath.TOTP),
		cred("A:erin", ykoath.TOTP),
		cred("B:erin", ykoath.TOTP),
		cred("Corp:bob", ykoath.TOTP), // another bob, 30 s
	}
	tests := []struct {
		name, want string // want "" means an error
	}{
		{"", "VPN:alice"},              // first credential, as OpenConnect
		{"VPN:alice", "VPN:alice"},     // exact ID
		{"30/VPN:alice", "VPN:alice"},  // default period written out
		{"alice", "VPN:alice"},         // bare name, unambiguous
		{"60/Corp:bob", "60/Corp:bob"}, // exact ID with period
		{"Corp:bob", "Corp:bob"},       // exact ID beats the 60 s form
		{"30/Corp:bob", "Corp:bob"},    // period form
		{"bob", ""},                    // two bobs
		{"Mail:carol", "Mail:carol"},   // HOTP exact
		{"30/Mail:carol", ""},          // HOTP has no period form
		{"carol", "Mail:carol"},        // HOTP bare name
		{"dave", "dave"},               // no issuer
		{"30/dave", "dave"},            // period form without issuer
		{"erin", ""},                   // ambiguous
		{"A:erin", "A:erin"},           // issuer disambiguates
		{"vpn:alice", ""},              // case matters, as in OpenConnect
		{"nobody", ""},                 // not found
		{"VPN:", ""},                   // no partial matches
	}
	for _, tt := range tests {
		got, err := ykoath.Find(creds, tt.name)
		switch {
		case tt.want == "" && err == nil:
			t.Errorf("Find(%q) = %q; want an error", tt.name, got.ID)
		case tt.want != "" && (err != nil || got.ID != tt.want):
			t.Errorf("Find(%q) = %q, %v; want %q", tt.name, got.ID, err, tt.want)
		}
	}
}

func TestFindErrors(t *testing.T) {
	creds := []ykoath.Credential{cred("VPN:alice", ykoath.TOTP), cred("A:erin", ykoath.TOTP), cred("B:erin", ykoath.TOTP)}
	_, err := ykoath.Find(creds, "bob")
	if err == nil || !strings.Contains(err.Error(), `available: "VPN:alice", "A:erin", "B:erin"`) {
		t.Errorf("Find(bob) = %v; want an error listing the credentials", err)
	}
	_, err = ykoath.Find(creds, "erin")
	if err == nil || !strings.Contains(err.Error(), `"A:erin", "B:erin"`) || strings.Contains(err.Error(), "alice") {
		t.Errorf("Find(erin) = %v; want an error listing the two erins", err)
	}
	if _, err := ykoath.Find(nil, ""); err == nil {
		t.Errorf("Find(nil, \"\") = nil error; want an error")
	}
}

// TestFindOnCard resolves names against what the simulator lists.
func TestFindOnCard(t *testing.T) {
	s, _ := newSession(t)
	put(t, s, ykoath.Account{Issuer: "VPN", Name: "alice", Type: ykoath.TOTP, Algorithm: otp.SHA512, Digits: 8, Period: 60 * time.Second, Secret: rfcKey})
	put(t, s, ykoath.Account{Issuer: "VPN", Name: "bob", Type: ykoath.TOTP, Digits: 6, Secret: rfcKey})
	creds, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"": "60/VPN:alice", "VPN:alice": "60/VPN:alice", "60/VPN:alice": "60/VPN:alice", "alice": "60/VPN:alice", "30/VPN:bob": "VPN:bob"} {
		if got, err := ykoath.Find(creds, name); err != nil || got.ID != want {
			t.Errorf("Find(%q) = %q, %v; want %q", name, got.ID, err, want)
		}
	}
}
