package pgstore

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzParse feeds the database URL parser any text: it never panics, and
// its error never holds the URL's password; on success the password is
// among the forms redacted from every later error.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"postgres://otpgate:s3cret@db1:5432/otpgate?sslmode=disable",
		"postgresql://otpgate@db1/otpgate?password=s3cret&pool_max_conns=4",
		"postgres://u:p%40ss@[::1]:5432/x?statement_timeout=1s",
		"postgres://u:pw@[::1/x",
		"postgres://h1:5432,h2:5433/otpgate?target_session_attrs=read-write",
		"host=db1 password=s3cret",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		for _, file := range []string{"passfile", "service", "sslcert", "sslkey", "sslrootcert", "sslcrl"} {
			if strings.Contains(raw, file) {
				return // the parser would read a file, perhaps /dev/zero
			}
		}
		cfg, s, err := parse(raw)
		pw := ""
		if u, uerr := url.Parse(raw); uerr == nil {
			pw, _ = u.User.Password()
		}
		if err != nil {
			if len(pw) >= 4 && strings.Contains(err.Error(), pw) && strings.Count(raw, pw) == 1 {
				t.Errorf("parse(%q) error %q holds the password", raw, err)
			}
			return
		}
		if p := cfg.ConnConfig.Password; p != "" && s.redact(p) == p {
			t.Errorf("parse(%q): the password %q is not redacted from errors", raw, p)
		}
	})
}
