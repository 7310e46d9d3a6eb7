package auth

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"

	"otpgate.dev/otpgate/internal/oob"
	"otpgate.dev/otpgate/internal/store"
)

// Out-of-band tokens (package oob: codes sent by email or SMS) take part in
// the Challenge style only, since the code must be sent between the
// password and the answer. Which token a login uses:
//
//   - a user whose enabled tokens are all out-of-band gets a code sent as
//     soon as the password is right, and a challenge whose prompt says
//     where it went ("A code was sent to a***@example.org");
//   - a user who also has an app or hardware token gets the usual prompt,
//     with a hint; the code of the app answers it, and so does the word
//     "email" or "sms", or an empty answer, which sends a code out of band
//     and asks again. An app comes first because it is the stronger factor
//     and costs no message;
//   - with several out-of-band tokens, the oldest enabled one is used.
//
// The other styles carry no second round: the engine refuses a code for a
// user whose only tokens are out-of-band, saying why (ReasonOutOfBand).

// OutOfBand sends and checks out-of-band codes: *oob.Service.
type OutOfBand interface {
	Target(tok store.Token) (oob.Target, error)
	Send(ctx context.Context, req oob.SendRequest) (oob.Sent, error)
	Verify(ctx context.Context, req oob.VerifyRequest) (oob.Result, error)
}

// A challenge's Data says what answers it: nothing for an app's code,
// dataSent+ID for a code sent by token ID, dataOffer+ID for an app's code
// or a request for a code by token ID.
const (
	dataSent  = "oob-sent:"
	dataOffer = "oob-offer:"
)

// Reasons of the out-of-band path, for logs and the audit trail.
const (
	ReasonNoOOBService = "the user's token sends codes by email or SMS, and [oob] is not configured"
	ReasonOOBGone      = "the out-of-band token of the challenge is gone or disabled"
)

// oobPrompt is the prompt after a code was sent to the masked address to.
func oobPrompt(to string) string { return "A code was sent to " + to }

// offerHint is added to the prompt of a user who may ask for a code.
func offerHint(tok store.Token) string {
	return fmt.Sprintf(" (or answer %q to get one by %s)", tok.Type, channelName(tok.Type))
}

func channelName(t store.TokenType) string {
	if t == store.SMS {
		return "SMS"
	}
	return "email"
}

// splitTokens returns whether toks has an enabled token of the engine's,
// and the oldest enabled out-of-band one (nil if none). Tokens come
// ordered by creation.
func splitTokens(toks []store.Token) (app bool, band *store.Token) {
	for i := range toks {
		switch t := &toks[i]; {
		case !t.Enabled:
		case t.Type.OutOfBand():
			if band == nil {
				band = t
			}
		default:
			app = true
		}
	}
	return app, band
}

// issueFor issues the challenge that follows a right password, sending an
// out-of-band code when it is the user's only kind of token.
func (s *Service) issueFor(ctx context.Context, req Request) (Response, error) {
	toks, err := s.store.Tokens(ctx, req.User)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return Response{}, fmt.Errorf("auth: tokens of %q: %w", req.User, err)
	}
	app, band := splitTokens(toks)
	switch {
	case band == nil:
		return s.issue(ctx, req, "", s.cfg.Prompt)
	case s.cfg.OOB == nil && !app:
		return Response{Outcome: Reject, User: req.User, Reason: ReasonNoOOBService}, nil
	case s.cfg.OOB == nil:
		return s.issue(ctx, req, "", s.cfg.Prompt)
	case !app:
		return s.sendCode(ctx, req, req.User, *band)
	}
	return s.issue(ctx, req, dataOffer+band.ID, s.cfg.Prompt+offerHint(*band))
}

// sendCode sends a code by tok and issues the challenge it answers. A send
// that is refused (too soon, over a limit, no gateway, a delivery that
// failed) refuses the login with the reason, which names no code and masks
// the address.
func (s *Service) sendCode(ctx context.Context, req Request, user string, tok store.Token) (Response, error) {
	tg, err := s.cfg.OOB.Target(tok)
	if err != nil {
		return Response{}, fmt.Errorf("auth: %w", err)
	}
	id := rand.Text()
	sent, err := s.cfg.OOB.Send(ctx, oob.SendRequest{Target: tg, Challenge: id, Source: req.Client, Actor: req.Frontend})
	if refused(err) {
		return Response{Outcome: Reject, User: user, Reason: err.Error()}, nil
	}
	if err != nil {
		return Response{}, fmt.Errorf("auth: %w", err)
	}
	c := store.Challenge{ID: id, User: user, Kind: string(req.Frontend), Data: []byte(dataSent + tok.ID),
		Expires: sent.Expires, Created: s.now()}
	return s.putChallenge(ctx, c, oobPrompt(sent.To))
}

func refused(err error) bool {
	for _, e := range []error{oob.ErrTooSoon, oob.ErrLimited, oob.ErrDelivery, oob.ErrNoGateway} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// answerOOB answers a challenge whose Data names an out-of-band token.
func (s *Service) answerOOB(ctx context.Context, req Request, c store.Challenge, code, deny string) (Response, error) {
	data := string(c.Data)
	if id, ok := strings.CutPrefix(data, dataOffer); ok {
		if !asksForCode(code) {
			lg, refused, err := s.policyFor(ctx, req, c.User)
			if err != nil || refused != nil {
				return deref(refused), err
			}
			resp, err := s.verify(ctx, req, lg, c.User, code, deny)
			return lg.finish(resp), err
		}
		tok, err := s.enabledToken(ctx, c.User, id)
		if err != nil || tok == nil {
			return Response{Outcome: Reject, User: c.User, Reason: ReasonOOBGone}, err
		}
		if deny != "" {
			return Response{Outcome: Reject, User: c.User, Reason: deny}, nil
		}
		return s.sendCode(ctx, req, c.User, *tok)
	}
	id, _ := strings.CutPrefix(data, dataSent)
	if deny != "" {
		return Response{Outcome: Reject, User: c.User, Reason: deny}, nil
	}
	res, err := s.cfg.OOB.Verify(ctx, oob.VerifyRequest{User: c.User, TokenID: id, Challenge: c.ID, Code: code,
		Source: req.Source, Actor: req.Frontend})
	if err != nil {
		return Response{}, fmt.Errorf("auth: %w", err)
	}
	if !res.OK {
		return Response{Outcome: Reject, User: c.User, Reason: res.Reason}, nil
	}
	return Response{Outcome: Accept, User: c.User}, nil
}

// isOOBChallenge reports whether c's answer goes through package oob.
func (s *Service) isOOBChallenge(c store.Challenge) bool {
	return s.cfg.OOB != nil && (strings.HasPrefix(string(c.Data), dataSent) || strings.HasPrefix(string(c.Data), dataOffer))
}

// asksForCode reports whether an answer asks for a code to be sent: the
// token type's name or nothing.
func asksForCode(answer string) bool {
	switch strings.ToLower(strings.TrimSpace(answer)) {
	case "", string(store.Email), string(store.SMS):
		return true
	}
	return false
}

// enabledToken returns user's enabled token id, or nil.
func (s *Service) enabledToken(ctx context.Context, user, id string) (*store.Token, error) {
	toks, err := s.store.Tokens(ctx, user)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("auth: tokens of %q: %w", user, err)
	}
	for i := range toks {
		if toks[i].ID == id && toks[i].Enabled {
			return &toks[i], nil
		}
	}
	return nil, nil
}
