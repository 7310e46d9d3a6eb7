package securid

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

// tok0 is stoken's tests/tok0: serial 584917508172, 8 digits, 60 s, PIN
// mode 3, seed 0cd1105cd1aafd893e89f1eb7b800dd8.
const tok0 = "258491750817210752367175001073261277346642631755724762324173166222072472716737543"

// Secrets of stoken's tests/tokencode-v3 and tokencode-sdtid, reused by the
// testdata files generated with `stoken export`.
const (
	stokenTestPassword = "Correct_horse!battery&staple"
	stokenTestDevID    = "a01c4380-fc01-4df0-b113-7fb98ec74694"
)

func readTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestPublishedVectors checks stoken's tests/*.pipe → *.ref results and its
// deterministic export vectors (reference notes, section 2.6).
func TestPublishedVectors(t *testing.T) {
	tests := []struct {
		name, in, password, devid string
		at                        int64
		pin, want                 string
	}{
		{"tokencode-v2", "http://127.0.0.1/securid/ctf?ctfData=" + tok0, "", "", 1409757465, "9999", "65365425"},
		{"plain", tok0, "", "", 1409757465, "9999", "65365425"},
		{"blocks", "25849-17508-17210-75236-71750-01073-26127-73466-42631-75572-47623-24173-16622-20724-72716-73754-3", "", "", 1409757465, "9999", "65365425"},
		{"export-android", "http://127.0.0.1/securid/ctf?ctfData=258491750817210752367175001073261277346642631755724762324173166222072476671635706", "", "", 1409757465, "9999", "65365425"},
		{"export-iphone-asdf", "com.rsa.securid.iphone://ctf?ctfData=258491750817271376337025556032745736615071405660444767006173166222072476671610011", "asdf", "", 1409757465, "9999", "65365425"},
		{"mail-mangled", "com.rsa.securid://ctf?ctfData=3D" + tok0, "", "", 1409757465, "9999", "65365425"},
		{"tokencode-v3", readTestdata(t, "v3-devid-passwd.txt"), stokenTestPassword, stokenTestDevID, 1410710132, "1234", "27957523"},
		{"tokencode-sdtid", readTestdata(t, "devid-passwd.sdtid"), stokenTestPassword, "", 1410710132, "1234", "27957523"},
		{"sdtid-no-password", readTestdata(t, "nopasswd.sdtid"), "", "", 1410710132, "1234", "27957523"},
	}
	for _, tt := range tests {
		tok, err := Parse(tt.in)
		if err != nil {
			t.Errorf("%s: Parse = %v", tt.name, err)
			continue
		}
		if err := tok.Decrypt(tt.password, tt.devid); err != nil {
			t.Errorf("%s: Decrypt = %v", tt.name, err)
			continue
		}
		got, err := tok.Code(time.Unix(tt.at, 0), tt.pin)
		if err != nil || got != tt.want {
			t.Errorf("%s: Code(%d, %q) = %q, %v; want %q", tt.name, tt.at, tt.pin, got, err, tt.want)
		}
		if tok.Serial() != "584917508172" || tok.Digits() != 8 || tok.Interval() != time.Minute {
			t.Errorf("%s: info = %v; want serial 584917508172, 8 digits, 60 s", tt.name, tok)
		}
	}
}

func TestTok0Info(t *testing.T) {
	tok, err := Parse(tok0)
	if err != nil {
		t.Fatal(err)
	}
	if tok.NeedsPassword() || tok.NeedsDeviceID() || tok.Unlocked() {
		t.Errorf("tok0 needs password %v, device ID %v, unlocked %v; want false, false, false",
			tok.NeedsPassword(), tok.NeedsDeviceID(), tok.Unlocked())
	}
	if err := tok.Decrypt("", ""); err != nil {
		t.Fatal(err)
	}
	if tok.flags != 0x43d9 || tok.PINMode() != 3 || !tok.UsesPIN() {
		t.Errorf("tok0 flags %#x, PIN mode %d; want 0x43d9, 3", tok.flags, tok.PINMode())
	}
	if want := time.Date(2038, 1, 19, 0, 0, 0, 0, time.UTC); !tok.Expiry().Equal(want) {
		t.Errorf("tok0 Expiry() = %v; want %v (stoken shows 2038/01/19)", tok.Expiry(), want)
	}
	if got := encodeMust(t, tok, "", ""); got != tok0 {
		t.Errorf("EncodeV2(\"\", \"\") = %s; want tok0 back", got)
	}
	if s := tok.String(); strings.Contains(s, "0cd1105c") {
		t.Errorf("String() = %q leaks the seed", s)
	}
}

func encodeMust(t *testing.T, tok *Token, password, devid string) string {
	t.Helper()
	s, err := tok.EncodeV2(password, devid)
	if err != nil {
		t.Fatalf("EncodeV2 = %v", err)
	}
	return s
}

func TestFormatCode(t *testing.T) {
	tests := []struct {
		code   uint32
		digits int
		pin    string
		want   string
	}{
		{2241348, 8, "", "02241348"},
		{2241348, 8, "1234", "02242572"},
		{2241348, 8, "99999999", "91130237"},
		{2241348, 6, "12345678", "586916"},
		{4294967295, 8, "", "94967295"},
	}
	for _, tt := range tests {
		if got := formatCode(tt.code, tt.digits, tt.pin); got != tt.want {
			t.Errorf("formatCode(%d, %d, %q) = %q; want %q", tt.code, tt.digits, tt.pin, got, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	bad := []byte(tok0)
	bad[40] = '0' + (bad[40]-'0'+1)%8
	tests := []struct {
		name, in string
		want     error
	}{
		{"checksum", string(bad), ErrChecksum},
		{"short", tok0[:80], nil},
		{"long", tok0 + "1", nil},
		{"version 3 digits", "3" + tok0[1:], nil},
		{"bare v3", strings.TrimPrefix(readTestdata(t, "v3-devid-passwd.txt"), "http://127.0.0.1/securid/ctf?ctfData="), nil},
		{"garbage", "hello", nil},
		{"empty", "", nil},
		{"v3 short", "ctfData=AwAB", nil},
		{"v3 bad escape", "ctfData=AwAB%2", nil},
		{"xml", "<?xml version=\"1.0\"?><TKNBatch></TKNBatch>", nil},
		{"xml broken", "<?xml version=\"1.0\"?><TKNBatch>", nil},
		{"huge", strings.Repeat("1", maxInput+1), nil},
	}
	for _, tt := range tests {
		tok, err := Parse(tt.in)
		if err == nil {
			t.Errorf("%s: Parse = %v, nil; want an error", tt.name, tok)
			continue
		}
		if tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("%s: Parse error = %v; want %v", tt.name, err, tt.want)
		}
		if !strings.HasPrefix(err.Error(), "securid: ") {
			t.Errorf("%s: error %q lacks the package prefix", tt.name, err)
		}
	}
}

func TestParseMultiLine(t *testing.T) {
	in := "Your new token:\r\n\r\n" + "com.rsa.securid.iphone://ctf?ctfData=" + tok0 + "\r\nthanks\n"
	tok, err := Parse(in)
	if err != nil {
		t.Fatalf("Parse(multi-line) = %v", err)
	}
	if tok.Serial() != "584917508172" || !tok.smartphone {
		t.Errorf("Parse(multi-line) = %v, smartphone %v; want tok0 from the iPhone URI", tok, tok.smartphone)
	}
	bad := []byte(tok0)
	bad[20] = '0' + (bad[20]-'0'+1)%8
	if _, err := Parse("junk\n" + string(bad) + "\n" + tok0); !errors.Is(err, ErrChecksum) {
		t.Errorf("Parse(junk, bad checksum, good) = %v; want ErrChecksum from the first token line", err)
	}
}

func TestDecryptErrors(t *testing.T) {
	iphone := "com.rsa.securid.iphone://ctf?ctfData=258491750817271376337025556032745736615071405660444767006173166222072476671610011"
	v3 := readTestdata(t, "v3-devid-passwd.txt")
	sdtid := readTestdata(t, "devid-passwd.sdtid")
	tests := []struct {
		name, in, password, devid string
		want                      error
	}{
		{"v2 wrong password", iphone, "asdg", "", ErrBadPassword},
		{"v2 no password", iphone, "", "", ErrBadPassword},
		{"v2 password too long", iphone, strings.Repeat("a", 41), "", ErrBadPassword},
		{"v3 wrong password", v3, "Correct_horse!battery&stapl", stokenTestDevID, ErrBadPassword},
		{"v3 wrong devid", v3, stokenTestPassword, "a01c4380-fc01-4df0-b113-7fb98ec74695", ErrBadDeviceID},
		{"v3 no devid", v3, stokenTestPassword, "", ErrBadDeviceID},
		{"sdtid wrong password", sdtid, "Correct_horse!battery&stapleX", "", ErrBadPassword},
		{"sdtid no password", sdtid, "", "", ErrBadPassword},
	}
	for _, tt := range tests {
		tok, err := Parse(tt.in)
		if err != nil {
			t.Fatalf("%s: Parse = %v", tt.name, err)
		}
		err = tok.Decrypt(tt.password, tt.devid)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: Decrypt = %v; want %v", tt.name, err, tt.want)
		}
		if _, err := tok.Code(time.Unix(1409757465, 0), "1234"); !errors.Is(err, ErrLocked) {
			t.Errorf("%s: Code after failed Decrypt = %v; want ErrLocked", tt.name, err)
		}
	}
}

func TestDeviceIDBinding(t *testing.T) {
	tok := mustUnlock(t, tok0, "", "")
	s := encodeMust(t, tok, "pw", "0123456789abcdef0123456789ABCDEF")
	tests := []struct {
		devid string
		want  error
	}{
		{"0123456789ABCDEF0123456789abcdef", nil},
		{"0123-4567-89AB-CDEF-0123-4567-89AB-CDEF", ErrBadDeviceID}, // only 32 characters count
		{"0123456789abcdef0123456789ABCDEF-more", nil},
		{"0123456789ABCDEF0123456789ABCDE", ErrBadDeviceID},
		{"", ErrBadDeviceID},
	}
	for _, tt := range tests {
		got, err := Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		if !got.NeedsDeviceID() || !got.NeedsPassword() {
			t.Fatalf("EncodeV2(pw, devid) gives a token that needs no password or device ID")
		}
		if err := got.Decrypt("pw", tt.devid); !errors.Is(err, tt.want) {
			t.Errorf("Decrypt(pw, %q) = %v; want %v", tt.devid, err, tt.want)
		}
	}
}

func mustUnlock(t *testing.T, in, password, devid string) *Token {
	t.Helper()
	tok, err := Parse(in)
	if err != nil {
		t.Fatalf("Parse = %v", err)
	}
	if err := tok.Decrypt(password, devid); err != nil {
		t.Fatalf("Decrypt = %v", err)
	}
	return tok
}

func TestPINRules(t *testing.T) {
	tok := mustUnlock(t, tok0, "", "")
	at := time.Unix(1409757465, 0)
	for _, pin := range []string{"", "123", "123456789", "12a4", "１２３４"} {
		if _, err := tok.Code(at, pin); !errors.Is(err, ErrBadPIN) {
			t.Errorf("Code(%q) = %v; want ErrBadPIN", pin, err)
		}
	}
	if got, _ := tok.Passcode(at, "9999"); got != "65365425" {
		t.Errorf("Passcode(9999) = %q; want the mixed code 65365425", got)
	}
	tok.flags &^= fldPINModeMask // PIN mode 0: OpenConnect prepends the PIN
	code, err := tok.Code(at, "1234")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ pin, want string }{{"", code}, {"1234", "1234" + code}} {
		if got, err := tok.Passcode(at, tt.pin); err != nil || got != tt.want {
			t.Errorf("Passcode(%q) = %q, %v; want %q", tt.pin, got, err, tt.want)
		}
	}
	if _, err := tok.Passcode(at, "12"); !errors.Is(err, ErrBadPIN) {
		t.Errorf("Passcode(12) = %v; want ErrBadPIN", err)
	}
}

func TestParseRC(t *testing.T) {
	tests := []struct {
		file, password, wantPIN string
	}{
		{"stokenrc-plain", "", "1234"},
		{"stokenrc-passwd", "pw", "1234"},
	}
	for _, tt := range tests {
		tok, err := ParseRC([]byte(readTestdata(t, tt.file)))
		if err != nil {
			t.Fatalf("ParseRC(%s) = %v", tt.file, err)
		}
		if tok.NeedsPassword() != (tt.password != "") {
			t.Errorf("ParseRC(%s).NeedsPassword() = %v", tt.file, tok.NeedsPassword())
		}
		if err := tok.Decrypt(tt.password, ""); err != nil {
			t.Fatalf("ParseRC(%s).Decrypt = %v", tt.file, err)
		}
		code, err := tok.Code(time.Unix(1409757465, 0), tok.SavedPIN())
		if tok.SavedPIN() != tt.wantPIN || code != "65367760" || err != nil {
			t.Errorf("ParseRC(%s): PIN %q, Code = %q, %v; want PIN %q, code 65367760", tt.file, tok.SavedPIN(), code, err, tt.wantPIN)
		}
	}
	bad := []string{"", "version 2\ntoken " + tok0, "version 1\n", "version 1\ntoken " + tok0 + "\npin 12"}
	for _, in := range bad {
		if _, err := ParseRC([]byte(in)); err == nil {
			t.Errorf("ParseRC(%q) = nil error; want one", in)
		}
	}
	tok, err := ParseRC([]byte("# comment\nVERSION 1\n\ttoken\t" + tok0 + "  # trailing\n"))
	if err != nil || tok.Serial() != "584917508172" {
		t.Errorf("ParseRC(comments, tabs, upper case) = %v, %v; want tok0", tok, err)
	}
}

func TestRCWrongPassword(t *testing.T) {
	tok, err := ParseRC([]byte(readTestdata(t, "stokenrc-passwd")))
	if err != nil {
		t.Fatal(err)
	}
	if err := tok.Decrypt("px", ""); !errors.Is(err, ErrBadPassword) {
		t.Errorf("Decrypt(px) = %v; want ErrBadPassword", err)
	}
}

func TestSecurIDMAC(t *testing.T) {
	// shortMAC over a CTF string's first 76 characters is its checksum,
	// which tok0 and its exports carry.
	var cks ctfBits
	for i := range 5 {
		cks[i] = (tok0[ctfChecksumAt+i] - '0') & 7
	}
	if got, want := shortMAC([]byte(tok0[:ctfChecksumAt])), uint16(cks.get(0, 15)); got != want {
		t.Errorf("shortMAC(tok0[:76]) = %#x; want %#x", got, want)
	}
}
