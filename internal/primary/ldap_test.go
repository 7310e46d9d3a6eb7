package primary

import (
	"strings"
	"testing"

	"otpgate.dev/otpgate/internal/directory"
	"otpgate.dev/otpgate/internal/testpeer"
)

const ldapFixture = `dn: dc=example,dc=org
objectClass: dcObject
objectClass: organization
dc: example
o: Example

dn: uid=alice,dc=example,dc=org
objectClass: inetOrgPerson
uid: alice
cn: Alice
sn: Liddell
userPassword: alice-pw
`

// TestLDAP checks passwords against slapd: a right one, refusals as false
// with no error, and a directory that is down as an error.
func TestLDAP(t *testing.T) {
	s := testpeer.NewSlapd(t, testpeer.SlapdOptions{LDIF: ldapFixture})
	d, err := directory.New(directory.Config{URLs: []string{s.LDAPSURL()}, CAFile: s.PKI.CAFile, BaseDN: "dc=example,dc=org",
		BindTemplate: "uid=%s,dc=example,dc=org", CacheTTL: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var c Checker = NewLDAP(d)
	for _, tc := range []struct {
		user, password string
		want           bool
	}{
		{"alice", "alice-pw", true},
		{"alice", "wrong", false},
		{"alice", "", false},
		{"bob", "alice-pw", false},
		{"*", "alice-pw", false},
		{"alice\x00", "alice-pw", false},
	} {
		ok, err := c.Check(t.Context(), tc.user, tc.password)
		if ok != tc.want || err != nil {
			t.Errorf("Check(%q) = %v, %v; want %v, nil", tc.user, ok, err, tc.want)
		}
	}
	s.Stop(t)
	ok, err := c.Check(t.Context(), "alice", "alice-pw")
	if ok || err == nil || strings.Contains(err.Error(), "alice-pw") {
		t.Errorf("Check with slapd down = %v, %v; want an error without the password", ok, err)
	}
}
