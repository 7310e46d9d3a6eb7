package oob

import (
	"context"
	"fmt"

	"otpgate.dev/otpgate/internal/store"
)

// The test message (otpgate test USER): it holds no code, so that a test
// can be sent at any time and proves only that the gateway and the address
// work.
var testTexts = mustTexts(messageFields, "{vpn}: a test message",
	"This is a test message from {vpn}: its login codes for {user} will be sent to this address.\n"+
		"No login is waiting, and there is no code to enter.\n",
	"{vpn}: a test message for {user}, with no code")

// mustTexts parses templates known to be valid.
func mustTexts(fields []string, subject, body, sms string) texts {
	var tx texts
	for _, p := range []struct {
		dst  **Template
		text string
	}{{&tx.subject, subject}, {&tx.body, body}, {&tx.sms, sms}} {
		t, err := ParseTemplate(p.text, fields...)
		if err != nil {
			panic(err)
		}
		*p.dst = t
	}
	return tx
}

// SendTest sends a test message, with no code, to t as its codes would go.
// It stores no code and counts against no limit; it is audited (action
// oob-test) and counted in the metrics like a code's send.
func (svc *Service) SendTest(ctx context.Context, t Target, actor store.Actor) (Sent, error) {
	now := svc.now()
	sent := Sent{To: Mask(t.Address)}
	ev := store.AuditEvent{Time: now, Actor: actor, Action: ActionTest, User: t.User, TokenID: t.TokenID}
	route, err := svc.route(t)
	if err == nil {
		sent.Gateway = route
		vals := map[string]string{"vpn": fieldValue(svc.s.VPNName), "user": fieldValue(t.User)}
		if err = svc.post(ctx, t, route, testTexts, vals); err != nil {
			err = fmt.Errorf("%w: %w", ErrDelivery, err)
		}
	}
	return svc.noCodeSent(ctx, ev, sent, route, err)
}

// noCodeSent audits and counts a message with no code (a test, an
// invitation) that went to sent.To through route, or failed with err.
func (svc *Service) noCodeSent(ctx context.Context, ev store.AuditEvent, sent Sent, route string, err error) (Sent, error) {
	ev.Result, ev.Reason = SendOK, route+" to "+sent.To
	switch {
	case err != nil && route == "":
		ev.Result, ev.Reason = SendNoGateway, err.Error()
	case err != nil:
		ev.Result, ev.Reason = SendFailed, ev.Reason+": "+err.Error()
	}
	svc.sends.Inc(string(ev.Result))
	if aerr := svc.audit(context.WithoutCancel(ctx), ev); aerr != nil {
		return sent, aerr
	}
	return sent, err
}
