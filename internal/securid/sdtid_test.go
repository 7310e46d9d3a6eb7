package securid

import (
	"encoding/base64"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// remac recomputes HeaderMAC and TokenMAC of an sdtid file with no
// password, so that tests can build files that `stoken issue` never writes.
func remac(t *testing.T, in string) string {
	t.Helper()
	root, err := parseXML(in)
	if err != nil {
		t.Fatal(err)
	}
	batch := root.child("TKNBatch")
	st := &sdtidToken{header: batch.child("TKNHeader"), tkn: batch.child("TKN")}
	if err := st.loadSecrets(); err != nil {
		t.Fatal(err)
	}
	k := st.keys("")
	hdr, err := sdtidSectionMAC(st.header, "TKNHeader", k.batchMAC, sdtidBatchMACIV)
	if err != nil {
		t.Fatal(err)
	}
	tkn, err := sdtidSectionMAC(st.tkn, "TKN", k.tokenMAC, sdtidTokenMACIV)
	if err != nil {
		t.Fatal(err)
	}
	in = replaceElement(in, "HeaderMAC", base64.StdEncoding.EncodeToString(hdr[:]))
	return replaceElement(in, "TokenMAC", base64.StdEncoding.EncodeToString(tkn[:]))
}

func replaceElement(in, name, value string) string {
	re := regexp.MustCompile("<" + name + ">[^<]*</" + name + ">")
	return re.ReplaceAllLiteralString(in, "<"+name+">"+value+"</"+name+">")
}

// TestStokenSDTIDStructure checks the MAC text of element shapes that
// stoken's issue command never writes (empty, self-closing, nested, CDATA,
// comments, entities, extra *MAC elements) against stoken's reader.
func TestStokenSDTIDStructure(t *testing.T) {
	t.Parallel()
	s := newStokenPeer(t)
	base := readTestdata(t, "nopasswd.sdtid")
	edits := []struct{ name, before, insert string }{
		{"extra-mac", "<UserLogin>", "<ExtraMAC>abc</ExtraMAC><MACExtra>d</MACExtra>"},
		{"empty", "<UserLogin>", "<Empty></Empty><SelfClosing/>"},
		{"empty-header", "<DefAlg>", "<Empty/>"},
		{"nested", "<DeviceSerialNumber>", "<Sub><Deep>v</Deep><Deeper><X>1</X></Deeper></Sub>"},
		{"cdata", "<UserLogin>", "<Note><![CDATA[a<b&c]]></Note>"},
		{"comment", "<UserLogin>", "<Note>ab<!-- c -->cd</Note>"},
		{"entities", "<UserLogin>", "<Note>&#65;&amp;&lt;&#x20AC;</Note>"},
		{"blank-lines", "<UserLogin>", "<Note>\n  \n</Note>"},
		{"long", "<UserLogin>", "<Note>" + strings.Repeat("x", 3000) + "</Note>"},
	}
	for i, e := range edits {
		in := remac(t, strings.Replace(base, e.before, e.insert+e.before, 1))
		sm := sample{name: e.name, in: in, source: "--file=" + s.writeFile("s"+strconv.Itoa(i)+".sdtid", in)}
		tok := s.checkShow(sm)
		s.compareCode(sm, tok, 1410710132, "1234")
	}
}

func TestSDTIDTampered(t *testing.T) {
	base := readTestdata(t, "nopasswd.sdtid")
	tests := []struct{ name, in string }{
		{"header", replaceElement(base, "DefAlg", "2")},
		{"token", replaceElement(base, "UserLogin", "x")},
		{"no HeaderMAC", regexp.MustCompile(`<HeaderMAC>.*</HeaderMAC>`).ReplaceAllString(base, "")},
	}
	for _, tt := range tests {
		if tok, err := Parse(tt.in); err == nil {
			t.Errorf("%s: Parse(tampered sdtid) = %v, nil; want a MAC error", tt.name, tok)
		}
	}
	if _, err := Parse(remac(t, replaceElement(base, "DefAlg", "2"))); err != nil {
		t.Errorf("Parse(edited and re-MACed sdtid) = %v; want it accepted", err)
	}
}

func TestSDTIDFields(t *testing.T) {
	base := readTestdata(t, "nopasswd.sdtid")
	tests := []struct {
		name, element, value string
		ok                   bool
		interval             time.Duration
	}{
		{"interval 30", "DefInterval", "30", true, 30 * time.Second},
		{"interval 60", "DefInterval", " 60\n", true, 60 * time.Second},
		{"interval 45", "DefInterval", "45", false, 0},
		{"digits 9", "DefDigits", "9", false, 0},
		{"digits text", "DefDigits", "eight", false, 0},
		{"death 2000/01/01", "DefDeath", "2000/01/01", false, 0},
		{"death bogus", "DefDeath", "soon", false, 0},
		{"SN letters", "SN", "12ab", false, 0},
		{"SN 13 digits", "SN", "1234567890123", false, 0},
		{"Seed short", "Seed", "=AAAA", false, 0},
		{"Secret bad", "Secret", "!!", false, 0},
	}
	for _, tt := range tests {
		tok, err := Parse(remacIfParsable(t, replaceElement(base, tt.element, tt.value)))
		if (err == nil) != tt.ok {
			t.Errorf("%s: Parse = %v, %v; want ok %v", tt.name, tok, err, tt.ok)
			continue
		}
		if tt.ok && tok.Interval() != tt.interval {
			t.Errorf("%s: Interval() = %v; want %v", tt.name, tok.Interval(), tt.interval)
		}
	}
	// A field under TKN overrides the header's DefX.
	in := remac(t, strings.Replace(base, "<SN>", "<Interval>30</Interval><SN>", 1))
	if tok, err := Parse(in); err != nil || tok.Interval() != 30*time.Second {
		t.Errorf("Parse(TKN/Interval 30) = %v, %v; want a 30 s token", tok, err)
	}
}

// remacIfParsable re-MACs in when its secrets decode, else returns it as is.
func remacIfParsable(t *testing.T, in string) string {
	t.Helper()
	root, err := parseXML(in)
	if err != nil {
		return in
	}
	batch := root.child("TKNBatch")
	st := &sdtidToken{header: batch.child("TKNHeader"), tkn: batch.child("TKN")}
	if st.loadSecrets() != nil {
		return in
	}
	return remac(t, in)
}
