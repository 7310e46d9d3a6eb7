package main

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"errors"
	"net"
	"os"
	"time"

	layeh "layeh.com/radius"

	"otpgate.dev/otpgate/internal/otp"
)

// Attribute types the sender writes or checks (RFC 2865, RFC 3579).
const (
	attrUserName             = 1
	attrUserPassword         = 2
	attrNASIdentifier        = 32
	attrMessageAuthenticator = 80
)

// loadUser is a user with the sender's view of its next code.
type loadUser struct {
	user
	counter  uint64   // next HOTP counter
	ahead    []string // HOTP codes from counter on, up to the server's window
	lastStep uint64   // last TOTP step used, +1 (0: none)
}

// nextHOTP returns the code of u's next counter and moves past it the way
// the server will. Six digits collide: when the code of a later counter in
// the server's look-ahead window is the same, the server takes the later
// counter, and the codes in between will never be accepted.
func (u *loadUser) nextHOTP(window int) string {
	for len(u.ahead) < window {
		u.ahead = append(u.ahead, otp.Generate(u.key, u.counter+uint64(len(u.ahead)), params))
	}
	code, used := u.ahead[0], 0
	for k := range u.ahead {
		if u.ahead[k] == code {
			used = k
		}
	}
	u.counter += uint64(used + 1)
	u.ahead = u.ahead[used+1:]
	return code
}

// sender sends one request at a time on its own socket, for its own users,
// so that HOTP counters reach the server in order.
type sender struct {
	conn   *net.UDPConn
	cfg    loadConfig
	users  []*loadUser
	next   int
	id     byte
	buf    []byte
	result result
}

func newSender(conn *net.UDPConn, cfg loadConfig, all []user, i int) *sender {
	s := &sender{conn: conn, cfg: cfg, buf: make([]byte, 4096)}
	for j := i; j < len(all); j += cfg.concurrency {
		s.users = append(s.users, &loadUser{user: all[j]})
	}
	return s
}

func (s *sender) run(measureFrom, end time.Time) {
	for now := time.Now(); now.Before(end); now = time.Now() {
		u, pw, ok := s.pick(now)
		if !ok { // every user has had its TOTP code this step
			time.Sleep(min(time.Until(params.StepStart(params.Step(now)+1)), time.Until(end)))
			continue
		}
		req, err := s.build(u.name, pw)
		if err != nil {
			fatal(err)
		}
		start := time.Now()
		code, err := s.exchange(req)
		if start.Before(measureFrom) {
			continue
		}
		s.count(code, err, time.Since(start))
	}
}

// pick returns the next user and the PAP password to send for it.
func (s *sender) pick(now time.Time) (*loadUser, string, bool) {
	for range s.users {
		u := s.users[s.next]
		s.next = (s.next + 1) % len(s.users)
		password := u.password
		if s.cfg.noPassword {
			password = ""
		}
		switch s.cfg.mode {
		case codeNone:
			return u, password, true
		case codeHOTP:
			return u, password + u.nextHOTP(s.cfg.window), true
		case codeTOTP:
			step := params.Step(now)
			if u.lastStep == step+1 {
				continue
			}
			u.lastStep = step + 1
			return u, password + otp.Generate(u.key, step, params), true
		}
	}
	return nil, "", false
}

// build encodes an Access-Request with the Message-Authenticator first.
func (s *sender) build(name, password string) ([]byte, error) {
	s.id++
	p := &layeh.Packet{Code: layeh.CodeAccessRequest, Identifier: s.id, Secret: s.cfg.secret}
	rand.Read(p.Authenticator[:])
	enc, err := layeh.NewUserPassword([]byte(password), s.cfg.secret, p.Authenticator[:])
	if err != nil {
		return nil, err
	}
	p.Add(attrMessageAuthenticator, make(layeh.Attribute, 16))
	p.Add(attrUserName, layeh.Attribute(name))
	p.Add(attrUserPassword, enc)
	p.Add(attrNASIdentifier, layeh.Attribute("radius-bench"))
	b, err := p.MarshalBinary()
	if err != nil {
		return nil, err
	}
	m := hmac.New(md5.New, s.cfg.secret)
	m.Write(b)
	m.Sum(b[22:22])
	return b, nil
}

var errInvalid = errors.New("invalid reply")

// exchange sends req and waits for its reply, skipping late replies to
// earlier requests. A reply must carry a valid Response Authenticator and,
// if present, a valid Message-Authenticator.
func (s *sender) exchange(req []byte) (layeh.Code, error) {
	if _, err := s.conn.Write(req); err != nil {
		return 0, err
	}
	s.conn.SetReadDeadline(time.Now().Add(s.cfg.timeout))
	for {
		n, err := s.conn.Read(s.buf)
		if err != nil {
			return 0, err
		}
		reply := s.buf[:n]
		if n < 20 || reply[1] != req[1] {
			continue
		}
		if !layeh.IsAuthenticResponse(reply, req, s.cfg.secret) || !validMessageAuthenticator(reply, req, s.cfg.secret) {
			return 0, errInvalid
		}
		return layeh.Code(reply[0]), nil
	}
}

// validMessageAuthenticator checks a reply's Message-Authenticator, if it
// has one, computed with the Request Authenticator (RFC 3579 section 3.2).
func validMessageAuthenticator(reply, req, secret []byte) bool {
	for off := 20; off+2 <= len(reply); off += int(reply[off+1]) {
		if reply[off+1] < 2 {
			return false
		}
		if reply[off] != attrMessageAuthenticator {
			continue
		}
		if reply[off+1] != 18 || off+18 > len(reply) {
			return false
		}
		c := append([]byte(nil), reply...)
		copy(c[4:20], req[4:20])
		clear(c[off+2 : off+18])
		m := hmac.New(md5.New, secret)
		m.Write(c)
		return hmac.Equal(m.Sum(nil), reply[off+2:off+18])
	}
	return true
}

func (s *sender) count(code layeh.Code, err error, d time.Duration) {
	r := &s.result
	switch {
	case errors.Is(err, errInvalid):
		r.invalid++
		return
	case err != nil:
		r.timeouts++
		return
	case code == layeh.CodeAccessAccept:
		r.accepts++
	case code == layeh.CodeAccessChallenge:
		r.challenges++
	default:
		r.rejects++
	}
	r.latencies = append(r.latencies, d)
}

func fatal(err error) {
	os.Stderr.WriteString("radius-bench: error: " + err.Error() + "\n")
	os.Exit(1)
}
