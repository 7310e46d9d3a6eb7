package oob

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"otpgate.dev/otpgate/internal/store"
)

// The invitation message (otpgate invite USER --send): a one-time link to
// the portal's enrollment (package portal). The link is a credential like
// a code: it is in the message and nowhere else, not in the audit trail,
// an error or a log line.
var inviteTexts = mustTexts(inviteFields, "{vpn}: set up your login token",
	"Open this link to set up a login token for {user} on {vpn}:\n\n{link}\n\n"+
		"It works once, until {expires}. If you did not expect this message, do not open the link: tell your administrator.\n",
	"") // never sent by SMS

// inviteFields are the fields of inviteTexts.
var inviteFields = []string{"vpn", "user", "link", "expires"}

// SendInvite mails link, an enrollment invitation for t's user valid until
// expires, to t's address, which must be a mail address (an email token's,
// or the directory's mail) that SMTP reaches. It stores no code and counts
// against no limit; it is audited (action oob-invite, the masked address,
// never the link) and counted in the metrics like a code's send.
func (svc *Service) SendInvite(ctx context.Context, t Target, link string, expires time.Time, actor store.Actor) (Sent, error) {
	now := svc.now()
	sent := Sent{To: Mask(t.Address), Expires: expires}
	ev := store.AuditEvent{Time: now, Actor: actor, Action: ActionInvite, User: t.User, TokenID: t.TokenID}
	route, err := svc.s.Route(Email, t.Address)
	if err == nil {
		sent.Gateway = route
		vals := map[string]string{"vpn": fieldValue(svc.s.VPNName), "user": fieldValue(t.User), "link": link,
			"expires": expires.UTC().Format(time.RFC1123)}
		t.Channel = Email
		if err = svc.post(ctx, t, route, inviteTexts, vals); err != nil {
			err = fmt.Errorf("oob: could not send the invitation: %w", errors.New(strings.ReplaceAll(err.Error(), link, "[link]")))
		}
	}
	return svc.noCodeSent(ctx, ev, sent, route, err)
}
