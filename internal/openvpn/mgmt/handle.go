package mgmt

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"otpgate.dev/otpgate/internal/openvpn"
)

// denyReason is the server-log reason of client-deny; the client is never
// told why.
const denyReason = "otpgate: authentication failed"

// handle decides one client event and answers OpenVPN. It runs on its own
// goroutine.
func (ss *serverSession) handle(ctx context.Context, ev *ClientEvent) {
	defer ss.wg.Done()
	ctx, cancel := context.WithTimeout(ctx, orDefault(ss.srv.AuthTimeout, DefaultAuthTimeout))
	defer cancel()
	a := ss.srv.Auth
	var d openvpn.Decision
	switch ev.Kind {
	case KindConnect, KindReauth:
		user, password := ev.Env[openvpn.EnvUsername], ev.Env[openvpn.EnvPassword]
		if _, ok := ev.Env[openvpn.EnvPassword]; !ok {
			d = openvpn.Decision{Why: "no password in the ENV block (env-filter must stay 0)"}
		} else {
			d = a.Login(ctx, openvpn.LoginFromEnv(ev.Env, user, password))
		}
	case KindCRResponse:
		d = ss.answer(ctx, ev)
	case KindDisconnect:
		ss.take(ev.CID)
		return
	default:
		return
	}
	ss.respond(ev, d)
}

// answer decides the response to a pending crtext challenge.
func (ss *serverSession) answer(ctx context.Context, ev *ClientEvent) openvpn.Decision {
	p, ok := ss.take(ev.CID)
	if !ok {
		return openvpn.Decision{Why: "a challenge response without a pending challenge"}
	}
	code, err := openvpn.ParseCRResponse(ev.Response)
	if err != nil {
		return openvpn.Decision{User: p.user, Why: err.Error()}
	}
	return ss.srv.Auth.Answer(ctx, openvpn.LoginFromEnv(ev.Env, p.user, ""), p.challengeID, code)
}

func (ss *serverSession) take(cid uint64) (pending, bool) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	p, ok := ss.pending[cid]
	delete(ss.pending, cid)
	return p, ok
}

// respond carries out d. A decision OpenVPN does not take becomes a denial.
func (ss *serverSession) respond(ev *ClientEvent, d openvpn.Decision) {
	log := ss.srv.log().With("cid", ev.CID, "event", ev.Kind, "user", d.User, "src", ev.Env.Source(), "verdict", d.Verdict.String())
	cmd, err := ss.commandFor(ev, d)
	if err == nil {
		if d.Verdict == openvpn.Pending {
			ss.mu.Lock()
			ss.pending[ev.CID] = pending{user: d.User, challengeID: d.ChallengeID}
			ss.mu.Unlock()
		}
		err = ss.command(cmd)
	}
	if err != nil {
		ss.take(ev.CID)
		log.Error("mgmt: cannot answer; denying", "err", err)
		if d.Verdict != openvpn.Reject {
			ss.command(deny(ev))
		}
		return
	}
	if d.Verdict == openvpn.Reject {
		log.Warn("mgmt: reject", "why", d.Why)
		if ev.Kind == KindReauth {
			ss.kill(log, ev)
		}
		return
	}
	log.Info("mgmt: "+d.Verdict.String(), "why", d.Why)
}

// kill ends the session of a client whose renegotiation was refused (its
// user was disabled or deleted, its token expired). client-deny only fails
// the new key: the old one carries the tunnel until the transition window
// ends, 10 to 15 s later. client-kill ends it now; the client is told to
// restart (RESTART), and its next login is a full one.
func (ss *serverSession) kill(log *slog.Logger, ev *ClientEvent) {
	if err := ss.command(fmt.Sprintf("client-kill %d", ev.CID)); err != nil {
		log.Error("mgmt: cannot end the session of a refused renegotiation", "err", err)
		return
	}
	log.Info("mgmt: session ended: its renegotiation was refused")
}

// commandFor returns the command that carries out d for ev.
func (ss *serverSession) commandFor(ev *ClientEvent, d openvpn.Decision) (string, error) {
	ids := []string{strconv.FormatUint(ev.CID, 10), strconv.FormatUint(ev.KID, 10)}
	switch d.Verdict {
	case openvpn.Accept:
		if ev.Kind == KindReauth {
			return "client-auth-nt " + strings.Join(ids, " "), nil
		}
		return ss.clientAuth(ids, ev, d)
	case openvpn.Pending:
		line, err := command(append([]string{"client-pending-auth"}, ids...), d.CRText.String())
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%s %d", line, int(d.Timeout.Seconds())), nil
	case openvpn.Challenge:
		return command(append([]string{"client-deny"}, ids...), denyReason, d.ClientReason())
	}
	return deny(ev), nil
}

// clientAuth accepts a new connection, pushing an auth token when the
// authenticator signs them and --auth-gen-token is not on.
func (ss *serverSession) clientAuth(ids []string, ev *ClientEvent, d openvpn.Decision) (string, error) {
	lines, err := ss.srv.Auth.PolicyConfig(context.Background(), ev.Env, d.User)
	if err != nil {
		return "", err
	}
	if _, genToken := ev.Env[openvpn.EnvSessionState]; !genToken {
		tok, err := ss.srv.Auth.ConnectConfig(d.User, ev.Env[openvpn.EnvCertDigest])
		if err != nil {
			return "", err
		}
		lines = append(lines, tok...)
	}
	for _, l := range lines {
		if strings.ContainsAny(l, "\r\n") {
			return "", fmt.Errorf("mgmt: a configuration line spans lines")
		}
	}
	return "client-auth " + strings.Join(ids, " ") + "\n" + strings.Join(append(lines, "END"), "\n"), nil
}

// deny returns a client-deny without a client reason.
func deny(ev *ClientEvent) string {
	return fmt.Sprintf(`client-deny %d %d "%s"`, ev.CID, ev.KID, denyReason)
}
