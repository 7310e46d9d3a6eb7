package openvpn

import (
	"context"
	"fmt"
	"log/slog"

	"otpgate.dev/otpgate/internal/openvpn/authtoken"
)

// Script names, as in `otpgate openvpn NAME`, and the script_type OpenVPN
// sets for each.
const (
	ScriptVerify        = "verify"
	ScriptCRResponse    = "crresponse"
	ScriptClientConnect = "client-connect"
)

var scriptTypes = map[string]string{
	ScriptVerify:        "user-pass-verify",
	ScriptCRResponse:    "client-crresponse",
	ScriptClientConnect: "client-connect",
}

// NewHook returns the hook for cfg and the login service, loading the auth
// token key when cfg names one.
func NewHook(cfg Config, svc Service, log *slog.Logger) (*Hook, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	a := &Authenticator{Service: svc, Config: cfg}
	if cfg.TokenKeyPath != "" {
		k, err := authtoken.LoadKey(cfg.TokenKeyPath)
		if err != nil {
			return nil, err
		}
		a.Tokens = k
	}
	return &Hook{Auth: a, Log: log}, nil
}

// Run runs the script called name ([ScriptVerify], [ScriptCRResponse] or
// [ScriptClientConnect]) and returns its exit code. It refuses to run a
// script where OpenVPN's script_type says another one was configured (say,
// crresponse as auth-user-pass-verify), which would otherwise fail open
// or closed by accident.
func (h *Hook) Run(ctx context.Context, name string, env Env, args []string) int {
	want, ok := scriptTypes[name]
	if !ok {
		h.log(name, env).Error(fmt.Sprintf("unknown script %q (accepted: verify, crresponse, client-connect)", name))
		return ExitFailure
	}
	if got, set := env[EnvScriptType]; set && got != want {
		h.log(name, env).Error("configured for the wrong hook", "script_type", got, "want", want)
		return ExitFailure
	}
	switch name {
	case ScriptVerify:
		return h.Verify(ctx, env, args)
	case ScriptCRResponse:
		return h.CRResponse(ctx, env, args)
	}
	return h.ClientConnect(ctx, env, args)
}
