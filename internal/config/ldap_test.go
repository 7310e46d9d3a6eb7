package config

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/directory"
)

const ldapExample = `
[auth]
primary = "ldap"

[ldap]
kind = "ad"
urls = ["ldaps://dc1.example.org", "ldaps://dc2.example.org:636"]
ca_file = "/etc/otpgate/ad-ca.pem"
bind_dn = "CN=otpgate,CN=Users,DC=example,DC=org"
bind_password_file = "/etc/otpgate/ldap.pw"
base_dn = "DC=example,DC=org"
domains = ["EXAMPLE", "example.org"]
canonical_name = "down-level"
require_group = ["vpn"]
deny_group = ["CN=contractors,CN=Users,DC=example,DC=org"]
pool_size = 8
search_timeout = "3s"
cache_ttl = "0s"

[ldap.attributes]
pager = "otherPager"
`

func TestLDAPSection(t *testing.T) {
	c, err := Parse([]byte(ldapExample))
	if err != nil {
		t.Fatal(err)
	}
	got := c.LDAP.Directory("pw")
	want := directory.Config{
		Kind: directory.AD, URLs: []string{"ldaps://dc1.example.org", "ldaps://dc2.example.org:636"},
		CAFile: "/etc/otpgate/ad-ca.pem", BindDN: "CN=otpgate,CN=Users,DC=example,DC=org", BindPassword: "pw",
		BaseDN: "DC=example,DC=org", Domains: []string{"EXAMPLE", "example.org"}, Canonical: directory.FormDownLevel,
		RequireGroups: []string{"vpn"}, DenyGroups: []string{"CN=contractors,CN=Users,DC=example,DC=org"},
		Attributes: directory.Attributes{Pager: "otherPager"}, PoolSize: 8, SearchTimeout: 3 * time.Second, CacheTTL: -1,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Directory() = %+v\nwant %+v", got, want)
	}
	if c.LDAP.BindPasswordFile != "/etc/otpgate/ldap.pw" {
		t.Errorf("bind_password_file = %q", c.LDAP.BindPasswordFile)
	}
}

func TestLDAPErrors(t *testing.T) {
	base := "[ldap]\nurls = [\"ldaps://ldap.example.org\"]\nbase_dn = \"dc=example,dc=org\"\n"
	cases := []struct{ name, toml, want string }{
		{"ldap primary without a table", "[auth]\nprimary = \"ldap\"\n", `needs an [ldap] table`},
		{"no urls", "[ldap]\nbase_dn = \"dc=example,dc=org\"\n", "ldap: no server URL"},
		{"clear text", "[ldap]\nurls = [\"ldap://ldap.example.org\"]\nbase_dn = \"dc=x\"\n", "in the clear"},
		{"bad base", "[ldap]\nurls = [\"ldaps://x\"]\nbase_dn = \"x\"\n", "base DN"},
		{"relative CA", base + "ca_file = \"ca.pem\"\n", "ldap.ca_file \"ca.pem\" is not an absolute path"},
		{"bind dn without a file", base + "bind_dn = \"cn=svc,dc=example,dc=org\"\n", "bind_password_file is not"},
		{"inline password", base + "bind_password = \"x\"\n", `unknown key "ldap.bind_password"`},
		{"bad kind", base + "kind = \"edirectory\"\n", `kind "edirectory"`},
		{"bad mode", base + "group_mode = \"nested\"\n", `group mode "nested"`},
		{"bad ttl", base + "cache_ttl = \"1h\"\n", "cache TTL"},
		{"unknown attribute key", base + "[ldap.attributes]\nfax = \"x\"\n", `unknown key "ldap.attributes.fax"`},
	}
	for _, tc := range cases {
		_, err := Parse([]byte(tc.toml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Parse = %v; want %q", tc.name, err, tc.want)
		}
	}
	if _, err := Parse([]byte(base)); err != nil {
		t.Errorf("minimal [ldap]: %v", err)
	}
}

func TestLDAPCanonical(t *testing.T) {
	none := &LDAP{}
	ad := &LDAP{Kind: "ad", URLs: []string{"ldaps://dc"}, BaseDN: "dc=x", Domains: []string{"EXAMPLE"}, CanonicalName: "down-level"}
	for _, tc := range []struct {
		l           *LDAP
		given, want string
	}{
		{none, `EXAMPLE\Alice`, `EXAMPLE\Alice`},
		{ad, `example\Alice`, `EXAMPLE\alice`},
		{ad, "alice", `EXAMPLE\alice`},
		{ad, `OTHER\alice`, ""},
	} {
		got, err := tc.l.Canonical(tc.given)
		if got != tc.want || (err != nil) != (tc.want == "") {
			t.Errorf("Canonical(%q) = %q, %v; want %q", tc.given, got, err, tc.want)
		}
	}
}
