package auth

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"time"

	"otpgate.dev/otpgate/internal/engine"
	"otpgate.dev/otpgate/internal/primary"
	"otpgate.dev/otpgate/internal/store"
)

// Defaults of seed 004's OpenVPN script, which the other front ends share.
const (
	DefaultChallengeTTL = 300 * time.Second
	DefaultPrompt       = "Please enter your TOTP code"
)

// Verifier is the part of the engine the service uses.
type Verifier interface {
	Verify(ctx context.Context, req engine.Request) (engine.Result, error)
	VerifyAny(ctx context.Context, req engine.Request) (engine.Result, error)
}

// Config is the service's policy. The zero value of a field takes its
// default; Primary nil means primary.None.
type Config struct {
	Primary      primary.Checker
	ChallengeTTL time.Duration
	Prompt       string
	// CodeLengths are the code lengths an Appended password may end with,
	// longest first (default 44, 8, 6: Yubico OTP, 8 and 6 digits). A user's
	// own tokens decide which are tried; a user without tokens gets the
	// last one.
	CodeLengths []int
}

// Store is the part of the store the service uses.
type Store interface {
	Tokens(ctx context.Context, user string) ([]store.Token, error)
	PutChallenge(ctx context.Context, c store.Challenge) error
	TakeChallenge(ctx context.Context, id string, now time.Time) (store.Challenge, error)
	AppendAudit(ctx context.Context, e store.AuditEvent) error
}

// Service is the login service: the engine for the second factor, a
// primary checker for the first, and a store for challenges. It is safe for
// concurrent use and keeps no state of its own: challenges live in the
// store, so that any process or node can answer them.
type Service struct {
	cfg   Config
	eng   Verifier
	store Store
	now   func() time.Time
}

// New returns the login service. now is the clock for challenges.
func New(cfg Config, eng Verifier, st Store, now func() time.Time) *Service {
	if cfg.Primary == nil {
		cfg.Primary = primary.None{}
	}
	if cfg.ChallengeTTL <= 0 {
		cfg.ChallengeTTL = DefaultChallengeTTL
	}
	if cfg.Prompt == "" {
		cfg.Prompt = DefaultPrompt
	}
	if len(cfg.CodeLengths) == 0 {
		cfg.CodeLengths = []int{44, 8, 6}
	}
	return &Service{cfg: cfg, eng: eng, store: st, now: now}
}

var errStyle = errors.New("auth: unknown login style")

// Authenticate decides one login attempt or one answer to a challenge. An
// error means the store or the primary backend failed; the front end must
// refuse the login.
func (s *Service) Authenticate(ctx context.Context, req Request) (Response, error) {
	if req.ChallengeID != "" {
		return s.answer(ctx, req)
	}
	switch req.Style {
	case CodeOnly:
		return s.verify(ctx, req, req.User, req.Password)
	case Separate:
		return s.withPassword(ctx, req, req.Password, req.Code)
	case Appended:
		return s.appended(ctx, req)
	case Challenge:
		return s.challenge(ctx, req)
	}
	return Response{}, fmt.Errorf("%w %q", errStyle, req.Style)
}

// verify checks code for user; with no user, the code must name its token.
func (s *Service) verify(ctx context.Context, req Request, user, code string) (Response, error) {
	er := engine.Request{User: user, Code: code, Source: req.Source, Actor: req.Frontend}
	verify := s.eng.Verify
	if user == "" {
		verify = s.eng.VerifyAny
	}
	res, err := verify(ctx, er)
	if err != nil {
		return Response{}, err
	}
	if !res.OK {
		return Response{Outcome: Reject, User: user, Reason: res.Reason}, nil
	}
	return Response{Outcome: Accept, User: res.User}, nil
}

// withPassword checks the primary password, then the code.
func (s *Service) withPassword(ctx context.Context, req Request, password, code string) (Response, error) {
	ok, err := s.checkPrimary(ctx, req, password)
	if err != nil || !ok {
		return Response{Outcome: Reject, User: req.User, Reason: "wrong password"}, err
	}
	return s.verify(ctx, req, req.User, code)
}

// appended splits "password+code" at each known code length. Only a split
// whose password is right reaches the engine, so a login costs at most one
// verification and at most one counted failure.
func (s *Service) appended(ctx context.Context, req Request) (Response, error) {
	if _, none := s.cfg.Primary.(primary.None); none {
		return s.verify(ctx, req, req.User, req.Password) // no password: all of it is the code
	}
	lengths, err := s.codeLengths(ctx, req.User)
	if err != nil {
		return Response{}, err
	}
	for _, n := range lengths {
		if len(req.Password) < n {
			continue
		}
		cut := len(req.Password) - n
		ok, err := s.cfg.Primary.Check(ctx, req.User, req.Password[:cut])
		if err != nil {
			return Response{}, err
		}
		if ok {
			return s.verify(ctx, req, req.User, req.Password[cut:])
		}
	}
	s.auditPrimary(ctx, req)
	return Response{Outcome: Reject, User: req.User, Reason: "wrong password"}, nil
}

// challenge checks the password and, when right, stores a challenge that
// the code must answer before it expires.
func (s *Service) challenge(ctx context.Context, req Request) (Response, error) {
	ok, err := s.checkPrimary(ctx, req, req.Password)
	if err != nil || !ok {
		return Response{Outcome: Reject, User: req.User, Reason: "wrong password"}, err
	}
	now := s.now()
	c := store.Challenge{ID: rand.Text(), User: req.User, Kind: req.Frontend, Expires: now.Add(s.cfg.ChallengeTTL), Created: now}
	if err := s.store.PutChallenge(ctx, c); err != nil {
		return Response{}, fmt.Errorf("auth: store challenge: %w", err)
	}
	return Response{Outcome: ChallengeIssued, User: req.User, Challenge: &PendingChallenge{
		ID: c.ID, Prompt: s.cfg.Prompt, Echo: true, Expires: c.Expires}}, nil
}

// answer consumes the challenge (once, and never late) and verifies the
// code for the user the challenge was issued to.
func (s *Service) answer(ctx context.Context, req Request) (Response, error) {
	c, err := s.store.TakeChallenge(ctx, req.ChallengeID, s.now())
	if errors.Is(err, store.ErrNotFound) {
		return Response{Outcome: Reject, User: req.User, Reason: "unknown or expired challenge"}, nil
	}
	if err != nil {
		return Response{}, fmt.Errorf("auth: take challenge: %w", err)
	}
	if req.User != "" && req.User != c.User {
		return Response{Outcome: Reject, User: req.User, Reason: "challenge issued to another user"}, nil
	}
	code := req.Code
	if code == "" {
		code = req.Password
	}
	return s.verify(ctx, req, c.User, code)
}

func (s *Service) checkPrimary(ctx context.Context, req Request, password string) (bool, error) {
	ok, err := s.cfg.Primary.Check(ctx, req.User, password)
	if err == nil && !ok {
		s.auditPrimary(ctx, req)
	}
	return ok, err
}

func (s *Service) auditPrimary(ctx context.Context, req Request) {
	_ = s.store.AppendAudit(ctx, store.AuditEvent{Time: s.now(), Actor: req.Frontend, Action: "login",
		User: req.User, Result: "fail", Reason: "wrong password", Source: req.Source})
}

// Active reports whether user may still log in at all: the user exists and
// has an enabled token. A front end that lets a session continue without a
// code (an OpenVPN renegotiation with an auth token) asks it, so that
// deleting or disabling a user ends their sessions at the next
// renegotiation. A locked token still counts: a lock stops codes, not
// sessions that were opened before it.
func (s *Service) Active(ctx context.Context, user string) (bool, error) {
	toks, err := s.store.Tokens(ctx, user)
	if err != nil {
		return false, fmt.Errorf("auth: tokens of %q: %w", user, err)
	}
	for _, t := range toks {
		if t.Enabled {
			return true, nil
		}
	}
	return false, nil
}

// codeLengths returns the lengths a code appended to user's password can
// have, longest first: those of the user's enabled tokens (its digits, an
// identifier's length plus digits, a Yubico OTP's 44 characters). A user
// with none is refused whatever the split; it gets one check, with the
// shortest configured length, so that it costs what a user with one token
// costs. Each length costs one
// primary check, and a wrong password counts against the account in PAM
// (pam_faillock) and can fail hard (pam_exec), so a user is not tried
// with lengths their tokens cannot send.
func (s *Service) codeLengths(ctx context.Context, user string) ([]int, error) {
	toks, err := s.store.Tokens(ctx, user)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("auth: tokens of %q: %w", user, err)
	}
	var ns []int
	for _, t := range toks {
		if !t.Enabled {
			continue
		}
		n := t.Params.Digits + len(t.Identifier)
		if t.Type == store.Yubico {
			n = yubicoOTPLength
		}
		if !slices.Contains(ns, n) {
			ns = append(ns, n)
		}
	}
	if len(ns) == 0 {
		return s.cfg.CodeLengths[len(s.cfg.CodeLengths)-1:], nil
	}
	slices.SortFunc(ns, func(a, b int) int { return b - a })
	return ns, nil
}

// yubicoOTPLength is a Yubico OTP's length: a 12-character public id and a
// 32-character modhex block.
const yubicoOTPLength = 44
