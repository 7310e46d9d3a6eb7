package loginpolicy

import (
	"context"
	"slices"
	"testing"

	"otpgate.dev/otpgate/internal/directory"
	"otpgate.dev/otpgate/internal/policy"
	"otpgate.dev/otpgate/internal/testpeer"
)

const groupsLDIF = `dn: dc=example,dc=org
objectClass: dcObject
objectClass: organization
dc: example
o: Example

dn: uid=alice,dc=example,dc=org
objectClass: inetOrgPerson
uid: alice
cn: alice
sn: alice
userPassword: alice-pw

dn: uid=bob,dc=example,dc=org
objectClass: inetOrgPerson
uid: bob
cn: bob
sn: bob
userPassword: bob-pw
`

const groupsOnline = `dn: cn=service,dc=example,dc=org
objectClass: groupOfNames
cn: service
member: uid=alice,dc=example,dc=org
`

// TestWithDirectory: a rule's groups are the local ones and those a real
// slapd puts the user in (by DN and by name); with the directory stopped,
// the groups cannot be known and the rule refuses.
func TestWithDirectory(t *testing.T) {
	ctx := context.Background()
	s := testpeer.NewSlapd(t, testpeer.SlapdOptions{LDIF: groupsLDIF, Online: groupsOnline})
	d, err := directory.New(directory.Config{URLs: []string{s.URL()}, BaseDN: "dc=example,dc=org",
		BindTemplate: "uid=%s,dc=example,dc=org", BindDN: s.RootDN, BindPassword: s.RootPassword, CacheTTL: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	local := policy.GroupsFunc(func(_ context.Context, user string) ([]string, error) {
		if user == "bob" {
			return []string{"contractors"}, nil
		}
		return nil, nil
	})
	g := WithDirectory(local, d)
	tests := []struct {
		user string
		want []string
	}{
		{"alice", []string{"cn=service,dc=example,dc=org", "service"}},
		{"bob", []string{"contractors"}},
	}
	for _, tt := range tests {
		got, err := g.Groups(ctx, tt.user)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("Groups(%q) = %q, %v; want %q", tt.user, got, err, tt.want)
		}
	}
	if got, err := g.Groups(ctx, "mallory"); err == nil {
		t.Errorf("Groups of a user the directory does not know = %q; want an error (fail closed)", got)
	}

	p, err := policy.New([]policy.Rule{{Name: "service", Match: policy.Match{Groups: []string{"service"}}, Outcome: policy.Outcome{OTP: policy.Skip}}}, g)
	if err != nil {
		t.Fatal(err)
	}
	if dec, err := p.Decide(ctx, policy.Input{User: "alice"}); err != nil || dec.Rule != "service" {
		t.Errorf("Decide(alice) = rule %q, %v; want the rule of her directory group", dec.Rule, err)
	}
	s.Stop(t)
	if dec, err := p.Decide(ctx, policy.Input{User: "alice"}); err == nil || !dec.Outcome.Deny {
		t.Errorf("Decide(alice) with the directory down = %+v, %v; want a refusal", dec, err)
	}
}
