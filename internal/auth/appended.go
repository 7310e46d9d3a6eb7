package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"otpgate.dev/otpgate/internal/primary"
	"otpgate.dev/otpgate/internal/store"
)

// appended splits "password+code" at each length a code of the user's can
// have, and checks the password of every split, right or wrong: stopping at
// the right one would make a right password answer sooner. The code of the
// first split whose password is right goes to the engine; with none, the
// first split's code goes there refused, so that the engine does the same
// work. A login so costs one password check per length and one
// verification, whatever the password.
func (s *Service) appended(ctx context.Context, req Request, deny string) (Response, error) {
	if _, none := s.cfg.Primary.(primary.None); none {
		return s.verify(ctx, req, req.User, req.Password, deny) // no password: all of it is the code
	}
	lengths, err := s.codeLengths(ctx, req.User)
	if err != nil {
		return Response{}, err
	}
	code, right, tried := "", false, false
	for _, n := range lengths {
		if len(req.Password) < n {
			continue
		}
		cut := len(req.Password) - n
		ok, err := s.cfg.Primary.Check(ctx, req.User, req.Password[:cut])
		if err != nil {
			return Response{}, err
		}
		if !tried || ok && !right {
			code = req.Password[cut:]
		}
		tried, right = true, right || ok
	}
	switch {
	case deny != "":
	case !tried:
		deny = ReasonNoCodeAtEnd
	case !right:
		deny = ReasonWrongPassword
	}
	return s.verify(ctx, req, req.User, code, deny)
}

// codeLengths returns the lengths a code appended to user's password can
// have, longest first: those of the user's enabled tokens (its digits, an
// identifier's length plus digits, a Yubico OTP's 44 characters). A user
// with none is refused whatever the split; it gets one check, with the
// shortest configured length, so that it costs what a user with one token
// costs. Each length costs one primary check, and a wrong password counts
// against the account in PAM (pam_faillock) and can fail hard (pam_exec),
// so a user is not tried with lengths their tokens cannot send: a user
// whose tokens take codes of two lengths has one wrong check on every login.
func (s *Service) codeLengths(ctx context.Context, user string) ([]int, error) {
	toks, err := s.store.Tokens(ctx, user)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("auth: tokens of %q: %w", user, err)
	}
	var ns []int
	for _, t := range toks {
		if !t.Enabled || t.Type.OutOfBand() {
			continue // an appended code cannot come from an out-of-band token
		}
		n := t.Params.Digits + len(t.Identifier)
		if t.Type == store.Yubico {
			n = yubicoOTPLength
		}
		if !slices.Contains(ns, n) {
			ns = append(ns, n)
		}
	}
	if len(ns) == 0 {
		return s.cfg.CodeLengths[len(s.cfg.CodeLengths)-1:], nil
	}
	slices.SortFunc(ns, func(a, b int) int { return b - a })
	return ns, nil
}

// yubicoOTPLength is a Yubico OTP's length: a 12-character public id and a
// 32-character modhex block.
const yubicoOTPLength = 44
