package mgmt

import (
	"context"
	"encoding/base64"
	"fmt"

	"otpgate.dev/otpgate/internal/openvpn"
)

// codePrompt is the prompt for a code that no server text announced.
const codePrompt = "One-time code"

// password answers a >PASSWORD: notification.
func (s *clientSession) password(ctx context.Context, payload string) error {
	p, err := ParsePassword(payload)
	if err != nil {
		s.log.Warn("mgmt: ignored a malformed password notification", "err", err)
		return nil
	}
	switch {
	case p.AuthToken:
		s.log.Info("mgmt: the server pushed an auth token")
	case p.Failed:
		return s.refused(p)
	case p.Need:
		return s.credentials(ctx, p)
	}
	return nil
}

// refused notes a refusal; a dynamic challenge is answered at the next
// prompt, which follows the client's reconnection.
func (s *clientSession) refused(p Password) error {
	if c, ok := p.DynamicChallenge(); ok {
		s.crv1 = &c
		s.log.Info("mgmt: dynamic challenge received")
		return nil
	}
	s.failed = true
	s.log.Warn("mgmt: the server refused the login")
	if s.bare {
		if s.bareNo++; s.bareNo > AutoAttempts {
			return ErrPasswordRefused
		}
	}
	return nil
}

// credentials answers the username/password prompt.
func (s *clientSession) credentials(ctx context.Context, p Password) error {
	user, pw, err := s.secret(ctx, p)
	if err != nil {
		return err
	}
	for _, cmd := range [][2]string{{"username", user}, {"password", pw}} {
		line, err := command([]string{cmd[0], `"Auth"`}, cmd[1])
		if err != nil {
			return fmt.Errorf("mgmt: cannot send the %s: %w", cmd[0], err)
		}
		if err := s.send(line); err != nil {
			return err
		}
	}
	return nil
}

// secret returns what to send for the prompt p.
func (s *clientSession) secret(ctx context.Context, p Password) (user, password string, err error) {
	c := s.c
	if ch := s.crv1; ch != nil {
		s.crv1 = nil
		code, err := s.code(ctx, ch.Text, ch.Echo)
		return ch.User, openvpn.FormatCRV1Answer(ch.StateID, code), err
	}
	if sc := p.StaticChallenge; sc != nil {
		code, err := s.code(ctx, sc.Text, sc.Echo)
		if sc.Concat {
			return c.Username, c.Password + code, err
		}
		return c.Username, openvpn.FormatSCRV1(c.Password, code), err
	}
	switch c.Style {
	case openvpn.StyleAppend:
		code, err := s.code(ctx, codePrompt, false)
		return c.Username, c.Password + code, err
	case openvpn.StyleCode:
		code, err := s.code(ctx, codePrompt, false)
		return c.Username, code, err
	}
	s.bare = true
	return c.Username, c.Password, nil
}

// crtext answers a crtext challenge with cr-response.
func (s *clientSession) crtext(ctx context.Context, payload string) error {
	ch, err := openvpn.ParseCRText(payload)
	if err != nil {
		s.log.Warn("mgmt: ignored a malformed crtext challenge", "err", err)
		return nil
	}
	s.log.Info("mgmt: crtext challenge received")
	code, err := s.code(ctx, ch.Text, ch.Echo)
	if err != nil {
		return err
	}
	return s.send("cr-response " + base64.StdEncoding.EncodeToString([]byte(code)))
}
