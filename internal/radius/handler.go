package radius

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"

	layeh "layeh.com/radius"

	"otpgate.dev/otpgate/internal/auth"
	"otpgate.dev/otpgate/internal/store"
)

// reply is the answer to one request: a Response code and the attributes
// after the Message-Authenticator; Proxy-State is added when encoding.
type reply struct {
	code   layeh.Code
	attrs  layeh.Attributes
	status bool // the answer to a Status-Server
}

// inbound is a datagram that passed check: cut to its Length, framed,
// of a code the server answers, and carrying a valid Message-Authenticator
// unless its client may omit one.
type inbound struct {
	packet []byte
	scan   scan
}

// authenticated reports whether the shared secret is proven: a request
// that passed check with a Message-Authenticator carries a valid one.
func (in inbound) authenticated() bool { return in.scan.maOffset != 0 }

// check parses and authenticates a datagram from client cl. It runs on the
// reading goroutine, before the datagram touches any state of the client
// (its reply cache entries, its rate limit), so that a forger without the
// secret spends nothing but this check. It returns the request, or the
// reason to drop it.
func check(cl *entry, b []byte) (inbound, DropReason) {
	h, err := parseHeader(b)
	if err != nil {
		return inbound{}, DropMalformed
	}
	packet := b[:h.length]
	if h.code != layeh.CodeAccessRequest && h.code != layeh.CodeStatusServer {
		return inbound{}, DropUnsupportedCode
	}
	sc, err := scanAttributes(packet)
	if errors.Is(err, errTooManyAttributes) {
		return inbound{}, DropTooManyAttributes
	} else if err != nil {
		return inbound{}, DropMalformed
	}
	if drop := checkMessageAuthenticator(cl, h.code, packet, sc); drop != notDropped {
		return inbound{}, drop
	}
	return inbound{packet: packet, scan: sc}, notDropped
}

// checkMessageAuthenticator applies RFC 3579 section 3.2 and the BlastRADIUS
// rules: required unless the client is a legacy NAS, always required on
// Status-Server (RFC 5997 section 3), always verified when present. A
// request without one may not carry Proxy-State, the attribute a forger
// fills with an MD5 collision block: as FreeRADIUS 3.2.5's
// limit_proxy_state = yes, it is dropped.
func checkMessageAuthenticator(cl *entry, code layeh.Code, packet []byte, sc scan) DropReason {
	switch {
	case sc.maOffset != 0 && !verifyMessageAuthenticator(packet, cl.Secret, sc.maOffset):
		return DropBadMessageAuthenticator
	case sc.maOffset != 0:
		return notDropped
	case code == layeh.CodeStatusServer || !cl.AllowMissingMessageAuthenticator:
		return DropMissingMessageAuthenticator
	case sc.hasProxyState:
		return DropUnsignedProxyState
	}
	return notDropped
}

// answer answers one checked request from src, sent by client cl. It
// returns the encoded reply, or nil and the reason the request is dropped.
// It never panics on any input.
func (s *Server) answer(ctx context.Context, src netip.AddrPort, cl *entry, in inbound) ([]byte, DropReason) {
	p, err := layeh.Parse(in.packet, cl.Secret)
	if err != nil {
		s.logDrop(src, cl, DropMalformed)
		return nil, DropMalformed
	}
	var r reply
	switch p.Code {
	case layeh.CodeStatusServer:
		r = reply{code: layeh.CodeAccessAccept, status: true}
	default:
		if r, err = s.login(ctx, src, cl, p, in); err != nil {
			s.log.Error("radius: login service failed", "nas", cl.Name, "src", src.String(), "err", err)
			return nil, DropServiceError
		}
	}
	out, err := encodeReply(p, r, cl.Secret)
	if err != nil {
		s.log.Error("radius: cannot encode reply", "nas", cl.Name, "src", src.String(), "err", err)
		return nil, DropInternal
	}
	s.metrics.outcome(r.code, r.status)
	return out, notDropped
}

// login turns an Access-Request into an auth.Request, asks the service and
// turns its answer into a reply. An error means the service could not
// decide; the request is then dropped so that the NAS may try another server.
func (s *Server) login(ctx context.Context, src netip.AddrPort, cl *entry, p *layeh.Packet, in inbound) (reply, error) {
	user := string(p.Get(typeUserName))
	who := []any{"user", user, "nas", cl.Name, "src", src.String()}
	sc := in.scan
	if sc.hasCHAP || sc.hasEAP || sc.hasMSCHAP {
		s.log.Warn("radius: reject: CHAP, MS-CHAP and EAP cannot carry a one-time code; configure the NAS for PAP", who...)
		return reply{code: layeh.CodeAccessReject}, nil
	}
	req, ok := buildRequest(user, cl, src, p)
	if !ok {
		s.log.Warn("radius: reject: no readable User-Password", who...)
		return reply{code: layeh.CodeAccessReject}, nil
	}
	resp, err := s.service.Authenticate(ctx, req)
	if err != nil {
		return reply{}, err
	}
	if resp.User != "" && resp.User != user {
		who = append(who, "login", resp.User)
	}
	r, err := s.replyTo(resp)
	if err != nil {
		s.log.Error("radius: reject: bad challenge from the login service", append(who, "err", err)...)
		return reply{code: layeh.CodeAccessReject}, nil
	}
	who = append(who, "reason", resp.Reason, "rule", resp.Rule, "answer", req.ChallengeID != "")
	if resp.Outcome == auth.Reject && !in.authenticated() {
		who = append(who, "shared_secret", "unchecked: without a Message-Authenticator a wrong shared secret on the NAS looks like a wrong password or code")
	}
	s.log.Info("radius: "+resp.Outcome.String(), who...)
	return r, nil
}

// buildRequest maps the PAP fields to the login service's request: with a
// State, the User-Password is the code answering that challenge (RFC 2865
// section 4.4); without, it is the password field of the client's style.
func buildRequest(user string, cl *entry, src netip.AddrPort, p *layeh.Packet) (auth.Request, bool) {
	enc, ok := p.Lookup(typeUserPassword)
	if !ok {
		return auth.Request{}, false
	}
	pw, err := layeh.UserPassword(enc, cl.Secret, p.Authenticator[:])
	if err != nil {
		return auth.Request{}, false
	}
	req := auth.Request{User: user, Style: cl.Style, Frontend: store.ActorRADIUS, Source: src.Addr().Unmap().String(),
		Client: clientAddress(p), NAS: cl.Name, Attributes: &p.Attributes}
	if state := p.Get(typeState); len(state) > 0 {
		req.ChallengeID, req.Code = string(state), string(pw)
	} else {
		req.Password = string(pw)
	}
	return req, true
}

// clientAddress is the VPN client as the NAS reports it, for the policy's
// `from` and the login service's per-client lockout: Calling-Station-Id
// when it is an address (ocserv and strongSwan send the client's), else
// Framed-IP-Address, else Calling-Station-Id as it is when it is printable
// ASCII (a MAC address or a phone number: counted by the lockout, matching
// no network); "" if none.
func clientAddress(p *layeh.Packet) string {
	id := string(p.Get(typeCallingStationID))
	if a, err := netip.ParseAddr(id); err == nil {
		return a.Unmap().String()
	}
	if ap, err := netip.ParseAddrPort(id); err == nil {
		return ap.Addr().Unmap().String()
	}
	if b := p.Get(typeFramedIPAddress); len(b) == 4 {
		return netip.AddrFrom4([4]byte(b)).String()
	}
	if !printable(id) {
		return ""
	}
	return id
}

// printable reports whether s is non-empty printable ASCII without spaces,
// which is all a station id read as a name may hold.
func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return s != ""
}

// replyTo turns the service's answer into a reply: an Access-Accept
// carries the policy rule's reply attributes, then those of the legacy
// server that accepted a forwarded login.
func (s *Server) replyTo(resp auth.Response) (reply, error) {
	switch resp.Outcome {
	case auth.Accept:
		var attrs layeh.Attributes
		for _, p := range resp.Reply {
			attrs = append(attrs, p.AVP())
		}
		return reply{code: layeh.CodeAccessAccept, attrs: append(attrs, resp.Passed...)}, nil
	case auth.ChallengeIssued:
		attrs, err := s.challengeAttributes(resp.Challenge)
		return reply{code: layeh.CodeAccessChallenge, attrs: attrs}, err
	default:
		return reply{code: layeh.CodeAccessReject}, nil
	}
}

// challengeAttributes builds an Access-Challenge: State names the challenge,
// Reply-Message shows the prompt, Prompt says whether to echo the answer
// (RFC 2869 section 5.10) and Session-Timeout how long the NAS should wait
// for it (RFC 2865 section 5.27).
func (s *Server) challengeAttributes(ch *auth.PendingChallenge) (layeh.Attributes, error) {
	if ch == nil || ch.ID == "" || len(ch.ID) > maxStringLength {
		return nil, errors.New("radius: a challenge needs an ID of 1..253 octets")
	}
	var attrs layeh.Attributes
	attrs.Add(typeState, layeh.Attribute(ch.ID))
	for msg := ch.Prompt; msg != ""; {
		n := min(len(msg), maxStringLength)
		attrs.Add(typeReplyMessage, layeh.Attribute(msg[:n]))
		msg = msg[n:]
	}
	echo := uint32(promptNoEcho)
	if ch.Echo {
		echo = promptEcho
	}
	attrs.Add(typePrompt, layeh.NewInteger(echo))
	if !ch.Expires.IsZero() {
		if secs := int64(ch.Expires.Sub(s.now()).Seconds()); secs > 0 {
			attrs.Add(typeSessionTimeout, layeh.NewInteger(uint32(min(secs, 1<<31))))
		}
	}
	return attrs, nil
}

// encodeReply encodes r as the response to p: the Message-Authenticator
// first, r's attributes, then every Proxy-State of the request in order
// (RFC 2865 section 5.33), signed with secret.
func encodeReply(p *layeh.Packet, r reply, secret []byte) ([]byte, error) {
	q := &layeh.Packet{Code: r.code, Identifier: p.Identifier, Authenticator: p.Authenticator}
	q.Attributes = make(layeh.Attributes, 0, 1+len(r.attrs)+2)
	q.Add(typeMessageAuthenticator, make(layeh.Attribute, 16))
	q.Attributes = append(q.Attributes, r.attrs...)
	for _, a := range p.Attributes {
		if a.Type == typeProxyState {
			q.Add(typeProxyState, a.Attribute)
		}
	}
	b, err := q.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("radius: encode %v: %w", r.code, err)
	}
	if err := signResponse(b, secret); err != nil {
		return nil, err
	}
	return b, nil
}

// logDrop logs a dropped request at debug level, or as a warning when the
// cause is likely a NAS misconfiguration. Warnings are rate limited so that
// a flood cannot flood the log.
func (s *Server) logDrop(src netip.AddrPort, cl *entry, r DropReason) {
	level := slog.LevelDebug
	switch r {
	case DropMissingMessageAuthenticator, DropBadMessageAuthenticator:
		if s.warnLimit.allow(s.now()) {
			level = slog.LevelWarn
		}
	}
	name := ""
	if cl != nil {
		name = cl.Name
	}
	s.log.Log(context.Background(), level, "radius: drop", "reason", r.String(), "nas", name, "src", src.String())
}
