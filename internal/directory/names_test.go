package directory

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/go-ldap/ldap/v3"

	"otpgate.dev/otpgate/internal/username"
)

func TestCanonical(t *testing.T) {
	ad := Config{Kind: AD, Domains: []string{"SAMDOM", "samdom.example.com"}}
	downLevel := ad
	downLevel.Canonical = FormDownLevel
	sensitive := Config{Kind: OpenLDAP, CaseSensitive: true}
	plain := Config{Kind: OpenLDAP}
	cases := []struct {
		cfg                Config
		given              string
		account, canonical string
		err                error
	}{
		{ad, "alice", "alice", "alice", nil},
		{ad, "Alice", "alice", "alice", nil},
		{ad, `SAMDOM\Alice`, "alice", "alice", nil},
		{ad, `samdom\alice`, "alice", "alice", nil},
		{ad, "alice@samdom.example.com", "alice", "alice", nil},
		{ad, "alice@SAMDOM.EXAMPLE.COM", "alice", "alice", nil},
		{ad, `OTHER\alice`, "", "", ErrBadName},
		{ad, "alice@other.example", "", "", ErrBadName},
		{ad, `SAMDOM\`, "", "", ErrBadName},
		{ad, `SAMDOM\a\b`, "", "", ErrBadName},
		{ad, "@samdom.example.com", "", "", ErrBadName},
		{ad, "a=b", "", "", ErrBadName},
		{ad, "a,b", "", "", ErrBadName},
		{ad, "a*", "", "", ErrBadName},
		{downLevel, "alice@samdom.example.com", "alice", `SAMDOM\alice`, nil},
		{downLevel, `samdom\ALICE`, "alice", `SAMDOM\alice`, nil},
		{sensitive, "Alice", "Alice", "Alice", nil},
		{plain, "alice@example.org", "alice@example.org", "alice@example.org", nil},
		{plain, `EXAMPLE\alice`, `example\alice`, `example\alice`, nil},
		{plain, "a*)(uid=*", "a*)(uid=*", "a*)(uid=*", nil},
		{plain, "", "", "", ErrBadName},
		{plain, "a\x00", "", "", ErrBadName},
		{plain, "a\tb", "", "", ErrBadName},
		{plain, "a\u0085", "", "", ErrBadName},
		{plain, " a", "", "", ErrBadName},
		{plain, "\xc3", "", "", ErrBadName},
		{plain, strings.Repeat("é", 126), strings.Repeat("é", 126), strings.Repeat("é", 126), nil},
		{plain, strings.Repeat("é", 127), "", "", ErrBadName},
		{plain, strings.Repeat("Ⱥ", 120), "", "", ErrBadName}, // 240 bytes, 360 in lower case
		{plain, "é", "é", "é", nil},                          // NFC: one name, however encoded
	}
	for _, tc := range cases {
		n, err := tc.cfg.mapName(tc.given)
		if !errors.Is(err, tc.err) || (err == nil) != (tc.err == nil) {
			t.Errorf("mapName(%q) error %v; want %v", tc.given, err, tc.err)
			continue
		}
		if err == nil && (n.Account != tc.account || n.Canonical != tc.canonical || n.Given != tc.given) {
			t.Errorf("mapName(%q) = %+v; want account %q, canonical %q", tc.given, n, tc.account, tc.canonical)
		}
	}
}

// TestEscapes: filter and DN values escape what RFC 4515 and RFC 4514 ask.
func TestEscapes(t *testing.T) {
	filters := map[string]string{
		"alice":     "(uid=alice)",
		"*":         `(uid=\2a)`,
		")(uid=*":   `(uid=\29\28uid=\2a)`,
		`a\b`:       `(uid=a\5cb)`,
		"a\x00":     `(uid=a\00)`,
		"é":         `(uid=\c3\a9)`,
		escapedName: `(uid=j\28doe\29\2a, jr+)`,
	}
	for in, want := range filters {
		if got := userFilter("(uid=%s)", in); got != want {
			t.Errorf("userFilter(%q) = %q; want %q", in, got, want)
		}
	}
	dns := map[string]string{
		"alice":     "uid=alice,ou=people",
		escapedName: `uid=j(doe)*\, jr\+,ou=people`,
		"#a":        `uid=\#a,ou=people`,
		" a ":       `uid=\ a\ ,ou=people`,
		`a"b<c>d;e`: `uid=a\"b\<c\>d\;e,ou=people`,
		`a\b`:       `uid=a\\b,ou=people`,
	}
	for in, want := range dns {
		if got := bindName("uid=%s,ou=people", in); got != want {
			t.Errorf("bindName(%q) = %q; want %q", in, got, want)
		}
	}
	if got := bindName("%s@example.org", "alice"); got != "alice@example.org" {
		t.Errorf("bindName(UPN) = %q", got)
	}
}

// FuzzEscape: whatever the name, the filter holds exactly one assertion
// whose value is the name, and the bind DN has the name as its first RDN's
// value and the template's other RDNs unchanged.
func FuzzEscape(f *testing.F) {
	for _, s := range injections {
		f.Add(s)
	}
	f.Add(escapedName)
	f.Fuzz(func(t *testing.T, name string) {
		if !utf8.ValidString(name) || len(name) > username.MaxLen { // mapName refuses the rest
			return
		}
		filter := userFilter("(uid=%s)", name)
		p, err := ldap.CompileFilter(filter)
		if err != nil {
			t.Fatalf("CompileFilter(%q): %v", filter, err)
		}
		if p.Tag != ldap.FilterEqualityMatch || len(p.Children) != 2 || p.Children[1].Data.String() != name {
			t.Fatalf("filter %q for %q is not one equality match on the name", filter, name)
		}
		if name == "" {
			return
		}
		dn, err := ldap.ParseDN(bindName("uid=%s,ou=people,dc=example,dc=org", name))
		if err != nil {
			t.Fatalf("ParseDN(bindName(%q)): %v", name, err)
		}
		if len(dn.RDNs) != 4 || len(dn.RDNs[0].Attributes) != 1 || dn.RDNs[0].Attributes[0].Value != name {
			t.Fatalf("bindName(%q) = %v: not uid=<name> under the template's base", name, dn)
		}
	})
}

// FuzzCanonical: a mapped name is never empty, holds no control character,
// and maps to itself again, so a name stored once is found again under any
// spelling; for AD it never holds a character AD forbids.
func FuzzCanonical(f *testing.F) {
	for _, s := range append(injections, `SAMDOM\alice`, "alice@samdom.example.com", `SAMDOM\a@b`, "a@b@samdom.example.com") {
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, given string, ad bool) {
		c := Config{Kind: OpenLDAP, Domains: []string{"SAMDOM", "samdom.example.com"}, Canonical: FormDownLevel}
		if ad {
			c.Kind = AD
		}
		n, err := c.mapName(given)
		if err != nil {
			if !errors.Is(err, ErrBadName) {
				t.Fatalf("mapName(%q) = %v; want ErrBadName", given, err)
			}
			return
		}
		if n.Account == "" || username.Check(n.Account) != nil || (ad && strings.ContainsAny(n.Account, adForbidden)) {
			t.Fatalf("mapName(%q) = account %q", given, n.Account)
		}
		again, err := c.mapName(n.Canonical)
		if err != nil || again.Canonical != n.Canonical {
			t.Fatalf("mapName(%q) = %q, but that maps to %q, %v", given, n.Canonical, again.Canonical, err)
		}
	})
}

// FuzzAccountStatus: whatever the server sends in the state attributes,
// accountStatus answers without panicking, and a value it cannot read
// refuses the account.
func FuzzAccountStatus(f *testing.F) {
	for _, v := range []string{"512", "514", "-2147483646", "0", "9223372036854775807", "x", "000001010000Z", ""} {
		f.Add(v, v, v, v)
	}
	f.Fuzz(func(t *testing.T, uac, computed, expires, locked string) {
		attrs := map[string][]string{}
		for k, v := range map[string]string{attrUAC: uac, attrUACComputed: computed, attrExpires: expires, attrPwdLocked: locked} {
			if v != "" {
				attrs[k] = []string{v}
			}
		}
		got := accountStatus(ldap.NewEntry("cn=x", attrs), time.Unix(1_800_000_000, 0))
		if _, err := strconv.ParseInt(uac, 10, 64); uac != "" && err != nil && got == "" {
			t.Fatalf("userAccountControl %q unreadable, yet the account may log in", uac)
		}
	})
}
