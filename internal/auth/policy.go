package auth

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"otpgate.dev/otpgate/internal/engine"
	"otpgate.dev/otpgate/internal/policy"
	"otpgate.dev/otpgate/internal/primary"
	"otpgate.dev/otpgate/internal/store"
)

// login is the policy's decision for one login, applied to the user's
// tokens.
type login struct {
	decision policy.Decision
	plan     policy.Plan
	// recoveryDigits are the lengths of the user's unused recovery codes,
	// when the rule allows them.
	recoveryDigits []int
}

// Input is the policy's view of a login: the front end's request, for
// user. The NAS's address is Source for RADIUS, where a NAS sent the
// request; OpenVPN's Source is the client.
func Input(req Request, user string) policy.Input {
	in := policy.Input{User: user, NAS: req.NAS, Frontend: string(req.Frontend)}
	in.Source, _ = netip.ParseAddr(req.Client)
	if req.Frontend == radiusFrontend {
		in.NASAddr, _ = netip.ParseAddr(req.Source)
	}
	return in
}

// The front ends whose requests Input reads differently.
const (
	radiusFrontend  = store.ActorRADIUS
	openVPNFrontend = store.ActorOpenVPN
)

// Decide is what the policy decides for the login req of user: the one
// evaluation that logins and `otpgate policy explain` share.
func (s *Service) Decide(ctx context.Context, req Request, user string) (policy.Decision, error) {
	in := Input(req, user)
	in.Time = s.now()
	if s.cfg.Policy == nil {
		return policy.Decision{Outcome: policy.Outcome{OTP: policy.Required}, Rule: policy.DefaultRule}, nil
	}
	return s.cfg.Policy.Decide(ctx, in)
}

// policyFor evaluates the policy for user and applies it to the user's
// tokens. A rule that cannot be evaluated gives a refusal (refused), not
// an error: the login is refused, and the front end logs why. An error is
// a store failure.
func (s *Service) policyFor(ctx context.Context, req Request, user string) (*login, *Response, error) {
	d, err := s.Decide(ctx, req, user)
	if err != nil {
		s.auditLogin(ctx, req, user, store.ResultFail, err.Error())
		return nil, &Response{Outcome: Reject, User: user, Reason: err.Error()}, nil
	}
	toks, err := s.store.Tokens(ctx, user)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, nil, fmt.Errorf("auth: tokens of %q: %w", user, err)
	}
	lg := &login{decision: d, plan: d.Plan(toks)}
	if lg.plan.Recovery && lg.plan.Action == policy.Verify {
		codes, err := s.store.RecoveryCodes(ctx, user)
		if err != nil {
			return nil, nil, fmt.Errorf("auth: recovery codes of %q: %w", user, err)
		}
		for _, c := range codes {
			if !slices.Contains(lg.recoveryDigits, c.Digits) {
				lg.recoveryDigits = append(lg.recoveryDigits, c.Digits)
			}
		}
	}
	return lg, nil, nil
}

func deref(r *Response) Response {
	if r == nil {
		return Response{}
	}
	return *r
}

// engineRequest narrows er to what the plan allows: its token types and
// recovery codes, or a refusal before any token is tried.
func (lg *login) engineRequest(er engine.Request) engine.Request {
	if lg.plan.Action != policy.Verify {
		if er.Deny == "" {
			er.Deny = lg.plan.Reason
		}
		if er.Deny == "" {
			er.Deny = "the policy allows no code here (rule " + lg.decision.Rule + ")"
		}
		return er
	}
	if len(lg.decision.TokenTypes) > 0 {
		er.Types = []store.TokenType{}
		for _, t := range lg.plan.Tokens {
			if !slices.Contains(er.Types, t.Type) {
				er.Types = append(er.Types, t.Type)
			}
		}
	}
	er.Recovery = lg.plan.Recovery
	return er
}

// finish completes an accepted login with the rule and its reply
// attributes.
func (lg *login) finish(r Response) Response {
	r.Rule = lg.decision.Rule
	if r.Outcome == Accept {
		r.Reply = lg.decision.Reply
	}
	return r
}

// codeLengths returns the lengths a code appended to the password can
// have, longest first: those of the tokens the rule allows (digits, an
// identifier's length plus digits, a Yubico OTP's 44 characters) and of
// the user's recovery codes. A user with none is refused whatever the
// split; it gets one check, with the shortest configured length, so that
// it costs what a user with one token costs. Each length costs one primary
// check, and a wrong password counts against the account in PAM
// (pam_faillock) and can fail hard (pam_exec), so a user is not tried with
// lengths their tokens cannot send.
func (lg *login) codeLengths(defaults []int) []int {
	var ns []int
	for _, t := range lg.plan.Tokens {
		if t.Type.OutOfBand() {
			continue // an appended code cannot come from an out-of-band token
		}
		n := t.Params.Digits + len(t.Identifier)
		if t.Type == store.Yubico {
			n = yubicoOTPLength
		}
		if !slices.Contains(ns, n) {
			ns = append(ns, n)
		}
	}
	for _, n := range lg.recoveryDigits {
		if !slices.Contains(ns, n) {
			ns = append(ns, n)
		}
	}
	if len(ns) == 0 {
		return defaults[len(defaults)-1:]
	}
	slices.SortFunc(ns, func(a, b int) int { return b - a })
	return ns
}

// passwordOnly checks the primary password alone: the rule skips the code,
// or makes it optional for a user without a token. The whole password
// field is the password, whatever the style but CodeOnly, whose field is a
// code: that login has nothing otpgate could check, and is refused.
func (s *Service) passwordOnly(ctx context.Context, req Request, lg *login) (Response, error) {
	if req.Style == CodeOnly {
		return lg.finish(Response{Outcome: Reject, User: req.User, Reason: "the rule needs no code, but this login carries only one and no password"}), nil
	}
	if _, none := s.cfg.Primary.(primary.None); none && req.Frontend != openVPNFrontend {
		// Refused when the configuration is read; kept here so that no
		// other path can open the VPN on a user name alone. Over OpenVPN
		// the client certificate is the first factor.
		return lg.finish(Response{Outcome: Reject, User: req.User, Reason: "no primary password and no code"}), nil
	}
	ok, err := s.cfg.Primary.Check(ctx, req.User, req.Password)
	if err != nil {
		return Response{}, err
	}
	if !ok {
		resp, err := s.refusePassword(ctx, req)
		return lg.finish(resp), err
	}
	s.auditLogin(ctx, req, req.User, store.ResultOK, "no code: "+lg.plan.Reason)
	return lg.finish(Response{Outcome: Accept, User: req.User, Reason: lg.plan.Reason}), nil
}

// refusePassword refuses a wrong password that came without a code, and
// counts it toward the user's lockout as a wrong code counts
// (engine.Refuse).
func (s *Service) refusePassword(ctx context.Context, req Request) (Response, error) {
	res, err := s.eng.Refuse(ctx, engine.Request{User: req.User, Source: req.Source, Actor: req.Frontend, Deny: ReasonWrongPassword})
	if err != nil {
		return Response{}, err
	}
	return Response{Outcome: Reject, User: req.User, Reason: res.Reason}, nil
}

// afterAny checks, once a code that named its token (no user name) is
// accepted, that the policy lets that user log in with that token. The
// code is spent either way: the policy is applied late, never skipped.
func (s *Service) afterAny(ctx context.Context, req Request, res engine.Result) (Response, error) {
	lg, refused, err := s.policyFor(ctx, req, res.User)
	if err != nil || refused != nil {
		return deref(refused), err
	}
	allowed := slices.ContainsFunc(lg.plan.Tokens, func(t store.Token) bool { return t.ID == res.TokenID })
	if lg.plan.Action != policy.Verify || !allowed {
		reason := "the policy does not allow this token (rule " + lg.decision.Rule + ")"
		s.auditLogin(ctx, req, res.User, store.ResultFail, reason)
		return lg.finish(Response{Outcome: Reject, User: res.User, Reason: reason}), nil
	}
	return lg.finish(Response{Outcome: Accept, User: res.User}), nil
}

// auditLogin records a login outcome the engine does not (a policy
// refusal, a login without a code). A failure to write it does not change
// the outcome.
func (s *Service) auditLogin(ctx context.Context, req Request, user string, result store.Result, reason string) {
	s.audit(ctx, req, store.AuditEvent{Action: store.ActionLogin, User: user, Result: result, Reason: reason})
}
