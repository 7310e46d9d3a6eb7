package openvpn

import (
	"context"
	"strings"
	"time"

	"otpgate.dev/otpgate/internal/auth"
	"otpgate.dev/otpgate/internal/openvpn/authtoken"
	"otpgate.dev/otpgate/internal/store"
)

// Frontend names OpenVPN in the login service's audit trail.
const Frontend = store.ActorOpenVPN

// Login is one authentication as OpenVPN reports it, from a script's
// environment or a management-interface ENV block.
type Login struct {
	User     string
	Password string
	Source   string // the client address, for the audit trail
	// SessionState is --auth-gen-token's session_state; empty without it.
	SessionState string
	// CRText reports that the client announced IV_SSO=crtext.
	CRText bool
	// Binding is what otpgate's auth tokens are bound to besides the user:
	// the client certificate digest, or empty.
	Binding string
}

// LoginFromEnv returns the login that env describes, with the credentials
// already read (via-file, via-env or the management ENV block).
func LoginFromEnv(env Env, user, password string) Login {
	return Login{
		User:         user,
		Password:     password,
		Source:       env.Source(),
		SessionState: env[EnvSessionState],
		CRText:       env.supportsCRText(),
		Binding:      env[EnvCertDigest],
	}
}

// Service is the part of the login service (auth.Service) the OpenVPN front
// end calls.
type Service interface {
	Authenticate(ctx context.Context, req auth.Request) (auth.Response, error)
}

// ActiveChecker is implemented by a Service that can tell whether a user
// may still log in at all (auth.Service.Active). A session that continues
// without a code (a renegotiation with an auth token) is refused when the
// user was deleted or disabled meanwhile.
type ActiveChecker interface {
	Active(ctx context.Context, user string) (bool, error)
}

// Authenticator decides OpenVPN logins with the login service. The script
// hooks and the management-interface mode share it. It keeps no state:
// pending challenges live in the service's store, named by their id. It is
// safe for concurrent use if its Service is.
type Authenticator struct {
	Service Service
	Config  Config
	// Tokens signs and checks otpgate's auth tokens; nil turns them off.
	Tokens *authtoken.Key
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

func (a *Authenticator) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// Login decides a username/password authentication: a first login, an
// answer to a dynamic challenge, or a renegotiation with a token.
func (a *Authenticator) Login(ctx context.Context, l Login) Decision {
	var err error
	if l.User, err = canonicalUser(l.User); err != nil {
		return rejected("", err.Error())
	}
	if err := checkPassword(l.Password); err != nil {
		return rejected(l.User, err.Error())
	}
	if d, done := a.session(l); done {
		return a.stillActive(ctx, d)
	}
	switch pw := l.Password; {
	case strings.HasPrefix(pw, authtoken.Prefix):
		return a.stillActive(ctx, a.token(l))
	case strings.HasPrefix(pw, PrefixAuthGenToken):
		return rejected(l.User, "an --auth-gen-token token without session_state Authenticated")
	case strings.HasPrefix(pw, PrefixSCRV1):
		return a.static(ctx, l)
	case strings.HasPrefix(pw, PrefixCRV1Answer):
		stateID, code, err := ParseCRV1Answer(pw)
		if err != nil {
			return rejected(l.User, err.Error())
		}
		return a.Answer(ctx, l, stateID, code)
	}
	return a.plain(ctx, l)
}

// session applies --auth-gen-token's verdict on the password (it runs the
// script for tokens only with external-auth): Authenticated continues a
// session without a new code, Initial is a full login, anything else fails.
func (a *Authenticator) session(l Login) (Decision, bool) {
	switch l.SessionState {
	case "", SessionInitial:
		return Decision{}, false
	case SessionAuthenticated:
		if !strings.HasPrefix(l.Password, PrefixAuthGenToken) {
			return rejected(l.User, "session_state Authenticated without an --auth-gen-token token"), true
		}
		return Decision{Verdict: Accept, User: l.User, Why: "auth-gen-token session"}, true
	}
	return rejected(l.User, "auth-gen-token session_state "+l.SessionState), true
}

// stillActive refuses a session that continues without a code (d accepts
// it) when the user has been deleted or disabled meanwhile. A service that
// cannot tell leaves d as it is; an error refuses: fail closed.
func (a *Authenticator) stillActive(ctx context.Context, d Decision) Decision {
	ac, ok := a.Service.(ActiveChecker)
	if d.Verdict != Accept || !ok {
		return d
	}
	active, err := ac.Active(ctx, d.User)
	switch {
	case err != nil:
		return rejected(d.User, "cannot check that the user is still enrolled: "+err.Error())
	case !active:
		return rejected(d.User, "the user was deleted or disabled since the session began")
	}
	return d
}

func (a *Authenticator) token(l Login) Decision {
	if a.Tokens == nil {
		return rejected(l.User, "an otpgate auth token, but no token key is configured")
	}
	c, err := a.Tokens.Verify(l.Password, l.User, l.Binding, a.now())
	if err != nil {
		return rejected(l.User, err.Error())
	}
	return Decision{Verdict: Accept, User: l.User, Why: "auth token of session " + c.ID.String()}
}

func (a *Authenticator) static(ctx context.Context, l Login) Decision {
	pw, code, err := ParseSCRV1(l.Password)
	if err == nil {
		err = CheckCode(code)
	}
	if err != nil {
		return rejected(l.User, "static challenge: "+err.Error())
	}
	return a.ask(ctx, l, auth.Request{User: l.User, Password: pw, Code: code, Style: auth.Separate})
}

func (a *Authenticator) plain(ctx context.Context, l Login) Decision {
	req := auth.Request{User: l.User, Password: l.Password}
	switch a.Config.Style {
	case StyleAppend:
		req.Style = auth.Appended
	case StyleCode:
		req.Style = auth.CodeOnly
	case StyleCRText, StyleCRV1:
		req.Style = auth.Challenge
	default:
		return rejected(l.User, "no static-challenge response (the client needs static-challenge in its configuration)")
	}
	return a.ask(ctx, l, req)
}

// Answer decides the response to challenge challengeID, from a crtext
// answer (--client-crresponse, >CLIENT:CR_RESPONSE) or a CRV1 password.
func (a *Authenticator) Answer(ctx context.Context, l Login, challengeID, code string) Decision {
	var err error
	if l.User, err = canonicalUser(l.User); err != nil {
		return rejected("", err.Error())
	}
	if err := checkStateID(challengeID); err != nil {
		return rejected(l.User, err.Error())
	}
	if err := CheckCode(code); err != nil {
		return rejected(l.User, err.Error())
	}
	return a.ask(ctx, l, auth.Request{User: l.User, Code: code, ChallengeID: challengeID, Style: auth.Challenge})
}

// ask puts req to the login service and turns its response into a decision.
// A service error refuses the login.
func (a *Authenticator) ask(ctx context.Context, l Login, req auth.Request) Decision {
	if a.Service == nil {
		return rejected(l.User, "no login service")
	}
	req.Frontend, req.Source, req.Client = Frontend, l.Source, l.Source
	resp, err := a.Service.Authenticate(ctx, req)
	if err != nil {
		return rejected(l.User, "login service: "+err.Error())
	}
	// The VPN session takes the username the client sent; a service that
	// found another user (from a challenge or a token id) must not let one
	// user in under another's name.
	if resp.User != "" && resp.User != l.User {
		return rejected(l.User, "login service answered for another user")
	}
	switch resp.Outcome {
	case auth.Accept:
		return Decision{Verdict: Accept, User: l.User, Why: resp.Reason}
	case auth.ChallengeIssued:
		return a.challenge(l, resp.Challenge)
	}
	return rejected(l.User, resp.Reason)
}

// challenge turns a pending challenge into a crtext Pending decision when
// the client can take one, and into a CRV1 Challenge otherwise. The prompt
// is the login service's, the one every front end shows.
func (a *Authenticator) challenge(l Login, ch *auth.PendingChallenge) Decision {
	if ch == nil {
		return rejected(l.User, "login service issued a challenge without one")
	}
	text := ch.Prompt
	if err := checkText("challenge text", text, MaxChallengeText); err != nil {
		return rejected(l.User, err.Error())
	}
	timeout := a.Config.ChallengeTimeout
	if !ch.Expires.IsZero() {
		timeout = min(timeout, ch.Expires.Sub(a.now()).Truncate(time.Second))
	}
	if timeout < time.Second {
		return rejected(l.User, "challenge expires within a second")
	}
	if l.CRText && a.Config.Style != StyleCRV1 {
		d := Decision{Verdict: Pending, User: l.User, Timeout: timeout, ChallengeID: ch.ID,
			CRText: CRText{Echo: ch.Echo, Response: true, Text: text}}
		if err := checkStateID(ch.ID); err != nil {
			return rejected(l.User, "login service challenge id: "+err.Error())
		}
		return d
	}
	c := CRV1{Echo: ch.Echo, Response: true, StateID: ch.ID, User: l.User, Text: text}
	if err := c.Check(); err != nil {
		return rejected(l.User, "dynamic challenge: "+err.Error())
	}
	return Decision{Verdict: Challenge, User: l.User, CRV1: c}
}

// ConnectConfig returns the lines a client-connect script writes (and a
// management client-auth carries) for an accepted user: `push "auth-token
// TOKEN"` when otpgate's tokens are on, nothing otherwise. binding is the
// login's [Login.Binding].
func (a *Authenticator) ConnectConfig(user, binding string) ([]string, error) {
	if a.Tokens == nil {
		return nil, nil
	}
	user, err := canonicalUser(user)
	if err != nil {
		return nil, err
	}
	tok, _, err := a.Tokens.Sign(user, binding, a.now(), a.Config.TokenLifetime)
	if err != nil {
		return nil, err
	}
	return []string{`push "auth-token ` + tok + `"`}, nil
}
