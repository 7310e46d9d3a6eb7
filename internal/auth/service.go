package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"otpgate.dev/otpgate/internal/engine"
	"otpgate.dev/otpgate/internal/policy"
	"otpgate.dev/otpgate/internal/primary"
	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/username"
)

// Defaults of seed 004's OpenVPN script, which the other front ends share.
const (
	DefaultChallengeTTL = 300 * time.Second
	DefaultPrompt       = "Please enter your TOTP code"
)

// DefaultClientLimit is the limit of one client address: the 20th failed
// login, each within 15 minutes of the one before, locks the address out
// for 15 minutes, whichever users the logins were for.
var DefaultClientLimit = store.LoginLimit{MaxFailures: 20, Remember: 15 * time.Minute, LockFor: 15 * time.Minute}

// Verifier is the part of the engine the service uses.
type Verifier interface {
	Verify(ctx context.Context, req engine.Request) (engine.Result, error)
	VerifyAny(ctx context.Context, req engine.Request) (engine.Result, error)
	Refuse(ctx context.Context, req engine.Request) (engine.Result, error)
}

// Store is the part of the store the service uses.
type Store interface {
	Tokens(ctx context.Context, user string) ([]store.Token, error)
	PutChallenge(ctx context.Context, c store.Challenge) error
	TakeChallenge(ctx context.Context, id string, now time.Time) (store.Challenge, error)
	LoginFailure(ctx context.Context, subject string, now time.Time) (store.Failure, error)
	RecordLoginFailure(ctx context.Context, subject string, now time.Time, l store.LoginLimit, e *store.AuditEvent) (store.Failure, error)
	// RecoveryCodes and AppendAudit serve the login policy (policy.go).
	RecoveryCodes(ctx context.Context, user string) ([]store.RecoveryCode, error)
	AppendAudit(ctx context.Context, e store.AuditEvent) error
}

// Config is the service's policy. The zero value of a field takes its
// default; Primary nil means primary.None.
type Config struct {
	Primary      primary.Checker
	ChallengeTTL time.Duration
	// Prompt is the one prompt of a challenge, for every front end.
	Prompt string
	// CodeLengths are the code lengths an Appended password may end with,
	// longest first (default 44, 8, 6: Yubico OTP, 8 and 6 digits). A user's
	// own tokens decide which are tried; a user without tokens gets the
	// last one.
	CodeLengths []int
	// ClientLimit bounds the failed logins of one client address
	// (Request.Client), whichever users they are for; the zero value is
	// DefaultClientLimit. The failures of one user are bounded by the
	// engine's lockout, which counts wrong passwords too.
	ClientLimit store.LoginLimit
	// OOB sends codes by email and SMS for out-of-band tokens (oob.go);
	// nil refuses the users whose only tokens are out-of-band.
	OOB OutOfBand
	// Directory, when set, maps login names and refuses the users it
	// does not permit (directory.go).
	Directory Directory
	// Policy decides what each login needs (package policy); nil means
	// a code from any of the user's tokens, as no rule at all does.
	Policy *policy.Policy
	// Forward are the legacy RADIUS servers that rules forward to, by the
	// name of their [[policy.forward]].
	Forward map[string]Forward
}

// Service is the login service: the engine for the second factor, a
// primary checker for the first, and a store for challenges and failure
// counts. It is safe for concurrent use and keeps no state of its own:
// challenges and counts live in the store, so that any process or node can
// answer.
//
// A refusal costs the same work whatever made it (issue 12 item 9): the
// same number of password checks, one engine verification, and one count
// of the client's failures, whether the user exists, whether the password
// was right, and whether the client is locked out. Only the outcome and the
// audit trail say which. A wrong password is counted by the engine as a
// wrong code is, toward the same lockout of the user's tokens.
type Service struct {
	cfg   Config
	eng   Verifier
	store Store
	now   func() time.Time
}

// New returns the login service. now is the clock for challenges and
// failure counts.
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
	if cfg.ClientLimit == (store.LoginLimit{}) {
		cfg.ClientLimit = DefaultClientLimit
	}
	return &Service{cfg: cfg, eng: eng, store: st, now: now}
}

var errStyle = errors.New("auth: unknown login style")

// Reasons the service gives, for logs and the audit trail.
const (
	ReasonWrongPassword = "wrong password"
	ReasonClientLocked  = "too many failed logins from this client"
	ReasonNoCodeAtEnd   = "the password is shorter than every code it could end with"
)

// Authenticate decides one login attempt or one answer to a challenge. An
// error means the store or the primary backend failed; the front end must
// refuse the login. A user name that package username refuses is refused
// before any work.
func (s *Service) Authenticate(ctx context.Context, req Request) (Response, error) {
	ctx = primary.WithRemoteHost(ctx, req.Source) // PAM_RHOST for a PAM stack
	if req.User != "" {
		u, err := username.Canonical(req.User)
		if err != nil {
			return Response{Outcome: Reject, Reason: err.Error()}, nil
		}
		req.User = u
	}
	given := req.User
	if err := s.directoryName(&req); err != nil {
		return Response{Outcome: Reject, Reason: err.Error()}, nil
	}
	if req.ChallengeID == "" {
		switch req.Style {
		case CodeOnly, Separate, Appended, Challenge:
		default:
			return Response{}, fmt.Errorf("%w %q", errStyle, req.Style)
		}
	}
	deny, err := s.clientDenied(ctx, req)
	if err == nil && deny == "" {
		deny, err = s.directoryDenied(ctx, req.User)
	}
	if err != nil {
		return Response{}, err
	}
	resp, err := s.decide(ctx, req, deny)
	if err == nil {
		resp.Canonical = resp.User
		resp, err = s.directoryAfter(ctx, req, given, resp)
	}
	if err != nil {
		return Response{}, err
	}
	if resp.Outcome == Reject {
		if err := s.countClient(ctx, req); err != nil {
			return Response{}, err
		}
	}
	return resp, nil
}

// decide routes a login by the policy (policy.go): a rule may let it in on
// the password alone or forward it to legacy servers (forward.go); the rest
// is verified in its style with what the rule allows. A refused client
// (deny) goes the verification's way whatever the rule, so that its
// refusal costs what any costs.
func (s *Service) decide(ctx context.Context, req Request, deny string) (Response, error) {
	if req.ChallengeID != "" {
		return s.answer(ctx, req, deny)
	}
	if req.User == "" {
		// A code that names its token: the user, and so the rule, is known
		// only once it is verified (afterAny).
		return s.byStyle(ctx, req, &login{plan: policy.Plan{Action: policy.Verify}}, deny)
	}
	lg, refused, err := s.policyFor(ctx, req, req.User)
	if err != nil || refused != nil {
		return deref(refused), err
	}
	if deny == "" {
		switch lg.plan.Action {
		case policy.PasswordOnly:
			return s.passwordOnly(ctx, req, lg)
		case policy.Forward:
			return s.forward(ctx, req, lg)
		}
	}
	resp, err := s.byStyle(ctx, req, lg, deny)
	return lg.finish(resp), err
}

// byStyle verifies a login in its style.
func (s *Service) byStyle(ctx context.Context, req Request, lg *login, deny string) (Response, error) {
	switch req.Style {
	case CodeOnly:
		return s.verify(ctx, req, lg, req.User, req.Password, deny)
	case Separate:
		return s.separate(ctx, req, lg, deny)
	case Appended:
		return s.appended(ctx, req, lg, deny)
	}
	return s.challenge(ctx, req, deny)
}

// verify checks code for user with the token types lg allows, refusing it
// with deny when that is set; with no user, the code must name its token,
// and the policy is checked for the user it names once it is known.
func (s *Service) verify(ctx context.Context, req Request, lg *login, user, code, deny string) (Response, error) {
	er := lg.engineRequest(engine.Request{User: user, Code: code, Source: req.Source, Actor: req.Frontend, Deny: deny})
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
	if user == "" {
		return s.afterAny(ctx, req, res)
	}
	return Response{Outcome: Accept, User: res.User}, nil
}

// separate checks the password, then the code, which the engine checks
// whether the password was right or not.
func (s *Service) separate(ctx context.Context, req Request, lg *login, deny string) (Response, error) {
	ok, err := s.cfg.Primary.Check(ctx, req.User, req.Password)
	if err != nil {
		return Response{}, err
	}
	if !ok && deny == "" {
		deny = ReasonWrongPassword
	}
	return s.verify(ctx, req, lg, req.User, req.Code, deny)
}

// challenge checks the password and, when it is right, stores a challenge
// that the code must answer before it expires. A wrong password counts
// toward the user's lockout (engine.Refuse). The outcome tells the client
// whether the password was right, so the two paths need not cost the same.
func (s *Service) challenge(ctx context.Context, req Request, deny string) (Response, error) {
	ok, err := s.cfg.Primary.Check(ctx, req.User, req.Password)
	if err != nil {
		return Response{}, err
	}
	if !ok && deny == "" {
		deny = ReasonWrongPassword
	}
	if deny != "" {
		res, err := s.eng.Refuse(ctx, engine.Request{User: req.User, Source: req.Source, Actor: req.Frontend, Deny: deny})
		if err != nil {
			return Response{}, err
		}
		return Response{Outcome: Reject, User: req.User, Reason: res.Reason}, nil
	}
	return s.issueFor(ctx, req)
}

// Active reports whether user may still log in at all: the user exists and
// has an enabled token. A front end that lets a session continue without a
// code (an OpenVPN renegotiation with an auth token) asks it, so that
// deleting or disabling a user ends their sessions at the next
// renegotiation. A locked token still counts: a lock stops codes, not
// sessions that were opened before it. With a directory the user must
// still be one it permits.
func (s *Service) Active(ctx context.Context, user string) (bool, error) {
	user, ok, err := s.directoryActive(ctx, user)
	if err != nil || !ok {
		return false, err
	}
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
