package mgmt

import (
	"fmt"
	"strconv"
	"strings"

	"otpgate.dev/otpgate/internal/openvpn"
)

// Kinds of >CLIENT: notification (management-notes.txt, "COMMAND --
// client-auth").
const (
	KindConnect     = "CONNECT"
	KindReauth      = "REAUTH"
	KindCRResponse  = "CR_RESPONSE"
	KindEstablished = "ESTABLISHED"
	KindDisconnect  = "DISCONNECT"
	KindAddress     = "ADDRESS"
	kindEnv         = "ENV"
)

// maxEnv bounds the variables of one ENV block.
const maxEnv = 1024

// ClientEvent is one >CLIENT: notification with its ENV block.
type ClientEvent struct {
	Kind     string
	CID      uint64
	KID      uint64 // CONNECT, REAUTH, CR_RESPONSE
	Response string // CR_RESPONSE: the client's base64 answer
	Env      openvpn.Env
}

// hasEnv reports whether an ENV block follows the header line.
func (e *ClientEvent) hasEnv() bool { return e.Kind != KindAddress }

// ParseClientHeader parses the payload of a >CLIENT: line that starts an
// event, such as "CONNECT,0,1" or "CR_RESPONSE,0,1,MTIzNDU2".
func ParseClientHeader(payload string) (ClientEvent, error) {
	kind, rest, _ := strings.Cut(payload, ",")
	f := strings.Split(rest, ",")
	ev := ClientEvent{Kind: kind}
	var want int
	switch kind {
	case KindConnect, KindReauth:
		want = 2
	case KindCRResponse:
		want = 3
	case KindEstablished, KindDisconnect:
		want = 1
	case KindAddress:
		want = 3
	default:
		return ClientEvent{}, fmt.Errorf("mgmt: unknown >CLIENT: notification %q", kind)
	}
	if len(f) != want {
		return ClientEvent{}, fmt.Errorf("mgmt: >CLIENT:%s has %d fields, want %d", kind, len(f), want)
	}
	var err error
	if ev.CID, err = strconv.ParseUint(f[0], 10, 64); err != nil {
		return ClientEvent{}, fmt.Errorf("mgmt: >CLIENT:%s client id %q is not a number", kind, f[0])
	}
	if kind == KindConnect || kind == KindReauth || kind == KindCRResponse {
		if ev.KID, err = strconv.ParseUint(f[1], 10, 64); err != nil {
			return ClientEvent{}, fmt.Errorf("mgmt: >CLIENT:%s key id %q is not a number", kind, f[1])
		}
	}
	if kind == KindCRResponse {
		ev.Response = f[2]
	}
	return ev, nil
}

// eventReader assembles >CLIENT: lines into events.
type eventReader struct {
	cur *ClientEvent
}

// add takes the payload of one >CLIENT: line and returns a complete event
// when the line finished one.
func (r *eventReader) add(payload string) (*ClientEvent, error) {
	if env, ok := strings.CutPrefix(payload, kindEnv+","); ok {
		return r.addEnv(env)
	}
	// OpenVPN writes each block whole; an unfinished one is dropped, and
	// OpenVPN times that client out.
	r.cur = nil
	ev, err := ParseClientHeader(payload)
	if err != nil {
		return nil, err
	}
	if !ev.hasEnv() {
		return &ev, nil
	}
	ev.Env = openvpn.Env{}
	r.cur = &ev
	return nil, nil
}

func (r *eventReader) addEnv(kv string) (*ClientEvent, error) {
	if r.cur == nil {
		return nil, fmt.Errorf("mgmt: >CLIENT:ENV outside an event")
	}
	if kv == "END" {
		ev := r.cur
		r.cur = nil
		return ev, nil
	}
	if len(r.cur.Env) >= maxEnv {
		r.cur = nil
		return nil, fmt.Errorf("mgmt: ENV block over %d variables", maxEnv)
	}
	if name, value, ok := strings.Cut(kv, "="); ok && name != "" {
		r.cur.Env[name] = value
	}
	return nil, nil
}
