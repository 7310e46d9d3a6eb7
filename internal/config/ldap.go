package config

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"otpgate.dev/otpgate/internal/directory"
	"otpgate.dev/otpgate/internal/primary"
)

// LDAP is the [ldap] table: the directory that auth.primary = "ldap" checks
// passwords against, and that the admin commands read users, groups and
// addresses from. Every key is optional but urls and base_dn; the rest
// take the defaults of kind (see package directory and docs/directory.md).
type LDAP struct {
	Kind       string   `toml:"kind"` // openldap (default) or ad
	URLs       []string `toml:"urls"`
	StartTLS   bool     `toml:"start_tls"`
	CAFile     string   `toml:"ca_file"`
	ServerName string   `toml:"server_name"`
	CertFile   string   `toml:"client_cert_file"`
	KeyFile    string   `toml:"client_key_file"`

	BindDN string `toml:"bind_dn"`
	// BindPasswordFile holds the service account's password (its first
	// line); there is no inline form.
	BindPasswordFile string `toml:"bind_password_file"`
	BindTemplate     string `toml:"bind_template"`

	BaseDN        string `toml:"base_dn"`
	Scope         string `toml:"scope"`
	UserFilter    string `toml:"user_filter"`
	NameAttribute string `toml:"name_attribute"`

	Domains       []string `toml:"domains"`
	CaseSensitive bool     `toml:"case_sensitive"`
	CanonicalName string   `toml:"canonical_name"` // user (default) or down-level

	GroupMode       string   `toml:"group_mode"`
	GroupBaseDN     string   `toml:"group_base_dn"`
	GroupFilter     string   `toml:"group_filter"`
	MemberAttribute string   `toml:"member_attribute"`
	RequireGroup    []string `toml:"require_group"`
	DenyGroup       []string `toml:"deny_group"`

	Attributes LDAPAttributes `toml:"attributes"`

	PoolSize      int      `toml:"pool_size"`
	DialTimeout   Duration `toml:"dial_timeout"`
	SearchTimeout Duration `toml:"search_timeout"`
	BindTimeout   Duration `toml:"bind_timeout"`
	// CacheTTL is how long a search result is reused; "0s" turns the
	// cache off, absent keeps the default (30 s).
	CacheTTL  *Duration `toml:"cache_ttl"`
	CacheSize int       `toml:"cache_size"`
}

// LDAPAttributes maps the user attributes otpgate reads.
type LDAPAttributes struct {
	DisplayName string `toml:"display_name"`
	Mail        string `toml:"mail"`
	Mobile      string `toml:"mobile"`
	Pager       string `toml:"pager"`
}

// Configured reports whether the [ldap] table is there at all.
func (l *LDAP) Configured() bool { return len(l.URLs) > 0 || l.BaseDN != "" }

// Directory returns the directory's configuration, with bindPassword, the
// content of bind_password_file, which the caller reads.
func (l *LDAP) Directory(bindPassword string) directory.Config {
	c := directory.Config{
		Kind: directory.Kind(l.Kind), URLs: l.URLs, StartTLS: l.StartTLS,
		CAFile: l.CAFile, ServerName: l.ServerName, CertFile: l.CertFile, KeyFile: l.KeyFile,
		BindDN: l.BindDN, BindPassword: bindPassword, BindTemplate: l.BindTemplate,
		BaseDN: l.BaseDN, Scope: directory.Scope(l.Scope), UserFilter: l.UserFilter, NameAttribute: l.NameAttribute,
		Domains: l.Domains, CaseSensitive: l.CaseSensitive, Canonical: directory.CanonicalForm(l.CanonicalName),
		GroupMode: directory.GroupMode(l.GroupMode), GroupBaseDN: l.GroupBaseDN, GroupFilter: l.GroupFilter,
		MemberAttribute: l.MemberAttribute, RequireGroups: l.RequireGroup, DenyGroups: l.DenyGroup,
		Attributes: directory.Attributes{DisplayName: l.Attributes.DisplayName, Mail: l.Attributes.Mail,
			Mobile: l.Attributes.Mobile, Pager: l.Attributes.Pager},
		PoolSize: l.PoolSize, DialTimeout: l.DialTimeout.Duration, SearchTimeout: l.SearchTimeout.Duration,
		BindTimeout: l.BindTimeout.Duration, CacheSize: l.CacheSize,
	}
	if l.CacheTTL != nil {
		c.CacheTTL = l.CacheTTL.Duration
		if c.CacheTTL == 0 {
			c.CacheTTL = -1
		}
	}
	return c
}

// Canonical maps a login name as given to the name tokens are stored
// under: itself without [ldap], the directory's canonical name with it
// (reading no file, asking no server).
func (l *LDAP) Canonical(given string) (string, error) {
	if !l.Configured() {
		return given, nil
	}
	n, err := l.Directory("").Name(given)
	return n.Canonical, err
}

// checkLDAP validates [ldap] whenever it is there, and requires it for
// auth.primary = "ldap". Files are only named here; they are read when the
// directory is opened.
func (c *Config) checkLDAP() error {
	l := &c.LDAP
	if !l.Configured() {
		if c.Auth.Primary == primary.KindLDAP {
			return errors.New(`auth.primary = "ldap" needs an [ldap] table with urls and base_dn (see docs/directory.md)`)
		}
		return nil
	}
	files := []struct{ key, path string }{
		{"ldap.ca_file", l.CAFile}, {"ldap.client_cert_file", l.CertFile},
		{"ldap.client_key_file", l.KeyFile}, {"ldap.bind_password_file", l.BindPasswordFile},
	}
	for _, f := range files {
		if f.path != "" && !filepath.IsAbs(f.path) {
			return fmt.Errorf("%s %q is not an absolute path", f.key, f.path)
		}
	}
	if l.BindDN != "" && l.BindPasswordFile == "" {
		return errors.New("ldap.bind_dn is set but ldap.bind_password_file is not (the service account's password is read from a file only)")
	}
	password := ""
	if l.BindPasswordFile != "" {
		password = "placeholder: the file is read at start"
	}
	if err := l.Directory(password).Validate(); err != nil {
		return fmt.Errorf("ldap: %s", strings.TrimPrefix(err.Error(), "directory: "))
	}
	return nil
}
