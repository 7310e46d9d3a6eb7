package enroll

import (
	"encoding/base32"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"otpgate.dev/otpgate/internal/store"
)

// KeyURI returns the otpauth:// URI of an OATH token with the given secret,
// in the Key URI format of Google Authenticator that authenticator apps
// scan: the label "issuer:user" (just "user" without an issuer), the secret
// in base32 without padding, the issuer, algorithm, digits, and the period
// (TOTP) or the next counter (HOTP). A prefixed HOTP token is written as
// plain HOTP: an app shows only the code. Yubico OTP tokens have no URI.
//
// [Key URI format]: https://github.com/google/google-authenticator/wiki/Key-Uri-Format
func KeyURI(issuer string, t *store.Token, secret []byte) (string, error) {
	kind := "hotp"
	switch t.Type {
	case store.TOTP:
		kind = "totp"
	case store.Yubico:
		return "", fmt.Errorf("enroll: Yubico OTP token %s has no otpauth URI", t.ID)
	}
	label := escape(t.User)
	if issuer != "" {
		label = escape(issuer) + ":" + label
	}
	q := []string{
		"secret=" + base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(secret),
	}
	if issuer != "" {
		q = append(q, "issuer="+escape(issuer))
	}
	q = append(q, "algorithm="+t.Params.Algorithm.String(), "digits="+strconv.Itoa(t.Params.Digits))
	if t.Type == store.TOTP {
		q = append(q, "period="+strconv.FormatInt(int64(t.Params.Period.Seconds()), 10))
	} else {
		q = append(q, "counter="+strconv.FormatInt(t.Next, 10))
	}
	return "otpauth://" + kind + "/" + label + "?" + strings.Join(q, "&"), nil
}

// escape percent-encodes s for a label or a query value, spaces as %20 (the
// Key URI format asks for it; some apps show a "+" literally).
func escape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}
