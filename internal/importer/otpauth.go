package importer

import (
	"bytes"
	"encoding/base32"
	"fmt"
	"io"
	"net/url"
	"strings"

	"otpgate.dev/otpgate/internal/tokenspec"
)

// A URI list is a text file with one otpauth:// Key URI (Google
// Authenticator's Key Uri Format) a line, as authenticator apps and other
// servers export them:
//
//	# comments and blank lines are skipped
//	otpauth://totp/Example:alice@example.com?secret=JBSWY3DPEHPK3PXP&issuer=Example
//	otpauth://hotp/bob?secret=GEZDGNBVGY3TQOJQ&counter=7&digits=8
//
// Package tokenspec parses each URI; the label is split here.
const uriFormat = "URI list"

// ParseURIs reads a list of otpauth:// URIs. The user is the label's account
// name; the issuer is the issuer parameter, or else the label's prefix before
// ':'. HOTP Counter is the counter parameter, the next code's counter.
func ParseURIs(r io.Reader) ([]Record, error) {
	return parseLines(uriFormat, r, func(line []byte) (Record, bool, string) {
		rec, msg := parseURI(string(bytes.TrimSpace(line)))
		return rec, false, msg
	})
}

// parseURI parses one otpauth URI, or says what is wrong with it.
func parseURI(s string) (Record, string) {
	if len(s) < len("otpauth://") || !strings.EqualFold(s[:len("otpauth://")], "otpauth://") {
		return Record{}, "the line is not an otpauth:// URI (otpauth://totp/ISSUER:USER?secret=BASE32&...)"
	}
	spec, err := tokenspec.Parse(s, tokenspec.Options{})
	if err != nil {
		return Record{}, uriErrorMessage(s, err)
	}
	if msg := checkSecret(spec.Key); msg != "" {
		return Record{}, msg
	}
	issuer, user := splitURILabel(s)
	if msg := checkUser(user); msg != "" {
		return Record{}, "the label's account name: " + msg
	}
	rec := Record{User: user, Issuer: issuer, Type: TypeTOTP, Secret: spec.Key,
		Algorithm: spec.Params.Algorithm, Digits: spec.Params.Digits}
	if spec.Mode == tokenspec.HOTP {
		rec.Type, rec.Counter = TypeHOTP, spec.Counter
	} else {
		rec.Period = int(spec.Params.Period.Seconds())
	}
	return rec, ""
}

// uriMalformed describes a Key URI, for errors that cannot say more.
const uriMalformed = "the otpauth URI is malformed (otpauth://totp|hotp/ISSUER:USER?secret=BASE32&issuer=NAME" +
	"&algorithm=SHA1|SHA256|SHA512&digits=6-10&period=SECONDS&counter=N, each value %-escaped)"

// uriErrorMessage returns tokenspec's message unless it quotes a part of the
// URI that may hold the secret: the secret value, an item without '=' (a
// malformed item can be the secret itself), or any long run of letters and
// digits.
func uriErrorMessage(s string, err error) string {
	msg := strings.TrimPrefix(err.Error(), "tokenspec: ")
	_, query, _ := strings.Cut(s, "?")
	for _, item := range strings.Split(query, "&") {
		k, v, hasValue := strings.Cut(item, "=")
		sensitive := item
		if hasValue {
			if !strings.EqualFold(k, "secret") {
				continue
			}
			sensitive = v
		}
		if sensitive != "" && strings.Contains(msg, sensitive) {
			return uriMalformed
		}
	}
	if quotesInput(msg, s) {
		return uriMalformed
	}
	return msg
}

// splitURILabel returns the issuer and account name of otpauth://TYPE/LABEL:
// the label is "issuer:account" or "account", %-escaped, with optional
// spaces after the colon; an issuer parameter takes precedence.
func splitURILabel(s string) (issuer, account string) {
	rest := s[len("otpauth://"):]
	rest, _, _ = strings.Cut(rest, "#")
	rest, query, _ := strings.Cut(rest, "?")
	_, label, _ := strings.Cut(rest, "/")
	if l, err := url.PathUnescape(label); err == nil {
		label = l
	}
	issuer, account, ok := strings.Cut(label, ":")
	if !ok {
		issuer, account = "", label
	}
	account = strings.TrimLeft(account, " ")
	for _, item := range strings.Split(query, "&") {
		k, v, _ := strings.Cut(item, "=")
		if v, err := url.QueryUnescape(v); err == nil && v != "" && strings.EqualFold(k, "issuer") {
			issuer = v
		}
	}
	return issuer, account
}

// WriteURIs writes records as a URI list, one otpauth:// URI a line, that
// ParseURIs and authenticator apps read back as the same tokens. Only TOTP
// and HOTP tokens have a Key URI; any other type, or an invalid record,
// fails the whole call before anything is written. A TOTP Counter and Drift
// are server state and are not written.
func WriteURIs(w io.Writer, records []Record) error {
	var b bytes.Buffer
	for i := range records {
		u, msg := formatURI(&records[i])
		if msg != "" {
			return recordError(uriFormat, i, msg)
		}
		b.WriteString(u)
		b.WriteByte('\n')
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("importer: write URI list: %w", err)
	}
	return nil
}

// formatURI returns the Key URI of r, or says why there is none.
func formatURI(r *Record) (string, string) {
	if msg := r.validate(); msg != "" {
		return "", msg
	}
	if msg := checkUser(r.User); msg != "" {
		return "", msg
	}
	if r.Type != TypeTOTP && r.Type != TypeHOTP {
		return "", fmt.Sprintf("a %s token has no otpauth URI (accepted: totp, hotp)", r.Type)
	}
	label := escapeParam(r.User)
	switch {
	case r.Issuer != "" && !strings.Contains(r.Issuer, ":"):
		label = escapeParam(r.Issuer) + ":" + label
	case strings.Contains(r.User, ":"):
		return "", "a user name with ':' needs an issuer without ':' before it in an otpauth label"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "otpauth://%s/%s?secret=%s", r.Type, label,
		base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(r.Secret))
	if r.Issuer != "" {
		b.WriteString("&issuer=" + escapeParam(r.Issuer))
	}
	fmt.Fprintf(&b, "&algorithm=%v&digits=%d", r.Algorithm, r.Digits)
	if r.Type == TypeTOTP {
		fmt.Fprintf(&b, "&period=%d", r.Period)
	} else {
		fmt.Fprintf(&b, "&counter=%d", r.Counter)
	}
	return b.String(), ""
}

// escapeParam escapes a label part or parameter value: everything but
// letters, digits, "-_.~" and '@' is %-escaped, spaces as %20, which every
// authenticator app decodes ('+' is not understood by all, and some decode
// the whole URI before splitting it).
func escapeParam(s string) string {
	return strings.NewReplacer("+", "%20", "%40", "@").Replace(url.QueryEscape(s))
}
