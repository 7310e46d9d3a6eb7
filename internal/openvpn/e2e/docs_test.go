//go:build linux

package e2e

import (
	"encoding/base32"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/openvpn/mgmt"
	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/testpeer"
)

// The blocks of docs/openvpn.md marked `<!-- e2e: NAME -->`, run as the
// guide writes them with its paths moved into the lab (issue 14 item 13):
// the guide's commands must work against the real openvpn 2.6.

// docPath is the guide, from this package's directory.
const docPath = "../../../docs/openvpn.md"

// docPassword is what the guide's htpasswd command is typed for alice.
const docPassword = "doc-password"

var docBlock = regexp.MustCompile("(?s)<!-- e2e: ([a-z0-9-]+) -->\n```[a-z]*\n(.*?)\n```")

// docBlocks returns the guide's e2e blocks by name.
func docBlocks(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	blocks := map[string]string{}
	for _, m := range docBlock.FindAllStringSubmatch(string(b), -1) {
		blocks[m[1]] = m[2]
	}
	return blocks
}

// docSite is the guide's machine in a lab: its paths, and the built
// otpgate in place of /usr/bin/otpgate.
type docSite struct {
	l      *lab
	blocks map[string]string
	bin    string
	paths  *strings.Replacer
	key    []byte // alice's TOTP seed, from the URI enroll printed
}

func newDocSite(l *lab, bin string, blocks map[string]string) *docSite {
	s := &docSite{l: l, blocks: blocks, bin: bin, paths: strings.NewReplacer(
		"/usr/bin/otpgate", bin,
		"/var/lib/otpgate/otpgate.db", l.path("otpgate.db"),
		"/etc/openvpn/users.htpasswd", l.path("users.htpasswd"),
		"/etc/otpgate/authtoken.key", l.path("authtoken.key"),
	)}
	s.enroll()
	s.htpasswd()
	return s
}

// block returns the guide's block name with the lab's paths.
func (s *docSite) block(name string) string {
	s.l.t.Helper()
	b, ok := s.blocks[name]
	if !ok {
		s.l.t.Fatalf("%s has no e2e block %q", docPath, name)
	}
	return s.paths.Replace(b)
}

// lines returns a block of server configuration as lines.
func (s *docSite) lines(name string) []string { return strings.Split(s.block(name), "\n") }

// otpgate runs one of the guide's otpgate commands, its store where the
// guide's store would be.
func (s *docSite) otpgate(name string) string {
	s.l.t.Helper()
	words := splitWords(s.l.t, s.block(name))
	if words[0] != "otpgate" {
		s.l.t.Fatalf("block %s is not an otpgate command: %q", name, words)
	}
	cmd := exec.Command(s.bin, words[1:]...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + s.l.dir, "OTPGATE_DB=" + s.l.path("otpgate.db")}
	cmd.Dir = s.l.dir
	out, err := cmd.Output()
	if err != nil {
		s.l.t.Fatalf("%q: %v", words, err)
	}
	return string(out)
}

// enroll runs the guide's enroll and keeps the seed of the URI it printed.
func (s *docSite) enroll() {
	out := s.otpgate("enroll")
	i := strings.Index(out, "otpauth://")
	if i < 0 {
		s.l.t.Fatalf("enroll printed no otpauth URI:\n%s", out)
	}
	u, err := url.Parse(strings.Fields(out[i:])[0])
	if err != nil {
		s.l.t.Fatal(err)
	}
	if iss := u.Query().Get("issuer"); iss != "OpenVPN Server" {
		s.l.t.Errorf("enroll's URI has issuer %q; want the guide's OpenVPN Server", iss)
	}
	s.key, err = base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(u.Query().Get("secret"))
	if err != nil {
		s.l.t.Fatal(err)
	}
}

// htpasswd runs the guide's htpasswd command on a terminal and types the
// password twice, as it asks.
func (s *docSite) htpasswd() {
	words := splitWords(s.l.t, s.block("htpasswd"))
	words[0] = testpeer.Need(s.l.t, "htpasswd")[0]
	term := s.l.terminal("htpasswd", words)
	term.answer("New password:", docPassword)
	term.answer("Re-type new password:", docPassword)
	term.wait()
	if b, err := os.ReadFile(s.l.path("users.htpasswd")); err != nil || !strings.HasPrefix(string(b), "alice:$2y$") {
		s.l.t.Fatalf("htpasswd wrote %q, %v; want alice's bcrypt hash\n%s", b, err, term.out.String())
	}
}

// code returns alice's TOTP code steps periods from now.
func (s *docSite) code(steps int) string {
	p := otp.DefaultParams()
	return otp.Generate(s.key, uint64(int64(p.Step(time.Now()))+int64(steps)), p)
}

// cliClient runs the guide's command-line client on a terminal in the
// client namespace, less the options in drop. Its client.ovpn holds the
// lab's client options and auth-user-pass, as a user's would.
func (s *docSite) cliClient(name string, drop ...string) *terminal {
	words := splitWords(s.l.t, s.block("cli-client"))
	if words[0] != "openvpn" || !slices.Contains(words, "client.ovpn") {
		s.l.t.Fatalf("block cli-client is not an openvpn command with client.ovpn: %q", words)
	}
	var conf []string
	for _, a := range append(s.l.clientArgs(), "--auth-user-pass") {
		if strings.HasPrefix(a, "--") {
			conf = append(conf, strings.TrimPrefix(a, "--"))
		} else {
			conf[len(conf)-1] += " " + a
		}
	}
	if err := os.WriteFile(s.l.path("client.ovpn"), []byte(strings.Join(conf, "\n")+"\n"), 0o600); err != nil {
		s.l.t.Fatal(err)
	}
	for _, d := range drop {
		if j := slices.Index(words, strings.Fields(d)[0]); j >= 0 {
			words = slices.Delete(words, j, j+len(strings.Fields(d)))
		}
	}
	return s.l.terminal(name, append([]string{"ip", "netns", "exec", s.l.topo.client}, words...))
}

// login types alice's username and password at the client's prompts.
func (term *terminal) login() {
	term.answer("Enter Auth Username:", "alice")
	term.answer("Enter Auth Password:", docPassword)
}

// TestDocsOpenVPN runs docs/openvpn.md's blocks: enroll, htpasswd, the
// server configuration of section 3 with a stock OpenVPN 2.6 command-line
// client, which gets the CRV1 challenge and answers it on its terminal with
// --auth-retry interact and stops at it without; otpgate's auth token of
// section 4 made by genkey, with a renegotiation that needs no code; and the
// auth-gen-token lines, which start only with hand-window at most half of a
// short reneg-sec. Each scenario has its own lab, since a TOTP code is
// accepted once.
func TestDocsOpenVPN(t *testing.T) {
	t.Parallel()
	blocks := docBlocks(t)
	bin := filepath.Join(t.TempDir(), "otpgate")
	if out, err := exec.Command("go", "build", "-o", bin, "../../../cmd/otpgate").CombinedOutput(); err != nil {
		t.Fatalf("go build otpgate: %v\n%s", err, out)
	}
	t.Run("cli-crv1", func(t *testing.T) {
		t.Parallel()
		l := newLab(t)
		s := newDocSite(l, bin, blocks)
		l.startServer(s.lines("server")...)
		term := s.cliClient("cli")
		term.login()
		term.answer("CHALLENGE: Please enter your TOTP code", s.code(0))
		if !term.waitFor(connectedLine) {
			t.Errorf("the command-line client did not connect:\n%s", term.out.String())
		}
		term.stop()

		bare := s.cliClient("cli-bare", "--auth-retry interact")
		bare.login()
		bare.wait()
		if log := bare.out.String(); !strings.Contains(log, "AUTH_FAILED,CRV1:") || !strings.Contains(log, "SIGTERM[soft,auth-failure]") || strings.Contains(log, connectedLine) {
			t.Errorf("without --auth-retry interact the client should stop at the CRV1 challenge:\n%s", log)
		}
	})
	t.Run("auth-token", func(t *testing.T) {
		t.Parallel()
		l := newLab(t)
		s := newDocSite(l, bin, blocks)
		s.otpgate("genkey")
		// reneg-sec 6 is the test's: a renegotiation within its time.
		l.startServer(append(append(s.lines("server"), s.lines("server-token")...), "reneg-sec 6")...)
		term := s.cliClient("cli")
		term.login()
		term.answer("CHALLENGE: Please enter your TOTP code", s.code(0))
		if !term.waitFor(connectedLine) {
			t.Fatalf("the command-line client did not connect:\n%s", term.out.String())
		}
		if !l.waitLog(l.srv, `why="auth token of session`) {
			t.Errorf("no renegotiation with the auth token")
		}
		// One AUTH_FAILED: the CRV1 challenge of the first login.
		if log := term.out.String(); strings.Count(log, "CHALLENGE:") != 1 || strings.Count(log, refusedLine) != 1 {
			t.Errorf("the renegotiation asked for a code or was refused:\n%s", log)
		}
		term.stop()
	})
	t.Run("auth-gen-token", func(t *testing.T) {
		t.Parallel()
		l := newLab(t)
		s := newDocSite(l, bin, blocks)
		l.startServer(append(s.lines("server"), s.lines("server-gen-token")...)...)
		l.srv.stop()
		short := s.lines("server-gen-token-short")
		withoutHandWindow := slices.DeleteFunc(slices.Clone(short), func(line string) bool { return strings.HasPrefix(line, "hand-window") })
		conf := l.path("refused.conf")
		os.WriteFile(conf, []byte(strings.Join(append(l.serverConfig(), append(s.lines("server"), withoutHandWindow...)...), "\n")+"\n"), 0o600)
		refused := l.start("refused", l.topo.server, "--config", conf)
		refused.wait(l.ctx)
		if log := refused.text(); !strings.Contains(log, "two times --hand-window") {
			t.Errorf("a short reneg-sec without hand-window: OpenVPN said\n%s", log)
		}
		l.startServer(append(s.lines("server"), short...)...)
		term := s.cliClient("cli")
		term.login()
		term.answer("CHALLENGE: Please enter your TOTP code", s.code(0))
		if !term.waitFor(connectedLine) {
			t.Errorf("the command-line client did not connect:\n%s", term.out.String())
		}
		term.stop()
	})
	t.Run("helper-openvpn", func(t *testing.T) {
		words := splitWords(t, blocks["helper-openvpn"])
		i := slices.Index(words, "--management")
		if words[0] != "openvpn" || i < 0 || !slices.Equal(words[i:], mgmt.ClientFlags(words[i+1])) {
			t.Errorf("section 7's openvpn command %q; want the options the helper is tested with, %q", words, mgmt.ClientFlags("/run/vpn.sock"))
		}
	})
}

// terminal is a program run on a pseudo-terminal (script(1) from
// bsdutils), as a user at a console runs it: openvpn and htpasswd read
// passwords and challenge answers only from a terminal.
type terminal struct {
	l    *lab
	cmd  *exec.Cmd
	in   io.WriteCloser
	out  *testpeer.Buffer
	done chan struct{}
}

func (l *lab) terminal(name string, words []string) *terminal {
	l.t.Helper()
	quoted := make([]string, len(words))
	for i, w := range words {
		quoted[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
	}
	term := &terminal{l: l, out: &testpeer.Buffer{}, done: make(chan struct{})}
	term.cmd = exec.Command("script", "--quiet", "--flush", "--return", "--command", strings.Join(quoted, " "), "/dev/null")
	term.cmd.Dir, term.cmd.Stdout, term.cmd.Stderr = l.dir, term.out, term.out
	term.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	var err error
	if term.in, err = term.cmd.StdinPipe(); err != nil {
		l.t.Fatal(err)
	}
	if err := term.cmd.Start(); err != nil {
		l.t.Fatalf("script %s: %v", name, err)
	}
	go func() {
		term.cmd.Wait()
		close(term.done)
	}()
	l.t.Cleanup(func() {
		term.stop()
		os.WriteFile(l.path(name+".terminal.log"), []byte(term.out.String()), 0o600)
	})
	return term
}

// waitFor polls the terminal until it shows s, the program exits or the
// lab's time ends.
func (term *terminal) waitFor(s string) bool {
	for {
		if strings.Contains(term.out.String(), s) {
			return true
		}
		select {
		case <-term.done:
			return strings.Contains(term.out.String(), s)
		case <-term.l.ctx.Done():
			return false
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// answer waits for prompt, then types line.
func (term *terminal) answer(prompt, line string) {
	term.l.t.Helper()
	if !term.waitFor(prompt) {
		term.l.t.Fatalf("the terminal never showed %q:\n%s", prompt, term.out.String())
	}
	fmt.Fprintf(term.in, "%s\n", line)
}

// wait waits for the program to exit.
func (term *terminal) wait() {
	select {
	case <-term.done:
	case <-term.l.ctx.Done():
		term.l.t.Errorf("the program on the terminal did not exit:\n%s", term.out.String())
	}
}

// stop ends the program and everything it started.
func (term *terminal) stop() {
	select {
	case <-term.done:
		return
	default:
	}
	syscall.Kill(-term.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-term.done:
	case <-time.After(5 * time.Second):
		syscall.Kill(-term.cmd.Process.Pid, syscall.SIGKILL)
		<-term.done
	}
}

// splitWords splits a one-line command as a shell would for the guide's
// commands: words separated by spaces, double quotes grouping.
func splitWords(t *testing.T, line string) []string {
	t.Helper()
	var (
		words []string
		w     strings.Builder
		in    bool
		any   bool
	)
	for _, r := range line {
		switch {
		case r == '"':
			in, any = !in, true
		case r == ' ' && !in:
			if any {
				words = append(words, w.String())
			}
			w.Reset()
			any = false
		default:
			w.WriteRune(r)
			any = true
		}
	}
	if in || strings.ContainsAny(line, "\n\\'$`") {
		t.Fatalf("command %q is not one line of plain words", line)
	}
	if any {
		words = append(words, w.String())
	}
	return words
}
