package directory

import (
	"context"
	"strings"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/testpeer"
)

// The OpenLDAP fixture: people, a service account, a default password
// policy locking after three failures, and groups added online so that the
// memberof overlay sees them. vpn holds alice, mallory and the group staff,
// which holds carol and the user whose name needs escaping; contractors
// holds mallory; dave is locked by an administrator; bob is in no group.
const (
	fixtureService   = "cn=otpgate,ou=services,dc=example,dc=org"
	fixtureServicePW = "service-secret"
	escapedName      = "j(doe)*, jr+"
	escapedDN        = `uid=j(doe)*\, jr\+,ou=people,dc=example,dc=org`
	policyDN         = "cn=default,ou=policies,dc=example,dc=org"
)

var fixtureLDIF = `dn: dc=example,dc=org
objectClass: dcObject
objectClass: organization
dc: example
o: Example

dn: ou=people,dc=example,dc=org
objectClass: organizationalUnit
ou: people

dn: ou=groups,dc=example,dc=org
objectClass: organizationalUnit
ou: groups

dn: ou=services,dc=example,dc=org
objectClass: organizationalUnit
ou: services

dn: ou=policies,dc=example,dc=org
objectClass: organizationalUnit
ou: policies

dn: ` + policyDN + `
objectClass: device
objectClass: pwdPolicy
cn: default
pwdAttribute: userPassword
pwdLockout: TRUE
pwdMaxFailure: 3
pwdLockoutDuration: 0

dn: ` + fixtureService + `
objectClass: applicationProcess
objectClass: simpleSecurityObject
cn: otpgate
userPassword: ` + fixtureServicePW + `

` + person("alice", "Alice Liddell", "alice-pw", "mail: alice@example.org\nmobile: +44 20 7946 0001\npager: 447946000001@sms.example.net") +
	person("bob", "Bob Builder", "bob-pw", "") +
	person("carol", "Carol Danvers", "carol-pw", "") +
	person("dave", "Dave Lister", "dave-pw", "pwdAccountLockedTime: 000001010000Z") +
	person("erin", "Erin Brockovich", "erin-pw", "") +
	person("mallory", "Mallory Knox", "mallory-pw", "") +
	"dn: " + escapedDN + "\nobjectClass: inetOrgPerson\nuid: " + escapedName + "\ncn: John Doe\nsn: Doe\nuserPassword: jdoe-pw\n\n"

var fixtureGroups = group("staff", "uid=carol,ou=people,dc=example,dc=org", escapedDN) +
	group("vpn", "uid=alice,ou=people,dc=example,dc=org", "uid=mallory,ou=people,dc=example,dc=org", "cn=staff,ou=groups,dc=example,dc=org") +
	group("contractors", "uid=mallory,ou=people,dc=example,dc=org")

func person(uid, cn, pw, extra string) string {
	sn := cn[strings.LastIndexByte(cn, ' ')+1:]
	s := "dn: uid=" + uid + ",ou=people,dc=example,dc=org\nobjectClass: inetOrgPerson\nuid: " + uid +
		"\ncn: " + cn + "\nsn: " + sn + "\ndisplayName: " + cn + "\nuserPassword: " + pw + "\n"
	if extra != "" {
		s += extra + "\n"
	}
	return s + "\n"
}

func group(cn string, members ...string) string {
	s := "dn: cn=" + cn + ",ou=groups,dc=example,dc=org\nobjectClass: groupOfNames\ncn: " + cn + "\n"
	for _, m := range members {
		s += "member: " + m + "\n"
	}
	return s + "\n"
}

func newSlapd(t *testing.T, o testpeer.SlapdOptions) *testpeer.Slapd {
	t.Helper()
	o.LDIF, o.Online, o.PPolicyDefault = fixtureLDIF, fixtureGroups, policyDN
	return testpeer.NewSlapd(t, o)
}

// slapdConfig is search-then-bind with the service account over StartTLS.
func slapdConfig(s *testpeer.Slapd) Config {
	return Config{
		Kind: OpenLDAP, URLs: []string{s.URL()}, StartTLS: true, CAFile: s.PKI.CAFile,
		BindDN: fixtureService, BindPassword: fixtureServicePW,
		BaseDN: "ou=people,dc=example,dc=org", GroupBaseDN: "ou=groups,dc=example,dc=org",
	}
}

func newDirectory(t *testing.T, cfg Config) *Directory {
	t.Helper()
	d, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

// userBinds returns the binds slapd saw other than the service account's
// and the harness's own (as the root DN).
func userBinds(t *testing.T, s *testpeer.Slapd) []testpeer.SlapdBind {
	t.Helper()
	var out []testpeer.SlapdBind
	for _, b := range s.Binds(t) {
		if b.DN != fixtureService && b.DN != s.RootDN {
			out = append(out, b)
		}
	}
	return out
}
