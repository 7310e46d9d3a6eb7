package securid

import (
	"encoding/xml"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var fuzzTime = time.Unix(1409757465, 0)

func addTestdataSeeds(f *testing.F, glob string) {
	f.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", glob))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds for %s", glob)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
}

// checkParsed asserts what every parsed token must satisfy, and that a
// token that opens without secrets survives EncodeV2 → Parse unchanged.
func checkParsed(t *testing.T, tok *Token) {
	_ = tok.String()
	if err := tok.Decrypt("", ""); err != nil {
		if !errors.Is(err, ErrBadPassword) && !errors.Is(err, ErrBadDeviceID) && !strings.HasPrefix(err.Error(), "securid: ") {
			t.Fatalf("Decrypt error %q lacks the package prefix", err)
		}
		return
	}
	if checkSerial(tok.Serial()) != nil || tok.Digits() < 1 || tok.Digits() > maxDigits {
		t.Fatalf("unlocked token has serial %q and %d digits", tok.Serial(), tok.Digits())
	}
	if i := tok.Interval(); i != 30*time.Second && i != time.Minute {
		t.Fatalf("Interval() = %v", i)
	}
	code, err := tok.Code(fuzzTime, "1234")
	if err != nil || len(code) != tok.Digits() {
		t.Fatalf("Code = %q, %v", code, err)
	}
	enc, err := tok.EncodeV2("", "")
	if err != nil {
		t.Fatalf("EncodeV2 = %v", err)
	}
	back, err := Parse(enc)
	if err != nil {
		t.Fatalf("Parse(EncodeV2()) = %v", err)
	}
	if err := back.Decrypt("", ""); err != nil {
		t.Fatalf("Decrypt(Parse(EncodeV2())) = %v", err)
	}
	if again, _ := back.Code(fuzzTime, "1234"); again != code {
		t.Fatalf("code after EncodeV2 round trip = %q; want %q", again, code)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		tok0,
		"com.rsa.securid.iphone://ctf?ctfData=" + tok0,
		"com.rsa.securid://ctf?ctfData=3D" + tok0,
		"25849-17508-17210-75236-71750-01073-26127-73466-42631-75572-47623-24173-16622-20724-72716-73754-3",
		"line one\n2" + tok0[1:] + "\n" + tok0,
		"ctfData=AwAB%2F",
	} {
		f.Add(s)
	}
	addTestdataSeeds(f, "*.txt")
	addTestdataSeeds(f, "*.sdtid")
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := Parse(s)
		if err != nil {
			return
		}
		checkParsed(t, tok)
	})
}

func FuzzParseRC(f *testing.F) {
	addTestdataSeeds(f, "stokenrc-*")
	f.Add("version 1\ntoken " + tok0 + "\npin 00000000\n")
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := ParseRC([]byte(s))
		if err != nil {
			return
		}
		checkParsed(t, tok)
		if pin := tok.SavedPIN(); pin != "" && !validPIN(pin) {
			t.Fatalf("SavedPIN() is not 4 to 8 digits")
		}
	})
}

// FuzzSDTID feeds whole files to the sdtid reader.
func FuzzSDTID(f *testing.F) {
	addTestdataSeeds(f, "*.sdtid")
	f.Add(`<?xml version="1.0"?><TKNBatch><TKNHeader/><TKN><SN>1</SN><Seed>=AAAAAAAAAAAAAAAAAAAAAA==</Seed></TKN></TKNBatch>`)
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := parseSDTID(s)
		if err != nil {
			return
		}
		checkParsed(t, tok)
	})
}

// FuzzSDTIDElement adds one element of any name and text to a valid file
// and re-MACs it: the MACs must verify and the code must not change, which
// exercises the MAC text for arbitrary content.
func FuzzSDTIDElement(f *testing.F) {
	f.Add("Note", "a<b&c", true)
	f.Add("ExtraMAC", "", false)
	f.Add("Empty", "", true)
	f.Add("Nested><Deep", "\n \t", false)
	base, err := os.ReadFile("testdata/nopasswd.sdtid")
	if err != nil {
		f.Fatal(err)
	}
	want := mustUnlockCode(f, string(base))
	nameRE := regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]{0,30}$`)
	f.Fuzz(func(t *testing.T, name, value string, inToken bool) {
		if !nameRE.MatchString(name) || !utf8.ValidString(value) || strings.ContainsAny(value, "\x00\r") {
			return
		}
		name = "X" + name // never one of the fields the token reads
		var b strings.Builder
		xml.EscapeText(&b, []byte(value))
		element := "<" + name + ">" + b.String() + "</" + name + ">"
		anchor := "<DefAlg>"
		if inToken {
			anchor = "<UserLogin>"
		}
		in := remac(t, strings.Replace(string(base), anchor, element+anchor, 1))
		if got := mustUnlockCode(t, in); got != want {
			t.Fatalf("code with element %q = %q; want %q", name, got, want)
		}
	})
}

func mustUnlockCode(tb testing.TB, in string) string {
	tb.Helper()
	tok, err := Parse(in)
	if err != nil {
		tb.Fatalf("Parse = %v", err)
	}
	if err := tok.Decrypt("", ""); err != nil {
		tb.Fatalf("Decrypt = %v", err)
	}
	code, err := tok.Code(fuzzTime, "1234")
	if err != nil {
		tb.Fatalf("Code = %v", err)
	}
	return code
}
