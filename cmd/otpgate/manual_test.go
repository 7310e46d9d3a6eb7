package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"otpgate.dev/otpgate/internal/clidoc"
	"otpgate.dev/otpgate/internal/testpeer"
)

// TestManPage: man-db and groff render `otpgate help --man` without a
// warning, and the page holds every command and every flag its help lists.
func TestManPage(t *testing.T) {
	man := testpeer.Need(t, "man")[0]
	r := otpgate(t, "", nil, "help", "--man")
	if r.code != 0 {
		t.Fatalf("help --man = %d, %q", r.code, r.stderr)
	}
	page := filepath.Join(t.TempDir(), "otpgate.1")
	os.WriteFile(page, []byte(r.stdout), 0o644)
	cmd := exec.Command(man, "--warnings", "-E", "UTF-8", "-l", page)
	cmd.Env = append(os.Environ(), "MANWIDTH=80", "LC_ALL=C.UTF-8", "MANPAGER=cat", "PAGER=cat")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || stderr.Len() > 0 {
		t.Fatalf("man -l otpgate.1: %v\n%s", err, stderr.String())
	}
	text := string(out)
	for _, p := range helpPages() {
		if !strings.Contains(text, "otpgate "+p.Name) {
			t.Errorf("the rendered page lacks the command %q", p.Name)
		}
		for _, f := range clidoc.Flags(p.Usage) {
			if !strings.Contains(text, f) {
				t.Errorf("the rendered page lacks %s of %q", f, p.Name)
			}
		}
	}
}

// TestBashCompletion sources the generated script in bash and asks it what
// it completes, as bash-completion would.
func TestBashCompletion(t *testing.T) {
	bash := testpeer.Need(t, "bash")[0]
	r := otpgate(t, "", nil, "help", "--completion", "bash")
	if r.code != 0 {
		t.Fatalf("help --completion bash = %d, %q", r.code, r.stderr)
	}
	script := filepath.Join(t.TempDir(), "otpgate")
	os.WriteFile(script, []byte(r.stdout), 0o644)
	for _, tt := range []struct {
		words []string
		want  string
	}{
		{[]string{"otpgate", "ser"}, "serve"},
		{[]string{"otpgate", "serve", "--ch"}, "--check"},
		{[]string{"otpgate", "list", "--"}, "--db --config --json --help"},
		{[]string{"otpgate", "openvpn", "c"}, "crresponse client-connect client"},
		{[]string{"otpgate", "openvpn", "client", "--managem"}, "--management --management-password-file"},
		{[]string{"otpgate", "openvpn", "g"}, "genkey"},
		{[]string{"otpgate", "openvpn", "genkey", "--"}, "--help"},
		{[]string{"otpgate", "apikey", "r"}, "revoke"},
		{[]string{"otpgate", "apikey", "create", "--sc"}, "--scope"},
		{[]string{"otpgate", "enroll", "--ad"}, "--address"},
		{[]string{"otpgate", "help", "ver"}, "verify"},
		{[]string{"otpgate", "v"}, "verify version"},
	} {
		line := "source " + script + "; COMP_WORDS=(" + strings.Join(tt.words, " ") + "); COMP_CWORD=" +
			string(rune('0'+len(tt.words)-1)) + `; _otpgate; echo "${COMPREPLY[*]}"`
		out, err := exec.Command(bash, "--norc", "-c", line).CombinedOutput()
		if got := strings.TrimSpace(string(out)); err != nil || got != tt.want {
			t.Errorf("complete %q = %q, %v; want %q", tt.words, got, err, tt.want)
		}
	}
}

// TestZshCompletion: zsh parses the generated function.
func TestZshCompletion(t *testing.T) {
	zsh := testpeer.Need(t, "zsh")[0]
	r := otpgate(t, "", nil, "help", "--completion", "zsh")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "#compdef otpgate\n") {
		t.Fatalf("help --completion zsh = %d, %q", r.code, r.stderr)
	}
	script := filepath.Join(t.TempDir(), "_otpgate")
	os.WriteFile(script, []byte(r.stdout), 0o644)
	if out, err := exec.Command(zsh, "-n", script).CombinedOutput(); err != nil {
		t.Errorf("zsh -n _otpgate: %v\n%s", err, out)
	}
}

func TestHelpDocUsage(t *testing.T) {
	if r := otpgate(t, "", nil, "help", "--completion", "fish"); r.code != 2 || !strings.Contains(r.stderr, "--completion bash|zsh") {
		t.Errorf("help --completion fish = %d, %q; want 2 and the accepted forms", r.code, r.stderr)
	}
}
