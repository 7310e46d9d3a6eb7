package oob

import "strings"

// Mask returns addr as replies, logs and the audit trail show it: the first
// character of a mail address's local part and its domain
// ("a***@example.org", also for an email-to-SMS alias), or a phone number's
// first two and last two characters with the others starred
// ("+1*******67"). A number of six characters or fewer shows only its last
// two. Mask never returns more than that of addr, whatever addr is.
func Mask(addr string) string {
	if local, domain, ok := strings.Cut(addr, "@"); ok {
		if local == "" {
			return "***@" + domain
		}
		return firstRune(local) + "***@" + domain
	}
	r := []rune(addr)
	switch {
	case len(r) <= 2:
		return strings.Repeat("*", len(r))
	case len(r) <= 6:
		return strings.Repeat("*", len(r)-2) + string(r[len(r)-2:])
	}
	return string(r[:2]) + strings.Repeat("*", len(r)-4) + string(r[len(r)-2:])
}

func firstRune(s string) string {
	for _, r := range s {
		return string(r)
	}
	return ""
}
