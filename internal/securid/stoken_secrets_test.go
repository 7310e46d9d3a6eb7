package securid

import (
	"encoding/xml"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestStokenV1DeviceID checks the v1 quirk (device-ID digits are dropped,
// every other character kept) against stoken with a v1 string.
func TestStokenV1DeviceID(t *testing.T) {
	t.Parallel()
	s := newStokenPeer(t)
	tok := mustUnlock(t, tok0, "", "")
	v1, err := tok.encodeCTF(1, "", "ab-12-XY")
	if err != nil {
		t.Fatal(err)
	}
	for _, dev := range []string{"AB-12-XY", "ab--xy", "a1b-2-3x4y"} {
		sm := sample{name: "v1/" + dev, in: v1, source: "--token=" + v1, devid: dev}
		got := s.checkShow(sm)
		s.compareCode(sm, got, 1409757465, "9999")
	}
	wrong, err := Parse(v1)
	if err != nil {
		t.Fatal(err)
	}
	if err := wrong.Decrypt("", "ab-xz"); err == nil {
		t.Errorf("v1 Decrypt(devid ab-xz) = nil; want ErrBadDeviceID")
	}
	if _, err := s.run("tokencode", "--token="+v1, "--devid=ab-xz"); err == nil {
		t.Errorf("stoken accepted the wrong v1 device ID")
	}
}

// TestStokenRejects checks that wrong secrets give the sentinel errors and
// that stoken refuses the same secrets.
func TestStokenRejects(t *testing.T) {
	t.Parallel()
	s := newStokenPeer(t)
	tpl := s.writeFile("t.xml", issueTemplate(8, 60, 1, 0, 0))
	path := s.writeFile("t.sdtid", s.mustRun("issue", "--template="+tpl))
	for _, sm := range s.exportForms("reject", path)[1:] {
		if sm.password == "" && sm.devid == "" {
			continue
		}
		for _, bad := range []struct {
			password, devid string
			want            error
		}{
			{sm.password + "x", sm.devid, ErrBadPassword},
			{sm.password, "fedcba9876543210fedcba9876543210fedcba98", ErrBadDeviceID},
		} {
			if (bad.want == ErrBadPassword && sm.password == "") || (bad.want == ErrBadDeviceID && sm.devid == "") {
				continue
			}
			tok, err := Parse(sm.in)
			if err != nil {
				t.Fatal(err)
			}
			if err := tok.Decrypt(bad.password, bad.devid); !errors.Is(err, bad.want) {
				t.Errorf("%s: Decrypt(wrong) = %v; want %v", sm.name, err, bad.want)
			}
			bs := sample{source: sm.source, password: bad.password, devid: bad.devid}
			if _, err := s.run(append([]string{"tokencode", sm.source, "--pin=1234"}, bs.secretArgs()...)...); err == nil {
				t.Errorf("%s: stoken accepted the secret that Decrypt refused", sm.name)
			}
		}
	}
}

// TestStokenRC reads rcfiles written by `stoken import` and `stoken setpin`.
func TestStokenRC(t *testing.T) {
	t.Parallel()
	s := newStokenPeer(t)
	for i, pw := range []string{"", "rc password"} {
		rc := filepath.Join(s.dir, "rc"+strconv.Itoa(i))
		if _, err := s.runRC(rc, "import", "--token="+tok0, "--new-password="+pw); err != nil {
			t.Fatal(err)
		}
		if _, err := s.runRC(rc, "setpin", "--new-pin=24680", "--password="+pw); err != nil {
			t.Fatal(err)
		}
		tok, err := ParseRC([]byte(s.readFile(rc)))
		if err != nil {
			t.Fatalf("ParseRC = %v", err)
		}
		if err := tok.Decrypt(pw, ""); err != nil {
			t.Fatalf("Decrypt = %v", err)
		}
		if tok.SavedPIN() != "24680" {
			t.Errorf("rcfile %d: SavedPIN() is wrong", i)
		}
		for _, at := range codeTimes[:5] {
			want, err := s.runRC(rc, "tokencode", "--use-time="+strconv.FormatInt(at, 10), "--password="+pw)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := tok.Code(time.Unix(at, 0), tok.SavedPIN()); err != nil || got != want {
				t.Errorf("rcfile %d: Code(%d, saved PIN) = %q, %v; stoken says %q", i, at, got, err, want)
			}
		}
	}
}

// TestStokenSDTIDFields has stoken issue sdtid files whose text fields are
// random (empty, blank, long, with XML metacharacters and UTF-8) and checks
// that their HeaderMAC and TokenMAC verify here, with and without a
// password, and that the codes agree. The generator is seeded so that a
// failure reproduces.
func TestStokenSDTIDFields(t *testing.T) {
	t.Parallel()
	s := newStokenPeer(t)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 40 {
		tpl := randomTemplate(rng)
		// An explicitly empty --new-password makes stoken write a file that
		// it cannot read back itself, so give it only when there is one.
		args := []string{"issue", "--template=" + s.writeFile("r.xml", tpl)}
		password := ""
		// stoken reads back only passwords of at most 40 bytes.
		for i%2 == 1 && (password == "" || len(password) > maxPass) {
			password = randomText(rng, 1+rng.IntN(40))
		}
		if password != "" {
			args = append(args, "--new-password="+password)
		}
		file := s.mustRun(args...)
		sm := sample{name: fmt.Sprintf("random-%d", i), in: file, source: "--file=" + s.writeFile("r.sdtid", file), password: password}
		tok := s.checkShow(sm)
		s.compareCode(sm, tok, codeTimes[i%len(codeTimes)], "1357")
	}
}

// randomTemplate returns an sdtid template with random text fields.
func randomTemplate(rng *rand.Rand) string {
	field := func(name string) string {
		if rng.IntN(5) == 0 {
			return ""
		}
		var b strings.Builder
		xml.EscapeText(&b, []byte(randomText(rng, rng.IntN(45))))
		return "<" + name + ">" + b.String() + "</" + name + ">"
	}
	var hdr, tkn strings.Builder
	for _, f := range []string{"Origin", "Dest", "Name", "FirstToken", "LastToken"} {
		hdr.WriteString(field(f))
	}
	for _, f := range []string{"UserFirstName", "UserLastName", "UserLogin"} {
		tkn.WriteString(field(f))
	}
	return fmt.Sprintf(`<?xml version="1.0"?>
<TKNBatch><TKNHeader>%s<DefDigits>%d</DefDigits></TKNHeader><TKN>%s<TokenAttributes>%s</TokenAttributes></TKN></TKNBatch>
`, hdr.String(), 6+2*rng.IntN(2), tkn.String(), field("Nickname"))
}

// randomText returns n characters mixing printable ASCII, XML
// metacharacters and a few multi-byte letters.
func randomText(rng *rand.Rand, n int) string {
	alphabet := []rune("abcXYZ019 &<>\"'/=#é€")
	out := make([]rune, n)
	for i := range out {
		if rng.IntN(2) == 0 {
			out[i] = alphabet[rng.IntN(len(alphabet))]
		} else {
			out[i] = rune(' ' + rng.IntN(95))
		}
	}
	return string(out)
}

// TestStokenDeviceIDRules binds tok0 to a device ID in each format and
// checks that Decrypt and stoken agree on which device IDs open it: v2
// strings look at the first 32 characters (40 in smartphone URIs) and keep
// hex digits; v3 tokens keep up to 48 letters and digits.
func TestStokenDeviceIDRules(t *testing.T) {
	t.Parallel()
	s := newStokenPeer(t)
	const hex40 = "0123456789abcdef0123456789abcdef01234567"
	tests := []struct {
		format, bind, try string
		ok                bool
	}{
		{"", hex40 + "-extra", hex40[:32], true},
		{"", hex40, "0123-4567-89ab-cdef-0123-4567-89ab-cdef", false},
		{"", hex40, strings.ToUpper(hex40[:32]) + "zz", true},
		{"--android", hex40 + "-extra", hex40[:32], false},
		{"--android", hex40 + "-extra", hex40, true},
		{"--iphone", hex40, hex40 + "ffff", true},
		{"--v3", strings.Repeat("-", 30) + hex40, hex40, true},
		{"--v3", strings.Repeat("-", 30) + hex40, hex40[:18], false},
		{"--v3", hex40 + "ABCDEFGHIJKL", hex40 + "abcdefgh", true},
		{"--v3", hex40 + "ABCDEFGHIJKL", hex40 + "ABCDEFG", false},
	}
	for _, tt := range tests {
		args := []string{"export", "--token=" + tok0, "--new-password=", "--new-devid=" + tt.bind}
		if tt.format != "" {
			args = append(args, tt.format)
		}
		exported := s.mustRun(args...)
		tok, err := Parse(exported)
		if err != nil {
			t.Fatal(err)
		}
		err = tok.Decrypt("", tt.try)
		if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrBadDeviceID)) {
			t.Errorf("%s bound to %q: Decrypt(%q) = %v; want ok %v", tt.format, tt.bind, tt.try, err, tt.ok)
		}
		_, err = s.run("tokencode", "--token="+exported, "--devid="+tt.try, "--pin=1234")
		if (err == nil) != tt.ok {
			t.Errorf("%s bound to %q: stoken with --devid=%q: %v; want ok %v", tt.format, tt.bind, tt.try, err, tt.ok)
		}
	}
}
