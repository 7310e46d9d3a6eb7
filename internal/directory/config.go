package directory

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"

	"otpgate.dev/otpgate/internal/username"
)

// kindDefaults are the per-kind defaults of [Config].
var kindDefaults = map[Kind]Config{
	OpenLDAP: {
		NameAttribute:   "uid",
		UserFilter:      "(&(objectClass=inetOrgPerson)(uid=%s))",
		GroupMode:       Member,
		GroupFilter:     "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames))",
		MemberAttribute: "member",
	},
	AD: {
		NameAttribute:   "sAMAccountName",
		UserFilter:      "(&(objectCategory=person)(objectClass=user)(sAMAccountName=%s))",
		GroupMode:       InChain,
		GroupFilter:     "(objectClass=group)",
		MemberAttribute: "member",
	},
}

// maxTimeout bounds each timeout: a login that waits longer has been given
// up by the VPN anyway.
const maxTimeout = 5 * time.Minute

func (c Config) withDefaults() (Config, error) {
	if c.Kind == "" {
		c.Kind = OpenLDAP
	}
	k, ok := kindDefaults[c.Kind]
	if !ok {
		return c, fmt.Errorf("directory: kind %q is not a kind (accepted: openldap, ad)", c.Kind)
	}
	c.NameAttribute = or(c.NameAttribute, k.NameAttribute)
	c.UserFilter = or(c.UserFilter, k.UserFilter)
	c.GroupMode = or(c.GroupMode, k.GroupMode)
	c.GroupFilter = or(c.GroupFilter, k.GroupFilter)
	c.MemberAttribute = or(c.MemberAttribute, k.MemberAttribute)
	c.GroupBaseDN = or(c.GroupBaseDN, c.BaseDN)
	c.Scope = or(c.Scope, ScopeSub)
	c.Canonical = or(c.Canonical, FormUser)
	c.Attributes.DisplayName = or(c.Attributes.DisplayName, "displayName")
	c.Attributes.Mail = or(c.Attributes.Mail, "mail")
	c.Attributes.Mobile = or(c.Attributes.Mobile, "mobile")
	c.Attributes.Pager = or(c.Attributes.Pager, "pager")
	c.PoolSize = or(c.PoolSize, DefaultPoolSize)
	c.DialTimeout = or(c.DialTimeout, DefaultDialTimeout)
	c.SearchTimeout = or(c.SearchTimeout, DefaultSearchTimeout)
	c.BindTimeout = or(c.BindTimeout, DefaultBindTimeout)
	c.CacheTTL = or(c.CacheTTL, DefaultCacheTTL)
	c.CacheSize = or(c.CacheSize, DefaultCacheSize)
	if c.Now == nil {
		c.Now = time.Now
	}
	return c, c.check()
}

func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

func (c Config) check() error {
	checks := []func() error{c.checkSearch, c.checkBind, c.checkGroups, c.checkNames, c.checkLimits}
	for _, f := range checks {
		if err := f(); err != nil {
			return fmt.Errorf("directory: %w", err)
		}
	}
	return nil
}

func (c Config) checkSearch() error {
	if _, err := ldap.ParseDN(c.BaseDN); err != nil || c.BaseDN == "" {
		return fmt.Errorf("base DN %q is not a DN (accepted: e.g. \"dc=example,dc=org\")", c.BaseDN)
	}
	if _, err := ldap.ParseDN(c.GroupBaseDN); err != nil {
		return fmt.Errorf("group base DN %q is not a DN", c.GroupBaseDN)
	}
	switch c.Scope {
	case ScopeBase, ScopeOne, ScopeSub:
	default:
		return fmt.Errorf("scope %q is not a scope (accepted: base, one, sub)", c.Scope)
	}
	if !strings.Contains(c.UserFilter, "%s") {
		return fmt.Errorf("user filter %q has no %%s for the name", c.UserFilter)
	}
	if _, err := ldap.CompileFilter(userFilter(c.UserFilter, "x")); err != nil {
		return fmt.Errorf("user filter %q is not an LDAP filter (RFC 4515): %v", c.UserFilter, err)
	}
	if _, err := ldap.CompileFilter(c.GroupFilter); err != nil {
		return fmt.Errorf("group filter %q is not an LDAP filter (RFC 4515): %v", c.GroupFilter, err)
	}
	for _, a := range []string{c.NameAttribute, c.MemberAttribute, c.Attributes.DisplayName, c.Attributes.Mail, c.Attributes.Mobile, c.Attributes.Pager} {
		if !attributeName(a) {
			return fmt.Errorf("attribute %q is not an attribute name (letters, digits and '-', starting with a letter)", a)
		}
	}
	return nil
}

// attributeName reports whether a is an attribute description's type, a
// descr of RFC 4512 section 1.4 (no options, no OIDs).
func attributeName(a string) bool {
	if a == "" || !isLetter(a[0]) {
		return false
	}
	for i := range len(a) {
		if !isLetter(a[i]) && (a[i] < '0' || a[i] > '9') && a[i] != '-' {
			return false
		}
	}
	return true
}

func isLetter(b byte) bool { return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }

func (c Config) checkBind() error {
	switch {
	case c.BindDN != "" && c.BindPassword == "":
		return errors.New("bind DN is set but its password is empty")
	case c.BindDN == "" && c.BindPassword != "":
		return errors.New("a bind password is set but no bind DN")
	}
	if c.BindTemplate == "" {
		return nil
	}
	if strings.Count(c.BindTemplate, "%s") != 1 {
		return fmt.Errorf("bind template %q must hold %%s once", c.BindTemplate)
	}
	if !templateIsDN(c.BindTemplate) && c.Kind != AD {
		return fmt.Errorf("bind template %q is not a DN, which only Active Directory binds (kind ad)", c.BindTemplate)
	}
	if templateIsDN(c.BindTemplate) {
		if _, err := ldap.ParseDN(strings.Replace(c.BindTemplate, "%s", "x", 1)); err != nil {
			return fmt.Errorf("bind template %q is not a DN: %v", c.BindTemplate, err)
		}
	}
	return nil
}

func (c Config) checkGroups() error {
	switch c.GroupMode {
	case InChain, Member, MemberOf:
	default:
		return fmt.Errorf("group mode %q is not a mode (accepted: in_chain, member, memberof)", c.GroupMode)
	}
	return nil
}

func (c Config) checkNames() error {
	switch c.Canonical {
	case FormUser:
	case FormDownLevel:
		if len(c.Domains) == 0 {
			return errors.New(`canonical form "down-level" needs a domain (the first of domains)`)
		}
	default:
		return fmt.Errorf("canonical form %q is not a form (accepted: user, down-level)", c.Canonical)
	}
	for _, dom := range c.Domains {
		if err := username.Check(dom); err != nil || strings.ContainsAny(dom, `\@`) {
			return fmt.Errorf("domain %q is not a NetBIOS domain or realm", dom)
		}
	}
	return nil
}

func (c Config) checkLimits() error {
	if c.PoolSize < 1 || c.PoolSize > MaxPoolSize {
		return fmt.Errorf("pool size %d is out of range (accepted: 1 to %d)", c.PoolSize, MaxPoolSize)
	}
	for _, t := range []time.Duration{c.DialTimeout, c.SearchTimeout, c.BindTimeout} {
		if t < 0 || t > maxTimeout {
			return fmt.Errorf("timeout %v is out of range (accepted: up to %v)", t, maxTimeout)
		}
	}
	if c.CacheTTL > MaxCacheTTL {
		return fmt.Errorf("cache TTL %v is over %v", c.CacheTTL, MaxCacheTTL)
	}
	if c.CacheSize < 1 {
		return fmt.Errorf("cache size %d must be positive", c.CacheSize)
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		return errors.New("a client certificate needs both its certificate and its key file")
	}
	return nil
}

// tlsConfig builds the TLS client configuration: TLS 1.2 or later, the
// servers' certificates verified against CAFile or the system's roots.
func (c Config) tlsConfig() (*tls.Config, error) {
	t := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: c.ServerName}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("directory: CA file: %w", err)
		}
		t.RootCAs = x509.NewCertPool()
		if !t.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("directory: CA file %s holds no PEM certificate", c.CAFile)
		}
	}
	if c.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("directory: client certificate: %w", err)
		}
		t.Certificates = []tls.Certificate{cert}
	}
	return t, nil
}
