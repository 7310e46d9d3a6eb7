package securid

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/testpeer"
)

// stokenPeer runs Debian's stoken 0.92 with a private rcfile and HOME, no
// standard input, --batch and a timeout: with a wrong device ID or password
// and no terminal, stoken would otherwise prompt forever.
type stokenPeer struct {
	t    *testing.T
	path string
	dir  string
}

func newStokenPeer(t *testing.T) *stokenPeer {
	t.Helper()
	return &stokenPeer{t: t, path: testpeer.Need(t, "stoken")[0], dir: t.TempDir()}
}

// runRC runs stoken with the given rcfile and returns its trimmed stdout.
func (s *stokenPeer) runRC(rc string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	args = append(args, "--rcfile="+rc, "--batch")
	cmd := exec.CommandContext(ctx, s.path, args...)
	cmd.Env = append(os.Environ(), "HOME="+s.dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("stoken %s: %v: %s", args[0], err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}

func (s *stokenPeer) run(args ...string) (string, error) {
	return s.runRC(filepath.Join(s.dir, "no-such-stokenrc"), args...)
}

func (s *stokenPeer) mustRun(args ...string) string {
	s.t.Helper()
	out, err := s.run(args...)
	if err != nil {
		s.t.Fatal(err)
	}
	return out
}

// writeFile stores data under the peer's directory and returns the path.
func (s *stokenPeer) writeFile(name, data string) string {
	s.t.Helper()
	p := filepath.Join(s.dir, name)
	if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
		s.t.Fatal(err)
	}
	return p
}

// sample is one token in one form, with the secrets that open it.
type sample struct {
	name            string
	in              string // what Parse reads
	source          string // stoken's --token=... or --file=...
	password, devid string
}

func (sm sample) secretArgs() []string {
	var a []string
	if sm.password != "" {
		a = append(a, "--password="+sm.password)
	}
	if sm.devid != "" {
		a = append(a, "--devid="+sm.devid)
	}
	return a
}

// issueTemplate returns an sdtid template for the given parameters; mode
// sets the Mode and AppDerivedSeeds flags and clears TimeDerivedSeeds.
func issueTemplate(digits, interval, addPIN, localPIN, mode int) string {
	return fmt.Sprintf(`<?xml version="1.0"?>
<TKNBatch><TKNHeader><DefDigits>%d</DefDigits><DefInterval>%d</DefInterval>
<DefAddPIN>%d</DefAddPIN><DefLocalPIN>%d</DefLocalPIN><DefMode>%d</DefMode>
<DefAppDerivedSeeds>%d</DefAppDerivedSeeds><DefTimeDerivedSeeds>%d</DefTimeDerivedSeeds>
</TKNHeader><TKN></TKN></TKNBatch>
`, digits, interval, addPIN, localPIN, mode, mode, 1-mode)
}

// exportForms re-exports the sdtid token at path in every format stoken
// writes, with and without a new password and device ID.
func (s *stokenPeer) exportForms(base string, path string) []sample {
	s.t.Helper()
	const pw, hexID, uuid = "s3cret pass", "0123456789abcdef0123456789ABCDEF01234567", "a01c4380-fc01-4df0-b113-7fb98ec74694"
	forms := []struct {
		name, password, devid string
		args                  []string
	}{
		{"plain", "", "", nil},
		{"blocks+password", pw, "", []string{"--blocks"}},
		{"iphone+password+devid", pw, hexID, []string{"--iphone"}},
		{"android+devid", "", hexID, []string{"--android"}},
		{"v3", "", "", []string{"--v3"}},
		{"v3+password", pw, "", []string{"--v3"}},
		{"v3+password+devid", pw, uuid, []string{"--v3"}},
		{"sdtid+password", pw, "", []string{"--sdtid"}},
	}
	out := []sample{{name: base + "/issued", in: s.readFile(path), source: "--file=" + path}}
	for _, f := range forms {
		args := append([]string{"export", "--file=" + path, "--new-password=" + f.password}, f.args...)
		if f.devid != "" {
			args = append(args, "--new-devid="+f.devid)
		}
		exported := s.mustRun(args...)
		sm := sample{name: base + "/" + f.name, in: exported, password: f.password, devid: f.devid}
		if strings.HasPrefix(exported, "<?xml") {
			sm.source = "--file=" + s.writeFile(strings.ReplaceAll(sm.name, "/", "_")+".sdtid", exported)
		} else {
			sm.source = "--token=" + exported
		}
		out = append(out, sm)
	}
	return out
}

func (s *stokenPeer) readFile(path string) string {
	s.t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		s.t.Fatal(err)
	}
	return string(b)
}

// codeTimes are instants on and around 30 s and minute boundaries, over
// several years, in UTC seconds.
var codeTimes = []int64{
	1409757465, 1410710132,
	1735689600, 1735689629, 1735689630, 1735689659, 1735689660,
	1798761599, 1798761600 - 31, 1893455999, 946684800 + 86400*366,
}

// TestStokenTokencode compares Code with `stoken tokencode` for tokens of
// every digit count, interval and PIN mode, in every export format. Each
// sample is checked at four of codeTimes, rotating so that every instant
// meets every format.
func TestStokenTokencode(t *testing.T) {
	pins := []string{"1234", "98765432", "0000", "5555555"}
	for _, digits := range []int{6, 8} {
		for _, interval := range []int{30, 60} {
			for pinMode := range 4 {
				base := fmt.Sprintf("d%d-i%d-p%d", digits, interval, pinMode)
				t.Run(base, func(t *testing.T) {
					t.Parallel()
					s := newStokenPeer(t)
					mode := (digits/2 + interval/30 + pinMode) % 2
					tpl := s.writeFile("t.xml", issueTemplate(digits, interval, pinMode>>1, pinMode&1, mode))
					path := s.writeFile("t.sdtid", s.mustRun("issue", "--template="+tpl))
					for n, sm := range s.exportForms(base, path) {
						tok := s.checkShow(sm)
						s.compareExport(sm, tok)
						for i := range 4 {
							k := n + i*3 + pinMode
							s.compareCode(sm, tok, codeTimes[k%len(codeTimes)], pins[k%len(pins)])
						}
					}
				})
			}
		}
	}
}

// checkShow parses and decrypts a sample and compares its details with
// `stoken show`.
func (s *stokenPeer) checkShow(sm sample) *Token {
	s.t.Helper()
	tok, err := Parse(sm.in)
	if err != nil {
		s.t.Fatalf("%s: Parse = %v", sm.name, err)
	}
	wantPass, wantDev := sm.password != "", sm.devid != ""
	if tok.NeedsPassword() != wantPass || tok.NeedsDeviceID() != wantDev {
		s.t.Errorf("%s: NeedsPassword, NeedsDeviceID = %v, %v; want %v, %v", sm.name, tok.NeedsPassword(), tok.NeedsDeviceID(), wantPass, wantDev)
	}
	if err := tok.Decrypt(sm.password, sm.devid); err != nil {
		s.t.Fatalf("%s: Decrypt = %v", sm.name, err)
	}
	show := s.mustRun(append([]string{"show", sm.source}, sm.secretArgs()...)...)
	want := map[string]string{
		"Serial number":         tok.Serial(),
		"Tokencode digits":      strconv.Itoa(tok.Digits()),
		"PIN mode":              strconv.Itoa(tok.PINMode()),
		"Seconds per tokencode": strconv.Itoa(int(tok.Interval().Seconds())),
		"Expiration date":       tok.Expiry().Format("2006/01/02"),
	}
	for line := range strings.Lines(show) {
		k, v, _ := strings.Cut(line, ":")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if w, ok := want[k]; ok {
			if w != v {
				s.t.Errorf("%s: %s = %q; stoken show says %q", sm.name, k, w, v)
			}
			delete(want, k)
		}
	}
	if len(want) > 0 {
		s.t.Errorf("%s: stoken show lacks %v", sm.name, want)
	}
	return tok
}

// compareExport compares EncodeV2("", "") with stoken's plain export.
func (s *stokenPeer) compareExport(sm sample, tok *Token) {
	s.t.Helper()
	want := s.mustRun(append([]string{"export", sm.source, "--new-password="}, sm.secretArgs()...)...)
	if got := encodeMust(s.t, tok, "", ""); got != want {
		s.t.Errorf("%s: EncodeV2(\"\", \"\") = %s; stoken export says %s", sm.name, got, want)
	}
}

// compareCode compares Code with `stoken tokencode` at one instant.
func (s *stokenPeer) compareCode(sm sample, tok *Token, at int64, pin string) {
	s.t.Helper()
	args := append([]string{"tokencode", sm.source, "--use-time=" + strconv.FormatInt(at, 10), "--pin=" + pin, "--force"}, sm.secretArgs()...)
	want := s.mustRun(args...)
	got, err := tok.Code(time.Unix(at, 0), pin)
	if err != nil || got != want {
		s.t.Errorf("%s: Code(%d, %q) = %q, %v; stoken says %q", sm.name, at, pin, got, err, want)
	}
}

// TestStokenEncodeV2 checks that stoken imports EncodeV2's strings, with and
// without a password and device ID, and that they match its own exports.
func TestStokenEncodeV2(t *testing.T) {
	t.Parallel()
	s := newStokenPeer(t)
	for _, base := range []string{"d6-i30-p0", "d8-i60-p3", "d8-i30-p2", "d6-i60-p1"} {
		var d, i, p int
		fmt.Sscanf(base, "d%d-i%d-p%d", &d, &i, &p)
		tpl := s.writeFile(base+".xml", issueTemplate(d, i, p>>1, p&1, p%2))
		path := s.writeFile(base+".sdtid", s.mustRun("issue", "--template="+tpl))
		tok := mustUnlock(t, s.readFile(path), "", "")
		if got, want := encodeMust(t, tok, "", ""), s.mustRun("export", "--file="+path); got != want {
			t.Errorf("%s: EncodeV2(\"\", \"\") = %s; stoken export says %s", base, got, want)
		}
		for _, sec := range []struct{ password, devid string }{
			{"", ""}, {"pw", ""}, {"", "0123-4567-89ab-CDEF"}, {strings.Repeat("p", maxPass), "deadbeef"},
		} {
			enc := encodeMust(t, tok, sec.password, sec.devid)
			sm := sample{name: base + "/encoded", in: enc, source: "--token=" + enc, password: sec.password, devid: sec.devid}
			got := s.checkShow(sm)
			for _, at := range codeTimes[:4] {
				s.compareCode(sm, got, at, "4321")
			}
		}
	}
}
