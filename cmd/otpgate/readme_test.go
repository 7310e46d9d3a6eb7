package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"otpgate.dev/otpgate/internal/testpeer"
)

// readmeCommands returns the commands of the README's code blocks (lines
// indented by four spaces) in the section that starts with heading, one
// per line, with continuation lines joined.
func readmeCommands(t *testing.T, heading string) []string {
	t.Helper()
	f, err := os.Open("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cmds []string
	in, cont := false, false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "## ") {
			in = strings.HasPrefix(line, heading)
			continue
		}
		if !in || !strings.HasPrefix(line, "    ") {
			cont = false
			continue
		}
		cmd := strings.TrimSpace(line)
		if cont {
			cmds[len(cmds)-1] += " " + strings.TrimSuffix(cmd, "\\")
		} else {
			cmds = append(cmds, strings.TrimSuffix(cmd, "\\"))
		}
		cont = strings.HasSuffix(cmd, "\\")
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(cmds) == 0 {
		t.Fatalf("README.md has no code block under %q", heading)
	}
	return cmds
}

// TestREADMESetUp runs the commands of the README's "Set up" section as
// written, with `go run ./cmd/otpgate` standing for this build of it and
// the site in a temporary directory (through the environment, so that the
// commands stay word for word): the store and key that enroll creates are
// the ones serve opens, serve becomes ready, and the code printed is the one
// oathtool computes for the same token. Every command must be known here:
// a new one in the README fails the test until it is run or its cover named.
func TestREADMESetUp(t *testing.T) {
	// Ports the test picks; the README's defaults may be taken on a shared machine.
	cfg := writeFile(t, "otpgate.toml", "[radius]\nlisten = \"127.0.0.1:0\"\n\n[http]\nlisten = \"127.0.0.1:0\"\n")
	dir := filepath.Dir(cfg)
	env := []string{"OTPGATE_CONFIG=" + cfg, "OTPGATE_DB=" + filepath.Join(dir, "otpgate.db"),
		"OTPGATE_KEY_FILE=" + filepath.Join(dir, "master.key")}
	covered := map[string]string{
		"make test":    "the suite this test is part of",
		"make deb":     "TestDeb",
		"make release": "TestDeb (it builds the release first)",
	}
	ran := 0
	for _, line := range readmeCommands(t, "## Set up") {
		if why, ok := covered[line]; ok {
			t.Logf("%s: covered by %s", line, why)
			continue
		}
		args, ok := strings.CutPrefix(line, "go run ./cmd/otpgate ")
		if !ok {
			t.Errorf("README command %q: not run by this test and no cover named", line)
			continue
		}
		ran++
		runREADMECommand(t, env, shellWords(t, args))
	}
	if ran == 0 {
		t.Error("no README command ran")
	}
	for _, f := range []string{"otpgate.db", "master.key"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("after the README's commands: %v", err)
		}
	}
}

// runREADMECommand runs one otpgate command of the README and checks what
// it must do.
func runREADMECommand(t *testing.T, env []string, args []string) {
	t.Helper()
	switch args[0] {
	case "serve":
		readmeServe(t, env, args)
	case "code":
		readmeCode(t, env, args)
	default:
		cmd := otpgateCmd(args...)
		cmd.Env = append(cmd.Env, env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("otpgate %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// readmeServe starts the daemon as the README does and waits until it says
// it is ready, which it does only once its store and key open.
func readmeServe(t *testing.T, env []string, args []string) {
	t.Helper()
	cmd := otpgateCmd(append(args, "--log-format", "json")...)
	cmd.Env = append(cmd.Env, env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	d := &daemonProc{cmd: cmd, logs: make(chan map[string]any, 100), exited: make(chan struct{}), logText: new(testpeer.Buffer)}
	go d.readLog(stderr)
	defer func() {
		cmd.Process.Kill()
		<-d.exited
	}()
	d.waitLog(t, "otpgate serve: ready")
}

var sixDigits = regexp.MustCompile(`(?m)^\d{6}$`)

// readmeCode checks that the README's code command prints the code
// oathtool computes for the same secret at the same time.
func readmeCode(t *testing.T, env []string, args []string) {
	t.Helper()
	cmd := otpgateCmd(args...)
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.Output()
	if err != nil || !sixDigits.Match(out) {
		t.Fatalf("otpgate %s = %q, %v; want a 6-digit code", strings.Join(args, " "), out, err)
	}
	secret := regexp.MustCompile(`secret=([A-Z2-7]+)`).FindStringSubmatch(strings.Join(args, " "))
	if secret == nil {
		t.Fatalf("the README's code command has no secret= to check against")
	}
	oathtool := testpeer.Need(t, "oathtool")[0]
	// Two oathtool codes around otpgate's, in case a 30 s step passed between.
	want, err := exec.Command(oathtool, "--totp", "-b", "-w", "1", "-N", "now - 30 seconds", secret[1]).Output()
	if err != nil {
		t.Fatalf("oathtool: %v", err)
	}
	if !strings.Contains(string(want), strings.TrimSpace(string(out))) {
		t.Errorf("otpgate printed %q; oathtool's codes around now are %q", out, want)
	}
}

// shellWords splits a README command line as sh would for the forms the
// README uses: words separated by spaces, single-quoted words.
func shellWords(t *testing.T, line string) []string {
	t.Helper()
	var words []string
	for line = strings.TrimSpace(line); line != ""; line = strings.TrimSpace(line) {
		if rest, ok := strings.CutPrefix(line, "'"); ok {
			end := strings.IndexByte(rest, '\'')
			if end < 0 {
				t.Fatalf("unterminated quote in README command %q", line)
			}
			words, line = append(words, rest[:end]), rest[end+1:]
			continue
		}
		w, rest, _ := strings.Cut(line, " ")
		words, line = append(words, w), rest
	}
	return words
}
