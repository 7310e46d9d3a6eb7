package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/testpeer"
)

// docsPassword is alice's password in TestDocsRadclient.
const docsPassword = "docs primary password"

// TestDocsRadclient runs section 2 of docs/radius.md as written: its
// configuration for `otpgate serve` (the built binary), its command that
// makes a shared-secret file (once for each secret_file the configuration
// names), and its radclient commands, which must end in an Access-Accept
// for the Status-Server and for alice's second round. The test only puts
// its own directory in place of /etc/otpgate and its server's port after
// 127.0.0.1; alice is enrolled with RFC 4226's HOTP test key, so her code
// is known.
func TestDocsRadclient(t *testing.T) {
	blocks := codeBlocks(t, "../../../docs/radius.md", "## 2. Configure `otpgate serve`", "## 3. ")
	dir := t.TempDir()
	etc := strings.NewReplacer("/etc/otpgate/", dir+"/")
	config := etc.Replace(findBlock(t, blocks, "[[radius.client]]"))
	writeFile(t, filepath.Join(dir, "otpgate.toml"), config, 0o600)
	secretCmd := etc.Replace(findBlock(t, blocks, "/dev/urandom"))
	for _, m := range regexp.MustCompile(`secret_file = "[^"]*/([^"/]+)"`).FindAllStringSubmatch(config, -1) {
		runShell(t, dir, strings.ReplaceAll(secretCmd, "ocserv.secret", m[1]), nil)
	}
	htpasswd(t, filepath.Join(dir, "users.htpasswd"), "alice", docsPassword)

	bin, db := filepath.Join(dir, "otpgate"), filepath.Join(dir, "otpgate.db")
	if out, err := exec.Command("go", "build", "-o", bin, "../../../cmd/otpgate").CombinedOutput(); err != nil {
		t.Fatalf("go build otpgate: %v\n%s", err, out)
	}
	if out, err := otpgateCmd(bin, dir, "enroll", "alice", "--type", "hotp", "--rfc4226-test-key", "--db", db).CombinedOutput(); err != nil {
		t.Fatalf("otpgate enroll: %v\n%s", err, out)
	}
	addr := serveDocs(t, bin, dir, db)

	check := strings.ReplaceAll(etc.Replace(findBlock(t, blocks, "radclient -x 127.0.0.1 status")), "radclient -x 127.0.0.1 ", "radclient -x "+addr+" ")
	code := otp.Generate([]byte("12345678901234567890"), 0, otp.Params{Algorithm: otp.SHA1, Digits: 6})
	out := runShell(t, dir, check, []string{"PASSWORD=" + docsPassword, "CODE=" + code})
	if n := strings.Count(out, "Received Access-Accept"); n != 2 || strings.Contains(out, "Access-Reject") {
		t.Errorf("docs/radius.md's radclient commands got %d Access-Accepts; want 2 (status, then alice's code) and no reject:\n%s", n, out)
	}
}

// codeBlocks returns the indented code blocks of the Markdown file path
// between the lines starting with from and to, without their indentation;
// a blank line does not end a block.
func codeBlocks(t *testing.T, path, from, to string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	i := strings.Index(text, "\n"+from)
	j := strings.Index(text[i+1:], "\n"+to)
	if i < 0 || j < 0 {
		t.Fatalf("%s has no section from %q to %q", path, from, to)
	}
	var blocks []string
	var cur strings.Builder
	for _, line := range strings.Split(text[i+1:i+1+j], "\n") {
		if rest, ok := strings.CutPrefix(line, "    "); ok || line == "" && cur.Len() > 0 {
			cur.WriteString(rest + "\n")
			continue
		}
		if cur.Len() > 0 {
			blocks = append(blocks, strings.TrimRight(cur.String(), "\n")+"\n")
			cur.Reset()
		}
	}
	return blocks
}

// findBlock returns the one block that contains s.
func findBlock(t *testing.T, blocks []string, s string) string {
	t.Helper()
	var found []string
	for _, b := range blocks {
		if strings.Contains(b, s) {
			found = append(found, b)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d code blocks contain %q; want 1", len(found), s)
	}
	return found[0]
}

// runShell runs script with sh -e in dir and returns its output.
func runShell(t *testing.T, dir, script string, env []string) string {
	t.Helper()
	cmd := exec.Command("sh", "-e", "-c", script)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}, env...)
	out, err := cmd.CombinedOutput()
	t.Logf("sh -e -c %q:\n%s", script, passwordLine.ReplaceAllString(string(out), `$1 = "..."`))
	if err != nil {
		t.Fatalf("the script failed: %v", err)
	}
	return string(out)
}

// htpasswd writes path with Debian's htpasswd -B -c, as the docs say.
func htpasswd(t *testing.T, path, user, password string) {
	t.Helper()
	cmd := exec.Command(testpeer.Need(t, "htpasswd")[0], "-i", "-B", "-c", path, user)
	cmd.Stdin = strings.NewReader(password)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("htpasswd: %v\n%s", err, out)
	}
}

// otpgateCmd is the built binary with args, in a clean environment: no
// OTPGATE_* variable of the caller's leaks in.
func otpgateCmd(bin, dir string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}
	cmd.Dir = dir
	return cmd
}

// serveDocs starts `otpgate serve` with dir's otpgate.toml and db, RADIUS
// and HTTP on free loopback ports, and returns the RADIUS address once the
// daemon is ready. The test's end stops it.
func serveDocs(t *testing.T, bin, dir, db string) string {
	t.Helper()
	var log testpeer.Buffer
	cmd := otpgateCmd(bin, dir, "serve", "--config", filepath.Join(dir, "otpgate.toml"), "--db", db,
		"--radius-listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0")
	cmd.Stdout, cmd.Stderr = &log, &log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		<-exited
		t.Logf("otpgate serve:\n%s", log.String())
	})
	ready := regexp.MustCompile(`otpgate serve: ready.* radius=(\S+)`)
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := ready.FindStringSubmatch(log.String()); m != nil {
			return m[1]
		}
		select {
		case <-exited:
			t.Fatalf("otpgate serve exited:\n%s", log.String())
		default:
		}
	}
	t.Fatalf("otpgate serve never got ready:\n%s", log.String())
	return ""
}
