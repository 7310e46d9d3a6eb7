package testpeer

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/smtp"
	"os"
	"strings"
	"testing"
)

// The harness's instance delivers what an authenticated client sends over
// STARTTLS, refuses an unauthenticated one, and stops and starts again.
func TestPostfix(t *testing.T) {
	p := StartPostfix(t)
	pem, err := os.ReadFile(p.PKI.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	send := func(auth bool) error {
		c, err := smtp.Dial(p.StartTLS)
		if err != nil {
			return err
		}
		defer c.Close()
		if err := c.StartTLS(&tls.Config{ServerName: "localhost", RootCAs: roots}); err != nil {
			return err
		}
		if auth {
			if err := c.Auth(smtp.PlainAuth("", p.User, p.Password, "127.0.0.1")); err != nil {
				return err
			}
		}
		if err := c.Mail("otpgate@example.org"); err != nil {
			return err
		}
		if err := c.Rcpt("alice@example.org"); err != nil {
			return err
		}
		w, err := c.Data()
		if err != nil {
			return err
		}
		w.Write([]byte("Subject: test\r\n\r\nhello alice\r\n"))
		if err := w.Close(); err != nil {
			return err
		}
		return c.Quit()
	}
	if err := send(false); err == nil {
		t.Errorf("an unauthenticated client's mail was accepted; want it refused")
	}
	if err := send(true); err != nil {
		t.Fatalf("send = %v%s", err, p.log())
	}
	if m := p.WaitMail(t, "alice@example.org", 1); !strings.Contains(m[0].Body, "hello alice") {
		t.Errorf("delivered body = %q; want hello alice", m[0].Body)
	}
	p.Stop(t)
	if c, err := net.Dial("tcp", p.StartTLS); err == nil {
		c.Close()
		t.Errorf("dial %s after Stop succeeded; want refused", p.StartTLS)
	}
	p.Start(t)
	if err := send(true); err != nil {
		t.Errorf("send after Start = %v", err)
	}
}
