package main

import (
	"context"
	"errors"
	"log/slog"
	"sync"

	"otpgate.dev/otpgate/internal/auth"
	"otpgate.dev/otpgate/internal/openvpn"
	"otpgate.dev/otpgate/internal/openvpn/handoff"
	"otpgate.dev/otpgate/internal/policy"
)

// hookService is the login service of a hook, reached on its first use
// (client-connect needs none): `otpgate serve` on the hook socket when it
// runs with the hook's site and settings, else the store opened here. A
// daemon that is there but fails the exchange refuses the login: only an
// absent daemon, or one with other settings, sends the hook to the store.
type hookService struct {
	e      *env
	socket string
	cfg    serviceConfig
	params handoff.Params // what the hook would open and apply
	log    *slog.Logger

	once  sync.Once
	svc   handoff.Service
	close func() error
	err   error

	// rules says the configuration has [[policy.rule]]: client-connect
	// then decides the rule's pushes here (Decide), on the store.
	rules      bool
	localOnce  sync.Once
	local      *auth.Service
	localClose func() error
	localErr   error
}

func (h *hookService) get(ctx context.Context) (handoff.Service, error) {
	h.once.Do(func() { h.svc, h.close, h.err = h.open(ctx) })
	return h.svc, h.err
}

func (h *hookService) open(ctx context.Context) (handoff.Service, func() error, error) {
	c, err := handoff.Dial(ctx, h.socket, h.params)
	switch {
	case err == nil:
		return c, c.Close, nil
	case errors.Is(err, handoff.ErrMismatch):
		h.log.Warn("opening the store: otpgate serve on the hook socket has other settings", "socket", h.socket, "err", err)
	case !errors.Is(err, handoff.ErrNoDaemon):
		return nil, nil, err
	}
	svc, closeStore, err := openService(ctx, h.e, h.cfg)
	if err != nil {
		return nil, nil, err
	}
	return svc, closeStore, nil
}

func (h *hookService) Authenticate(ctx context.Context, req auth.Request) (auth.Response, error) {
	s, err := h.get(ctx)
	if err != nil {
		return auth.Response{}, err
	}
	return s.Authenticate(ctx, req)
}

func (h *hookService) Active(ctx context.Context, user string) (bool, error) {
	s, err := h.get(ctx)
	if err != nil {
		return false, err
	}
	return s.Active(ctx, user)
}

// Decide is the rule that holds for user, for the options client-connect
// pushes (openvpn.Decider). The hook's own configuration decides it, on the
// store opened here: the daemon on the socket answers logins, not pushes.
// Without rules it is the default rule, and no store is opened.
func (h *hookService) Decide(ctx context.Context, req auth.Request, user string) (policy.Decision, error) {
	if !h.rules {
		return policy.Decision{Outcome: policy.Outcome{OTP: policy.Required}, Rule: policy.DefaultRule}, nil
	}
	h.localOnce.Do(func() { h.local, h.localClose, h.localErr = openService(ctx, h.e, h.cfg) })
	if h.localErr != nil {
		return policy.Decision{}, h.localErr
	}
	return h.local.Decide(ctx, req, user)
}

// Close closes what the first uses opened.
func (h *hookService) Close() error {
	var errs []error
	for _, c := range []func() error{h.close, h.localClose} {
		if c != nil {
			errs = append(errs, c())
		}
	}
	return errors.Join(errs...)
}

var (
	_ openvpn.ActiveChecker = (*hookService)(nil)
	_ openvpn.Decider       = (*hookService)(nil)
)
