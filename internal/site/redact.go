package site

import (
	"errors"
	"net/url"
	"regexp"
	"strings"
)

// redacted stands in for a credential in Redact's output.
const redacted = "xxxxx"

// secretParams are the connection parameters of libpq (and pgx, which
// reads the same) that hold a secret: the password and the client key's
// passphrase. passfile, sslkey and the like name files and are kept.
// https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-PARAMKEYWORDS
var secretParams = []string{"password", "sslpassword"}

// keywordSecret finds a secret in libpq's keyword/value form
// ("host=db1 password='s p'"): the value is quoted with single quotes or
// runs to the next white space, and in both a backslash escapes the next
// character.
var keywordSecret = regexp.MustCompile(`(?is)\b(ssl)?password\s*=\s*('(?:\\.|[^'\\])*'?|(?:\\.|[^\s\\])*\\?)`)

// IsURL reports whether db names a PostgreSQL database rather than a file:
// it starts with postgres:// or postgresql://.
func IsURL(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// checkDBName refuses a libpq keyword/value string where a database is
// named: otpgate would take it for a file name and print it, password and
// all.
func checkDBName(db string) error {
	if IsURL(db) || !keywordSecret.MatchString(db) && !strings.Contains(db, "host=") && !strings.Contains(db, "dbname=") {
		return nil
	}
	return errors.New("site: db looks like a libpq keyword/value string; otpgate takes a SQLite file path or a postgres://user:password@host/dbname URL")
}

// Redact returns db fit for a log line or an error: a URL without the
// password of its user information or of its query (password=,
// sslpassword=), and any other text without the values of password= and
// sslpassword= keywords.
func Redact(db string) string {
	if !IsURL(db) {
		return keywordSecret.ReplaceAllString(db, "${1}password="+redacted)
	}
	u, err := url.Parse(db)
	if err != nil {
		return "postgres://(unparsable URL)"
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), redacted)
	}
	if u.RawQuery != "" {
		q, err := url.ParseQuery(u.RawQuery)
		if err != nil {
			return "postgres://(unparsable URL)"
		}
		for k := range q {
			if isSecretParam(k) {
				q[k] = []string{redacted}
			}
		}
		u.RawQuery = q.Encode()
	}
	// The fragment and an opaque part are not PostgreSQL's: drop them
	// rather than judge what they hold.
	u.Fragment, u.RawFragment, u.Opaque = "", "", ""
	return u.String()
}

func isSecretParam(k string) bool {
	for _, p := range secretParams {
		if strings.EqualFold(k, p) {
			return true
		}
	}
	return false
}
