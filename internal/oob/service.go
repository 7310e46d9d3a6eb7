package oob

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"otpgate.dev/otpgate/internal/metrics"
	"otpgate.dev/otpgate/internal/store"
)

// Store is what the service needs of a store: the out-of-band methods, the
// token's failure counting, and the audit trail.
type Store interface {
	store.OOBStore
	StoreBase
}

// Join is the Store of st, whose tokens and audit trail the service uses,
// and o, which keeps the codes and send counts: the daemon joins its store
// that copies audit events to a file with the store underneath it.
func Join(st StoreBase, o store.OOBStore) Store { return joined{st, o} }

// StoreBase is Store without the out-of-band methods.
type StoreBase interface {
	Token(ctx context.Context, id string) (store.Token, error)
	CommitSuccess(ctx context.Context, s store.Success) (store.Commit, error)
	RecordFailure(ctx context.Context, a store.Attempt) (store.Failure, error)
	AppendAudit(ctx context.Context, e store.AuditEvent) error
}

type joined struct {
	StoreBase
	store.OOBStore
}

// Box makes and checks the codes' MACs and opens the tokens' sealed
// addresses: a *secretbox.Box, or the daemon's view of the master key it
// follows.
type Box interface {
	MAC(purpose string, msg []byte) []byte
	CheckMAC(purpose string, msg, mac []byte) bool
	Open(sealed, aad []byte) ([]byte, error)
}

// Gateways, as the audit trail and the metrics name them.
const (
	GatewaySMTP = "smtp"
	GatewayHTTP = "sms-http"
)

// Send results: the audit trail's Result and the metric's label.
const (
	SendOK        = store.ResultOK
	SendFailed    = store.ResultSendFailed
	SendLimited   = store.ResultSendLimited
	SendTooSoon   = store.ResultSendTooSoon
	SendNoGateway = store.ResultSendNoGateway
)

var sendResults = []string{string(SendOK), string(SendFailed), string(SendLimited), string(SendTooSoon), string(SendNoGateway)}

// Audit actions: a code sent, a test message sent, an invitation sent.
const (
	ActionSend   = store.ActionOOBSend
	ActionTest   = store.ActionOOBTest
	ActionInvite = store.ActionOOBInvite
)

// Service sends and checks out-of-band codes. It is safe for concurrent use.
type Service struct {
	st    Store
	box   Box
	s     Settings
	now   func() time.Time
	rand  io.Reader
	sends *metrics.CounterVec

	mail  *mailer  // nil without SMTP
	gw    *gateway // nil without an HTTP gateway
	texts texts
}

// New checks s, reads the secret files it names and returns the service;
// now is the clock, time.Now in production.
func New(st Store, box Box, s Settings, now func() time.Time) (*Service, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	svc := &Service{st: st, box: box, s: s, now: now, rand: rand.Reader,
		sends: metrics.NewCounterVec("otpgate_oob_sends_total", "Out-of-band codes sent, by result.", "result", sendResults...)}
	svc.texts = mustTexts(messageFields, s.Email.Subject, s.Email.Body, s.SMSBody) // Validate parsed them
	var err error
	if svc.mail, svc.gw, err = gateways(s); err != nil {
		return nil, err
	}
	return svc, nil
}

// gateways opens the gateways s names, reading their secret and CA files.
func gateways(s Settings) (m *mailer, g *gateway, err error) {
	if s.SMTP != nil {
		if m, err = newMailer(*s.SMTP); err != nil {
			return nil, nil, err
		}
	}
	if s.HTTP != nil {
		if g, err = newGateway(*s.HTTP); err != nil {
			return nil, nil, err
		}
	}
	return m, g, nil
}

// Check does what New does to s, reading the secret and CA files, without
// a store: otpgate serve --check.
func Check(s Settings) error {
	if err := s.Validate(); err != nil {
		return err
	}
	_, _, err := gateways(s)
	return err
}

// WriteMetrics writes the send counters.
func (svc *Service) WriteMetrics(w *metrics.Writer) { svc.sends.WriteTo(w) }

// Target is an out-of-band token: whose, and where its codes go.
type Target struct {
	User    string
	TokenID string
	Channel Channel
	Address string // as ParseAddress returns it
}

// SendRequest asks for a code for one login.
type SendRequest struct {
	Target
	// Challenge is the ID of the login's pending challenge: the code
	// answers it and no other.
	Challenge string
	Source    string      // the client's address: the source limit, {source}, the audit trail
	Actor     store.Actor // the front end, for the audit trail
}

// Sent describes a code that was sent.
type Sent struct {
	To      string // the masked address, for the prompt
	Gateway string
	Expires time.Time
}

// Send creates a code for req's token, bound to its user, token and
// challenge, stores its MAC and sends it. It fails with ErrTooSoon,
// ErrLimited, ErrNoGateway or ErrDelivery (each audited, with nothing
// pending), or with another error when the store fails.
func (svc *Service) Send(ctx context.Context, req SendRequest) (Sent, error) {
	now := svc.now()
	sent := Sent{To: Mask(req.Address), Expires: now.Add(svc.s.Lifetime)}
	route, err := svc.route(req.Target)
	if err != nil {
		return sent, svc.refuseSend(ctx, req, now, route, SendNoGateway, err)
	}
	sent.Gateway = route
	if err := svc.admit(ctx, req, now); err != nil {
		return sent, svc.refuseSend(ctx, req, now, route, result(err), err)
	}
	code, err := NewCode(svc.rand, svc.s.Digits)
	if err != nil {
		return sent, err
	}
	c := store.OOBCode{TokenID: req.TokenID, User: req.User, Sent: now, Expires: sent.Expires,
		MAC: svc.box.MAC(macPurpose, macInput(req.User, req.TokenID, req.Challenge, code))}
	if err := svc.st.PutOOBCode(ctx, c, now.Add(-svc.s.ResendAfter)); errors.Is(err, store.ErrTooSoon) {
		return sent, svc.refuseSend(ctx, req, now, route, SendTooSoon, ErrTooSoon)
	} else if err != nil {
		return sent, fmt.Errorf("oob: store the code of token %s: %w", req.TokenID, err)
	}
	if err := svc.deliver(ctx, req, route, code); err != nil {
		return sent, svc.failSend(ctx, req, c, route, redact(err, code))
	}
	svc.sends.Inc(string(SendOK))
	return sent, svc.audit(ctx, sendEvent(req, now, SendOK, route+" to "+sent.To))
}

// route picks the gateway for t's address.
func (svc *Service) route(t Target) (string, error) { return svc.s.Route(t.Channel, t.Address) }

// Route names the gateway that messages of channel ch to addr go through
// with these settings (GatewaySMTP or GatewayHTTP), or says why there is
// none (ErrNoGateway): a mail address or an email-to-SMS alias needs SMTP,
// a phone number the HTTP gateway.
func (s Settings) Route(ch Channel, addr string) (string, error) {
	if _, err := ParseAddress(ch, addr); err != nil {
		return "", fmt.Errorf("%w: %w", ErrNoGateway, err)
	}
	switch {
	case isMail(addr) && s.SMTP != nil:
		return GatewaySMTP, nil
	case !isMail(addr) && s.HTTP != nil:
		return GatewayHTTP, nil
	case isMail(addr):
		return "", fmt.Errorf("%w: mail addresses need [oob.smtp]", ErrNoGateway)
	}
	return "", fmt.Errorf("%w: phone numbers need [oob.sms.http]", ErrNoGateway)
}

// admit checks the resend interval, read-only, and then counts the send
// against the limits: a send refused as too soon is not counted. PutOOBCode
// checks the interval again, atomically.
func (svc *Service) admit(ctx context.Context, req SendRequest, now time.Time) error {
	c, err := svc.st.OOBCode(ctx, req.TokenID)
	if err == nil && now.Before(c.Expires) && c.Sent.After(now.Add(-svc.s.ResendAfter)) {
		return ErrTooSoon
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("oob: code of token %s: %w", req.TokenID, err)
	}
	limits := []store.SendLimit{{Subject: "user:" + req.User, Max: svc.s.SendsPerUser}}
	if req.Source != "" {
		limits = append(limits, store.SendLimit{Subject: "source:" + req.Source, Max: svc.s.SendsPerSource})
	}
	ok, err := svc.st.AdmitSend(ctx, limits, svc.s.Window, now)
	if err != nil {
		return fmt.Errorf("oob: count the send: %w", err)
	}
	if !ok {
		return fmt.Errorf("%w: at most %d per user and %d per source address in %v", ErrLimited, svc.s.SendsPerUser, svc.s.SendsPerSource, svc.s.Window)
	}
	return nil
}

func result(err error) store.Result {
	switch {
	case errors.Is(err, ErrTooSoon):
		return SendTooSoon
	case errors.Is(err, ErrLimited):
		return SendLimited
	}
	return SendFailed
}

// deliver renders and sends the message, within the timeout.
func (svc *Service) deliver(ctx context.Context, req SendRequest, route, code string) error {
	vals := map[string]string{
		"code": code, "lifetime": lifetime(svc.s.Lifetime), "vpn": fieldValue(svc.s.VPNName),
		"source": fieldValue(cmpOr(req.Source, "an unknown address")), "user": fieldValue(req.User),
	}
	return svc.post(ctx, req.Target, route, svc.texts, vals)
}

// texts are the templates of one kind of message.
type texts struct {
	subject, body, sms *Template
}

// post sends the message tx makes of vals to t through route.
func (svc *Service) post(ctx context.Context, t Target, route string, tx texts, vals map[string]string) error {
	if route == GatewayHTTP {
		ctx, cancel := context.WithTimeout(ctx, svc.s.HTTP.Timeout)
		defer cancel()
		return svc.gw.send(ctx, t.Address, tx.sms.Expand(vals), vals["code"])
	}
	msg := Message{From: svc.mail.from, To: t.Address, Subject: tx.subject.Expand(vals), Body: tx.body.Expand(vals)}
	if t.Channel == SMS {
		msg.Subject, msg.Body = "", tx.sms.Expand(vals)
	}
	return svc.mail.send(ctx, msg)
}

// redact returns err's text with code replaced, in case a gateway quoted
// the message.
func redact(err error, code string) error {
	return errors.New(strings.ReplaceAll(err.Error(), code, "[code]"))
}

// failSend withdraws a code whose delivery failed, so that the user may ask
// again at once, and audits the failure.
func (svc *Service) failSend(ctx context.Context, req SendRequest, c store.OOBCode, route string, err error) error {
	// A caller that gave up (its context ended) still leaves no code
	// pending and the failure audited.
	ctx = context.WithoutCancel(ctx)
	if _, werr := svc.st.TakeOOBCode(ctx, c.TokenID, c.MAC, c.Sent); werr != nil {
		err = errors.Join(err, werr)
	}
	return svc.refuseSend(ctx, req, c.Sent, route, SendFailed, fmt.Errorf("%w: %w", ErrDelivery, err))
}

// refuseSend counts and audits a send that did not happen, and returns err.
func (svc *Service) refuseSend(ctx context.Context, req SendRequest, now time.Time, route string, res store.Result, err error) error {
	svc.sends.Inc(string(res))
	reason := err.Error()
	if route != "" {
		reason = route + " to " + Mask(req.Address) + ": " + reason
	}
	return errors.Join(err, svc.audit(ctx, sendEvent(req, now, res, reason)))
}

func sendEvent(req SendRequest, now time.Time, res store.Result, reason string) store.AuditEvent {
	return store.AuditEvent{Time: now, Actor: req.Actor, Action: ActionSend, User: req.User,
		TokenID: req.TokenID, Result: res, Reason: reason, Source: req.Source}
}

func (svc *Service) audit(ctx context.Context, e store.AuditEvent) error {
	if err := svc.st.AppendAudit(ctx, e); err != nil {
		return fmt.Errorf("oob: audit %s of user %q: %w", e.Action, e.User, err)
	}
	return nil
}

// lifetime writes d for a message: "15 minutes", "1 hour", "90 seconds".
func lifetime(d time.Duration) string {
	plural := func(n int64, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return fmt.Sprintf("%d %ss", n, unit)
	}
	switch {
	case d%time.Hour == 0:
		return plural(int64(d/time.Hour), "hour")
	case d%time.Minute == 0:
		return plural(int64(d/time.Minute), "minute")
	}
	return plural(int64(d/time.Second), "second")
}
