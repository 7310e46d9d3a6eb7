package radproxy

import (
	"context"
	"crypto/hmac"
	"crypto/md5"
	"errors"
	"fmt"
	"net"
	"time"

	layeh "layeh.com/radius"
)

// Attribute types and sizes (RFC 2865 section 5, RFC 3579 section 3.2).
const (
	typeUserName             = 1
	typeUserPassword         = 2
	typeCHAPPassword         = 3
	typeState                = 24
	typeProxyState           = 33
	typeEAPMessage           = 79
	typeMessageAuthenticator = 80

	headerLength = 20
	maxString    = 253
)

// exchange sends p to server i and waits for its answer, resending the
// same datagram (RFC 5080 section 2.2.1) after each Timeout, Tries times.
func (c *Client) exchange(ctx context.Context, i int, p *layeh.Packet) (Response, error) {
	server := c.cfg.Servers[i]
	wire, err := encode(p, c.cfg.Secret)
	if err != nil {
		return Response{}, err
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "udp", server.String())
	if err != nil {
		return Response{}, fmt.Errorf("%s: %w", server, err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()
	buf := make([]byte, layeh.MaxPacketLength)
	for try := 0; try < c.cfg.Tries; try++ {
		if _, err := conn.Write(wire); err != nil {
			return Response{}, fmt.Errorf("%s: %w", server, err)
		}
		conn.SetReadDeadline(time.Now().Add(c.cfg.Timeout))
		if resp, err := c.read(conn, buf, wire); err == nil {
			return resp, nil
		} else if !isTimeout(err) {
			return Response{}, fmt.Errorf("%s: %w", server, err)
		}
		if ctx.Err() != nil {
			return Response{}, ctx.Err()
		}
	}
	return Response{}, fmt.Errorf("%s: no answer to %d tries of %v", server, c.cfg.Tries, c.cfg.Timeout)
}

// read waits for an authentic answer to request, ignoring datagrams that
// are not one (a late answer to another request, a forgery).
func (c *Client) read(conn net.Conn, buf, request []byte) (Response, error) {
	for {
		n, err := conn.Read(buf)
		if err != nil {
			return Response{}, err
		}
		if resp, ok := c.check(buf[:n], request); ok {
			return resp, nil
		}
	}
}

// check parses an answer and verifies it against request: code,
// Identifier, Response Authenticator, Message-Authenticator.
func (c *Client) check(b, request []byte) (Response, bool) {
	p, err := layeh.Parse(b, c.cfg.Secret)
	if err != nil || p.Identifier != request[1] || !layeh.IsAuthenticResponse(b, request, c.cfg.Secret) {
		return Response{}, false
	}
	switch p.Code {
	case layeh.CodeAccessAccept, layeh.CodeAccessReject, layeh.CodeAccessChallenge:
	default:
		return Response{}, false
	}
	if !c.checkMessageAuthenticator(b[:int(b[2])<<8|int(b[3])], request) {
		return Response{}, false
	}
	resp := Response{Code: p.Code, State: p.Get(typeState)}
	for _, a := range p.Attributes {
		switch a.Type {
		case typeMessageAuthenticator, typeProxyState, typeState:
		default:
			resp.Attributes = append(resp.Attributes, a)
		}
	}
	return resp, true
}

// checkMessageAuthenticator verifies a response's Message-Authenticator:
// HMAC-MD5 over the response with the Request Authenticator in its header
// and the attribute's value as zeros (RFC 3579 section 3.2).
func (c *Client) checkMessageAuthenticator(b, request []byte) bool {
	off := findMessageAuthenticator(b)
	if off < 0 {
		return !c.cfg.RequireMessageAuthenticator
	}
	m := hmac.New(md5.New, c.cfg.Secret)
	m.Write(b[:4])
	m.Write(request[4:headerLength])
	m.Write(b[headerLength:off])
	m.Write(make([]byte, md5.Size))
	m.Write(b[off+md5.Size:])
	return hmac.Equal(m.Sum(nil), b[off:off+md5.Size])
}

// findMessageAuthenticator returns the offset of the value of the first
// well-formed Message-Authenticator of an encoded packet, or -1.
func findMessageAuthenticator(b []byte) int {
	for off := headerLength; off+2 <= len(b); {
		n := int(b[off+1])
		if n < 2 || off+n > len(b) {
			return -1
		}
		if b[off] == typeMessageAuthenticator && n == 2+md5.Size {
			return off + 2
		}
		off += n
	}
	return -1
}

// encode writes p with its Message-Authenticator (the first attribute,
// zeros until now) computed over the packet (RFC 3579 section 3.2).
func encode(p *layeh.Packet, secret []byte) ([]byte, error) {
	b, err := p.Encode()
	if err != nil {
		return nil, fmt.Errorf("radproxy: encode: %w", err)
	}
	if len(b) < headerLength+2+md5.Size || b[headerLength] != typeMessageAuthenticator {
		return nil, errors.New("radproxy: encode: the Message-Authenticator is not first")
	}
	m := hmac.New(md5.New, secret)
	m.Write(b)
	m.Sum(b[headerLength+2 : headerLength+2])
	return b, nil
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
