package auth

import (
	"context"

	"otpgate.dev/otpgate/internal/primary"
)

// appended splits "password+code" at each length a code of the user's can
// have, and checks the password of every split, right or wrong: stopping at
// the right one would make a right password answer sooner. The code of the
// first split whose password is right goes to the engine; with none, the
// first split's code goes there refused, so that the engine does the same
// work. A login so costs one password check per length and one
// verification, whatever the password.
func (s *Service) appended(ctx context.Context, req Request, lg *login, deny string) (Response, error) {
	if _, none := s.cfg.Primary.(primary.None); none {
		return s.verify(ctx, req, lg, req.User, req.Password, deny) // no password: all of it is the code
	}
	lengths := lg.codeLengths(s.cfg.CodeLengths)
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
	return s.verify(ctx, req, lg, req.User, code, deny)
}

// yubicoOTPLength is a Yubico OTP's length: a 12-character public id and a
// 32-character modhex block.
const yubicoOTPLength = 44
