package ykoath

import (
	"fmt"
	"strings"
	"time"
)

// Find picks the credential that name designates, for
// `otpgate code --token-mode yubioath --token-secret NAME`:
//
//   - an empty name picks the first credential, as OpenConnect does;
//   - a credential whose ID is exactly name wins;
//   - otherwise name may be written "issuer:name" or "period/issuer:name"
//     (also "30/..." for the default period), as ykman shows IDs;
//   - otherwise a bare name matches a credential of that name if only one
//     credential has it.
//
// Two credentials matching the same form give an error listing them; no
// match gives an error listing every credential's ID.
func Find(creds []Credential, name string) (Credential, error) {
	if name == "" {
		if len(creds) == 0 {
			return Credential{}, fmt.Errorf("ykoath: no credentials on the card")
		}
		return creds[0], nil
	}
	for _, c := range creds {
		if c.ID == name {
			return c, nil
		}
	}
	for _, matches := range []func(Credential) bool{
		func(c Credential) bool { return containsForm(c, name) },
		func(c Credential) bool { return c.Name == name },
	} {
		var hits []Credential
		for _, c := range creds {
			if matches(c) {
				hits = append(hits, c)
			}
		}
		switch len(hits) {
		case 0:
			continue
		case 1:
			return hits[0], nil
		}
		return Credential{}, fmt.Errorf("ykoath: credential %q is ambiguous: it matches %s; give the full ID", name, ids(hits))
	}
	if len(creds) == 0 {
		return Credential{}, fmt.Errorf("ykoath: credential %q not found: the card has no credentials", name)
	}
	return Credential{}, fmt.Errorf("ykoath: credential %q not found (available: %s)", name, ids(creds))
}

// containsForm reports whether name is one of the ways ykman users write
// c's ID: with or without the issuer prefix, with or without the period.
func containsForm(c Credential, name string) bool {
	in := c.Name
	if c.Issuer != "" {
		in = c.Issuer + ":" + c.Name
	}
	if name == in && c.Issuer != "" {
		return true
	}
	if c.Type != TOTP || c.Period == 0 {
		return false
	}
	return name == fmt.Sprintf("%d/%s", int64(c.Period/time.Second), in)
}

func ids(creds []Credential) string {
	q := make([]string, len(creds))
	for i, c := range creds {
		q[i] = fmt.Sprintf("%q", c.ID)
	}
	return strings.Join(q, ", ")
}
