package auth

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	layeh "layeh.com/radius"

	"otpgate.dev/otpgate/internal/radproxy"
	"otpgate.dev/otpgate/internal/store"
)

// Forwarder sends a login to legacy RADIUS servers (a radproxy.Client).
type Forwarder interface {
	Exchange(ctx context.Context, req radproxy.Request) (radproxy.Response, error)
}

// Forward is one [[policy.forward]]: its servers, and whether they get the
// code alone.
type Forward struct {
	Client Forwarder
	// CodeOnly sends the code alone, after otpgate has checked the
	// primary password; otherwise the password field goes as the user
	// typed it (an RSA PIN and tokencode).
	CodeOnly bool
}

// kindForward marks a challenge that a legacy server issued: its Data is a
// forwardState, and its answer goes back to that server.
const kindForward = "forward"

// forwardState is what a forwarded challenge keeps: the legacy server
// that asked and its State, which the NAS never sees.
type forwardState struct {
	Group  string `json:"group"`
	Server int    `json:"server"`
	State  []byte `json:"state"`
}

// Attribute types read from a legacy server's challenge (RFC 2865 section
// 5.18, RFC 2869 section 5.10).
const (
	attrReplyMessage = 18
	attrPrompt       = 76
)

// forward sends the login to the legacy servers of the rule: the user holds
// no token that the rule allows.
func (s *Service) forward(ctx context.Context, req Request, lg *login) (Response, error) {
	fw, ok := s.cfg.Forward[lg.decision.Forward]
	if !ok {
		return Response{}, fmt.Errorf("auth: rule %q forwards to %q, which is not configured", lg.decision.Rule, lg.decision.Forward)
	}
	password := req.Password
	if req.Style == Separate {
		password += req.Code
	}
	if fw.CodeOnly {
		code, ok, err := s.splitForForward(ctx, req)
		if err != nil {
			return Response{}, err
		}
		if !ok {
			resp, err := s.refusePassword(ctx, req)
			return lg.finish(resp), err
		}
		password = code
	}
	r, err := fw.Client.Exchange(ctx, radproxy.Request{User: req.User, Password: []byte(password), Attributes: nasAttributes(req)})
	return s.forwarded(ctx, req, lg.decision.Forward, req.User, r, err, lg)
}

// splitForForward checks the primary password and returns the code part:
// the code field (Separate, Challenge answers) or the end of the password
// field at the first configured length whose rest is the password.
func (s *Service) splitForForward(ctx context.Context, req Request) (string, bool, error) {
	if req.Style == Separate {
		ok, err := s.cfg.Primary.Check(ctx, req.User, req.Password)
		return req.Code, ok, err
	}
	for _, n := range s.cfg.CodeLengths {
		if len(req.Password) < n {
			continue
		}
		cut := len(req.Password) - n
		ok, err := s.cfg.Primary.Check(ctx, req.User, req.Password[:cut])
		if err != nil || ok {
			return req.Password[cut:], ok, err
		}
	}
	return "", false, nil
}

// forwardAnswer sends the answer to a legacy server's challenge to that
// server, with its State.
func (s *Service) forwardAnswer(ctx context.Context, req Request, c store.Challenge, code string) (Response, error) {
	var st forwardState
	if err := json.Unmarshal(c.Data, &st); err != nil {
		return Response{}, fmt.Errorf("auth: forwarded challenge %s: %w", c.ID, err)
	}
	fw, ok := s.cfg.Forward[st.Group]
	if !ok {
		return Response{Outcome: Reject, User: c.User, Reason: "the challenge's legacy servers " + st.Group + " are no longer configured"}, nil
	}
	r, err := fw.Client.Exchange(ctx, radproxy.Request{User: c.User, Password: []byte(code), State: st.State, Server: st.Server, Attributes: nasAttributes(req)})
	lg, refused, derr := s.policyFor(ctx, req, c.User)
	if derr != nil || refused != nil {
		return deref(refused), derr
	}
	return s.forwarded(ctx, req, st.Group, c.User, r, err, lg)
}

// forwarded turns a legacy server's answer into the service's: an
// Access-Accept with the rule's reply and the server's attributes, a
// refusal, or a challenge of otpgate's own that remembers the server's.
// No answer at all refuses the login.
func (s *Service) forwarded(ctx context.Context, req Request, group, user string, r radproxy.Response, err error, lg *login) (Response, error) {
	if errors.Is(err, radproxy.ErrNoAnswer) {
		s.auditForward(ctx, req, user, "fail", err.Error())
		return lg.finish(Response{Outcome: Reject, User: user, Reason: err.Error()}), nil
	}
	if err != nil {
		return Response{}, fmt.Errorf("auth: forward to %s: %w", group, err)
	}
	switch r.Code {
	case layeh.CodeAccessAccept:
		s.auditForward(ctx, req, user, "ok", "accepted by "+group)
		resp := lg.finish(Response{Outcome: Accept, User: user, Reason: "accepted by " + group})
		resp.Passed = r.Attributes
		return resp, nil
	case layeh.CodeAccessChallenge:
		return s.forwardChallenge(ctx, req, group, user, r, lg)
	}
	s.auditForward(ctx, req, user, "fail", "refused by "+group)
	return lg.finish(Response{Outcome: Reject, User: user, Reason: "refused by " + group}), nil
}

// forwardChallenge stores the legacy server's challenge under an ID of
// otpgate's own and passes its prompt on.
func (s *Service) forwardChallenge(ctx context.Context, req Request, group, user string, r radproxy.Response, lg *login) (Response, error) {
	data, err := json.Marshal(forwardState{Group: group, Server: r.Server, State: r.State})
	if err != nil {
		return Response{}, err
	}
	now := s.now()
	c := store.Challenge{ID: rand.Text(), User: user, Kind: kindForward, Data: data, Expires: now.Add(s.cfg.ChallengeTTL), Created: now}
	if err := s.store.PutChallenge(ctx, c); err != nil {
		return Response{}, fmt.Errorf("auth: store forwarded challenge: %w", err)
	}
	var prompt []string
	for _, a := range r.Attributes {
		if a.Type == attrReplyMessage {
			prompt = append(prompt, string(a.Attribute))
		}
	}
	text := strings.Join(prompt, "")
	if text == "" {
		text = s.cfg.Prompt
	}
	echo := true
	if p, ok := r.Attributes.Lookup(attrPrompt); ok && len(p) == 4 && p[3] == 0 {
		echo = false
	}
	s.auditForward(ctx, req, user, "challenge", "challenged by "+group)
	resp := lg.finish(Response{Outcome: ChallengeIssued, User: user, Reason: "challenged by " + group,
		Challenge: &PendingChallenge{ID: c.ID, Prompt: text, Echo: echo, Expires: c.Expires}})
	return resp, nil
}

func nasAttributes(req Request) layeh.Attributes {
	if req.Attributes == nil {
		return nil
	}
	return *req.Attributes
}

func (s *Service) auditForward(ctx context.Context, req Request, user string, result store.Result, reason string) {
	s.audit(ctx, req, store.AuditEvent{Action: store.ActionForward, User: user, Result: result, Reason: reason})
}
