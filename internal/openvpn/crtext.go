package openvpn

import (
	"fmt"
	"strings"
	"time"
)

// CRText is a crtext pending-auth challenge: the EXTRA of
// auth_pending_file or client-pending-auth, "CR_TEXT:flags:text", which the
// server sends as INFO_PRE and a management client sees as
// ">INFOMSG:CR_TEXT:flags:text". The client answers "cr-response
// base64(response)".
type CRText struct {
	Echo     bool
	Response bool
	Text     string
}

// String returns the EXTRA, "CR_TEXT:R,E:text".
func (c CRText) String() string {
	return PrefixCRText + formatFlags(c.Response, c.Echo) + ":" + c.Text
}

// ParseCRText parses an EXTRA or INFOMSG payload.
func ParseCRText(s string) (CRText, error) {
	rest, ok := strings.CutPrefix(s, PrefixCRText)
	if !ok {
		return CRText{}, fmt.Errorf("%w: crtext challenge does not start with %q", ErrMalformed, PrefixCRText)
	}
	flags, text, ok := strings.Cut(rest, ":")
	if !ok {
		return CRText{}, fmt.Errorf("%w: crtext challenge has no ':' after its flags", ErrMalformed)
	}
	var c CRText
	c.Response, c.Echo = parseFlags(flags)
	c.Text = text
	return c, nil
}

// ParseCRResponse decodes the answer to a crtext challenge: the content of
// the file OpenVPN hands --client-crresponse (the client's base64 text plus a
// newline), or the base64 of ">CLIENT:CR_RESPONSE". OpenVPN checks neither
// the base64 nor that a challenge was outstanding.
func ParseCRResponse(b64 string) (string, error) {
	s := strings.TrimSpace(b64)
	if len(s) > 4*MaxCode {
		return "", fmt.Errorf("%w: challenge response is %d bytes of base64 (at most %d)", ErrMalformed, len(s), 4*MaxCode)
	}
	code, err := decodeBase64(s)
	if err != nil {
		return "", fmt.Errorf("%w: challenge response: %v", ErrMalformed, err)
	}
	if err := CheckCode(code); err != nil {
		return "", err
	}
	return code, nil
}

// PendingFile is the content of auth_pending_file: three lines, the
// timeout in seconds, the method and the EXTRA (ssl_verify.c
// key_state_check_auth_pending_file). OpenVPN reads and deletes it right
// after the script exits 2.
type PendingFile struct {
	Timeout time.Duration // whole seconds, at least 1
	Method  string        // "crtext"
	Extra   string        // for crtext, a [CRText]
}

// Marshal returns the file content, or an error if a field would break it.
func (p PendingFile) Marshal() ([]byte, error) {
	secs := int64(p.Timeout / time.Second)
	switch {
	case secs < 1:
		return nil, fmt.Errorf("openvpn: pending-auth timeout %v is under a second", p.Timeout)
	case p.Method == "" || strings.ContainsAny(p.Method, "\r\n"):
		return nil, fmt.Errorf("openvpn: pending-auth method %q is empty or spans lines", p.Method)
	case len(p.Extra) > maxExtra || strings.ContainsAny(p.Extra, "\r\n"):
		return nil, fmt.Errorf("openvpn: pending-auth extra is over %d bytes or spans lines", maxExtra)
	}
	return []byte(fmt.Sprintf("%d\n%s\n%s\n", secs, p.Method, p.Extra)), nil
}

// pendingControl starts the auth_control_file of a deferred login that waits
// for a crtext answer. OpenVPN reads only the first byte and takes anything
// but '1' or '0' as "still pending", so the rest of the line carries the
// challenge id from the verify script to the crresponse script of the same
// key; the file lives exactly as long as the pending key.
const pendingControl = "pending:"

// MarshalPendingControl returns the auth_control_file content of a login
// pending on challenge id.
func MarshalPendingControl(id string) ([]byte, error) {
	if err := checkStateID(id); err != nil {
		return nil, err
	}
	return []byte(pendingControl + id + "\n"), nil
}

// ParsePendingControl returns the challenge id that
// [MarshalPendingControl] wrote.
func ParsePendingControl(b []byte) (string, error) {
	id, ok := strings.CutPrefix(strings.TrimSuffix(string(b), "\n"), pendingControl)
	if !ok {
		return "", fmt.Errorf("%w: auth control file holds no pending challenge", ErrMalformed)
	}
	if err := checkStateID(id); err != nil {
		return "", err
	}
	return id, nil
}
