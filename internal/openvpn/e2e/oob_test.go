//go:build linux

package e2e

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	"otpgate.dev/otpgate/internal/openvpn"
	"otpgate.dev/otpgate/internal/openvpn/mgmt"
	"otpgate.dev/otpgate/internal/testpeer"
)

// An OpenVPN login with a code a real Postfix delivered: `otpgate serve`
// in management mode sends the code when carol's password is right, shows
// where it went in the crtext challenge, and accepts the code the test
// reads from the Maildir; the static challenge, which has no second round,
// is refused with the reason in the daemon's log.

const carolMail = "carol@example.org"

var mailedCodePattern = regexp.MustCompile(`\b[0-9]{6}\b`)

// oobConfig is [oob] sending through p's STARTTLS listener.
func oobConfig(p *testpeer.Postfix) string {
	return fmt.Sprintf(`[oob]
vpn_name = "Example VPN"
[oob.smtp]
server = %q
ca_file = %q
server_name = "localhost"
username = %q
password_file = %q
from = "Example VPN <vpn@example.org>"
`, p.StartTLS, p.PKI.CAFile, p.User, p.PasswordFile)
}

// enrollCarol enrolls carol with an email token and alice's password,
// through the binary.
func enrollCarol(l *lab, p *serveProduct) {
	l.t.Helper()
	out, err := p.command(l, "enroll", "carol", "--type", "email", "--address", carolMail, "--db", p.db).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "address:    "+carolMail) {
		l.t.Fatalf("otpgate enroll carol --type email: %v\n%s", err, out)
	}
	hash, _ := bcrypt.GenerateFromPassword([]byte(servePassword), bcrypt.MinCost)
	f, err := os.OpenFile(p.htpasswd, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		l.t.Fatal(err)
	}
	defer f.Close()
	fmt.Fprintf(f, "carol:%s\n", hash)
}

// mailedCode is a Code callback that returns the code of the n-th message
// to carol, waiting for it to arrive. It runs on the helper's goroutine, so
// it reports a missing message by an empty code, which the server refuses.
func mailedCode(pf *testpeer.Postfix, t *testing.T, n int, got *string) func(context.Context, int) (string, error) {
	return func(ctx context.Context, _ int) (string, error) {
		for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			var ms []testpeer.Mail
			for _, m := range pf.Mails(t) {
				if m.To == carolMail {
					ms = append(ms, m)
				}
			}
			if len(ms) >= n {
				*got = mailedCodePattern.FindString(ms[n-1].Body)
				return *got, nil
			}
		}
		return "", nil
	}
}

func TestServeEmailCode(t *testing.T) {
	t.Parallel()
	pf := testpeer.StartPostfix(t)
	l := newLab(t)
	p := newServeProduct(l)
	enrollCarol(l, p)
	sock := l.path("server.sock")
	l.startServer(l.serveServerConfig(sock)...)
	s := l.serve(p, l.serveConfig(p, sock, openvpn.StyleCRText, oobConfig(pf)))
	s.waitRecord(serveConnected, 1)

	var code string
	carol := &mgmt.Client{Username: "carol", Password: servePassword, Style: openvpn.StyleCRText, Code: mailedCode(pf, t, 1, &code)}
	l.wantHelperConnected(l.helperClient("email", carol))
	if countLog(l.srv, "'INFO_PRE,CR_TEXT:R,E:A code was sent to c***@example.org'") == 0 {
		t.Errorf("server never sent the crtext challenge naming c***@example.org")
	}
	if code == "" {
		t.Fatalf("no code was mailed to %s:\n%s", carolMail, pf.Log())
	}

	// The static challenge carries the code with the password, before any
	// could be sent: refused, and the log says why.
	static := &mgmt.Client{Username: "carol", Password: servePassword, Style: openvpn.StyleCRText,
		Code: codes(func(int) string { return code })}
	l.wantHelperRefused(l.helperClient("static", static, "--static-challenge", "Enter your code", "1"))
	found := false
	for _, r := range s.records("mgmt: reject") {
		found = found || strings.Contains(fmt.Sprint(r["why"]), "only the challenge style can carry")
	}
	if !found {
		t.Errorf("the daemon did not log why the static challenge was refused")
	}

	if out, err := p.command(l, "show", "carol", "--db", p.db).CombinedOutput(); err != nil ||
		!strings.Contains(string(out), "address:       "+carolMail) || !strings.Contains(string(out), "(ok: smtp to c***@example.org)") {
		t.Errorf("otpgate show carol: %v\n%s\nwant the address and the last send", err, out)
	}
	s.wantMetrics(`otpgate_oob_sends_total{result="ok"} 1`)
	s.terminate()
	if strings.Contains(readFile(t, s.log), code) {
		t.Errorf("the daemon's log holds the code")
	}
}
