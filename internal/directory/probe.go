package directory

import (
	"context"
	"crypto/tls"
	"fmt"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// Step is one step of a [Directory.Probe].
type Step struct {
	Name   string // name, connect, service bind, bind, search, groups, permit
	Detail string
	Took   time.Duration
	Err    error
}

// Report is what a probe found, step by step. User is nil unless the
// search found the entry.
type Report struct {
	User  *User
	Steps []Step
}

// OK reports whether every step succeeded.
func (r *Report) OK() bool {
	for _, s := range r.Steps {
		if s.Err != nil {
			return false
		}
	}
	return true
}

func (r *Report) do(name string, fn func() (string, error)) bool {
	start := time.Now()
	detail, err := fn()
	r.Steps = append(r.Steps, Step{Name: name, Detail: detail, Took: time.Since(start), Err: err})
	return err == nil
}

// Probe goes through a login for the name as given one step at a time on a
// connection of its own, bypassing the cache, and stops at the first step
// that fails: for an administrator asking why a user cannot log in. With
// an empty password it checks everything but the bind.
func (d *Directory) Probe(ctx context.Context, given, password string) *Report {
	r := &Report{}
	var n Name
	if !r.do("name", func() (detail string, err error) {
		n, err = d.cfg.mapName(given)
		return fmt.Sprintf("%q is account %q, canonical %q", given, n.Account, n.Canonical), err
	}) {
		return r
	}
	var c *conn
	if !r.do("connect", func() (detail string, err error) {
		c, err = d.dial(ctx)
		if err != nil {
			return "", err
		}
		return c.server.url + " " + security(c), nil
	}) {
		return r
	}
	defer c.l.Close()
	d.probeSteps(ctx, r, c, n, password)
	return r
}

func (d *Directory) probeSteps(ctx context.Context, r *Report, c *conn, n Name, password string) {
	bind := func() (string, error) {
		if d.cfg.BindTemplate != "" {
			name := bindName(d.cfg.BindTemplate, n.Account)
			return "as " + name, d.bindUser(ctx, c, name, password)
		}
		return "as " + r.User.DN, d.bindUser(ctx, c, r.User.DN, password)
	}
	asSelf := d.cfg.BindTemplate != "" && d.cfg.BindDN == ""
	if asSelf && (password == "" || !r.do("bind", bind)) {
		return
	}
	if !asSelf && !r.do("service bind", func() (string, error) { return "as " + or(d.cfg.BindDN, "anonymous"), d.bindService(ctx, c) }) {
		return
	}
	var entry *ldap.Entry
	if !r.do("search", func() (string, error) {
		u, e, err := d.searchUser(ctx, c, n)
		if err != nil {
			return userFilter(d.cfg.UserFilter, n.Account), err
		}
		r.User, entry = u, e
		return u.DN, nil
	}) {
		return
	}
	if !r.do("groups", func() (detail string, err error) {
		r.User.Groups, err = d.groups(ctx, c, r.User, entry)
		return fmt.Sprintf("%d (%s mode): %s", len(r.User.Groups), d.cfg.GroupMode, strings.Join(r.User.Groups, "; ")), err
	}) {
		return
	}
	if !r.do("permit", func() (string, error) { return r.User.Status, d.Permit(r.User) }) || asSelf || password == "" {
		return
	}
	r.do("bind", bind)
}

// security names how c is protected.
func security(c *conn) string {
	state, ok := c.l.TLSConnectionState()
	switch {
	case !ok:
		return "(plain, loopback)"
	case c.server.startTLS:
		return "(StartTLS, " + tls.VersionName(state.Version) + ")"
	}
	return "(" + tls.VersionName(state.Version) + ")"
}
