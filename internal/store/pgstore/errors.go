package pgstore

import (
	"errors"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// SQLSTATE codes the store answers with store.ErrExists and ErrNotFound
// (PostgreSQL, Appendix A. Error Codes).
const (
	uniqueViolation     = "23505"
	foreignKeyViolation = "23503"
)

// Error is every error the store returns: "pgstore: <what>: <cause>", with
// the password removed from the text. Unwrap gives the cause, so that
// errors.Is finds store.ErrNotFound, store.ErrExists, context errors and
// sqlstore.ErrSchemaNewer.
type Error struct {
	msg string
	err error
}

func (e *Error) Error() string { return e.msg }
func (e *Error) Unwrap() error { return e.err }

// fail wraps err, the cause of the failure of what, in an *Error. It says
// so when the cause is that the database cannot be reached.
func (s *Store) fail(what string, err error) error {
	return &Error{msg: s.redact("pgstore: " + what + ": " + s.describe(err)), err: err}
}

// describe returns err's text, prefixed with what it means for the
// database connection when it is a connection failure.
func (s *Store) describe(err error) string {
	var (
		connect *pgconn.ConnectError
		pg      *pgconn.PgError
	)
	switch {
	case errors.As(err, &connect) && errors.As(err, &pg):
		return "cannot log in to the database at " + s.addr + ": " + err.Error()
	case errors.As(err, &connect):
		return "database at " + s.addr + " is unreachable: " + err.Error()
	case lostConnection(err):
		return "lost the connection to the database at " + s.addr + ": " + err.Error()
	}
	return err.Error()
}

// lostConnection reports whether err ended a connection: a network error,
// or the server closing it (SQLSTATE classes 08 connection exception and
// 57P admin or crash shutdown).
func lostConnection(err error) bool {
	var (
		pg     *pgconn.PgError
		netErr net.Error
	)
	if errors.As(err, &pg) {
		return strings.HasPrefix(pg.Code, "08") || strings.HasPrefix(pg.Code, "57P")
	}
	return errors.As(err, &netErr) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// redact replaces every form of the password in msg.
func (s *Store) redact(msg string) string {
	for _, h := range s.hide {
		if h != "" {
			msg = strings.ReplaceAll(msg, h, "xxxxx")
		}
	}
	return msg
}

// constraint returns the constraint that err violated with SQLSTATE code,
// or "" when err is not such a violation.
func constraint(err error, code string) (string, bool) {
	var pg *pgconn.PgError
	if errors.As(err, &pg) && pg.Code == code {
		return pg.ConstraintName, true
	}
	return "", false
}

func isUnique(err error) bool {
	_, ok := constraint(err, uniqueViolation)
	return ok
}
