package config

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"otpgate.dev/otpgate/internal/policy"
	"otpgate.dev/otpgate/internal/raddict"
	"otpgate.dev/otpgate/internal/username"
)

// Rule is one [[policy.rule]]: conditions (all that are set must hold;
// each list matches if any entry does) and an outcome. See package policy
// and docs/policy.md.
type Rule struct {
	Name     string   `toml:"name"`
	User     []string `toml:"user"`
	Group    []string `toml:"group"`
	From     []string `toml:"from"`     // networks of the VPN client's address
	NAS      []string `toml:"nas"`      // RADIUS client names, addresses or networks
	Frontend []string `toml:"frontend"` // radius, openvpn, http, yubico
	Hours    string   `toml:"hours"`    // "08:00-18:00"
	Days     []string `toml:"days"`     // mon .. sun
	TimeZone string   `toml:"time_zone"`

	OTP        string         `toml:"otp"` // required (default), optional, skip
	TokenTypes []string       `toml:"token_types"`
	Deny       bool           `toml:"deny"`
	Reply      map[string]any `toml:"reply"` // attribute name = value or [values]
	Forward    string         `toml:"forward"`
}

// Forward is one [[policy.forward]]: legacy RADIUS servers tried in order.
type Forward struct {
	Name       string   `toml:"name"`
	Servers    []string `toml:"servers"` // host:port, in order of preference
	SecretFile string   `toml:"secret_file"`
	Timeout    Duration `toml:"timeout"` // per try; default 3s
	Tries      int      `toml:"tries"`   // per server; default 2
	// Send is what the legacy server receives as the User-Password:
	// "password" (default), the field as the user typed it, or "code", the
	// code alone after otpgate has checked the primary password.
	Send string `toml:"send"`
	// RequireMessageAuthenticator (default true) refuses answers without
	// one; false is for servers without the BlastRADIUS fixes.
	RequireMessageAuthenticator *bool `toml:"require_message_authenticator"`
}

// RequiresMessageAuthenticator is require_message_authenticator with its
// default.
func (f Forward) RequiresMessageAuthenticator() bool {
	return f.RequireMessageAuthenticator == nil || *f.RequireMessageAuthenticator
}

// frontends are the values policy.rule.frontend accepts.
var frontends = []string{"radius", "openvpn", "http", "yubico"}

// Rules returns the rules of [[policy.rule]], with their reply attributes
// encoded through the standard dictionary and policy.dictionaries, which it
// reads.
func (p Policy) Rules() ([]policy.Rule, error) {
	dict, err := p.Dictionary()
	if err != nil {
		return nil, err
	}
	rules := make([]policy.Rule, 0, len(p.Rule))
	for i, r := range p.Rule {
		pr, err := r.build(dict)
		if err != nil {
			return nil, fmt.Errorf("policy.rule %s: %w", r.label(i), err)
		}
		rules = append(rules, pr)
	}
	return rules, nil
}

// Dictionary returns the standard dictionary with policy.dictionaries read
// on top of it.
func (p Policy) Dictionary() (*raddict.Dictionary, error) {
	for _, path := range p.Dictionaries {
		if !strings.HasPrefix(path, "/") {
			return nil, fmt.Errorf("policy.dictionaries: %q is not an absolute path", path)
		}
	}
	d, err := raddict.Load(raddict.Standard(), p.Dictionaries...)
	if err != nil {
		return nil, fmt.Errorf("policy.dictionaries: %w", err)
	}
	return d, nil
}

func (r Rule) label(i int) string {
	if r.Name != "" {
		return strconv.Quote(r.Name)
	}
	return fmt.Sprintf("#%d", i+1)
}

// build turns r into a policy rule, checking every value.
func (r Rule) build(dict *raddict.Dictionary) (policy.Rule, error) {
	pr := policy.Rule{Name: r.Name, Match: policy.Match{Groups: r.Group, Frontends: r.Frontend},
		Outcome: policy.Outcome{Deny: r.Deny, OTP: policy.OTP(r.OTP), TokenTypes: r.TokenTypes, Forward: r.Forward}}
	if r.Name == "" {
		return pr, errors.New("no name (give each rule a name: explain and the audit trail show it)")
	}
	var err error
	if pr.Users, err = userNames(r.User); err != nil {
		return pr, err
	}
	if pr.From, err = prefixes("from", r.From); err != nil {
		return pr, err
	}
	if pr.NASNames, pr.NASAddrs, err = nasList(r.NAS); err != nil {
		return pr, err
	}
	for _, f := range r.Frontend {
		if !slices.Contains(frontends, f) {
			return pr, fmt.Errorf("frontend %q is not one of %s", f, strings.Join(frontends, ", "))
		}
	}
	if r.Hours != "" {
		if pr.Hours, err = policy.ParseWindow(r.Hours, r.Days, r.TimeZone); err != nil {
			return pr, err
		}
	} else if len(r.Days) > 0 || r.TimeZone != "" {
		return pr, errors.New(`days and time_zone need hours (e.g. hours = "00:00-24:00" for whole days)`)
	}
	if pr.Reply, err = replyPairs(dict, r.Reply); err != nil {
		return pr, err
	}
	if len(r.Frontend) == 0 || slices.Contains(r.Frontend, "openvpn") {
		// The netmask comes from the OpenVPN server at run time; any one
		// lets the routes be checked now.
		if _, _, err := policy.OpenVPN(pr.Reply, "255.255.255.0"); err != nil {
			return pr, fmt.Errorf("reply: %w (or limit the rule to frontend = [\"radius\"])", err)
		}
	}
	return pr, nil
}

// prefixes reads addresses and networks.
func prefixes(key string, ss []string) ([]netip.Prefix, error) {
	var ps []netip.Prefix
	for _, s := range ss {
		p, err := parseNetwork(s)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		if p.Masked() != p {
			return nil, fmt.Errorf("%s: %q has host bits set (did you mean %s?)", key, s, p.Masked())
		}
		ps = append(ps, p)
	}
	return ps, nil
}

// parseNetwork reads a rule's address or network; an IPv4-mapped address
// is the IPv4 host, as radius.ParsePrefix reads a client's.
func parseNetwork(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		if p, err := netip.ParsePrefix(s); err == nil {
			return p, nil
		}
	} else if a, err := netip.ParseAddr(s); err == nil {
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	return netip.Prefix{}, fmt.Errorf("%q is not an IP address or network (accepted: e.g. 10.0.0.1, 10.0.0.0/24, 2001:db8::/32)", s)
}

// nasList splits the names of RADIUS clients from addresses and networks.
func nasList(ss []string) ([]string, []netip.Prefix, error) {
	var names, addrs []string
	for _, s := range ss {
		if _, err := netip.ParseAddr(s); err == nil || strings.Contains(s, "/") {
			addrs = append(addrs, s)
		} else {
			names = append(names, s)
		}
	}
	ps, err := prefixes("nas", addrs)
	return names, ps, err
}

// replyPairs encodes a reply table, in the order of its attribute names
// and, for a list, of its values.
func replyPairs(dict *raddict.Dictionary, reply map[string]any) ([]raddict.Pair, error) {
	names := make([]string, 0, len(reply))
	for name := range reply {
		names = append(names, name)
	}
	slices.Sort(names)
	var pairs []raddict.Pair
	for _, name := range names {
		values, err := replyValues(reply[name])
		if err != nil {
			return nil, fmt.Errorf("reply.%s: %w", name, err)
		}
		a, ok := dict.Attribute(name)
		if !ok {
			return nil, fmt.Errorf("reply.%s: no such attribute in the standard dictionary or policy.dictionaries (add the vendor's file, e.g. /usr/share/freeradius/dictionary.cisco)", name)
		}
		if err := a.CheckReply(); err != nil {
			return nil, fmt.Errorf("reply.%s: %w", name, err)
		}
		for _, v := range values {
			p, err := a.Encode(v)
			if err != nil {
				return nil, fmt.Errorf("reply.%s: %w", name, err)
			}
			pairs = append(pairs, p)
		}
	}
	return pairs, nil
}

func replyValues(v any) ([]string, error) {
	bad := errors.New("accepted: a string, a number, or a list of them")
	switch v := v.(type) {
	case string:
		return []string{v}, nil
	case int64:
		return []string{strconv.FormatInt(v, 10)}, nil
	case []any:
		var out []string
		for _, e := range v {
			s, err := replyValues(e)
			if err != nil || len(s) != 1 {
				return nil, bad
			}
			out = append(out, s...)
		}
		return out, nil
	}
	return nil, bad
}

// checkRules validates [[policy.rule]] and [[policy.forward]]: every rule
// builds, names are unique, a forward names a [[policy.forward]], and no
// rule lets a login through on a user name alone.
func (c *Config) checkRules() error {
	rules, err := c.Policy.Rules()
	if err != nil {
		return err
	}
	if _, err := policy.New(rules, policy.Union()); err != nil {
		return err
	}
	forwards, err := c.checkForwards()
	if err != nil {
		return err
	}
	for i, r := range c.Policy.Rule {
		if r.Forward != "" && !forwards[r.Forward] {
			return fmt.Errorf("policy.rule %s: forward %q names no [[policy.forward]]", r.label(i), r.Forward)
		}
		if err := c.checkNoFactor(r); err != nil {
			return fmt.Errorf("policy.rule %s: %w", r.label(i), err)
		}
	}
	return nil
}

// checkNoFactor refuses otp = "skip" or "optional" where the primary is
// "none": such a login would need nothing but a user name. Over OpenVPN
// alone the client's certificate is the factor, and that is allowed.
func (c *Config) checkNoFactor(r Rule) error {
	kind, _, _ := strings.Cut(c.Auth.Primary, ":")
	if r.Deny || (r.OTP != string(policy.Skip) && r.OTP != string(policy.Optional)) || (kind != "" && kind != "none") {
		return nil
	}
	if len(r.Frontend) > 0 && !slices.ContainsFunc(r.Frontend, func(f string) bool { return f != "openvpn" }) {
		return nil
	}
	return fmt.Errorf(`otp = %q with auth.primary = "none" lets a login in with a user name alone; set auth.primary, or limit the rule to frontend = ["openvpn"] (the client certificate is then the factor)`, r.OTP)
}

// checkForwards validates [[policy.forward]] and returns its names.
func (c *Config) checkForwards() (map[string]bool, error) {
	names := make(map[string]bool)
	for i, f := range c.Policy.Forward {
		key := fmt.Sprintf("policy.forward #%d", i+1)
		if f.Name != "" {
			key = fmt.Sprintf("policy.forward %q", f.Name)
		}
		if f.Name == "" || names[f.Name] {
			return nil, fmt.Errorf("%s: the name is empty or used twice", key)
		}
		names[f.Name] = true
		if err := f.check(); err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
	}
	return names, nil
}

func (f Forward) check() error {
	if len(f.Servers) == 0 {
		return errors.New(`no servers (e.g. servers = ["10.0.0.5:1812"])`)
	}
	for _, s := range f.Servers {
		if _, err := netip.ParseAddrPort(s); err != nil {
			return fmt.Errorf("server %q is not an IP address and port (e.g. 10.0.0.5:1812)", s)
		}
	}
	switch {
	case f.SecretFile == "":
		return errors.New("no secret_file (the shared secret otpgate and the legacy servers agree on)")
	case !strings.HasPrefix(f.SecretFile, "/"):
		return fmt.Errorf("secret_file %q is not an absolute path", f.SecretFile)
	case f.Tries < 0 || f.Tries > 10:
		return fmt.Errorf("tries = %d is out of range (accepted: 1 to 10; 0 for the default)", f.Tries)
	case f.Timeout.Duration > time.Minute:
		return fmt.Errorf("timeout %v is over a minute", f.Timeout.Duration)
	}
	switch f.Send {
	case "", "password", "code":
		return nil
	}
	return fmt.Errorf("send %q is not password or code", f.Send)
}

// userNames returns names in the form logins compare them in
// (username.Canonical), so that a rule matches however its file spells a
// name.
func userNames(names []string) ([]string, error) {
	out := make([]string, 0, len(names))
	for _, n := range names {
		c, err := username.Canonical(n)
		if err != nil {
			return nil, fmt.Errorf("user: %w", err)
		}
		out = append(out, c)
	}
	return out, nil
}
