package oob

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/metrics"
	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/testpeer"
)

// A code sent through a real Postfix is read from the Maildir and accepted
// once, for its user and challenge only; nothing but the message holds it.
func TestSendAndVerifyEmail(t *testing.T) {
	p := testpeer.StartPostfix(t)
	f := newFixture(t, mailSettings(p))
	alice := f.enroll("alice", Email, "alice@example.org")
	bob := f.enroll("bob", Email, "bob@example.org")

	sent, err := f.send(alice, "challenge-1", "192.0.2.7")
	if err != nil {
		t.Fatalf("Send = %v%s", err, p.Log())
	}
	if sent.To != "a***@example.org" || sent.Gateway != GatewaySMTP || !sent.Expires.Equal(t0.Add(15*time.Minute)) {
		t.Errorf("Send = %+v; want to a***@example.org by smtp, expiring at t0+15m", sent)
	}
	m := p.WaitMail(t, "alice@example.org", 1)[0]
	code := codeIn(t, m.Body)
	for _, want := range []string{"valid for 15 minutes", "requested from 192.0.2.7", "Your Example VPN login code"} {
		if !strings.Contains(m.Body, want) {
			t.Errorf("body %q; want it to say %q", m.Body, want)
		}
	}
	if m.Header.Get("Subject") != "Your Example VPN login code" || m.Header.Get("From") != `"Example VPN" <vpn@example.org>` {
		t.Errorf("Subject %q, From %q", m.Header.Get("Subject"), m.Header.Get("From"))
	}
	if !strings.Contains(m.Header.Get("Received"), "SMTPSA id") {
		t.Errorf("Received: %q; want (ESMTP or UTF8SMTP)SA: TLS and AUTH", m.Header.Get("Received"))
	}

	for _, tt := range []struct {
		name      string
		tg        Target
		challenge string
		code      string
		reason    string
	}{
		{"another challenge", alice, "challenge-2", code, ReasonWrongCode},
		{"another user's token", Target{User: "bob", TokenID: alice.TokenID}, "challenge-1", code, ReasonNotOOB},
		{"another user", bob, "challenge-1", code, ReasonNoCode},
		{"too short", alice, "challenge-1", code[:5], ReasonNotACode},
	} {
		if r := f.verify(tt.tg, tt.challenge, tt.code); r.OK || r.Reason != tt.reason {
			t.Errorf("Verify(%s) = %+v; want refused: %s", tt.name, r, tt.reason)
		}
	}
	if r := f.verify(alice, "challenge-1", code); !r.OK {
		t.Fatalf("Verify(the code) = %+v; want accepted", r)
	}
	if r := f.verify(alice, "challenge-1", code); r.OK || r.Reason != ReasonNoCode {
		t.Errorf("Verify(the code again) = %+v; want refused: it is used", r)
	}
	tok, _ := f.st.Token(t.Context(), alice.TokenID)
	if tok.Failures != 1 || tok.LastSuccess.IsZero() {
		t.Errorf("alice's token has %d failures, last success %v; want 1 (the reuse after the success) and set", tok.Failures, tok.LastSuccess)
	}
	es := f.audit(code)
	if len(es) < 7 || es[0].Action != ActionSend || es[0].Reason != "smtp to a***@example.org" || es[0].Source != "192.0.2.7" {
		t.Errorf("audit trail %+v; want the send first, masked, then each verification", es)
	}
	var mw bytes.Buffer
	f.svc.WriteMetrics(metrics.NewWriter(&mw))
	if !strings.Contains(mw.String(), `otpgate_oob_sends_total{result="ok"} 1`) || strings.Contains(mw.String(), code) {
		t.Errorf("metrics:\n%s\nwant one ok send and no code", mw.String())
	}
}

// A code is refused from its expiry on; a resend waits for ResendAfter and
// then replaces the pending code.
func TestExpiryAndResend(t *testing.T) {
	p := testpeer.StartPostfix(t)
	f := newFixture(t, mailSettings(p))
	alice := f.enroll("alice", Email, "alice@example.org")

	if _, err := f.send(alice, "c1", "192.0.2.7"); err != nil {
		t.Fatal(err)
	}
	first := codeIn(t, p.WaitMail(t, "alice@example.org", 1)[0].Body)
	f.advance(30 * time.Second)
	if _, err := f.send(alice, "c1", "192.0.2.7"); !errors.Is(err, ErrTooSoon) {
		t.Errorf("Send after 30s = %v; want ErrTooSoon", err)
	}
	f.advance(31 * time.Second)
	if _, err := f.send(alice, "c1", "192.0.2.7"); err != nil {
		t.Fatalf("Send after 61s = %v", err)
	}
	second := codeIn(t, p.WaitMail(t, "alice@example.org", 2)[1].Body)
	if first != second {
		if r := f.verify(alice, "c1", first); r.OK {
			t.Errorf("Verify(the replaced code) = %+v; want refused", r)
		}
	}
	f.advance(15 * time.Minute) // the second code expires now
	if r := f.verify(alice, "c1", second); r.OK || r.Reason != ReasonExpired {
		t.Errorf("Verify(at the expiry) = %+v; want refused: %s", r, ReasonExpired)
	}
	// An expired code holds nothing up.
	if _, err := f.send(alice, "c2", "192.0.2.7"); err != nil {
		t.Fatalf("Send after the expiry = %v", err)
	}
	third := codeIn(t, p.WaitMail(t, "alice@example.org", 3)[2].Body)
	f.advance(15*time.Minute - time.Nanosecond)
	if r := f.verify(alice, "c2", third); !r.OK {
		t.Errorf("Verify(a nanosecond before the expiry) = %+v; want accepted", r)
	}
	es := f.audit(first, second, third)
	if n := countResult(es, ActionSend, SendTooSoon); n != 1 {
		t.Errorf("%d too-soon sends audited; want 1", n)
	}
}

func countResult(es []store.AuditEvent, action store.Action, result store.Result) int {
	n := 0
	for _, e := range es {
		if e.Action == action && e.Result == result {
			n++
		}
	}
	return n
}

// Wrong codes lock the token like any other; a locked token refuses the
// right code.
func TestLockout(t *testing.T) {
	p := testpeer.StartPostfix(t)
	s := mailSettings(p)
	s.Lockout = Lockout{MaxFailures: 2, LockFor: time.Hour}
	f := newFixture(t, s)
	alice := f.enroll("alice", Email, "alice@example.org")
	if _, err := f.send(alice, "c1", "192.0.2.7"); err != nil {
		t.Fatal(err)
	}
	code := codeIn(t, p.WaitMail(t, "alice@example.org", 1)[0].Body)
	wrong := "000000"
	if code == wrong {
		wrong = "000001"
	}
	for i := range 3 {
		if r := f.verify(alice, "c1", wrong); r.OK {
			t.Fatalf("Verify(wrong code %d) = %+v", i, r)
		}
	}
	if r := f.verify(alice, "c1", code); r.OK || r.Reason != ReasonLocked {
		t.Errorf("Verify(the right code, locked) = %+v; want refused: locked", r)
	}
	f.audit(code)
}

// With the SMTP server down a send fails with ErrDelivery, withdraws the
// code and is audited; once the server is back, a send works at once.
func TestSMTPDown(t *testing.T) {
	p := testpeer.StartPostfix(t)
	f := newFixture(t, mailSettings(p))
	alice := f.enroll("alice", Email, "alice@example.org")
	p.Stop(t)
	_, err := f.send(alice, "c1", "192.0.2.7")
	if !errors.Is(err, ErrDelivery) || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("Send with the server down = %v; want ErrDelivery, connection refused", err)
	}
	if _, err := f.st.OOBCode(t.Context(), alice.TokenID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("OOBCode after a failed send = %v; want ErrNotFound (withdrawn)", err)
	}
	p.Start(t)
	if _, err := f.send(alice, "c1", "192.0.2.7"); err != nil {
		t.Fatalf("Send once the server is back = %v", err)
	}
	code := codeIn(t, p.WaitMail(t, "alice@example.org", 1)[0].Body)
	if r := f.verify(alice, "c1", code); !r.OK {
		t.Errorf("Verify = %+v", r)
	}
	es := f.audit(code)
	if countResult(es, ActionSend, SendFailed) != 1 || countResult(es, ActionSend, SendOK) != 1 {
		t.Errorf("audit %+v; want one failed and one ok send", es)
	}
}

// A flood of sends from one address, for many users at once, is held to
// SendsPerSource; a user's own sends to SendsPerUser.
func TestSendLimits(t *testing.T) {
	p := testpeer.StartPostfix(t)
	s := mailSettings(p)
	s.SendsPerSource, s.SendsPerUser, s.ResendAfter = 4, 2, 0
	f := newFixture(t, s)
	var targets []Target
	for _, u := range []string{"u0", "u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8", "u9"} {
		targets = append(targets, f.enroll(u, Email, u+"@example.org"))
	}
	var (
		ok, limited atomic.Int32
		wg          sync.WaitGroup
	)
	for _, tg := range targets {
		wg.Go(func() {
			_, err := f.send(tg, "c", "198.51.100.9")
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, ErrLimited):
				limited.Add(1)
			default:
				t.Errorf("Send(%s) = %v", tg.User, err)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 4 || limited.Load() != 6 {
		t.Errorf("of 10 concurrent sends from one address, %d sent and %d limited; want 4 and 6", ok.Load(), limited.Load())
	}
	u0 := f.enroll("u10", Email, "u10@example.org")
	for i, want := range []error{nil, nil, ErrLimited} {
		f.advance(time.Second)
		if _, err := f.send(u0, "c", "203.0.113."+string(rune('1'+i))); !errors.Is(err, want) {
			t.Errorf("send %d of u10 from its own address = %v; want %v", i, err, want)
		}
	}
	f.advance(time.Hour)
	if _, err := f.send(u0, "c", "203.0.113.1"); err != nil {
		t.Errorf("Send an hour later = %v; want sent", err)
	}
	f.audit()
}

// An SMS token with an email-to-SMS alias gets the SMS text by email.
func TestEmailToSMS(t *testing.T) {
	p := testpeer.StartPostfix(t)
	f := newFixture(t, mailSettings(p))
	phone := f.enroll("carol", SMS, "5551234567@sms.example.net")
	sent, err := f.send(phone, "c1", "192.0.2.7")
	if err != nil || sent.To != "5***@sms.example.net" {
		t.Fatalf("Send = %+v, %v", sent, err)
	}
	m := p.WaitMail(t, "5551234567@sms.example.net", 1)[0]
	code := codeIn(t, m.Body)
	if !strings.HasPrefix(m.Body, "Example VPN code "+code+", valid 15 minutes") || m.Header.Get("Subject") != "" {
		t.Errorf("SMS by email: subject %q, body %q; want the SMS text and no subject", m.Header.Get("Subject"), m.Body)
	}
	if r := f.verify(phone, "c1", code); !r.OK {
		t.Errorf("Verify = %+v", r)
	}
}

// Without a gateway for an address, Send says so and sends nothing.
func TestNoGateway(t *testing.T) {
	f := newFixture(t, DefaultSettings())
	for _, tg := range []Target{
		f.enroll("alice", Email, "alice@example.org"),
		f.enroll("bob", SMS, "+15551234567"),
	} {
		if _, err := f.send(tg, "c", "192.0.2.7"); !errors.Is(err, ErrNoGateway) {
			t.Errorf("Send(%s) = %v; want ErrNoGateway", tg.Address, err)
		}
	}
}

func TestNewToken(t *testing.T) {
	f := newFixture(t, DefaultSettings())
	for _, tt := range []struct {
		ch   Channel
		addr string
	}{{Email, "not an address"}, {Email, "+15551234567"}, {SMS, "555-CALL-NOW"}, {"voice", "alice@example.org"}} {
		if _, err := NewToken(f.box, "alice", tt.ch, tt.addr, t0); err == nil {
			t.Errorf("NewToken(%s, %q) = nil error; want an error", tt.ch, tt.addr)
		}
	}
	tok, err := NewToken(f.box, "alice", SMS, "+1 555 123 4567", t0)
	if err != nil || tok.Type != store.SMS || bytes.Contains(tok.Secret, []byte("5551234567")) {
		t.Fatalf("NewToken = %+v, %v; want an sms token with its address sealed", tok, err)
	}
	if tg, err := TargetOf(f.box, tok); err != nil || tg.Address != "+15551234567" || tg.Channel != SMS {
		t.Errorf("TargetOf = %+v, %v; want +15551234567 by sms", tg, err)
	}
	tok.ID = "another"
	if _, err := TargetOf(f.box, tok); err == nil {
		t.Errorf("TargetOf(a token whose ID changed) = nil error; want the address bound to its token")
	}
}
