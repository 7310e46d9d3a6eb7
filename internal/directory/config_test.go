package directory

import (
	"strings"
	"testing"
	"time"
)

// TestConfigErrors: each bad configuration is refused by New with an
// error naming what is wrong.
func TestConfigErrors(t *testing.T) {
	good := func() Config {
		return Config{URLs: []string{"ldaps://ldap.example.org"}, BaseDN: "dc=example,dc=org"}
	}
	cases := []struct {
		mod  func(*Config)
		want string
	}{
		{func(c *Config) { c.Kind = "novell" }, `kind "novell"`},
		{func(c *Config) { c.URLs = nil }, "no server URL"},
		{func(c *Config) { c.URLs = []string{"http://x"} }, `scheme "http"`},
		{func(c *Config) { c.URLs = []string{"ldaps://x/dc=example"} }, "nothing after the host"},
		{func(c *Config) { c.URLs = []string{"ldaps://u:p@x"} }, "nothing after the host"},
		{func(c *Config) { c.URLs = []string{"ldap://x"} }, "in the clear"},
		{func(c *Config) { c.StartTLS = true }, "ldaps:// is TLS already"},
		{func(c *Config) { c.BaseDN = "" }, "base DN"},
		{func(c *Config) { c.BaseDN = "example" }, "base DN"},
		{func(c *Config) { c.Scope = "deep" }, `scope "deep"`},
		{func(c *Config) { c.UserFilter = "(uid=alice)" }, "no %s"},
		{func(c *Config) { c.UserFilter = "(uid=%s" }, "not an LDAP filter"},
		{func(c *Config) { c.GroupFilter = "objectClass=group" }, "not an LDAP filter"},
		{func(c *Config) { c.NameAttribute = "uid;binary" }, "not an attribute name"},
		{func(c *Config) { c.Attributes.Mail = "1mail" }, "not an attribute name"},
		{func(c *Config) { c.BindDN = "cn=svc,dc=example,dc=org" }, "password is empty"},
		{func(c *Config) { c.BindPassword = "x" }, "no bind DN"},
		{func(c *Config) { c.BindTemplate = "uid=%s,%s" }, "once"},
		{func(c *Config) { c.BindTemplate = "%s@example.org" }, "only Active Directory"},
		{func(c *Config) { c.BindTemplate = "uid=%s,ou=people,dc=example,dc=org" }, ""},
		{func(c *Config) { c.Kind, c.BindTemplate = AD, `EXAMPLE\%s` }, ""},
		{func(c *Config) { c.GroupMode = "nested" }, `group mode "nested"`},
		{func(c *Config) { c.Canonical = FormDownLevel }, "needs a domain"},
		{func(c *Config) { c.Canonical = "upn" }, `canonical form "upn"`},
		{func(c *Config) { c.Domains = []string{`A\B`} }, "not a NetBIOS domain"},
		{func(c *Config) { c.PoolSize = 1000 }, "pool size"},
		{func(c *Config) { c.PoolSize = -1 }, "pool size"},
		{func(c *Config) { c.DialTimeout = time.Hour }, "timeout"},
		{func(c *Config) { c.CacheTTL = time.Hour }, "cache TTL"},
		{func(c *Config) { c.CacheSize = -1 }, "cache size"},
		{func(c *Config) { c.CertFile = "/x.pem" }, "both its certificate and its key"},
		{func(c *Config) { c.CAFile = "/nonexistent/ca.pem" }, "CA file"},
		{func(c *Config) { c.RequireGroups = []string{"cn=,"} }, "require group"},
		{func(c *Config) { c.DenyGroups = []string{"a\x00"} }, "deny group"},
	}
	for _, tc := range cases {
		c := good()
		tc.mod(&c)
		_, err := New(c)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("New(%+v) = %v; want %q", c, err, tc.want)
		}
	}
}

func TestCache(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1000, 0)}
	c := newCache(10*time.Second, 2, clock.Now)
	n := func(s string) Name { return Name{Given: strings.ToUpper(s), Account: s, Canonical: s} }
	c.put(&User{Name: n("a"), DN: "uid=a", Groups: []string{"g"}})
	c.put(&User{Name: n("b"), DN: "uid=b"})
	if u := c.get(n("a")); u == nil || u.DN != "uid=a" || u.Given != "A" {
		t.Fatalf("get(a) = %+v", u)
	}
	c.get(n("a")).Groups[0] = "changed"
	if u := c.get(n("a")); u.Groups[0] != "g" {
		t.Errorf("a caller changed the cached groups")
	}
	c.put(&User{Name: n("c"), DN: "uid=c"}) // evicts b, the least recently used
	if c.get(n("b")) != nil || c.get(n("a")) == nil || c.get(n("c")) == nil {
		t.Errorf("eviction kept the wrong entries")
	}
	clock.Add(10 * time.Second)
	if c.get(n("a")) != nil {
		t.Errorf("an entry outlived its TTL")
	}
	off := newCache(-1, 2, clock.Now)
	off.put(&User{Name: n("a")})
	if off.get(n("a")) != nil {
		t.Errorf("a cache that is off returned an entry")
	}
}
