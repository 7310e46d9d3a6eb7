package auth

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	"otpgate.dev/otpgate/internal/store"
)

// issue stores a challenge for req.User that the code must answer before
// it expires; data says what answers it (oob.go).
func (s *Service) issue(ctx context.Context, req Request, data, prompt string) (Response, error) {
	now := s.now()
	c := store.Challenge{ID: rand.Text(), User: req.User, Kind: string(req.Frontend), Data: []byte(data),
		Expires: now.Add(s.cfg.ChallengeTTL), Created: now}
	return s.putChallenge(ctx, c, prompt)
}

// putChallenge stores c and returns the response that shows prompt.
func (s *Service) putChallenge(ctx context.Context, c store.Challenge, prompt string) (Response, error) {
	if err := s.store.PutChallenge(ctx, c); err != nil {
		return Response{}, fmt.Errorf("auth: store challenge: %w", err)
	}
	return Response{Outcome: ChallengeIssued, User: c.User, Challenge: &PendingChallenge{
		ID: c.ID, Prompt: prompt, Echo: true, Expires: c.Expires}}, nil
}

// answer consumes the challenge (once, and never late) and verifies the
// code for the user the challenge was issued to.
func (s *Service) answer(ctx context.Context, req Request, deny string) (Response, error) {
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
	if c.Kind == kindForward {
		if deny != "" {
			return Response{Outcome: Reject, User: c.User, Reason: deny}, nil
		}
		return s.forwardAnswer(ctx, req, c, code)
	}
	if s.isOOBChallenge(c) {
		return s.answerOOB(ctx, req, c, code, deny)
	}
	lg, refused, err := s.policyFor(ctx, req, c.User)
	if err != nil || refused != nil {
		return deref(refused), err
	}
	resp, err := s.verify(ctx, req, lg, c.User, code, deny)
	return lg.finish(resp), err
}
