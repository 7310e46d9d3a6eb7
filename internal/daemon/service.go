package daemon

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"otpgate.dev/otpgate/internal/auth"
	"otpgate.dev/otpgate/internal/config"
	"otpgate.dev/otpgate/internal/directory"
	"otpgate.dev/otpgate/internal/engine"
	"otpgate.dev/otpgate/internal/loginpolicy"
	"otpgate.dev/otpgate/internal/metrics"
	"otpgate.dev/otpgate/internal/openvpn"
	"otpgate.dev/otpgate/internal/policy"
	"otpgate.dev/otpgate/internal/secretbox"
	"otpgate.dev/otpgate/internal/store"
)

// loginService is the part of the login service (auth.Service) that the
// daemon's front ends call; activeChecker is its Active, which the OpenVPN
// front end asks before a renegotiation without a code.
type loginService interface {
	Authenticate(ctx context.Context, req auth.Request) (auth.Response, error)
}

type activeChecker interface {
	Active(ctx context.Context, user string) (bool, error)
}

// newService builds the login service c describes over st, with the
// directory of [ldap] when there is one (which the caller closes).
func newService(c *config.Config, st store.Store, box *secretbox.Box, o auth.OutOfBand, now func() time.Time) (*auth.Service, *directory.Directory, error) {
	dir, err := OpenDirectory(c)
	if err != nil {
		return nil, nil, err
	}
	chk, err := Primary(c.Auth.Primary, dir)
	if err != nil {
		closeDirectory(dir)
		return nil, nil, err
	}
	groups := loginpolicy.Local(st)
	if dir != nil {
		groups = loginpolicy.WithDirectory(groups, dir)
	}
	lp, err := loginpolicy.Build(c.Policy, groups, now)
	if err != nil {
		closeDirectory(dir)
		return nil, nil, err
	}
	cfg := auth.Config{
		Primary:      chk,
		ChallengeTTL: c.Auth.ChallengeTimeout.Duration,
		Prompt:       c.Auth.ChallengeText,
		ClientLimit:  c.Policy.ClientLimit(),
		OOB:          o,
		Policy:       lp.Policy,
		Forward:      lp.Forward,
	}
	if dir != nil {
		cfg.Directory = auth.Users(dir)
	}
	return auth.New(cfg, engine.New(st, box, c.Policy.Engine(), now), st, now), dir, nil
}

func closeDirectory(d *directory.Directory) {
	if d != nil {
		d.Close()
	}
}

// swapService is the service every front end holds: a reload replaces what
// it delegates to without restarting a listener. follow, when set, runs
// before each login: the daemon's look at its master key file.
type swapService struct {
	p      atomic.Pointer[loginService]
	follow func(context.Context)
}

func (s *swapService) set(svc loginService) { s.p.Store(&svc) }

func (s *swapService) Authenticate(ctx context.Context, req auth.Request) (auth.Response, error) {
	if s.follow != nil {
		s.follow(ctx)
	}
	return (*s.p.Load()).Authenticate(ctx, req)
}

// Login results as metric label values.
const (
	resultAccept    = "accept"
	resultReject    = "reject"
	resultChallenge = "challenge"
	resultError     = "error"
)

// LatencyBuckets bound the login latency histogram.
var LatencyBuckets = []time.Duration{
	time.Millisecond, 2500 * time.Microsecond, 5 * time.Millisecond, 10 * time.Millisecond,
	25 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond, 250 * time.Millisecond,
	500 * time.Millisecond, time.Second, 2500 * time.Millisecond, 5 * time.Second,
}

// loginMetrics counts what every front end's logins came to.
type loginMetrics struct {
	logins      *metrics.CounterVec
	latency     *metrics.Histogram
	storeErrors *metrics.CounterVec
}

func newLoginMetrics() *loginMetrics {
	return &loginMetrics{
		logins: metrics.NewCounterVec("otpgate_logins_total", "Logins and challenge answers by result, from every front end.",
			"result", resultAccept, resultReject, resultChallenge, resultError),
		latency: metrics.NewHistogram("otpgate_login_duration_seconds", "Time to decide a login, store and primary check included.", LatencyBuckets),
		storeErrors: metrics.NewCounterVec("otpgate_store_errors_total", "Logins that failed closed because the store or the password backend failed.",
			"frontend"),
	}
}

func (m *loginMetrics) writeTo(w *metrics.Writer) {
	m.logins.WriteTo(w)
	m.latency.WriteTo(w)
	m.storeErrors.WriteTo(w)
}

// instrumented counts the logins of next.
type instrumented struct {
	next loginService
	m    *loginMetrics
}

func (s instrumented) Authenticate(ctx context.Context, req auth.Request) (auth.Response, error) {
	start := time.Now()
	resp, err := s.next.Authenticate(ctx, req)
	s.m.latency.Observe(time.Since(start))
	switch {
	case err != nil && !errors.Is(err, context.Canceled):
		s.m.logins.Inc(resultError)
		s.m.storeErrors.Inc(string(req.Frontend))
	case err != nil:
		s.m.logins.Inc(resultError)
	case resp.Outcome == auth.Accept:
		s.m.logins.Inc(resultAccept)
	case resp.Outcome == auth.ChallengeIssued:
		s.m.logins.Inc(resultChallenge)
	default:
		s.m.logins.Inc(resultReject)
	}
	return resp, err
}

// Active passes the service's Active through the wrappers.
func (s *swapService) Active(ctx context.Context, user string) (bool, error) {
	return active(ctx, *s.p.Load(), user)
}

// Active passes the service's Active through the wrappers.
func (s instrumented) Active(ctx context.Context, user string) (bool, error) {
	return active(ctx, s.next, user)
}

// Decide passes openvpn.Decider through the wrappers: client-connect's
// routes come from the rule the service decides by.
func (s *swapService) Decide(ctx context.Context, req auth.Request, user string) (policy.Decision, error) {
	return decide(ctx, *s.p.Load(), req, user)
}

// Decide passes openvpn.Decider through the wrappers.
func (s instrumented) Decide(ctx context.Context, req auth.Request, user string) (policy.Decision, error) {
	return decide(ctx, s.next, req, user)
}

func decide(ctx context.Context, svc loginService, req auth.Request, user string) (policy.Decision, error) {
	if d, ok := svc.(openvpn.Decider); ok {
		return d.Decide(ctx, req, user)
	}
	return policy.Decision{Outcome: policy.Outcome{OTP: policy.Required}, Rule: policy.DefaultRule}, nil
}

func active(ctx context.Context, svc loginService, user string) (bool, error) {
	if ac, ok := svc.(activeChecker); ok {
		return ac.Active(ctx, user)
	}
	return true, nil
}
