package portal

import (
	"net/url"
	"testing"

	"otpgate.dev/otpgate/internal/web/portal/settings"
)

// The audit view's filters come from any URL: they parse or are refused,
// and a day's "until" takes in the whole day.
func FuzzParseAuditQuery(f *testing.F) {
	for _, s := range []string{"user=alice&since=2026-11-23&before=2026-11-24", "action=console&result=ok", "since=2026-11-23T08:00:00Z", "before=x", "since=%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		a, err := parseAuditQuery(q)
		if err != nil {
			return
		}
		if a.Since == "" && !a.since.IsZero() || a.Before == "" && !a.before.IsZero() {
			t.Errorf("parseAuditQuery(%q) = %+v: a bound from nothing", raw, a)
		}
	})
}

// A cookie value or an invitation's code reaches the store only in the
// form the portal makes.
func FuzzValidValue(f *testing.F) {
	f.Add(newValue())
	f.Add("short")
	f.Fuzz(func(t *testing.T, v string) {
		if validValue(v) && (len(v) != 26 || url.QueryEscape(v) != v) {
			t.Errorf("validValue(%q) = true", v)
		}
	})
}

func FuzzParsePublicURL(f *testing.F) {
	for _, s := range []string{"https://vpn.example.org", "https://vpn.example.org:8443/", "http://x", "https://u@h", "https://h/p?q"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := settings.ParsePublicURL(s)
		if err == nil && (u.Scheme != "https" || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.User != nil) {
			t.Errorf("ParsePublicURL(%q) = %v; want refused", s, u)
		}
	})
}
