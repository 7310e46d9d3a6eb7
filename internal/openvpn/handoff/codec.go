package handoff

import (
	"fmt"
	"strconv"
	"time"

	"otpgate.dev/otpgate/internal/auth"
	"otpgate.dev/otpgate/internal/store"
)

// Params are what a hook would open and apply on its own: the store and
// the login service's settings. The daemon takes a login only when its own
// are the same, so that a handed-off login is decided as the hook would
// have decided it (same store, same first factor, same challenges).
type Params struct {
	DB           string // the store: a SQLite path or a postgres:// URL
	Primary      string // the first factor's spec (primary.ParseSpec)
	ChallengeTTL time.Duration
	Prompt       string
}

// normal fills the defaults the login service applies (auth.New).
func (p Params) normal() Params {
	if p.Primary == "" {
		p.Primary = "none"
	}
	if p.ChallengeTTL <= 0 {
		p.ChallengeTTL = auth.DefaultChallengeTTL
	}
	if p.Prompt == "" {
		p.Prompt = auth.DefaultPrompt
	}
	return p
}

// mismatch names the first setting of q (the hook's) that differs from
// p's (the daemon's), or returns "". sameDB says whether two stores are one.
func (p Params) mismatch(q Params, sameDB func(a, b string) bool) string {
	p, q = p.normal(), q.normal()
	switch {
	case !sameDB(p.DB, q.DB):
		return "another store"
	case p.Primary != q.Primary:
		return "another primary (otpgatePrimary against [auth] primary)"
	case p.ChallengeTTL != q.ChallengeTTL:
		return "another challenge timeout (totpChallengeTimeout against [auth] challenge_timeout)"
	case p.Prompt != q.Prompt:
		return "another prompt (totpChallengeText against [auth] challenge_text)"
	}
	return ""
}

func helloMessage(p Params) message {
	return message{kindHello, []string{Version, p.DB, p.Primary, strconv.FormatInt(int64(p.ChallengeTTL), 10), p.Prompt}}
}

func parseHello(m message) (Params, error) {
	f := m.fields
	if f[0] != Version {
		return Params{}, fmt.Errorf("handoff: protocol version %q (this daemon speaks %s)", f[0], Version)
	}
	ttl, err := strconv.ParseInt(f[3], 10, 64)
	if err != nil {
		return Params{}, fmt.Errorf("%w: challenge TTL %q", errFrame, f[3])
	}
	return Params{DB: f[1], Primary: f[2], ChallengeTTL: time.Duration(ttl), Prompt: f[4]}, nil
}

func authMessage(r auth.Request) message {
	return message{kindAuth, []string{r.User, r.Password, r.Code, r.ChallengeID, string(r.Style), r.Source, r.Client}}
}

// parseAuth returns the request; the front end is always OpenVPN's.
func parseAuth(m message) auth.Request {
	f := m.fields
	return auth.Request{User: f[0], Password: f[1], Code: f[2], ChallengeID: f[3], Style: auth.Style(f[4]), Source: f[5], Client: f[6], Frontend: store.ActorOpenVPN}
}

func responseMessage(r auth.Response) message {
	var id, prompt, echo, expires string
	if c := r.Challenge; c != nil {
		id, prompt, echo, expires = c.ID, c.Prompt, strconv.FormatBool(c.Echo), "0"
		if !c.Expires.IsZero() {
			expires = strconv.FormatInt(c.Expires.UnixNano(), 10)
		}
	}
	return message{kindResponse, []string{strconv.Itoa(int(r.Outcome)), r.User, r.Reason, id, prompt, echo, expires}}
}

// parseResponse checks every field: an outcome it does not know, or a
// challenge without its parts, is an error, never a guess.
func parseResponse(m message) (auth.Response, error) {
	f := m.fields
	o, err := strconv.Atoi(f[0])
	if err != nil || o < int(auth.Reject) || o > int(auth.ChallengeIssued) {
		return auth.Response{}, fmt.Errorf("%w: outcome %q", errFrame, f[0])
	}
	r := auth.Response{Outcome: auth.Outcome(o), User: f[1], Reason: f[2]}
	if f[3] == "" && f[4] == "" && f[5] == "" && f[6] == "" {
		return r, nil
	}
	echo, err := strconv.ParseBool(f[5])
	if err != nil || f[3] == "" {
		return auth.Response{}, fmt.Errorf("%w: challenge without an id or echo", errFrame)
	}
	ns, err := strconv.ParseInt(f[6], 10, 64)
	if err != nil {
		return auth.Response{}, fmt.Errorf("%w: challenge expiry %q", errFrame, f[6])
	}
	r.Challenge = &auth.PendingChallenge{ID: f[3], Prompt: f[4], Echo: echo}
	if ns != 0 {
		r.Challenge.Expires = time.Unix(0, ns)
	}
	return r, nil
}
