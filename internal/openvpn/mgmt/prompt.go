package mgmt

import (
	"fmt"
	"strconv"
	"strings"

	"otpgate.dev/otpgate/internal/openvpn"
)

// Prefixes of the >PASSWORD: notifications about the 'Auth' credentials
// (manage.c management_query_user_pass, management_auth_failure).
const (
	needAuth      = "Need 'Auth' username/password"
	verifyFailed  = "Verification Failed: 'Auth'"
	authTokenNote = "Auth-Token:"
	staticPrefix  = " SC:"
	scFlagEcho    = 1
	scFlagConcat  = 2 // OpenVPN 2.7 static-challenge format "concat"
	reasonOpen    = " ['"
	reasonClose   = "']"
)

// Password is a parsed >PASSWORD: notification.
type Password struct {
	Need bool // the client asks for the 'Auth' username and password
	// StaticChallenge is set when Need comes with a static challenge
	// ("SC:flags,text").
	StaticChallenge *StaticChallenge
	Failed          bool   // the server refused the credentials
	Reason          string // the server's reason, if Failed came with one
	AuthToken       bool   // the server pushed an auth token
}

// StaticChallenge is the prompt of --static-challenge.
type StaticChallenge struct {
	Echo   bool
	Concat bool // send password and response concatenated, not SCRV1
	Text   string
}

// ParsePassword parses the payload of a >PASSWORD: line. Prompts for other
// credentials (a private key passphrase, a proxy) parse to the zero value.
func ParsePassword(payload string) (Password, error) {
	switch {
	case strings.HasPrefix(payload, needAuth):
		return parseNeed(strings.TrimPrefix(payload, needAuth))
	case strings.HasPrefix(payload, verifyFailed):
		return parseFailed(strings.TrimPrefix(payload, verifyFailed))
	case strings.HasPrefix(payload, authTokenNote):
		return Password{AuthToken: true}, nil
	}
	return Password{}, nil
}

func parseNeed(rest string) (Password, error) {
	p := Password{Need: true}
	if rest == "" {
		return p, nil
	}
	sc, ok := strings.CutPrefix(rest, staticPrefix)
	if !ok {
		return Password{}, fmt.Errorf("mgmt: unexpected text after %q", needAuth)
	}
	flags, text, ok := strings.Cut(sc, ",")
	n, err := strconv.ParseUint(flags, 10, 8)
	if !ok || err != nil {
		return Password{}, fmt.Errorf("mgmt: static challenge %q has no numeric flags", sc)
	}
	p.StaticChallenge = &StaticChallenge{Echo: n&scFlagEcho != 0, Concat: n&scFlagConcat != 0, Text: text}
	return p, nil
}

func parseFailed(rest string) (Password, error) {
	p := Password{Failed: true}
	if rest == "" {
		return p, nil
	}
	reason, ok := strings.CutPrefix(rest, reasonOpen)
	if !ok || !strings.HasSuffix(reason, reasonClose) {
		return Password{}, fmt.Errorf("mgmt: malformed failure reason")
	}
	p.Reason = strings.TrimSuffix(reason, reasonClose)
	return p, nil
}

// DynamicChallenge returns the CRV1 challenge of a failure, if it carries one.
func (p Password) DynamicChallenge() (openvpn.CRV1, bool) {
	if !p.Failed || !strings.HasPrefix(p.Reason, openvpn.PrefixCRV1) {
		return openvpn.CRV1{}, false
	}
	c, err := openvpn.ParseCRV1(p.Reason)
	return c, err == nil
}

// State is a parsed >STATE: line: "time,STATE,detail,...".
type State struct {
	Name   string // CONNECTING, AUTH_PENDING, CONNECTED, RECONNECTING, EXITING, ...
	Detail string // e.g. SUCCESS, auth-failure, "timeout 120"
}

// ParseState parses the payload of a >STATE: line.
func ParseState(payload string) (State, error) {
	f := strings.SplitN(payload, ",", 4)
	if len(f) < 3 {
		return State{}, fmt.Errorf("mgmt: state line has %d fields, want at least 3", len(f))
	}
	return State{Name: f[1], Detail: f[2]}, nil
}
