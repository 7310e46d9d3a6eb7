package site

import (
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

func TestRedact(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"/var/lib/otpgate/otpgate.db", "/var/lib/otpgate/otpgate.db"},
		{"postgres://otpgate:s3cret@db1:5432/otpgate?sslmode=require", "postgres://otpgate:xxxxx@db1:5432/otpgate?sslmode=require"},
		{"postgresql://db1/otpgate", "postgresql://db1/otpgate"},
		{"postgres://u:p@[::1/x", "postgres://(unparsable URL)"},
		{"postgres://otpgate@db1/otpgate?password=s3cret&sslmode=require", "postgres://otpgate@db1/otpgate?password=xxxxx&sslmode=require"},
		{"postgres://otpgate@db1/otpgate?sslpassword=s3cret&sslkey=/etc/k", "postgres://otpgate@db1/otpgate?sslkey=%2Fetc%2Fk&sslpassword=xxxxx"},
		{"postgres://otpgate@db1/otpgate?PASSWORD=s3cret", "postgres://otpgate@db1/otpgate?PASSWORD=xxxxx"},
		{"postgres://otpgate@db1/otpgate?password=a&password=b", "postgres://otpgate@db1/otpgate?password=xxxxx"},
		{"postgres://otpgate@db1/otpgate?passfile=/etc/otpgate/pgpass", "postgres://otpgate@db1/otpgate?passfile=%2Fetc%2Fotpgate%2Fpgpass"},
		{"postgres://db1/otpgate?password=%zz", "postgres://(unparsable URL)"},
		{"postgres://db1/otpgate#password=s3cret", "postgres://db1/otpgate"},
		{"host=db1 password=s3cret dbname=otpgate", "host=db1 password=xxxxx dbname=otpgate"},
		{"host=db1 password = 's3 cr\\'et' sslpassword=k3y", "host=db1 password=xxxxx sslpassword=xxxxx"},
		{"host=db1 password=s3\\ cret", "host=db1 password=xxxxx"},
	} {
		if got := Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

// survives reports whether a secret pw, or a form of it a URL may hold,
// is in out but not in rest, what Redact made of the same URL without its
// secrets: a secret also written as the user name or the host is left.
func survives(out, pw, rest string) bool {
	if len(pw) < 3 {
		return false
	}
	for _, form := range []string{pw, url.QueryEscape(pw), url.PathEscape(pw), (&url.URL{User: url.UserPassword("", pw)}).String()[3:]} {
		if len(form) >= 3 && strings.Contains(out, form) && !strings.Contains(rest, form) {
			return true
		}
	}
	return false
}

// FuzzRedactURL builds URLs with a password in each place libpq reads one
// and checks that Redact keeps none of them.
func FuzzRedactURL(f *testing.F) {
	f.Add("otpgate", "s3cret", "db1:5432", "otpgate", "sslmode=require", "p@ss w/rd")
	f.Add("", "", "[::1]", "", "", "k3y&x=y")
	f.Add("u:x", "%41%42", "h", "d?b", "password=inner", "'quoted'")
	f.Fuzz(func(t *testing.T, user, pw, host, path, extra, qpw string) {
		build := func(pw, qpw string) string {
			u := url.URL{Scheme: "postgres", User: url.UserPassword(user, pw), Host: host, Path: "/" + path}
			u.RawQuery = url.Values{"password": {qpw}, "sslpassword": {qpw}}.Encode() + "&" + extra
			return u.String()
		}
		in := build(pw, qpw)
		out, rest := Redact(in), Redact(build("", ""))
		if survives(out, pw, rest) {
			t.Errorf("Redact(%q) = %q keeps the user's password %q", in, out, pw)
		}
		if survives(out, qpw, rest) {
			t.Errorf("Redact(%q) = %q keeps the query's password %q", in, out, qpw)
		}
	})
}

// FuzzRedact feeds Redact any text, URL or libpq keyword/value string, and
// checks that the password pgx would connect with is not in its output.
func FuzzRedact(f *testing.F) {
	for _, s := range []string{
		"postgres://otpgate:s3cret@db1:5432/otpgate?sslmode=require",
		"postgres://db1/otpgate?password=s3cret",
		"host=db1 password='s3 cr\\'et' dbname=otpgate",
		"host=db1 password=s3\\ cret",
		"/var/lib/otpgate/otpgate.db",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Redact(s)
		for _, file := range []string{"passfile", "service", "sslcert", "sslkey", "sslrootcert", "sslcrl"} {
			if strings.Contains(s, file) {
				return // pgx would read a file, perhaps /dev/zero
			}
		}
		cfg, err := pgconn.ParseConfig(s)
		if err != nil || cfg.Password == "" {
			return
		}
		pw := cfg.Password
		if strings.Count(s, pw) > 1 || len(pw) < 3 || strings.Contains(redacted, pw) {
			return // the password is also elsewhere (a user named like it)
		}
		if strings.Contains(out, pw) {
			t.Errorf("Redact(%q) = %q keeps the password %q", s, out, pw)
		}
	})
}
