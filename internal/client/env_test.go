package client

import (
	"bytes"
	"errors"
	"os/exec"
	"strings"
	"testing"

	"otpgate.dev/otpgate/internal/testpeer"
)

// TestPathShell: "~" in a path flag expands as dash (Debian's /bin/sh) and
// bash expand an unquoted word, for every form both agree on.
func TestPathShell(t *testing.T) {
	shells := testpeer.Need(t, "dash", "bash")
	words := []string{"~", "~/", "~/a", "~/.config/vpn.totp", "~//x", "~/a~b", "~root", "~root/", "~root/x/y",
		"~daemon/y", "~nosuchuser/x", "~nosuchuser", "a~/b", "/abs/~/x", "rel/path", "", "~~", "~.", "~root~/x"}
	const home = "/home/someone"
	for _, sh := range shells {
		for _, w := range words {
			cmd := exec.Command(sh, "-c", "printf '%s' "+w)
			cmd.Env = []string{"HOME=" + home}
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("%s -c printf %s: %v", sh, w, err)
			}
			e := Env{Getenv: func(k string) string { return map[string]string{"HOME": home}[k] }}
			if got := e.Path(w); got != string(out) {
				t.Errorf("Path(%q) = %q; %s expands it to %q", w, got, sh, out)
			}
		}
	}
}

// Without $HOME, "~" is the current user's home directory, as in bash.
func TestPathNoHome(t *testing.T) {
	bash := testpeer.Need(t, "bash")[0]
	cmd := exec.Command(bash, "-c", "printf '%s' ~/x")
	cmd.Env = []string{}
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if got := (Env{}).Path("~/x"); got != string(out) {
		t.Errorf("Path(~/x) without $HOME = %q; bash says %q", got, out)
	}
}

// Open reads standard input once, whatever the number of codes, and asks
// each terminal prompt once.
func TestOpenOnce(t *testing.T) {
	stdin := strings.NewReader("12345678901234567890\n")
	asked := 0
	tok, err := Open(Source{Mode: HOTP, Secret: "-", Env: Env{Stdin: stdin,
		Ask: func(string) ([]byte, error) { asked++; return []byte("x"), nil }}})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"755224", "755224"} {
		res, err := tok.Codes(Query{})
		if err != nil || res.Codes[0].Code != want {
			t.Fatalf("code %d = %+v, %v; want %s (a spec on stdin saves no counter)", i, res, err, want)
		}
	}
	for range 3 {
		if _, err := tok.env.ask("PSKC password: "); err != nil {
			t.Fatal(err)
		}
	}
	if asked != 1 {
		t.Errorf("one prompt asked %d times; want once", asked)
	}
	failing := Env{Ask: func(string) ([]byte, error) { asked++; return nil, errors.New("no terminal") }}.remembering()
	failing.ask("p: ")
	failing.ask("p: ")
	if asked != 3 {
		t.Errorf("a failed answer was remembered: asked %d times; want 3", asked)
	}
}

// FuzzReadSpec: a spec on standard input is taken whole up to the limit,
// and refused beyond it.
func FuzzReadSpec(f *testing.F) {
	f.Add([]byte("otpauth://totp/VPN:alice?secret=GEZDGNBV\n"), uint32(0))
	f.Add([]byte("x"), uint32(1<<20))
	f.Fuzz(func(t *testing.T, data []byte, pad uint32) {
		in := append(data, bytes.Repeat([]byte{'a'}, int(pad%(2<<20)))...)
		got, err := ReadSpec(bytes.NewReader(in))
		switch {
		case len(in) <= 1<<20 && (err != nil || got != string(in)):
			t.Fatalf("ReadSpec(%d bytes) = %d bytes, %v", len(in), len(got), err)
		case len(in) > 1<<20 && err == nil:
			t.Fatalf("ReadSpec(%d bytes) took more than the limit", len(in))
		}
	})
}
