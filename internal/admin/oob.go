package admin

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"otpgate.dev/otpgate/internal/directory"
	"otpgate.dev/otpgate/internal/oob"
	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/username"
)

// Out-of-band tokens. A user holds at most one app or hardware token and at
// most one out-of-band (email or SMS) token: the second kind is a way to
// log in without the first, not a copy of it, so enrolling one kind leaves
// the other alone, and --replace replaces the tokens of the kind enrolled.

// ErrHasOOBToken is returned by EnrollOOB for a user who has an email or
// SMS token already.
var ErrHasOOBToken = errors.New("admin: user has an email or SMS token already")

// EnrolledOOB is what an admin is shown about a new out-of-band token.
type EnrolledOOB struct {
	User     string          `json:"user"`
	TokenID  string          `json:"id"`
	Type     store.TokenType `json:"type"`
	Address  string          `json:"address"`
	Replaced []string        `json:"replaced,omitempty"`
}

// EnrollOOB adds an email or SMS token of user sending to addr, creating
// the user if new. A user with an out-of-band token is refused with
// ErrHasOOBToken unless replace is set; then it replaces that token in one
// transaction. The user's other tokens stay.
func (a *Admin) EnrollOOB(ctx context.Context, user string, ch oob.Channel, addr string, replace bool) (EnrolledOOB, error) {
	user, err := username.Canonical(user)
	if err != nil {
		return EnrolledOOB{}, err
	}
	t, err := oob.NewToken(a.box, user, ch, addr, a.now())
	if err != nil {
		return EnrolledOOB{}, err
	}
	all, err := a.st.Tokens(ctx, user)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return EnrolledOOB{}, fmt.Errorf("admin: tokens of user %q: %w", user, err)
	}
	old := ofKind(all, true)
	if len(old) > 0 && !replace {
		return EnrolledOOB{}, fmt.Errorf("%w: %q has %s", ErrHasOOBToken, user, tokenIDs(old))
	}
	if err := a.addToken(ctx, &t, old); err != nil {
		return EnrolledOOB{}, err
	}
	if err := a.audit(ctx, "enroll", t.User, t.ID); err != nil {
		return EnrolledOOB{}, err
	}
	tg, _ := oob.TargetOf(a.box, t)
	out := EnrolledOOB{User: t.User, TokenID: t.ID, Type: t.Type, Address: tg.Address}
	for _, o := range old {
		out.Replaced = append(out.Replaced, o.ID)
	}
	return out, nil
}

// ofKind returns the out-of-band tokens of toks (band), or the others.
func ofKind(toks []store.Token, band bool) []store.Token {
	var out []store.Token
	for _, t := range toks {
		if t.Type.OutOfBand() == band {
			out = append(out, t)
		}
	}
	return out
}

// addToken stores t, creating its user, in place of old when there are any.
func (a *Admin) addToken(ctx context.Context, t *store.Token, old []store.Token) error {
	if len(old) > 0 {
		if err := a.st.ReplaceTokens(ctx, ids(old), t); err != nil {
			return fmt.Errorf("admin: replace the tokens of user %q: %w", t.User, err)
		}
		return nil
	}
	if _, err := a.st.CreateUser(ctx, t.User); err != nil && !errors.Is(err, store.ErrExists) {
		return fmt.Errorf("admin: create user %q: %w", t.User, err)
	}
	if err := a.st.AddToken(ctx, t); err != nil {
		return fmt.Errorf("admin: add token for user %q: %w", t.User, err)
	}
	return nil
}

func ids(ts []store.Token) []string {
	out := make([]string, len(ts))
	for i := range ts {
		out[i] = ts[i].ID
	}
	return out
}

// ErrNothingToTest is returned by Current and SendTests when the selected
// tokens have no code to show, or no address to send to.
var ErrNothingToTest = errors.New("admin: nothing to test")

// UseOOB gives the [oob] settings that SendTests sends with.
func (a *Admin) UseOOB(s oob.Settings) { a.oob = &s }

// TestSent is one test message of [Admin.SendTests].
type TestSent struct {
	TokenID string `json:"id"`
	To      string `json:"to"` // masked
	Gateway string `json:"gateway"`
}

// SendTests sends a test message, with no code, through each selected
// email and SMS token, with the settings of UseOOB. Selecting none is
// ErrNothingToTest.
func (a *Admin) SendTests(ctx context.Context, user, tokenID string) ([]TestSent, error) {
	ts, err := a.tokens(ctx, user, tokenID)
	if err != nil {
		return nil, err
	}
	band := ofKind(ts, true)
	if len(band) == 0 {
		return nil, fmt.Errorf("%w: no email or SMS token%s%s to send to", ErrNothingToTest, ofUser(user), ofToken(tokenID))
	}
	o, err := a.oobService()
	if err != nil {
		return nil, err
	}
	var out []TestSent
	for _, t := range band {
		tg, err := oob.TargetOf(a.box, t)
		if err != nil {
			return out, err
		}
		sent, err := o.SendTest(ctx, tg, a.actor)
		if err != nil {
			return out, err
		}
		out = append(out, TestSent{TokenID: t.ID, To: sent.To, Gateway: sent.Gateway})
	}
	return out, nil
}

// oobService builds the service that sends with the site's [oob].
func (a *Admin) oobService() (*oob.Service, error) {
	o, ok := a.st.(store.OOBStore)
	if !ok || a.oob == nil {
		return nil, errors.New("admin: this store or configuration sends no email or SMS")
	}
	return oob.New(oob.Join(a.st, o), a.box, *a.oob, a.now)
}

// OOBInfo is what [Admin.Show] adds for an out-of-band token: where its
// codes go, and the last send the audit trail holds.
type OOBInfo struct {
	Address  string     `json:"address"`
	LastSend *time.Time `json:"last_send"`
	// LastResult is the last send's result and reason ("ok: smtp to
	// a***@example.org", "failed: ...").
	LastResult string `json:"last_result,omitempty"`
}

// lastSendSearch bounds how many of a user's newest audit events Show
// reads to find a token's last send.
const lastSendSearch = 1000

// oobInfo opens t's address and finds its last send among the user's
// newest lastSendSearch audit events.
func (a *Admin) oobInfo(ctx context.Context, t *store.Token) (*OOBInfo, error) {
	tg, err := oob.TargetOf(a.box, *t)
	if err != nil {
		return nil, err
	}
	info := &OOBInfo{Address: tg.Address}
	es, err := a.st.Audit(ctx, store.AuditFilter{User: t.User, Limit: lastSendSearch})
	if err != nil {
		return nil, fmt.Errorf("admin: audit of user %q: %w", t.User, err)
	}
	for _, e := range es { // newest first
		if e.TokenID == t.ID && (e.Action == oob.ActionSend || e.Action == oob.ActionTest) {
			info.LastSend, info.LastResult = timePtr(e.Time), string(e.Result)+": "+e.Reason
			break
		}
	}
	return info, nil
}

// ErrNoDirectoryAddress is returned by DirectoryAddress for a directory
// user whose entry holds no address for the channel.
var ErrNoDirectoryAddress = errors.New("admin: no address in the directory")

// DirectoryAddress is where an email or SMS token of directory user u
// sends its codes when no address is given (seed 003's way): the mail
// attribute for email; for SMS the mobile attribute, else the pager
// attribute (an email-to-SMS alias, as AD's pager field holds), the first
// of the two that the gateways of s can send to, else the first that is
// set. The attributes' names are [ldap.attributes]'.
func DirectoryAddress(u *directory.User, ch oob.Channel, s oob.Settings) (string, error) {
	var cands [][2]string
	switch ch {
	case oob.Email:
		cands = [][2]string{{"mail", u.Mail}}
	case oob.SMS:
		cands = [][2]string{{"mobile", u.Mobile}, {"pager", u.Pager}}
	default:
		return "", fmt.Errorf("admin: channel %q (accepted: email, sms)", ch)
	}
	first := ""
	for _, c := range cands {
		if c[1] == "" {
			continue
		}
		if _, err := s.Route(ch, c[1]); err == nil {
			return c[1], nil
		}
		first = cmp.Or(first, c[1])
	}
	if first == "" {
		names := cands[0][0]
		if len(cands) > 1 {
			names += " or " + cands[1][0]
		}
		return "", fmt.Errorf("%w: %q has no %s attribute (the names of [ldap.attributes])", ErrNoDirectoryAddress, u.Canonical, names)
	}
	return first, nil
}

// ErrNoMailAddress is returned by InviteTarget for a user with neither an
// email token nor a mail address in the directory.
var ErrNoMailAddress = errors.New("admin: no mail address to send to")

// InviteTarget is where an invitation to the portal for user is mailed:
// the address of user's email token, else dirMail (the directory's mail
// attribute, "" without one). It fails when the settings of UseOOB have no
// SMTP relay to send it with, so that nothing is made that cannot be sent.
func (a *Admin) InviteTarget(ctx context.Context, user, dirMail string) (oob.Target, error) {
	tg := oob.Target{User: user, Channel: oob.Email, Address: dirMail}
	toks, err := a.st.Tokens(ctx, user)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return tg, fmt.Errorf("admin: tokens of user %q: %w", user, err)
	}
	for _, t := range toks {
		if t.Type == store.TokenType(oob.Email) {
			if tg, err = oob.TargetOf(a.box, t); err != nil {
				return tg, err
			}
			break
		}
	}
	if tg.Address == "" {
		return tg, fmt.Errorf("%w: %q has no email token and no mail attribute in the directory", ErrNoMailAddress, user)
	}
	if a.oob == nil {
		return tg, errors.New("admin: this configuration sends no email")
	}
	if _, err := a.oob.Route(oob.Email, tg.Address); err != nil {
		return tg, fmt.Errorf("admin: mail to %s: %w", oob.Mask(tg.Address), err)
	}
	return tg, nil
}

// SendInvite mails link, an invitation to the portal valid until expires,
// to tg (from InviteTarget) with the settings of UseOOB. The link is in the
// message only, never in the audit trail or an error.
func (a *Admin) SendInvite(ctx context.Context, tg oob.Target, link string, expires time.Time) (oob.Sent, error) {
	o, err := a.oobService()
	if err != nil {
		return oob.Sent{}, err
	}
	return o.SendInvite(ctx, tg, link, expires, a.actor)
}
