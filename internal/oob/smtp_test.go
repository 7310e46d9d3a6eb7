package oob

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/testpeer"
)

// relay returns SMTP settings for p's listener addr.
func relay(p *testpeer.Postfix, addr string) SMTPSettings {
	return SMTPSettings{Server: addr, TLS: TLSStartTLS, CAFile: p.PKI.CAFile, ServerName: "localhost",
		Username: p.User, PasswordFile: p.PasswordFile, From: "Example VPN <vpn@example.org>", Timeout: 30 * time.Second}
}

func testMessage(to, text string) Message {
	from, _ := ParseFrom("Example VPN <vpn@example.org>")
	return Message{From: from, To: to, Subject: "test", Body: text}
}

// The mailer against a real Postfix: each TLS mode and AUTH mechanism
// delivers, and every unsafe or broken set-up is refused with a clear
// error before the message is sent.
func TestMailerPostfix(t *testing.T) {
	p := testpeer.StartPostfix(t)
	wrongPassword := filepath.Join(t.TempDir(), "wrong")
	os.WriteFile(wrongPassword, []byte("not the password\n"), 0o600)
	noAuth := func(s SMTPSettings) SMTPSettings { s.Username, s.PasswordFile = "", ""; return s }
	for i, tt := range []struct {
		name    string
		s       SMTPSettings
		wantErr string // "" to deliver
	}{
		{"starttls, auth plain", relay(p, p.StartTLS), ""},
		{"implicit tls, auth login", func() SMTPSettings { s := relay(p, p.TLS); s.TLS = TLSImplicit; return s }(), ""},
		{"no tls offered, none required", noAuth(relay(p, p.Plain)), ""},
		{"no tls offered, tls required", func() SMTPSettings { s := noAuth(relay(p, p.Plain)); s.RequireTLS = true; return s }(),
			"does not offer STARTTLS, and require_tls is set"},
		{"auth without tls", relay(p, p.PlainAuth), "the password is never sent without TLS"},
		{"untrusted certificate", func() SMTPSettings { s := relay(p, p.StartTLS); s.CAFile = p.PKI.OtherCAFile; return s }(),
			"certificate signed by unknown authority"},
		{"wrong server name", func() SMTPSettings { s := relay(p, p.StartTLS); s.ServerName = "mail.example.org"; return s }(),
			"certificate is valid for"},
		{"wrong password", func() SMTPSettings { s := relay(p, p.StartTLS); s.PasswordFile = wrongPassword; return s }(),
			"auth as relay@example.org: 535"},
		{"no auth where it is required", noAuth(relay(p, p.StartTLS)), "rcpt to b***@example.org"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m, err := newMailer(tt.s)
			if err != nil {
				t.Fatalf("newMailer = %v", err)
			}
			to := fmt.Sprintf("bob%d@example.org", i)
			err = m.send(t.Context(), testMessage(to, "hello "+tt.name))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("send = %v%s", err, p.Log())
			case tt.wantErr == "":
				if got := p.WaitMail(t, to, 1)[0]; !strings.Contains(got.Body, "hello "+tt.name) {
					t.Errorf("delivered body %q; want hello %s", got.Body, tt.name)
				}
			case err == nil || !strings.Contains(err.Error(), tt.wantErr):
				t.Errorf("send = %v; want an error with %q", err, tt.wantErr)
			}
		})
	}
	sessions := 0
	for _, line := range strings.Split(p.Log(), "\n") {
		if !strings.Contains(line, "postfix/plainauth/") || !strings.Contains(line, "ehlo=") {
			continue
		}
		sessions++
		if strings.Contains(line, "auth=") {
			t.Errorf("AUTH was tried without TLS: %s", line)
		}
	}
	if sessions != 1 {
		t.Errorf("Postfix logged %d sessions on the listener without TLS; want 1:\n%s", sessions, p.Log())
	}
	for _, mech := range []string{"sasl_method=PLAIN", "sasl_method=LOGIN"} {
		if !strings.Contains(p.Log(), mech) {
			t.Errorf("Postfix logged no mail sent with %s:\n%s", mech, p.Log())
		}
	}
}

// A server that accepts and never greets is given up on at the timeout,
// and a cancelled context ends a send at once.
func TestMailerTimeout(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open, silent, until the test ends
		}
	}()
	s := SMTPSettings{Server: l.Addr().String(), TLS: TLSStartTLS, From: "vpn@example.org", Timeout: time.Second}
	m, err := newMailer(s)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.send(t.Context(), testMessage("alice@example.org", "x")); err == nil || !strings.Contains(err.Error(), "timeout") {
		t.Errorf("send to a silent server = %v; want a timeout", err)
	}
	s.Timeout = time.Hour
	m, _ = newMailer(s)
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(100*time.Millisecond, cancel)
	if err := m.send(ctx, testMessage("alice@example.org", "x")); err == nil {
		t.Errorf("send with a cancelled context = nil; want an error")
	}
}
