package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"otpgate.dev/otpgate/internal/admin"
	"otpgate.dev/otpgate/internal/oob"
	"otpgate.dev/otpgate/internal/site"
	"otpgate.dev/otpgate/internal/web/portal"
	"otpgate.dev/otpgate/internal/web/portal/settings"
)

const inviteUsage = `Usage:
    otpgate invite USER [--send] [--ttl DURATION] [--url https://HOST] [--json] [--db PATH] [--config FILE]

Prints a one-time link with which USER enrolls a token in the portal
(otpgate serve with [portal] enabled), whatever the self_enroll policy and
whether or not USER has a token already. The link works once, until it
expires; the store keeps only a hash of it. Opening it asks for USER's
first factor (their password) when [auth] primary has one, so a link that
reaches the wrong person is not enough alone. With primary = "none" the
link is the only proof: send it where only USER reads it.

With --send the link is mailed to USER through [oob]'s SMTP relay instead
of printed: to the address of USER's email token, else to the mail
attribute of the [ldap] directory. The link is then in the message only:
not on the terminal, in a log or in the audit trail, which records the send
(action oob-invite) with the address masked. When the send fails, the link
made for it is unused and known to nobody; it expires.

Options:
    --send          mail the link to USER instead of printing it
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
    $ otpgate invite carol --send
    sent an enrollment link for carol to c***@example.org by smtp
    otpgate: hint: it works once, until 2026-11-26T09:00:00Z
`

func init() {
	register(&command{name: "invite", short: "print or mail a one-time enrollment link for the portal", usage: inviteUsage, run: runInvite})
}

func runInvite(e *env, args []string) error {
	fs := newFlags("invite")
	sf := addStoreFlags(fs)
	ttl := fs.Duration("ttl", 0, "")
	link := fs.String("url", "", "")
	asJSON := fs.Bool("json", false, "")
	send := fs.Bool("send", false, "")
	pos, err := parseArgs(fs, args, 1, 1, "the user to invite")
	if err != nil {
		return err
	}
	user, err := canonicalUser(e, sf, pos[0])
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
	var a *admin.Admin
	var to oob.Target
	if *send {
		a = admin.New(h, st.Policy(), e.now)
		a.UseOOB(st.Config.OOB.Settings(st.Policy()))
		if to, err = a.InviteTarget(context.Background(), user, directoryMail(e, sf, user)); err != nil {
			return err
		}
	}
	inv, err := portal.Invite(context.Background(), h.Store, base, user, string(admin.Actor), "", lifetime, e.now())
	if err != nil {
		return err
	}
	if *send {
		return mailInvite(e, a, to, inv, *asJSON)
	}
	if *asJSON {
		return printJSON(e, inv)
	}
	fmt.Fprintln(e.stdout, inv.Link)
	e.hintf("send it to %s; it works once, until %s", user, inv.Expires.UTC().Format(time.RFC3339))
	return nil
}

// mailInvite sends inv to to, printing where it went but not the link.
func mailInvite(e *env, a *admin.Admin, to oob.Target, inv portal.Invitation, asJSON bool) error {
	sent, err := a.SendInvite(context.Background(), to, inv.Link, inv.Expires)
	if err != nil {
		return err
	}
	if asJSON {
		return printJSON(e, struct {
			User    string    `json:"user"`
			To      string    `json:"to"`
			Gateway string    `json:"gateway"`
			Expires time.Time `json:"expires"`
		}{inv.User, sent.To, sent.Gateway, inv.Expires})
	}
	fmt.Fprintf(e.stdout, "sent an enrollment link for %s to %s by %s\n", inv.User, sent.To, sent.Gateway)
	e.hintf("it works once, until %s", inv.Expires.UTC().Format(time.RFC3339))
	return nil
}

// directoryMail is user's mail attribute in the [ldap] directory: "" when
// there is none, and with a warning when the directory cannot answer, as
// an email token's address may do without it.
func directoryMail(e *env, sf *storeFlags, user string) string {
	if f := directoryView(e, sf, user); f != nil {
		return f.Mail
	}
	return ""
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
