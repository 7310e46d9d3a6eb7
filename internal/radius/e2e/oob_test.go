package e2e

import (
	"context"
	"io"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/auth"
	"otpgate.dev/otpgate/internal/engine"
	"otpgate.dev/otpgate/internal/oob"
	"otpgate.dev/otpgate/internal/primary"
	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/testpeer"
)

// Out-of-band codes over RADIUS: a real Postfix delivers the code that
// the password's Access-Challenge announces, and the test reads it from
// the Maildir, as the user reads their mail.

const testMail = "alice@example.org"

var (
	statePattern = regexp.MustCompile(`State = (0x[0-9a-f]+)`)
	codePattern  = regexp.MustCompile(`\b[0-9]{6}\b`)
)

// oobStack is the stack with alice's TOTP token replaced by an email
// token, bob (with alice's password) with one too, and the login service
// sending through p.
func oobStack(t *testing.T, p *testpeer.Postfix, legacy bool, tune func(*oob.Settings)) *stack {
	t.Helper()
	ctx := context.Background()
	s := newStack(t)
	toks, _ := s.store.Tokens(ctx, testUser)
	for _, tok := range toks {
		if err := s.store.DeleteToken(ctx, tok.ID); err != nil {
			t.Fatal(err)
		}
	}
	for user, addr := range map[string]string{testUser: testMail, "bob": "bob@example.org"} {
		s.store.CreateUser(ctx, user)
		tok, err := oob.NewToken(s.box, user, oob.Email, addr, s.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := s.store.AddToken(ctx, &tok); err != nil {
			t.Fatal(err)
		}
	}
	set := oob.DefaultSettings()
	set.VPNName = "Example VPN"
	r := oob.SMTPSettings{Server: p.StartTLS, TLS: oob.TLSStartTLS, CAFile: p.PKI.CAFile, ServerName: "localhost",
		Username: p.User, PasswordFile: p.PasswordFile, From: "Example VPN <vpn@example.org>", Timeout: 10 * time.Second}
	set.SMTP = &r
	if tune != nil {
		tune(&set)
	}
	o, err := oob.New(oob.Join(s.store, s.store), s.box, set, s.clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(s.dir, "htpasswd")
	cmd := exec.Command(testpeer.Need(t, "htpasswd")[0], "-i", "-B", path, "bob")
	cmd.Stdin = strings.NewReader(testPassword)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("htpasswd: %v\n%s", err, out)
	}
	pw, err := primary.LoadHtpasswd(path)
	if err != nil {
		t.Fatal(err)
	}
	eng := engine.New(s.store, s.box, engine.DefaultPolicy(), s.clock.Now)
	s.svc = auth.New(auth.Config{Primary: pw, Prompt: testPrompt, OOB: o}, eng, s.store, s.clock.Now)
	s.serve(auth.Challenge, legacy)
	return s
}

// challenge sends the password and returns the Access-Challenge's State.
func (s *stack) oobChallenge(user string) string {
	s.t.Helper()
	out := s.radclient(user, testPassword)
	wantReceived(s.t, out, "Access-Challenge")
	m := statePattern.FindStringSubmatch(out)
	if m == nil {
		s.t.Fatalf("no State in the Access-Challenge:\n%s", out)
	}
	return m[1]
}

// mailedCode waits for the n-th message to addr and returns its code.
func mailedCode(t *testing.T, p *testpeer.Postfix, addr string, n int) string {
	t.Helper()
	body := p.WaitMail(t, addr, n)[n-1].Body
	code := codePattern.FindString(body)
	if code == "" {
		t.Fatalf("no code in the message to %s:\n%s", addr, body)
	}
	return code
}

// TestRadclientEmailCode: the password earns an Access-Challenge whose
// Reply-Message names the masked address; the mailed code answers it once;
// a code of another user, a reused code and an expired code are refused;
// and nothing but the message holds the code.
func TestRadclientEmailCode(t *testing.T) {
	p := testpeer.StartPostfix(t)
	s := oobStack(t, p, false, nil)
	out := s.radclient(testUser, testPassword)
	wantReceived(t, out, "Access-Challenge")
	if !strings.Contains(out, `Reply-Message = "A code was sent to a***@example.org"`) {
		t.Errorf("Access-Challenge lacks the masked address:\n%s", out)
	}
	state := statePattern.FindStringSubmatch(out)[1]
	mails := 0
	next := func() string { mails++; return mailedCode(t, p, testMail, mails) }
	first := next()
	bobState := s.oobChallenge("bob")
	bobCode := mailedCode(t, p, "bob@example.org", 1)
	if bobCode != first {
		wantReceived(t, s.radclient(testUser, bobCode, "State = "+state), "Access-Reject")
	}

	s.clock.offset.Add(int64(oob.DefaultResendAfter))
	state = s.oobChallenge(testUser)
	code := next()
	if code != first {
		wantReceived(t, s.radclient(testUser, first, "State = "+state), "Access-Reject")
		s.clock.offset.Add(int64(oob.DefaultResendAfter))
		state = s.oobChallenge(testUser)
		code = next()
	}
	wantReceived(t, s.radclient(testUser, code, "State = "+state), "Access-Accept")
	wantReceived(t, s.radclient(testUser, code, "State = "+state), "Access-Reject")
	wantReceived(t, s.radclient("bob", bobCode, "State = "+bobState), "Access-Accept")

	s.clock.offset.Add(int64(oob.DefaultResendAfter))
	state = s.oobChallenge(testUser)
	late := next()
	s.clock.offset.Add(int64(oob.DefaultLifetime))
	wantReceived(t, s.radclient(testUser, late, "State = "+state), "Access-Reject")

	codes := []string{first, code, bobCode, late}
	for _, c := range codes {
		if strings.Contains(s.log.String(), c) {
			t.Errorf("otpgate's log holds a code")
		}
	}
	evs, _ := s.store.Audit(context.Background(), store.AuditFilter{})
	for _, e := range evs {
		for _, c := range codes {
			if strings.Contains(e.Reason+e.Source+e.User+string(e.Result), c) {
				t.Errorf("audit event %+v holds a code", e)
			}
		}
	}
}

// TestRadclientEmailDown: with Postfix stopped the password is refused,
// the server keeps answering, and once Postfix is back a login works at
// once; a flood of logins is held to the user's send limit.
func TestRadclientEmailDown(t *testing.T) {
	p := testpeer.StartPostfix(t)
	s := oobStack(t, p, false, func(set *oob.Settings) { set.SendsPerUser = 3 })
	p.Stop(t)
	wantReceived(t, s.radclient(testUser, testPassword), "Access-Reject")
	s.waitLog("could not send the code")
	p.Start(t)
	state := s.oobChallenge(testUser)
	wantReceived(t, s.radclient(testUser, mailedCode(t, p, testMail, 1), "State = "+state), "Access-Accept")

	// Three sends an hour: the failed one, this one, and one more.
	s.clock.offset.Add(int64(oob.DefaultResendAfter))
	s.oobChallenge(testUser)
	for range 3 {
		s.clock.offset.Add(int64(oob.DefaultResendAfter))
		wantReceived(t, s.radclient(testUser, testPassword), "Access-Reject")
	}
	s.waitLog("too many codes sent")
	if got := len(p.WaitMail(t, testMail, 2)); got != 2 {
		t.Errorf("%d messages delivered; want 2", got)
	}
}

// TestOpenconnectEmailCode: openconnect --authenticate through ocserv,
// the code typed from the delivered message into ocserv's second form.
func TestOpenconnectEmailCode(t *testing.T) {
	p := testpeer.StartPostfix(t)
	s := oobStack(t, p, true, nil)
	o := startOcserv(t, s, radiusTimeout)
	in, typed := io.Pipe()
	done := make(chan login, 1)
	go func() { done <- o.openconnectFrom(in, "--passwd-on-stdin") }()
	typed.Write([]byte(testPassword + "\n"))
	code := mailedCode(t, p, testMail, 1)
	typed.Write([]byte(code + "\n"))
	typed.Close() // openconnect's Wait waits for its stdin to end
	l := <-done
	wantLoggedIn(t, o, l)
	if !strings.Contains(l.stderr, "A code was sent to a***@example.org") {
		t.Errorf("openconnect did not show where the code went:\n%s", l.stderr)
	}
	if got := s.audit(testUser); len(got) == 0 || got[len(got)-1] != "verify:ok" {
		t.Errorf("audit of alice = %q; want the code's verification last", got)
	}
}
