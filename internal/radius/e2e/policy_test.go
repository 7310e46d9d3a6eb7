package e2e

import (
	"path/filepath"
	"strings"
	"testing"

	"otpgate.dev/otpgate/internal/auth"
	"otpgate.dev/otpgate/internal/engine"
	"otpgate.dev/otpgate/internal/policy"
	"otpgate.dev/otpgate/internal/primary"
	"otpgate.dev/otpgate/internal/raddict"
)

// withRules makes the stack's login service decide by rules.
func (s *stack) withRules(rules ...policy.Rule) {
	s.t.Helper()
	p, err := policy.New(rules, policy.GroupsFunc(s.store.UserGroups))
	if err != nil {
		s.t.Fatal(err)
	}
	pw, err := primary.LoadHtpasswd(filepath.Join(s.dir, "htpasswd"))
	if err != nil {
		s.t.Fatal(err)
	}
	eng := engine.New(s.store, s.box, engine.DefaultPolicy(), s.clock.Now)
	s.svc = auth.New(auth.Config{Primary: pw, Prompt: testPrompt, Policy: p}, eng, s.store, s.clock.Now)
}

func pair(t *testing.T, name, value string) raddict.Pair {
	t.Helper()
	p, err := raddict.Standard().Encode(name, value)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestOcservGroupFromClass: ocserv with groupconfig=true takes the user's
// groups from the rule's Class (its "OU=group1;group2" form): a login into the
// group the rule names succeeds, one into another group fails.
func TestOcservGroupFromClass(t *testing.T) {
	s := newStack(t)
	if err := s.store.AddGroupMember(t.Context(), "vpn-staff", testUser); err != nil {
		t.Fatal(err)
	}
	s.withRules(policy.Rule{Name: "staff", Match: policy.Match{Groups: []string{"vpn-staff"}},
		Outcome: policy.Outcome{Reply: []raddict.Pair{pair(t, "Class", "OU=staff")}}})
	s.serve(auth.Appended, true)
	o := startOcserv(t, s, radiusTimeout, "staff", "other")
	wantLoggedIn(t, o, o.openconnect(testPassword+s.code(0)+"\n", "--passwd-on-stdin", "--authgroup", "staff"))
	s.clock.nextStep()
	l := o.openconnect(testPassword+s.code(0)+"\n", "--passwd-on-stdin", "--authgroup", "other")
	if l.exit == 0 || strings.Contains(l.stdout, "COOKIE=") {
		t.Errorf("alice logged in to a group the rule's Class does not name:\n%s", o.text())
	}
	for _, want := range []string{"auth complete for user 'alice'", "of group: 'staff'", "user 'alice' requested group 'other' but is not a member"} {
		if !strings.Contains(o.text(), want) {
			t.Errorf("ocserv did not log %q:\n%s", want, o.text())
		}
	}
}
