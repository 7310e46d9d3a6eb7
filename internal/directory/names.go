package directory

import (
	"fmt"
	"strings"

	"otpgate.dev/otpgate/internal/username"
)

// A login name arrives in one of seed 003's "User Login Format"s: the bare
// account name ("Username Only"), or qualified by its directory as
// "DOMAIN\user" (the down-level logon name) or "user@realm" (the user
// principal name's form). All three map to one canonical name, so that a
// user has one set of tokens however the VPN client spells the name.

// Name is a login name mapped onto the directory.
type Name struct {
	Given     string // as the client sent it, for the audit trail
	Account   string // the account name searched for and bound, folded unless CaseSensitive
	Canonical string // what tokens are stored under
}

// adForbidden are the characters a sAMAccountName cannot hold ([MS-ADTS]
// 3.1.1.5.2.6). A name holding one is refused before it reaches a filter
// or a bind name, where "=" and "," would make a bind name look like a DN.
const adForbidden = `"/\[]:;|=,+*?<>`

// Canonical maps a name as given to its account and canonical names, or
// fails with [ErrBadName]. It asks no server. The name must first pass
// package username's rule, which also puts it in Unicode Normalization
// Form C, so that two encodings of one name find one entry.
func (d *Directory) Canonical(given string) (Name, error) {
	return d.cfg.mapName(given)
}

func (c Config) mapName(given string) (Name, error) {
	name, err := username.Canonical(given)
	if err != nil {
		return Name{}, fmt.Errorf("%w: %v", ErrBadName, err)
	}
	account, err := c.account(name)
	if err != nil {
		return Name{}, fmt.Errorf("%w: %v", ErrBadName, err)
	}
	if c.Kind == AD && strings.ContainsAny(account, adForbidden) {
		return Name{}, fmt.Errorf("%w: an Active Directory account name cannot hold any of %s", ErrBadName, adForbidden)
	}
	if !c.CaseSensitive {
		// Folding can lengthen a name: "Ⱥ" is 2 bytes, "ⱥ" 3.
		if account = strings.ToLower(account); len(account) > username.MaxLen {
			return Name{}, fmt.Errorf("%w: %d bytes long in lower case (at most %d)", ErrBadName, len(account), username.MaxLen)
		}
	}
	n := Name{Given: given, Account: account, Canonical: account}
	if c.Canonical == FormDownLevel {
		n.Canonical = strings.ToUpper(c.Domains[0]) + `\` + account
	}
	return n, nil
}

// account strips a configured domain or realm. With no domains configured
// the name is the account name whole.
func (c Config) account(given string) (string, error) {
	if len(c.Domains) == 0 {
		return given, nil
	}
	if dom, user, ok := strings.Cut(given, `\`); ok {
		return c.qualified(dom, user, "DOMAIN\\user")
	}
	if i := strings.LastIndexByte(given, '@'); i >= 0 {
		return c.qualified(given[i+1:], given[:i], "user@realm")
	}
	return given, nil
}

func (c Config) qualified(dom, user, form string) (string, error) {
	if user == "" || strings.ContainsAny(user, `\@`) {
		return "", fmt.Errorf("not a %s name", form)
	}
	for _, d := range c.Domains {
		if strings.EqualFold(d, dom) {
			return user, nil
		}
	}
	return "", fmt.Errorf("domain %q is not one of %s", dom, strings.Join(c.Domains, ", "))
}

// Name maps a name as given as [Directory.Canonical] does, from the
// configuration alone: no file is read and no server asked, so that a
// command that only needs the name need not open the directory.
func (c Config) Name(given string) (Name, error) {
	c.Kind = or(c.Kind, OpenLDAP)
	c.Canonical = or(c.Canonical, FormUser)
	if err := c.checkNames(); err != nil {
		return Name{}, fmt.Errorf("directory: %w", err)
	}
	return c.mapName(given)
}
