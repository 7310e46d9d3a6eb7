package openvpn

import (
	"encoding/base64"
	"fmt"
	"strings"
)

// maxStateID bounds the state id of a dynamic challenge.
const maxStateID = 128

// CRV1 is a dynamic challenge (OpenVPN doc/management-notes.txt,
// "Challenge/Response Protocol"). The server fails the first attempt with the
// client reason "CRV1:flags:state_id:base64(username):text"; the client
// reconnects with username and the password "CRV1::state_id::response".
type CRV1 struct {
	Echo     bool   // flag E: the client may echo the response
	Response bool   // flag R: a response is required
	StateID  string // printable ASCII without ':' or spaces
	User     string // the username the client must send back
	Text     string // the prompt; may contain ':'
}

// String returns the challenge as written to auth_failed_reason_file or
// carried by client-deny: "CRV1:R,E:state_id:base64(username):text".
func (c CRV1) String() string {
	return PrefixCRV1 + formatFlags(c.Response, c.Echo) + ":" + c.StateID + ":" +
		base64.StdEncoding.EncodeToString([]byte(c.User)) + ":" + c.Text
}

// Check reports whether c can be sent: a well-formed state id, a username
// and a prompt that fit in one line.
func (c CRV1) Check() error {
	if err := checkStateID(c.StateID); err != nil {
		return err
	}
	if err := CheckUsername(c.User); err != nil {
		return err
	}
	return checkText("challenge text", c.Text, MaxChallengeText)
}

// ParseCRV1 parses a dynamic challenge as a client receives it in
// AUTH_FAILED. Unknown flags are ignored, as OpenVPN ignores them.
func ParseCRV1(s string) (CRV1, error) {
	rest, ok := strings.CutPrefix(s, PrefixCRV1)
	if !ok {
		return CRV1{}, fmt.Errorf("%w: dynamic challenge does not start with %q", ErrMalformed, PrefixCRV1)
	}
	parts := strings.SplitN(rest, ":", 4)
	if len(parts) != 4 {
		return CRV1{}, fmt.Errorf("%w: dynamic challenge needs flags, state id, username and text", ErrMalformed)
	}
	var c CRV1
	c.Response, c.Echo = parseFlags(parts[0])
	c.StateID, c.Text = parts[1], parts[3]
	user, err := decodeBase64(parts[2])
	if err != nil {
		return CRV1{}, fmt.Errorf("%w: dynamic challenge username: %v", ErrMalformed, err)
	}
	c.User = user
	if err := checkStateID(c.StateID); err != nil {
		return CRV1{}, err
	}
	return c, nil
}

// ParseCRV1Answer splits the password of a client answering a dynamic
// challenge, "CRV1::state_id::response". The response is plain text.
func ParseCRV1Answer(s string) (stateID, response string, err error) {
	rest, ok := strings.CutPrefix(s, PrefixCRV1Answer)
	if !ok {
		return "", "", fmt.Errorf("%w: challenge answer does not start with %q", ErrMalformed, PrefixCRV1Answer)
	}
	stateID, response, ok = strings.Cut(rest, "::")
	if !ok {
		return "", "", fmt.Errorf("%w: challenge answer has no \"::\" after the state id", ErrMalformed)
	}
	if err := checkStateID(stateID); err != nil {
		return "", "", err
	}
	return stateID, response, nil
}

// FormatCRV1Answer builds the password answering a dynamic challenge.
func FormatCRV1Answer(stateID, response string) string {
	return PrefixCRV1Answer + stateID + "::" + response
}

func checkStateID(id string) error {
	if id == "" || len(id) > maxStateID {
		return fmt.Errorf("%w: challenge state id must be 1 to %d characters", ErrMalformed, maxStateID)
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] > '~' || id[i] == ':' {
			return fmt.Errorf("%w: challenge state id holds a character other than printable ASCII without ':'", ErrMalformed)
		}
	}
	return nil
}

// formatFlags returns the comma-separated challenge flags: R, then E.
func formatFlags(response, echo bool) string {
	var f []string
	if response {
		f = append(f, "R")
	}
	if echo {
		f = append(f, "E")
	}
	return strings.Join(f, ",")
}

func parseFlags(s string) (response, echo bool) {
	for _, f := range strings.Split(s, ",") {
		switch strings.TrimSpace(f) {
		case "R":
			response = true
		case "E":
			echo = true
		}
	}
	return response, echo
}
