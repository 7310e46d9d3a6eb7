package openvpn

import (
	"context"
	"io"
	"log/slog"
	"strings"
)

// Hook runs otpgate's OpenVPN scripts. Each method is one script: it takes
// the environment and the arguments OpenVPN appended, does its work and
// returns the exit code, failing closed on every error. Logs go to Log (the
// script's stderr, which OpenVPN copies into its own log); nil discards them.
type Hook struct {
	Auth *Authenticator
	Log  *slog.Logger
}

func (h *Hook) log(script string, env Env) *slog.Logger {
	l := h.Log
	if l == nil {
		l = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return l.With("script", "openvpn "+script, "src", env.Source())
}

// Verify is the --auth-user-pass-verify script, via-file (the credentials
// file is the last argument) or via-env (no argument; script-security 3).
// It returns ExitSuccess, ExitFailure, or ExitDeferred after writing
// auth_pending_file for a crtext challenge. A CRV1 challenge is written to
// auth_failed_reason_file with ExitFailure.
//
// Server configuration:
//
//	script-security 2
//	auth-user-pass-verify "/usr/bin/otpgate openvpn verify" via-file
func (h *Hook) Verify(ctx context.Context, env Env, args []string) int {
	log := h.log("verify", env)
	user, password, err := ReadCredentials(env, args)
	if err != nil {
		log.Warn("reject: malformed or missing credentials", "user", logUser(env[EnvUsername]), "err", err)
		return ExitFailure
	}
	d := h.Auth.Login(ctx, LoginFromEnv(env, user, password))
	log = log.With("user", logUser(user), "verdict", d.Verdict.String())
	switch d.Verdict {
	case Accept:
		log.Info("accept", "why", d.Why)
		return ExitSuccess
	case Pending:
		return h.pend(log, env, d)
	case Challenge:
		if err := writeFileAtomic(env[EnvAuthFailedReasonFile], []byte(d.ClientReason())); err != nil {
			log.Error("reject: cannot write the dynamic challenge", "err", err)
			return ExitFailure
		}
		log.Info("dynamic challenge sent")
		return ExitFailure
	}
	log.Warn("reject", "why", d.Why)
	return ExitFailure
}

// pend defers the login: the challenge id goes to auth_control_file, the
// challenge to auth_pending_file, and the crresponse script finishes it.
func (h *Hook) pend(log *slog.Logger, env Env, d Decision) int {
	ctl, err := MarshalPendingControl(d.ChallengeID)
	if err == nil {
		err = writeFileAtomic(env[EnvAuthControlFile], ctl)
	}
	var apf []byte
	if err == nil {
		apf, err = PendingFile{Timeout: d.Timeout, Method: MethodCRText, Extra: d.CRText.String()}.Marshal()
	}
	if err == nil {
		err = writeFileAtomic(env[EnvAuthPendingFile], apf)
	}
	if err != nil {
		log.Error("reject: cannot defer the login (OpenVPN 2.6 sets auth_control_file and auth_pending_file)", "err", err)
		return ExitFailure
	}
	log.Info("crtext challenge sent", "timeout", d.Timeout.String())
	return ExitDeferred
}

// CRResponse is the --client-crresponse script: the client's base64 answer
// is in the file named by the last argument, and the challenge id in the
// auth_control_file of the pending key, where Verify left it. It writes '1'
// or '0' there and returns ExitSuccess; it returns ExitFailure, which makes
// OpenVPN reject the client, only when it cannot write the verdict.
//
//	client-crresponse "/usr/bin/otpgate openvpn crresponse"
func (h *Hook) CRResponse(ctx context.Context, env Env, args []string) int {
	log := h.log("crresponse", env).With("user", logUser(env.user()))
	acf := env[EnvAuthControlFile]
	ctl, err := readSmallFile(acf, 2*maxStateID)
	if err != nil {
		log.Error("reject: no auth_control_file", "err", err)
		return ExitFailure
	}
	if len(ctl) > 0 && (ctl[0] == '0' || ctl[0] == '1') {
		log.Warn("ignored: this login is already decided")
		return ExitSuccess
	}
	d := h.answer(ctx, env, args, ctl)
	verdict := "0"
	if d.Verdict == Accept {
		verdict = "1"
	}
	if err := writeFileAtomic(acf, []byte(verdict)); err != nil {
		log.Error("reject: cannot write auth_control_file", "err", err)
		return ExitFailure
	}
	if d.Verdict == Accept {
		log.Info("accept", "why", d.Why)
	} else {
		log.Warn("reject", "why", d.Why)
	}
	return ExitSuccess
}

// answer reads the response and the challenge id and asks the service.
func (h *Hook) answer(ctx context.Context, env Env, args []string, ctl []byte) Decision {
	user := env.user()
	if len(args) == 0 {
		return rejected(user, "no response file argument")
	}
	b, err := readSmallFile(args[len(args)-1], 4*MaxCode+2)
	if err != nil {
		return rejected(user, "response file: "+err.Error())
	}
	code, err := ParseCRResponse(string(b))
	if err != nil {
		return rejected(user, err.Error())
	}
	id, err := ParsePendingControl(ctl)
	if err != nil {
		return rejected(user, err.Error())
	}
	return h.Auth.Answer(ctx, LoginFromEnv(env, user, ""), id, code)
}

// ClientConnect is the --client-connect script. It writes to the dynamic
// configuration file named by the last argument what the login policy's
// rule for the user adds (routes, an address: Authenticator.PolicyConfig)
// and, when otpgate's auth tokens are on and OpenVPN's --auth-gen-token is
// not, `push "auth-token TOKEN"`, so that renegotiations need no new code.
//
//	client-connect "/usr/bin/otpgate openvpn client-connect"
func (h *Hook) ClientConnect(ctx context.Context, env Env, args []string) int {
	log := h.log("client-connect", env).With("user", logUser(env.user()))
	lines, err := h.Auth.PolicyConfig(ctx, env, env.user())
	if err != nil {
		log.Error("refused by the login policy", "err", err)
		return ExitFailure
	}
	pushed := len(lines)
	token := false
	if h.Auth.Tokens != nil {
		if _, ok := env[EnvSessionState]; ok {
			log.Info("no otpgate auth token: --auth-gen-token pushes its own")
		} else {
			tok, err := h.Auth.ConnectConfig(env.user(), env[EnvCertDigest])
			if err != nil {
				log.Error("no auth token", "err", err)
				return ExitFailure
			}
			lines, token = append(lines, tok...), true
		}
	}
	if len(lines) == 0 {
		return ExitSuccess
	}
	if len(args) == 0 {
		log.Error("nothing written: no configuration file argument")
		return ExitFailure
	}
	if err := writeFileAtomic(args[len(args)-1], []byte(strings.Join(lines, "\n")+"\n")); err != nil {
		log.Error("configuration not written", "err", err)
		return ExitFailure
	}
	if pushed > 0 {
		log.Info("login policy options written", "lines", pushed)
	}
	if token {
		log.Info("auth token pushed")
	}
	return ExitSuccess
}
