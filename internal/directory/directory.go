// Package directory is otpgate's LDAP and Active Directory client: it maps
// a login name to a directory entry, checks the entry's password by a
// simple bind (RFC 4513 section 5.1.3), reads its groups, account state and
// contact attributes, and lists the members of a group. It speaks LDAPv3
// (RFC 4511) through github.com/go-ldap/ldap/v3, over ldaps:// or StartTLS
// (RFC 4513 section 3) with certificate verification always on, or over
// plain ldap:// to a loopback address only.
//
// Use [New] with a [Config], then [Directory.Authenticate] for a login,
// [Directory.Lookup] to resolve a name without a password, [Directory.Members]
// to enumerate a group and [Directory.Probe] to diagnose one user step by
// step. [Directory.Canonical] maps a name as typed ("alice", "EXAMPLE\alice",
// "alice@example.org") to the one name otpgate stores tokens under, without
// asking the server.
//
// Names are put into filters escaped per RFC 4515 section 3 and into DNs
// escaped per RFC 4514 section 2.4, after the names package username
// refuses (control characters, over 253 bytes, invalid UTF-8) are refused
// without a connection. An empty password is refused before any bind: an
// unauthenticated simple bind (RFC 4513 section 5.1.2) succeeds on most
// servers.
//
// Nested groups are read with Active Directory's LDAP_MATCHING_RULE_IN_CHAIN
// (1.2.840.113556.1.4.1941, [MS-ADTS] 3.1.1.3.4.4.1), or by walking member or
// memberOf (OpenLDAP's memberof overlay) level by level. An account that is
// disabled (userAccountControl ACCOUNTDISABLE, [MS-ADTS] 2.2.16), locked out
// or with an expired password (msDS-User-Account-Control-Computed), past its
// accountExpires, or locked by an administrator through OpenLDAP's ppolicy
// overlay (pwdAccountLockedTime 000001010000Z,
// draft-behera-ldap-password-policy section 5.3.3) is refused before its
// password is tried.
//
// A Directory is safe for concurrent use. Its connections come from a
// bounded pool ([Config.PoolSize]); servers are tried in the order of
// [Config.URLs], a failing one is put back for a while (a back-off per
// server), and a connection the server closed (a restart) is replaced.
// Search results, never passwords, may be cached for [Config.CacheTTL].
package directory

import (
	"crypto/tls"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Kind is the directory's flavour: it chooses the defaults of the name
// attribute, the user filter, the group mode and the name rules.
type Kind string

// The kinds.
const (
	OpenLDAP Kind = "openldap"
	AD       Kind = "ad"
)

// Scope is the depth of the user and group searches (RFC 4511 4.5.1.2).
type Scope string

// The scopes.
const (
	ScopeBase Scope = "base"
	ScopeOne  Scope = "one"
	ScopeSub  Scope = "sub"
)

// GroupMode is how a user's groups are found.
type GroupMode string

// The group modes.
const (
	// InChain asks Active Directory for every group the user is in,
	// directly or through other groups, in one search.
	InChain GroupMode = "in_chain"
	// Member searches for groups whose member attribute names the user,
	// then for groups naming those, up to [MaxGroupDepth] levels.
	Member GroupMode = "member"
	// MemberOf reads the user's memberOf attribute (OpenLDAP's memberof
	// overlay, or AD), then each group's, up to [MaxGroupDepth] levels.
	MemberOf GroupMode = "memberof"
)

// CanonicalForm is how [Directory.Canonical] writes a name.
type CanonicalForm string

// The canonical forms.
const (
	// FormUser is the bare account name: "alice".
	FormUser CanonicalForm = "user"
	// FormDownLevel is the first of [Config.Domains], in capitals, a
	// backslash and the account name: "EXAMPLE\alice" (seed 003's
	// DirectoryName\UserName).
	FormDownLevel CanonicalForm = "down-level"
)

// Limits and defaults.
const (
	// MaxPasswordLen bounds a password handed to a bind.
	MaxPasswordLen = 1024
	// MaxGroupDepth bounds the nesting walked in the Member and MemberOf
	// modes; MaxGroups bounds the groups one user may be found in.
	MaxGroupDepth = 8
	MaxGroups     = 1000

	DefaultPoolSize      = 4
	DefaultDialTimeout   = 5 * time.Second
	DefaultSearchTimeout = 5 * time.Second
	DefaultBindTimeout   = 5 * time.Second
	DefaultCacheTTL      = 30 * time.Second
	MaxCacheTTL          = 10 * time.Minute
	DefaultCacheSize     = 1024
	MaxPoolSize          = 256
)

// Config configures a [Directory]. Zero values take the defaults of Kind.
type Config struct {
	Kind Kind
	// URLs are ldap:// or ldaps:// URLs with a host and an optional port,
	// tried in order. ldap:// needs StartTLS unless its host is a loopback
	// address.
	URLs     []string
	StartTLS bool
	// CAFile holds the PEM certificates trusted for the servers (default:
	// the system's roots); ServerName is the name their certificates must
	// carry (default: the URL's host). CertFile and KeyFile are a client
	// certificate, for servers that ask for one.
	CAFile, ServerName, CertFile, KeyFile string

	// BindDN and BindPassword are the service account that searches. Empty
	// BindDN searches anonymously, or, with BindTemplate, as the user.
	BindDN, BindPassword string
	// BindTemplate, when set, binds as the user directly: "%s" is replaced
	// by the account name, escaped as a DN value when the template is a DN
	// ("uid=%s,ou=people,dc=example,dc=org"), as is otherwise
	// ("%s@example.org", "EXAMPLE\%s"). Without it the user's entry is
	// searched for and its DN bound.
	BindTemplate string

	BaseDN string
	Scope  Scope
	// UserFilter finds a user; each "%s" is replaced by the account name
	// escaped per RFC 4515.
	UserFilter string
	// NameAttribute holds the account name (uid, sAMAccountName); a found
	// entry must carry the name that was searched for.
	NameAttribute string

	// Domains are the NetBIOS domains and realms accepted in "DOMAIN\user"
	// and "user@realm", compared without case. Empty: a name is taken
	// whole, "@" and "\" included.
	Domains       []string
	CaseSensitive bool
	Canonical     CanonicalForm

	GroupMode       GroupMode
	GroupBaseDN     string // default BaseDN
	GroupFilter     string // what a group entry is
	MemberAttribute string // member, uniqueMember
	// RequireGroups: a user must be in one of them; DenyGroups: in none.
	// Each is a DN, or a group's name matched against the value of the
	// first RDN of the user's groups.
	RequireGroups, DenyGroups []string

	Attributes Attributes

	PoolSize      int
	DialTimeout   time.Duration
	SearchTimeout time.Duration
	BindTimeout   time.Duration
	// CacheTTL is how long a search result is reused: a removed group or
	// a disabled account takes effect within it. CacheSize bounds the
	// entries. A negative CacheTTL turns the cache off.
	CacheTTL  time.Duration
	CacheSize int

	// Now is the clock for accountExpires and the cache; default time.Now.
	Now func() time.Time
}

// Attributes names the directory attributes read for a user.
type Attributes struct {
	DisplayName, Mail, Mobile, Pager string
}

// Refusals: a login that is refused for one of these reasons gets the same
// answer as a wrong password; the reason is for the audit trail.
var (
	ErrBadName      = errors.New("directory: the name is not a name this directory can hold")
	ErrNoSuchUser   = errors.New("directory: no such user")
	ErrBadPassword  = errors.New("directory: wrong password")
	ErrDisabled     = errors.New("directory: the account is disabled")
	ErrNotPermitted = errors.New("directory: the account's groups do not permit a login")
)

// ErrAmbiguous is an error, not a refusal: the user filter matched several
// entries, which is a configuration fault.
var ErrAmbiguous = errors.New("directory: the user filter matched more than one entry")

// Refused reports whether err is one of the refusals, as opposed to a
// directory that could not answer.
func Refused(err error) bool {
	for _, r := range []error{ErrBadName, ErrNoSuchUser, ErrBadPassword, ErrDisabled, ErrNotPermitted} {
		if errors.Is(err, r) {
			return true
		}
	}
	return false
}

// Directory is a configured directory. Create it with [New].
type Directory struct {
	cfg      Config
	tls      *tls.Config
	servers  []*server
	pool     *pool
	cache    *cache
	require  []groupRef
	deny     []groupRef
	userAttr []string
}

// New checks cfg, loads its certificates and returns the directory. It does
// not connect: the first login does.
func New(cfg Config) (*Directory, error) {
	d, err := cfg.parse()
	if err != nil {
		return nil, err
	}
	if d.tls, err = d.cfg.tlsConfig(); err != nil {
		return nil, err
	}
	d.pool = newPool(d.cfg.PoolSize, d.dial)
	d.cache = newCache(d.cfg.CacheTTL, d.cfg.CacheSize, d.cfg.Now)
	d.userAttr = userAttributes(d.cfg)
	return d, nil
}

// Validate checks c as [New] does, without reading any file.
func (c Config) Validate() error {
	_, err := c.parse()
	return err
}

func (c Config) parse() (*Directory, error) {
	cfg, err := c.withDefaults()
	if err != nil {
		return nil, err
	}
	d := &Directory{cfg: cfg}
	if d.servers, err = parseServers(cfg.URLs, cfg.StartTLS); err != nil {
		return nil, err
	}
	if d.require, err = parseGroupRefs(cfg.RequireGroups); err != nil {
		return nil, fmt.Errorf("directory: require group: %w", err)
	}
	if d.deny, err = parseGroupRefs(cfg.DenyGroups); err != nil {
		return nil, fmt.Errorf("directory: deny group: %w", err)
	}
	return d, nil
}

// Close closes the idle connections and makes every later call fail.
func (d *Directory) Close() error {
	d.pool.close()
	return nil
}

// Servers returns the configured URLs, in the order they are tried.
func (d *Directory) Servers() []string { return slices.Clone(d.cfg.URLs) }
