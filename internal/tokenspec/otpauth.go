package tokenspec

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"otpgate.dev/otpgate/internal/otp"
)

// keyURI is a parsed otpauth:// URI (the Key URI format of Google
// Authenticator), kept as written so that write-back changes only the counter.
type keyURI struct {
	base     string   // everything before '?', with any algorithm prefix
	params   []string // raw "k=v" items in their order
	fragment string   // "#..." or ""
	Issuer   string
	Account  string
}

// parseKeyURI parses otpauth://TYPE/LABEL?PARAMS. prefixLen is the length of
// an algorithm prefix before the URI, which must then agree with the
// algorithm parameter.
func parseKeyURI(s string, prefixLen int, alg otp.Algorithm, algGiven bool, o *Options) (*Spec, error) {
	u, err := splitKeyURI(s)
	if err != nil {
		return nil, err
	}
	mode, err := uriMode(s[prefixLen:], o.Mode)
	if err != nil {
		return nil, err
	}
	q, err := uniqueQuery(u.params)
	if err != nil {
		return nil, err
	}
	spec := &Spec{Mode: mode, Form: OTPAuth, Params: defaultParams(alg), uri: u}
	if err := applyKeyURIParams(spec, q, algGiven); err != nil {
		return nil, err
	}
	u.Issuer, u.Account = splitLabel(s[prefixLen:], q.Get("issuer"))
	return spec, nil
}

func splitKeyURI(s string) (*keyURI, error) {
	u := &keyURI{}
	if i := strings.IndexByte(s, '#'); i >= 0 {
		s, u.fragment = s[:i], s[i:]
	}
	base, query, ok := strings.Cut(s, "?")
	if !ok || query == "" {
		return nil, fmt.Errorf("tokenspec: otpauth URI has no parameters; it needs at least ?secret=BASE32")
	}
	u.base = base
	for _, item := range strings.Split(query, "&") {
		if item != "" {
			u.params = append(u.params, item)
		}
	}
	return u, nil
}

// uriMode reads TYPE from otpauth://TYPE/ and checks it against --token-mode.
func uriMode(s string, want Mode) (Mode, error) {
	rest := s[len("otpauth://"):]
	typ, _, _ := strings.Cut(rest, "/")
	typ, _, _ = strings.Cut(typ, "?")
	var m Mode
	switch strings.ToLower(typ) {
	case "totp":
		m = TOTP
	case "hotp":
		m = HOTP
	default:
		return 0, fmt.Errorf("tokenspec: otpauth URI type %q is not totp or hotp", typ)
	}
	if want != ModeUnknown && want != m {
		return 0, fmt.Errorf("tokenspec: the otpauth URI is for %s but the token mode is %s", m, want)
	}
	return m, nil
}

// uniqueQuery decodes the parameters, refusing a repeated one: two readers
// that pick different copies would compute different codes.
func uniqueQuery(items []string) (url.Values, error) {
	q := url.Values{}
	for _, item := range items {
		k, v, _ := strings.Cut(item, "=")
		key, err1 := url.QueryUnescape(k)
		val, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("tokenspec: otpauth URI parameter %q has a bad %%-escape", k)
		}
		key = strings.ToLower(key)
		if q.Has(key) {
			return nil, fmt.Errorf("tokenspec: otpauth URI repeats the parameter %q", key)
		}
		q.Set(key, val)
	}
	return q, nil
}

func applyKeyURIParams(spec *Spec, q url.Values, algGiven bool) error {
	if !q.Has("secret") {
		return fmt.Errorf("tokenspec: otpauth URI has no secret parameter")
	}
	key, err := DecodeBase32(q.Get("secret"))
	if err != nil {
		return err
	}
	spec.Key = key
	if a := q.Get("algorithm"); a != "" {
		alg, err := otp.ParseAlgorithm(a)
		if err != nil {
			return fmt.Errorf("tokenspec: otpauth URI algorithm %q is not SHA1, SHA256 or SHA512", a)
		}
		if algGiven && alg != spec.Params.Algorithm {
			return fmt.Errorf("tokenspec: the algorithm prefix and the URI's algorithm=%s disagree", a)
		}
		spec.Params.Algorithm = alg
	}
	if d := q.Get("digits"); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil || n < otp.MinDigits || n > otp.MaxDigits {
			return fmt.Errorf("tokenspec: otpauth URI digits=%q is not a number from 6 to 10", d)
		}
		spec.Params.Digits, spec.DigitsGiven = n, true
	}
	if p := q.Get("period"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 86400 {
			return fmt.Errorf("tokenspec: otpauth URI period=%q is not a number of seconds from 1 to 86400", p)
		}
		spec.Params.Period, spec.PeriodGiven = time.Duration(n)*time.Second, true
	}
	if c := q.Get("counter"); c != "" {
		n, err := strconv.ParseUint(c, 10, 63)
		if err != nil {
			return fmt.Errorf("tokenspec: otpauth URI counter=%q is not a decimal number below 2^63", c)
		}
		spec.Counter = n
	}
	return nil
}

// splitLabel returns the issuer and account name from the URI label
// "issuer:account"; an issuer parameter takes precedence over the label's.
func splitLabel(s, issuerParam string) (issuer, account string) {
	rest := s[len("otpauth://"):]
	_, label, _ := strings.Cut(rest, "/")
	label, _, _ = strings.Cut(label, "?")
	if l, err := url.PathUnescape(label); err == nil {
		label = l
	}
	issuer, account, ok := strings.Cut(label, ":")
	if !ok {
		issuer, account = "", label
	}
	account = strings.TrimLeft(account, " ")
	if issuerParam != "" {
		issuer = issuerParam
	}
	return issuer, account
}

// encode returns the URI with counter=n, every other byte as it was written.
func (u *keyURI) encode(n uint64) string {
	params := make([]string, 0, len(u.params)+1)
	found := false
	for _, item := range u.params {
		k, _, _ := strings.Cut(item, "=")
		if strings.EqualFold(k, "counter") {
			item, found = k+"="+strconv.FormatUint(n, 10), true
		}
		params = append(params, item)
	}
	if !found {
		params = append(params, "counter="+strconv.FormatUint(n, 10))
	}
	return u.base + "?" + strings.Join(params, "&") + u.fragment
}
