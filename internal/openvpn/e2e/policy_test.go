//go:build linux

package e2e

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/openvpn"
	"otpgate.dev/otpgate/internal/recovery"
	"otpgate.dev/otpgate/internal/store/sqlite"
)

// TestProductPolicyPush: a login policy rule's reply attributes reach the
// client as pushed options, written by `otpgate openvpn client-connect`
// from the configuration file OpenVPN's setenv names: Framed-Route as a
// route, Framed-IP-Address (with the server's netmask) as its address,
// Idle-Timeout as inactive. The rule is the one for the client's address
// (untrusted_ip), not the one after it.
func TestProductPolicyPush(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	p := newProduct(t, l.dir)
	conf := l.path("otpgate.toml")
	text := fmt.Sprintf(`db = %q

[[policy.rule]]
name = "from the lab's client"
from = ["%s/32"]
frontend = ["openvpn"]
reply = { Framed-Route = ["10.20.0.0/16", "192.168.77.0/24 0.0.0.0 5"], Framed-IP-Address = "10.202.0.77", Idle-Timeout = 900, Class = "staff" }

[[policy.rule]]
name = "elsewhere"
reply = { Framed-Route = "10.99.0.0/16" }
`, p.db, clientAddr)
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	l.startServer(append(p.scripts(openvpn.StyleAppend), "setenv OTPGATE_CONFIG "+conf)...)
	c := l.fileClient("routed", "alice", "secret"+p.code(0))
	if !l.waitLog(c, connectedLine) {
		c.stop()
		t.Fatalf("client did not connect:\n%s\nserver:\n%s", c.text(), l.srvText())
	}
	c.stop()
	push := ""
	for _, line := range strings.Split(c.text(), "\n") {
		if strings.Contains(line, "PUSH_REPLY") {
			push = line
		}
	}
	for _, want := range []string{"route 10.20.0.0 255.255.0.0", "route 192.168.77.0 255.255.255.0 vpn_gateway 5", "ifconfig 10.202.0.77 255.255.255.0", "inactive 900"} {
		if !strings.Contains(push, want) {
			t.Errorf("the client was not pushed %q:\n%s\nserver:\n%s", want, push, l.srvText())
		}
	}
	if strings.Contains(push, "10.99.0.0") {
		t.Errorf("the client was pushed the next rule's route:\n%s", push)
	}
}

// TestProductRecoveryCode: a recovery code appended to the password logs
// in through `otpgate openvpn verify` once, and never again.
func TestProductRecoveryCode(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	p := newProduct(t, l.dir)
	ctx := context.Background()
	st, err := sqlite.Open(ctx, p.db)
	if err != nil {
		t.Fatal(err)
	}
	codes, stored, err := recovery.Generate("alice", 1, recovery.DefaultDigits, time.Now())
	if err == nil {
		err = st.SetRecoveryCodes(ctx, "alice", stored)
	}
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	l.startServer(p.scripts(openvpn.StyleAppend)...)
	l.wantConnected(l.fileClient("recovery", "alice", "secret"+codes[0]))
	l.wantRefused(l.fileClient("recovery-again", "alice", "secret"+codes[0]))
}

// TestProductPolicyRules: the rules `otpgate openvpn verify` reads from the
// configuration file (rewritten between logins; each hook reads it anew)
// decide real clients' logins: a denied user and a user whose rule allows
// only hardware tokens are refused with a right code, a local group's rule
// without a code lets the password alone in, and the code both refusals
// were given still logs in once no rule stands in the way.
func TestProductPolicyRules(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	p := newProduct(t, l.dir)
	ctx := context.Background()
	st, err := sqlite.Open(ctx, p.db)
	if err == nil {
		err = st.AddGroupMember(ctx, "staff", "alice")
		st.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	conf := l.path("otpgate.toml")
	write := func(rules string) {
		t.Helper()
		if err := os.WriteFile(conf, []byte(fmt.Sprintf("db = %q\n%s", p.db, rules)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("")
	l.startServer(append(p.scripts(openvpn.StyleAppend), "setenv OTPGATE_CONFIG "+conf)...)
	code := p.code(0)

	write("[[policy.rule]]\nname = \"blocked\"\nuser = [\"alice\"]\ndeny = true\n")
	l.wantRefused(l.fileClient("denied", "alice", "secret"+code))
	write("[[policy.rule]]\nname = \"staff\"\ngroup = [\"staff\"]\nfrontend = [\"openvpn\"]\notp = \"skip\"\n")
	l.wantConnected(l.fileClient("skipped", "alice", "secret"))
	write("[[policy.rule]]\nname = \"staff\"\ngroup = [\"staff\"]\ntoken_types = [\"yubico\"]\n")
	l.wantRefused(l.fileClient("hardware-only", "alice", "secret"+code))
	write("")
	l.wantConnected(l.fileClient("default", "alice", "secret"+p.code(0)))
	l.wantServerLog(`why="denied by rule blocked"`, `why="no token of an allowed type (rule staff)"`)
}
