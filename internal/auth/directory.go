package auth

import (
	"context"
	"fmt"

	"otpgate.dev/otpgate/internal/directory"
	"otpgate.dev/otpgate/internal/store"
)

// Directory is what the service asks of a user directory (Config.Directory):
// package directory's *Directory, through [Users].
//
// With a directory every login name is mapped to its canonical name (the
// one tokens are stored under) before anything else, and a login of a user
// the directory does not know, has disabled, or whose groups do not permit
// it is refused, in every style, as a wrong password is: with the same work
// (the code checked and counted, the client counted), the directory's
// reason in the audit trail. A login whose user is only known afterwards (a
// challenge answered without a name, a code naming its token) is checked
// once the code was right. When the name as given differs from the
// canonical one, an audit event "name" records both, and the Response
// names the user as given: the front ends refuse an answer for another user
// than the client named, and this is the same user.
type Directory interface {
	// Canonical maps a name as given to the name tokens are stored under;
	// an error refuses the name.
	Canonical(given string) (string, error)
	// Deny says why the directory refuses a login of user, "" when it
	// permits one; an error means it could not answer.
	Deny(ctx context.Context, user string) (string, error)
}

// Users is d as the service's Directory.
func Users(d *directory.Directory) Directory { return users{d} }

type users struct{ d *directory.Directory }

func (u users) Canonical(given string) (string, error) {
	n, err := u.d.Canonical(given)
	return n.Canonical, err
}

func (u users) Deny(ctx context.Context, user string) (string, error) {
	entry, err := u.d.Lookup(ctx, user)
	if err == nil {
		err = u.d.Permit(entry)
	}
	switch {
	case err == nil:
		return "", nil
	case directory.Refused(err):
		return err.Error(), nil
	}
	return "", fmt.Errorf("auth: directory: %w", err)
}

// directoryName maps the name of req (already canonical for package
// username) to the directory's canonical name.
func (s *Service) directoryName(req *Request) error {
	if s.cfg.Directory == nil || req.User == "" {
		return nil
	}
	name, err := s.cfg.Directory.Canonical(req.User)
	if err != nil {
		return err
	}
	req.User = name
	return nil
}

// directoryDenied is the directory's refusal of user, "" without a
// directory or a user.
func (s *Service) directoryDenied(ctx context.Context, user string) (string, error) {
	if s.cfg.Directory == nil || user == "" {
		return "", nil
	}
	return s.cfg.Directory.Deny(ctx, user)
}

// directoryAfter applies the directory to a login whose user the request
// did not name and that next accepted, and renames the user of resp as
// given.
func (s *Service) directoryAfter(ctx context.Context, req Request, given string, resp Response) (Response, error) {
	if s.cfg.Directory == nil {
		return resp, nil
	}
	if resp.Outcome == Accept && req.User == "" {
		deny, err := s.cfg.Directory.Deny(ctx, resp.User)
		if err != nil {
			return Response{}, err
		}
		if deny != "" {
			s.audit(ctx, req, store.AuditEvent{Action: store.ActionLogin, User: resp.User, Result: store.ResultFail, Reason: deny})
			return Response{Outcome: Reject, User: resp.User, Canonical: resp.User, Reason: deny}, nil
		}
	}
	if given != "" && given != req.User {
		s.audit(ctx, req, store.AuditEvent{Action: store.ActionName, User: req.User, Result: store.ResultOK, Reason: "given as " + given})
		if resp.User == req.User {
			resp.User = given
		}
	}
	return resp, nil
}

// audit records e for req; a failure to record it does not change the
// login's outcome, which the engine has recorded already.
func (s *Service) audit(ctx context.Context, req Request, e store.AuditEvent) {
	e.Time, e.Actor, e.Source = s.now(), req.Frontend, req.Source
	_ = s.store.AppendAudit(ctx, e)
}

// directoryActive maps user to its canonical name and says whether the
// directory still permits it; without a directory, user as it is.
func (s *Service) directoryActive(ctx context.Context, user string) (string, bool, error) {
	if s.cfg.Directory == nil {
		return user, true, nil
	}
	name, err := s.cfg.Directory.Canonical(user)
	if err != nil {
		return "", false, nil
	}
	deny, err := s.cfg.Directory.Deny(ctx, name)
	return name, err == nil && deny == "", err
}
