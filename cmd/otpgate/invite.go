package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"otpgate.dev/otpgate/internal/admin"
	"otpgate.dev/otpgate/internal/site"
	"otpgate.dev/otpgate/internal/web/portal"
	"otpgate.dev/otpgate/internal/web/portal/settings"
)

const inviteUsage = `Usage:
    otpgate invite USER [--ttl DURATION] [--url https://HOST] [--json] [--db PATH] [--config FILE]

Prints a one-time link with which USER enrolls a token in the portal
(otpgate serve with [portal] enabled), whatever the self_enroll policy and
whether or not USER has a token already. The link works once, until it
expires; the store keeps only a hash of it. Opening it asks for USER's
first factor (their password) when [auth] primary has one, so a link that
reaches the wrong person is not enough alone. With primary = "none" the
link is the only proof: send it where only USER reads it.

Options:
    --ttl DURATION  how long the link works (default: [portal]
                    invite_lifetime, 72h; 5m to 720h)
    --url URL       the portal's address (default: [portal] public_url)
    --json          JSON output
    --db PATH       the store (default: the configuration's, else the data
                    directory's)
    --config FILE   otpgate serve's configuration (default: $OTPGATE_CONFIG,
                    else /etc/otpgate/otpgate.toml when it exists)

Examples:
    $ otpgate invite alice
    https://vpn.example.org/invite?code=...
    otpgate: hint: send it to alice; it works once, until 2026-11-26T09:00:00Z
    $ otpgate invite bob --ttl 4h --url https://vpn.example.org
`

func init() {
	register(&command{name: "invite", short: "print a one-time enrollment link for the portal", usage: inviteUsage, run: runInvite})
}

func runInvite(e *env, args []string) error {
	fs := newFlags("invite")
	sf := addStoreFlags(fs)
	ttl := fs.Duration("ttl", 0, "")
	link := fs.String("url", "", "")
	asJSON := fs.Bool("json", false, "")
	pos, err := parseArgs(fs, args, 1, 1, "the user to invite")
	if err != nil {
		return err
	}
	st, h, err := sf.open(e, site.MustExist)
	if err != nil {
		return err
	}
	defer h.Close()
	base, lifetime, err := inviteSettings(st, *link, *ttl)
	if err != nil {
		return err
	}
	inv, err := portal.Invite(context.Background(), h.Store, base, pos[0], string(admin.Actor), "", lifetime, e.now())
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e, inv)
	}
	fmt.Fprintln(e.stdout, inv.Link)
	e.hintf("send it to %s; it works once, until %s", pos[0], inv.Expires.UTC().Format(time.RFC3339))
	return nil
}

// inviteSettings are the link's address and lifetime: the flags', else
// [portal]'s.
func inviteSettings(st *site.Site, link string, ttl time.Duration) (*url.URL, time.Duration, error) {
	if link == "" {
		link = st.Config.Portal.PublicURL
	}
	if link == "" {
		return nil, 0, withHint(errors.New("invite: the link needs the portal's address"), "give --url https://HOST, or set [portal] public_url")
	}
	base, err := settings.ParsePublicURL(link)
	if err != nil {
		return nil, 0, usagef("--url: %v", err)
	}
	if ttl == 0 {
		ttl = st.Config.Portal.InviteLifetime.Duration
	}
	if ttl < settings.MinInviteTTL || ttl > settings.MaxInviteTTL {
		return nil, 0, usagef("--ttl %v is out of range (accepted: %v to %v)", ttl, settings.MinInviteTTL, settings.MaxInviteTTL)
	}
	return base, ttl, nil
}
