package policy

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// Match is a rule's conditions. Each non-empty field must hold (any of its
// entries may match); a Match with no field set matches every login.
type Match struct {
	Users     []string
	Groups    []string // compared without case, as directories do
	From      []netip.Prefix
	NASNames  []string
	NASAddrs  []netip.Prefix
	Frontends []string
	Hours     *Window
}

// evaluation is one Decide: the login and, once asked, the user's groups.
type evaluation struct {
	ctx       context.Context
	in        Input
	groups    Groups
	userGroup []string
	fetched   bool
}

// matches tests m's conditions, cheapest first and the groups (which may
// ask a directory) last, and says why it matched or which condition did not.
func (e *evaluation) matches(m Match) (bool, string, error) {
	var why []string
	checks := []func(Match) (bool, string, error){e.frontend, e.nas, e.from, e.user, e.hours, e.group}
	for _, c := range checks {
		ok, reason, err := c(m)
		if err != nil || !ok {
			return false, reason, err
		}
		if reason != "" {
			why = append(why, reason)
		}
	}
	if len(why) == 0 {
		return true, "no conditions: matches every login", nil
	}
	return true, strings.Join(why, "; "), nil
}

func (e *evaluation) frontend(m Match) (bool, string, error) {
	if len(m.Frontends) == 0 {
		return true, "", nil
	}
	if slices.Contains(m.Frontends, e.in.Frontend) {
		return true, fmt.Sprintf("front end %s", e.in.Frontend), nil
	}
	return false, fmt.Sprintf("front end %q is not %s", e.in.Frontend, orList(m.Frontends)), nil
}

func (e *evaluation) nas(m Match) (bool, string, error) {
	if len(m.NASNames) == 0 && len(m.NASAddrs) == 0 {
		return true, "", nil
	}
	if e.in.NAS != "" && slices.Contains(m.NASNames, e.in.NAS) {
		return true, fmt.Sprintf("NAS %s", e.in.NAS), nil
	}
	if p, ok := containing(m.NASAddrs, e.in.NASAddr); ok {
		return true, fmt.Sprintf("NAS address %s in %s", e.in.NASAddr, p), nil
	}
	var want []string
	want = append(want, m.NASNames...)
	for _, p := range m.NASAddrs {
		want = append(want, p.String())
	}
	return false, fmt.Sprintf("NAS %s is not %s", describeNAS(e.in), orList(want)), nil
}

func describeNAS(in Input) string {
	switch {
	case in.NAS != "" && in.NASAddr.IsValid():
		return fmt.Sprintf("%q (%s)", in.NAS, in.NASAddr)
	case in.NAS != "":
		return fmt.Sprintf("%q", in.NAS)
	case in.NASAddr.IsValid():
		return in.NASAddr.String()
	}
	return "unknown"
}

func (e *evaluation) from(m Match) (bool, string, error) {
	if len(m.From) == 0 {
		return true, "", nil
	}
	if !e.in.Source.IsValid() {
		return false, "the client's address is unknown (the NAS reported none), so no network matches", nil
	}
	if p, ok := containing(m.From, e.in.Source); ok {
		return true, fmt.Sprintf("from %s in %s", e.in.Source, p), nil
	}
	return false, fmt.Sprintf("from %s is not in %s", e.in.Source, orList(prefixStrings(m.From))), nil
}

func (e *evaluation) user(m Match) (bool, string, error) {
	if len(m.Users) == 0 {
		return true, "", nil
	}
	if slices.Contains(m.Users, e.in.User) {
		return true, fmt.Sprintf("user %s", e.in.User), nil
	}
	return false, fmt.Sprintf("user %q is not %s", e.in.User, orList(m.Users)), nil
}

func (e *evaluation) hours(m Match) (bool, string, error) {
	if m.Hours == nil {
		return true, "", nil
	}
	local := e.in.Time.In(m.Hours.Zone)
	if m.Hours.Contains(e.in.Time) {
		return true, fmt.Sprintf("time %s within %s", local.Format("Mon 15:04 MST"), m.Hours), nil
	}
	return false, fmt.Sprintf("time %s is outside %s", local.Format("Mon 15:04 MST"), m.Hours), nil
}

func (e *evaluation) group(m Match) (bool, string, error) {
	if len(m.Groups) == 0 {
		return true, "", nil
	}
	if !e.fetched {
		gs, err := e.groups.Groups(e.ctx, e.in.User)
		if err != nil {
			return false, "", fmt.Errorf("groups of %q: %w", e.in.User, err)
		}
		e.userGroup, e.fetched = gs, true
	}
	for _, want := range m.Groups {
		for _, g := range e.userGroup {
			if strings.EqualFold(g, want) {
				return true, fmt.Sprintf("member of group %s", want), nil
			}
		}
	}
	return false, fmt.Sprintf("user %q is not in group %s", e.in.User, orList(m.Groups)), nil
}

// containing returns the first prefix of ps that holds a.
func containing(ps []netip.Prefix, a netip.Addr) (netip.Prefix, bool) {
	if !a.IsValid() {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	for _, p := range ps {
		if p.Contains(a) {
			return p, true
		}
	}
	return netip.Prefix{}, false
}

func prefixStrings(ps []netip.Prefix) []string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return s
}

// orList writes "a", "a or b", "a, b or c".
func orList(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}

// Union is the groups of every source together. An error from any source
// is an error: a rule cannot be decided from part of the groups.
func Union(sources ...Groups) Groups { return union(sources) }

type union []Groups

func (u union) Groups(ctx context.Context, user string) ([]string, error) {
	var all []string
	for _, s := range u {
		gs, err := s.Groups(ctx, user)
		if err != nil {
			return nil, err
		}
		all = append(all, gs...)
	}
	return all, nil
}

// GroupsFunc is a function as a Groups: store.Groups.UserGroups, for
// otpgate's local groups.
type GroupsFunc func(ctx context.Context, user string) ([]string, error)

// Groups implements Groups.
func (f GroupsFunc) Groups(ctx context.Context, user string) ([]string, error) { return f(ctx, user) }
