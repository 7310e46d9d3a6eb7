package securid

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestExportFileRoundTrip: for stoken's published tokens in every format,
// ParseFile(ExportFile(t)) is t again (serial, parameters, expiry and seed),
// opens with the new password alone, and gives the same codes.
func TestExportFileRoundTrip(t *testing.T) {
	tests := []struct {
		name, in, password, devid string
	}{
		{"v2", tok0, "", ""},
		{"v3 with password and device ID", readTestdata(t, "v3-devid-passwd.txt"), stokenTestPassword, stokenTestDevID},
		{"sdtid with password", readTestdata(t, "devid-passwd.sdtid"), stokenTestPassword, ""},
		{"sdtid", readTestdata(t, "nopasswd.sdtid"), "", ""},
		{"rcfile", readTestdata(t, "stokenrc-plain"), "", ""},
	}
	at := time.Unix(1410710132, 0)
	for _, tt := range tests {
		tok, err := ParseFile([]byte(tt.in))
		if err != nil {
			t.Fatalf("%s: ParseFile = %v", tt.name, err)
		}
		if err := tok.Decrypt(tt.password, tt.devid); err != nil {
			t.Fatalf("%s: Decrypt = %v", tt.name, err)
		}
		want, _ := tok.Code(at, "1234")
		for _, newPw := range []string{"", "new pass", strings.Repeat("x", maxPass)} {
			data, err := tok.ExportFile(newPw)
			if err != nil {
				t.Errorf("%s: ExportFile(%q) = %v", tt.name, newPw, err)
				continue
			}
			back, err := ParseFile(data)
			if err != nil {
				t.Errorf("%s: ParseFile(ExportFile(%q)) = %v", tt.name, newPw, err)
				continue
			}
			if back.NeedsDeviceID() || back.NeedsPassword() != (newPw != "") {
				t.Errorf("%s: exported with password %q: NeedsPassword, NeedsDeviceID = %v, %v", tt.name, newPw, back.NeedsPassword(), back.NeedsDeviceID())
			}
			if err := back.Decrypt(newPw, ""); err != nil || !sameToken(tok, back) {
				t.Errorf("%s: ParseFile(ExportFile(%q)) = %v, Decrypt = %v; want the same token", tt.name, newPw, back, err)
				continue
			}
			if got, _ := back.Code(at, "1234"); got != want {
				t.Errorf("%s: code after export = %q; want %q", tt.name, got, want)
			}
		}
	}
}

// TestExportFileErrors: a locked token and an overlong password are
// refused; a wrong password on the exported file is reported as such.
func TestExportFileErrors(t *testing.T) {
	tok, err := Parse(tok0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tok.ExportFile(""); !errors.Is(err, ErrLocked) {
		t.Errorf("ExportFile on a locked token = %v; want ErrLocked", err)
	}
	if err := tok.Decrypt("", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := tok.ExportFile(strings.Repeat("x", maxPass+1)); err == nil || strings.Contains(err.Error(), "xxxx") {
		t.Errorf("ExportFile(overlong password) = %v; want an error without the password", err)
	}
	data, err := tok.ExportFile("right")
	if err != nil {
		t.Fatal(err)
	}
	back, _ := ParseFile(data)
	if err := back.Decrypt("wrong", ""); !errors.Is(err, ErrBadPassword) {
		t.Errorf("Decrypt(wrong password) = %v; want ErrBadPassword", err)
	}
}

func TestParseFileForms(t *testing.T) {
	tests := []struct {
		name, in string
		pin      string
	}{
		{"bare CTF line", tok0 + "\n", ""},
		{"comment then rcfile", "# stoken\n\nversion 1\ntoken " + tok0 + "\npin 1234\n", "1234"},
		{"rcfile token first", "token " + tok0 + "\nversion 1\n", ""},
	}
	for _, tt := range tests {
		tok, err := ParseFile([]byte(tt.in))
		if err == nil {
			err = tok.Decrypt("", "")
		}
		if err != nil || tok.Serial() != "584917508172" || tok.SavedPIN() != tt.pin {
			t.Errorf("%s: ParseFile = %v, %v, PIN %q; want serial 584917508172, PIN %q", tt.name, tok, err, tok.SavedPIN(), tt.pin)
		}
	}
	if _, err := ParseFile([]byte("version 2\ntoken " + tok0 + "\n")); err == nil {
		t.Errorf("ParseFile(rcfile version 2) = nil error")
	}
}

// TestStokenExportFile: stoken reads ExportFile's output with --file and
// with --token, and gives the codes it gives for the original token, for
// tokens in every format stoken exports, with and without a new password.
func TestStokenExportFile(t *testing.T) {
	t.Parallel()
	s := newStokenPeer(t)
	tpl := s.writeFile("t.xml", issueTemplate(8, 60, 0, 0, 0))
	path := s.writeFile("t.sdtid", s.mustRun("issue", "--template="+tpl))
	for n, sm := range s.exportForms("d8-i60", path) {
		tok, err := ParseFile([]byte(sm.in))
		if err == nil {
			err = tok.Decrypt(sm.password, sm.devid)
		}
		if err != nil {
			t.Fatalf("%s: %v", sm.name, err)
		}
		newPw := []string{"", "new pass"}[n%2]
		data, err := tok.ExportFile(newPw)
		if err != nil {
			t.Fatalf("%s: ExportFile = %v", sm.name, err)
		}
		file := s.writeFile("exported"+strconv.Itoa(n), string(data))
		at := "--use-time=" + strconv.FormatInt(codeTimes[n%len(codeTimes)], 10)
		want := s.mustRun(append([]string{"tokencode", sm.source, at, "--force"}, sm.secretArgs()...)...)
		for _, src := range []string{"--file=" + file, "--token=" + strings.TrimSpace(string(data))} {
			got := s.mustRun("tokencode", src, at, "--force", "--password="+newPw)
			if got != want {
				t.Errorf("%s: stoken tokencode %s = %s; the original gives %s", sm.name, src, got, want)
			}
		}
	}
}

// FuzzParseFile: ParseFile never panics, and a token that opens without
// secrets survives ExportFile → ParseFile unchanged.
func FuzzParseFile(f *testing.F) {
	f.Add(tok0)
	f.Add("version 1\ntoken " + tok0 + "\npin 1234\n")
	addTestdataSeeds(f, "stokenrc-*")
	addTestdataSeeds(f, "*.sdtid")
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := ParseFile([]byte(s))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "securid: ") {
				t.Fatalf("ParseFile error %q lacks the package prefix", err)
			}
			return
		}
		if tok.Decrypt("", "") != nil {
			return
		}
		data, err := tok.ExportFile("pw")
		if err != nil {
			t.Fatalf("ExportFile = %v", err)
		}
		back, err := ParseFile(data)
		if err == nil {
			err = back.Decrypt("pw", "")
		}
		if err != nil || !sameToken(tok, back) {
			t.Fatalf("ParseFile(ExportFile()) = %v, %v; want the same token", back, err)
		}
	})
}
