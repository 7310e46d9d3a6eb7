package oob

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/smtp"
	"os"
	"slices"
	"strings"
	"time"

	"otpgate.dev/otpgate/internal/atomicfile"
)

// SMTP submission (RFC 5321, RFC 3207 STARTTLS, RFC 8314 implicit TLS,
// RFC 4954 AUTH) with the standard library's net/smtp, which is frozen but
// has every part a relay needs; go-mail would add a dependency for what is
// here a hundred lines.

// TLS modes of SMTPSettings.
const (
	TLSStartTLS = "starttls" // STARTTLS when the server offers it (port 25 or 587)
	TLSImplicit = "implicit" // TLS from the first byte (port 465)
)

// SMTPSettings configure the mail relay.
type SMTPSettings struct {
	Server string // host:port
	TLS    string // TLSStartTLS (default) or TLSImplicit
	// RequireTLS refuses a server that does not offer STARTTLS. Without
	// it a server that offers STARTTLS is still always used with TLS
	// (a failed handshake is an error, never a fall-back to plain text),
	// and a password is never sent without TLS.
	RequireTLS bool
	CAFile     string // PEM roots to verify the server with; empty: the system's
	ServerName string // the name the certificate must have; empty: Server's host
	Username   string // empty: no AUTH
	// PasswordFile holds the AUTH password (its first line), readable by
	// the owner and the owner's group only.
	PasswordFile string
	From         string // the From address, e.g. "VPN <vpn@example.org>"
	Helo         string // the EHLO name; empty: "localhost"
	Timeout      time.Duration
}

// maxSecretFile bounds a password or API key file.
const maxSecretFile = 4096

// mailer sends messages through one relay.
type mailer struct {
	s        SMTPSettings
	from     *mail.Address
	host     string
	tls      *tls.Config
	password string
}

func newMailer(s SMTPSettings) (*mailer, error) {
	m := &mailer{s: s}
	var err error
	if m.from, err = ParseFrom(s.From); err != nil {
		return nil, err
	}
	if m.host, _, err = net.SplitHostPort(s.Server); err != nil {
		return nil, fmt.Errorf("oob: smtp server %q: want host:port", s.Server)
	}
	if m.tls, err = tlsConfig(s.CAFile, cmpOr(s.ServerName, m.host)); err != nil {
		return nil, err
	}
	if s.Username != "" {
		if m.password, err = readSecret(s.PasswordFile, "smtp password"); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// ParseFrom checks a From address: an address with an optional name.
func ParseFrom(from string) (*mail.Address, error) {
	a, err := mail.ParseAddress(from)
	if err != nil || hasControl(from) {
		return nil, fmt.Errorf("oob: from address %q is not an address (accepted: vpn@example.org or \"VPN <vpn@example.org>\")", from)
	}
	return a, nil
}

func tlsConfig(caFile, serverName string) (*tls.Config, error) {
	c := &tls.Config{ServerName: serverName, MinVersion: tls.VersionTLS12}
	if caFile == "" {
		return c, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("oob: ca file: %w", err)
	}
	c.RootCAs = x509.NewCertPool()
	if !c.RootCAs.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("oob: ca file %s holds no PEM certificate", caFile)
	}
	return c, nil
}

// readSecret reads the first line of a secret file.
func readSecret(path, what string) (string, error) {
	if path == "" {
		return "", fmt.Errorf("oob: %s: no file given", what)
	}
	b, err := atomicfile.GroupRead.Read(path, maxSecretFile)
	if err != nil {
		return "", fmt.Errorf("oob: %s: %w", what, err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	line = strings.TrimSuffix(line, "\r")
	if line == "" || hasControl(line) {
		return "", fmt.Errorf("oob: %s: %s has an empty or unprintable first line", what, path)
	}
	return line, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// send delivers msg, within the timeout and ctx. Its errors name the step
// that failed and the server's reply, never the message.
func (m *mailer) send(ctx context.Context, msg Message) error {
	ctx, cancel := context.WithTimeout(ctx, m.s.Timeout)
	defer cancel()
	conn, err := m.dial(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	// The deadline bounds every read and write; cancelling ctx ends them.
	deadline, _ := ctx.Deadline()
	conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()
	c, err := smtp.NewClient(conn, m.host)
	if err != nil {
		return fmt.Errorf("smtp %s: greeting: %w", m.s.Server, err)
	}
	defer c.Close()
	if err := m.session(c, msg); err != nil {
		return fmt.Errorf("smtp %s: %w", m.s.Server, err)
	}
	return nil
}

func (m *mailer) dial(ctx context.Context) (net.Conn, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", m.s.Server)
	if err != nil {
		return nil, fmt.Errorf("smtp %s: %w", m.s.Server, err)
	}
	if m.s.TLS != TLSImplicit {
		return conn, nil
	}
	tc := tls.Client(conn, m.tls)
	if err := tc.HandshakeContext(ctx); err != nil {
		conn.Close()
		return nil, fmt.Errorf("smtp %s: tls: %w", m.s.Server, err)
	}
	return tc, nil
}

// session runs the SMTP dialogue after the greeting.
func (m *mailer) session(c *smtp.Client, msg Message) error {
	if err := c.Hello(cmpOr(m.s.Helo, "localhost")); err != nil {
		return fmt.Errorf("ehlo: %w", err)
	}
	if err := m.startTLS(c); err != nil {
		return err
	}
	if err := m.auth(c); err != nil {
		return err
	}
	if err := c.Mail(m.from.Address); err != nil {
		return fmt.Errorf("mail from: %w", err)
	}
	if err := c.Rcpt(msg.To); err != nil {
		return fmt.Errorf("rcpt to %s: %w", Mask(msg.To), maskIn(err, msg.To))
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("data: %w", err)
	}
	if _, err := w.Write(msg.Encode(time.Now())); err != nil {
		return fmt.Errorf("data: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("message refused: %w", err)
	}
	return c.Quit()
}

func (m *mailer) startTLS(c *smtp.Client) error {
	if m.s.TLS == TLSImplicit {
		return nil
	}
	if ok, _ := c.Extension("STARTTLS"); !ok {
		if m.s.RequireTLS {
			return errors.New("the server does not offer STARTTLS, and require_tls is set")
		}
		return nil
	}
	if err := c.StartTLS(m.tls); err != nil {
		return fmt.Errorf("starttls: %w", err)
	}
	return nil
}

func (m *mailer) auth(c *smtp.Client) error {
	if m.s.Username == "" {
		return nil
	}
	if _, ok := c.TLSConnectionState(); !ok {
		return errors.New("the server does not offer STARTTLS, and the password is never sent without TLS")
	}
	ok, mechs := c.Extension("AUTH")
	if !ok {
		return errors.New("the server offers no AUTH, and a username is set")
	}
	var a smtp.Auth
	switch list := strings.Fields(strings.ToUpper(mechs)); {
	case slices.Contains(list, "PLAIN"):
		a = smtp.PlainAuth("", m.s.Username, m.password, m.host)
	case slices.Contains(list, "LOGIN"):
		a = &loginAuth{user: m.s.Username, password: m.password}
	default:
		return fmt.Errorf("the server offers AUTH %s; otpgate speaks PLAIN and LOGIN", mechs)
	}
	if err := c.Auth(a); err != nil {
		return fmt.Errorf("auth as %s: %w", m.s.Username, err)
	}
	return nil
}

// maskIn masks addr in err's text: a server's reply to RCPT quotes it.
func maskIn(err error, addr string) error {
	return errors.New(strings.ReplaceAll(err.Error(), addr, Mask(addr)))
}

// loginAuth is the LOGIN mechanism (draft-murchison-sasl-login): the
// server prompts "Username:" and "Password:" and the client answers each.
// net/smtp has PLAIN only. The caller has checked that TLS is on.
type loginAuth struct {
	user, password string
}

func (a *loginAuth) Start(*smtp.ServerInfo) (string, []byte, error) {
	return "LOGIN", nil, nil
}

func (a *loginAuth) Next(challenge []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	switch p := strings.ToLower(strings.TrimSpace(string(challenge))); {
	case strings.HasPrefix(p, "user"):
		return []byte(a.user), nil
	case strings.HasPrefix(p, "pass"):
		return []byte(a.password), nil
	}
	return nil, fmt.Errorf("unexpected LOGIN prompt %q", challenge)
}
