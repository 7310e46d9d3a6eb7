package directory

import (
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"otpgate.dev/otpgate/internal/testpeer"
)

// fakeClock is a settable clock for the cache and accountExpires.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TestSlapdChanges: a changed password takes effect at once (passwords are
// never cached); a removed group membership and a lock take effect when
// the cached search result expires, and at once with the cache off.
func TestSlapdChanges(t *testing.T) {
	s := newSlapd(t, testpeer.SlapdOptions{})
	clock := &fakeClock{t: time.Now()}
	cfg := slapdConfig(s)
	cfg.RequireGroups, cfg.Now = []string{"vpn"}, clock.Now
	d := newDirectory(t, cfg)
	noCache := cfg
	noCache.CacheTTL = -1
	uncached := newDirectory(t, noCache)
	login := func(d *Directory, user, pw string) error {
		_, err := d.Authenticate(ctx(t), user, pw)
		return err
	}
	for _, dir := range []*Directory{d, uncached} {
		if err := login(dir, "alice", "alice-pw"); err != nil {
			t.Fatal(err)
		}
	}
	s.Modify(t, "dn: uid=alice,ou=people,dc=example,dc=org\nchangetype: modify\nreplace: userPassword\nuserPassword: alice-new\n")
	for _, dir := range []*Directory{d, uncached} {
		if err := login(dir, "alice", "alice-pw"); !errors.Is(err, ErrBadPassword) {
			t.Errorf("old password after the change: %v; want ErrBadPassword", err)
		}
		if err := login(dir, "alice", "alice-new"); err != nil {
			t.Errorf("new password: %v", err)
		}
	}
	s.Modify(t, "dn: cn=vpn,ou=groups,dc=example,dc=org\nchangetype: modify\ndelete: member\nmember: uid=alice,ou=people,dc=example,dc=org\n")
	if err := login(uncached, "alice", "alice-new"); !errors.Is(err, ErrNotPermitted) {
		t.Errorf("without a cache, after leaving vpn: %v; want ErrNotPermitted", err)
	}
	if err := login(d, "alice", "alice-new"); err != nil {
		t.Errorf("within the cache TTL: %v; want the cached groups", err)
	}
	clock.Add(DefaultCacheTTL)
	if err := login(d, "alice", "alice-new"); !errors.Is(err, ErrNotPermitted) {
		t.Errorf("after the cache TTL: %v; want ErrNotPermitted", err)
	}
}

// TestSlapdPPolicyLockout: three wrong passwords through otpgate make
// slapd's password policy lock the account, and the right password is
// refused afterwards.
func TestSlapdPPolicyLockout(t *testing.T) {
	s := newSlapd(t, testpeer.SlapdOptions{})
	cfg := slapdConfig(s)
	cfg.CacheTTL = -1
	d := newDirectory(t, cfg)
	for range 3 {
		if _, err := d.Authenticate(ctx(t), "erin", "wrong"); !errors.Is(err, ErrBadPassword) {
			t.Fatalf("wrong password: %v", err)
		}
	}
	if _, err := d.Authenticate(ctx(t), "erin", "erin-pw"); !errors.Is(err, ErrBadPassword) {
		t.Errorf("right password after the lockout: %v; want a refusal", err)
	}
	u, err := d.Lookup(ctx(t), "erin")
	if err != nil {
		t.Fatal(err)
	}
	if u.Status != "" {
		t.Errorf("Status = %q; a lock after failures is slapd's to lift, so otpgate still tries the bind", u.Status)
	}
}

// TestAccountStatus reads the account state attributes of both kinds.
func TestAccountStatus(t *testing.T) {
	at := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	ft := (at.Unix() + filetimeToUnix) * 10_000_000
	cases := []struct {
		attrs map[string][]string
		now   time.Time
		want  string
	}{
		{map[string][]string{}, at, ""},
		{map[string][]string{"userAccountControl": {"512"}}, at, ""},
		{map[string][]string{"userAccountControl": {"514"}}, at, "disabled (userAccountControl ACCOUNTDISABLE)"},
		{map[string][]string{"userAccountControl": {"66050"}}, at, "disabled (userAccountControl ACCOUNTDISABLE)"},
		{map[string][]string{"userAccountControl": {"x"}}, at, `unreadable userAccountControl "x"`},
		{map[string][]string{"msDS-User-Account-Control-Computed": {"16"}}, at, "locked out (msDS-User-Account-Control-Computed LOCKOUT)"},
		{map[string][]string{"msDS-User-Account-Control-Computed": {"8388608"}}, at, "password expired (msDS-User-Account-Control-Computed PASSWORD_EXPIRED)"},
		{map[string][]string{"msDS-User-Account-Control-Computed": {"2"}}, at, ""},
		{map[string][]string{"accountExpires": {"0"}}, at, ""},
		{map[string][]string{"accountExpires": {"9223372036854775807"}}, at, ""},
		{map[string][]string{"accountExpires": {strconv.FormatInt(ft, 10)}}, at.Add(-time.Second), ""},
		{map[string][]string{"accountExpires": {strconv.FormatInt(ft, 10)}}, at, "expired (accountExpires 2030-01-01T00:00:00Z)"},
		{map[string][]string{"accountExpires": {"-5"}}, at, `unreadable accountExpires "-5"`},
		{map[string][]string{"pwdAccountLockedTime": {"000001010000Z"}}, at, "locked by an administrator (pwdAccountLockedTime 000001010000Z)"},
		{map[string][]string{"pwdAccountLockedTime": {"20300101000000Z"}}, at, ""},
	}
	for _, tc := range cases {
		got := accountStatus(ldap.NewEntry("cn=x", tc.attrs), tc.now)
		if got != tc.want {
			t.Errorf("accountStatus(%v at %v) = %q; want %q", tc.attrs, tc.now, got, tc.want)
		}
	}
}
