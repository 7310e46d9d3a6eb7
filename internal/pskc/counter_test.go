package pskc

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

// TestSetCounterPlain checks that only the PlainValue text changes.
func TestSetCounterPlain(t *testing.T) {
	for _, tt := range []struct {
		file     string
		index    int
		old, new string
	}{
		{"fig2.pskc", 0, "<Counter><PlainValue>2</PlainValue>", "<Counter><PlainValue>1000</PlainValue>"},
		{"fig3.pskc", 0, "<Counter><PlainValue>2</PlainValue>", "<Counter><PlainValue>1000</PlainValue>"},
		{"fig4.pskc", 0, "<PlainValue>0</PlainValue>", "<PlainValue>1000</PlainValue>"},
		{"fig5.pskc", 0, "<PlainValue>0</PlainValue>", "<PlainValue>1000</PlainValue>"},
		{"fig6.pskc", 0, "<PlainValue>0</PlainValue>", "<PlainValue>1000</PlainValue>"},
		{"", 0, "<PlainValue>\n\t7 </PlainValue>", "<PlainValue>\n\t1000 </PlainValue>"},
	} {
		var doc []byte
		if tt.file == "" {
			doc = []byte(key(`<Counter>` + tt.old + `</Counter>`))
		} else {
			doc = readFile(t, tt.file)
		}
		want := bytes.Replace(doc, []byte(tt.old), []byte(tt.new), 1)
		got, err := SetCounter(doc, tt.index, 1000, nil)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("SetCounter(%s, %d, 1000) = %v\n%s\nwant\n%s", tt.file, tt.index, err, got, want)
		}
	}
}

// TestSetCounterInsert adds a Counter where there was none.
func TestSetCounterInsert(t *testing.T) {
	const (
		pretty = "<KeyContainer Version=\"1.0\">\n  <KeyPackage>\n    <Key Id=\"k\">\n      <Data>\n" +
			"        <Secret><PlainValue>MTIzNA==</PlainValue></Secret>\n%s" +
			"        <TimeInterval><PlainValue>30</PlainValue></TimeInterval>\n      </Data>\n    </Key>\n  </KeyPackage>\n</KeyContainer>\n"
		counter = "        <Counter><PlainValue>5</PlainValue></Counter>\n"
	)
	for _, tt := range []struct{ name, doc, want string }{
		{"pretty", strings.Replace(pretty, "%s", "", 1), strings.Replace(pretty, "%s", counter, 1)},
		{"crlf", strings.ReplaceAll(strings.Replace(pretty, "%s", "", 1), "\n", "\r\n"),
			strings.ReplaceAll(strings.Replace(pretty, "%s", counter, 1), "\n", "\r\n")},
		{"compact", key(`<Secret><PlainValue>AA==</PlainValue></Secret>`),
			key(`<Secret><PlainValue>AA==</PlainValue></Secret><Counter><PlainValue>5</PlainValue></Counter>`)},
		{"prefixed", `<p:KeyContainer xmlns:p="urn:ietf:params:xml:ns:keyprov:pskc"><p:KeyPackage><p:Key><p:Data><p:Secret><p:PlainValue>AA==</p:PlainValue></p:Secret></p:Data></p:Key></p:KeyPackage></p:KeyContainer>`,
			`<p:KeyContainer xmlns:p="urn:ietf:params:xml:ns:keyprov:pskc"><p:KeyPackage><p:Key><p:Data><p:Secret><p:PlainValue>AA==</p:PlainValue></p:Secret><p:Counter><p:PlainValue>5</p:PlainValue></p:Counter></p:Data></p:Key></p:KeyPackage></p:KeyContainer>`},
		{"no secret", key("\n <Time><PlainValue>0</PlainValue></Time>"),
			key("\n <Counter><PlainValue>5</PlainValue></Counter>\n <Time><PlainValue>0</PlainValue></Time>")},
		{"empty data", key(""), key(`<Counter><PlainValue>5</PlainValue></Counter>`)},
		{"self-closing data", kp(`<Key><Data/></Key>`), kp(`<Key><Data><Counter><PlainValue>5</PlainValue></Counter></Data></Key>`)},
		{"self-closing data with namespace", kp(`<Key><q:Data xmlns:q="urn:ietf:params:xml:ns:keyprov:pskc" /></Key>`),
			kp(`<Key><q:Data xmlns:q="urn:ietf:params:xml:ns:keyprov:pskc" ><q:Counter><q:PlainValue>5</q:PlainValue></q:Counter></q:Data></Key>`)},
	} {
		got, err := SetCounter([]byte(tt.doc), 0, 5, nil)
		if err != nil || string(got) != tt.want {
			t.Errorf("SetCounter(%s) = %v\n%s\nwant\n%s", tt.name, err, got, tt.want)
		}
	}
}

// encryptedCounterDoc is Figure 6 with its Counter encrypted under alg.
func encryptedCounterDoc(t testing.TB, alg string, counter uint64, withMAC bool) []byte {
	t.Helper()
	data, err := seal(alg, fig6Key, binary.BigEndian.AppendUint64(nil, counter))
	if err != nil {
		t.Fatal(err)
	}
	enc := "<Counter>\n                    <EncryptedValue>\n" +
		"                        <xenc:EncryptionMethod Algorithm=\"" + alg + "\"/>\n" +
		"                        <xenc:CipherData>\n                            <xenc:CipherValue>" +
		base64.StdEncoding.EncodeToString(data) + "</xenc:CipherValue>\n" +
		"                        </xenc:CipherData>\n                    </EncryptedValue>\n"
	if withMAC {
		m := hmac.New(sha1.New, fig6MACKey)
		m.Write(data)
		enc += "                    <ValueMAC>" + base64.StdEncoding.EncodeToString(m.Sum(nil)) + "</ValueMAC>\n"
	}
	old := "<Counter>\n                    <PlainValue>0</PlainValue>\n"
	doc := readFile(t, "fig6.pskc")
	if !bytes.Contains(doc, []byte(old)) {
		t.Fatal("fig6.pskc has changed")
	}
	return bytes.Replace(doc, []byte(old), []byte(enc), 1)
}

func TestSetCounterEncrypted(t *testing.T) {
	for _, tt := range []struct {
		alg     string
		withMAC bool
	}{
		{uriAES128CBC, true},
		{"http://www.w3.org/2001/04/xmlenc#kw-aes128", false},
		{"http://www.w3.org/2001/04/xmlenc#kw-aes128", true},
	} {
		doc := encryptedCounterDoc(t, tt.alg, 41, tt.withMAC)
		got, err := SetCounter(doc, 0, 42, fig6Key)
		if err != nil {
			t.Fatalf("SetCounter(%s): %v", fragment(tt.alg), err)
		}
		if err := onlyTextChanged(doc, got, "CipherValue", "ValueMAC"); err != nil {
			t.Errorf("SetCounter(%s): %v", fragment(tt.alg), err)
		}
		c := parseFile(t, "fig6.pskc", nil, nil)
		if c, err = Parse(got); err == nil {
			err = c.Decrypt(fig6Key)
		}
		if err != nil || *c.Keys[0].Counter != 42 || !bytes.Equal(c.Keys[0].Secret, rfcSecret) {
			t.Errorf("SetCounter(%s) then Decrypt = %v; want counter 42 and the RFC secret", fragment(tt.alg), err)
		}
		wrong := bytes.Clone(fig6Key)
		wrong[15] ^= 0x80
		if _, err := SetCounter(doc, 0, 42, wrong); !errors.Is(err, ErrWrongKey) {
			t.Errorf("SetCounter(%s, wrong key) = %v; want ErrWrongKey", fragment(tt.alg), err)
		}
	}
}

// onlyTextChanged reports an error unless old and new differ only inside the
// text of elements with the given local names, and at the same length.
func onlyTextChanged(old, new []byte, locals ...string) error {
	if len(old) != len(new) {
		return errors.New("length changed")
	}
	root, err := parseTree(old)
	if err != nil {
		return err
	}
	allowed := make([]bool, len(old))
	var mark func(n *node)
	mark = func(n *node) {
		for _, l := range locals {
			if n.name.Local == l {
				for i := n.open; i < n.close; i++ {
					allowed[i] = true
				}
			}
		}
		for _, k := range n.kids {
			mark(k)
		}
	}
	mark(root)
	for i := range old {
		if old[i] != new[i] && !allowed[i] {
			return errors.New("a byte outside the value changed at offset " + string(old[max(0, i-20):i]))
		}
	}
	return nil
}

// TestSetCounterIndex checks that SetCounter numbers keys as Parse does,
// skipping a KeyPackage without a Key.
func TestSetCounterIndex(t *testing.T) {
	doc := `<KeyContainer Version="1.0"><KeyPackage><DeviceInfo/></KeyPackage>` +
		`<KeyPackage><Key Id="a"><Data><Counter><PlainValue>1</PlainValue></Counter></Data></Key></KeyPackage>` +
		`<KeyPackage><Key Id="b"><Data><Counter><PlainValue>1</PlainValue></Counter></Data></Key></KeyPackage></KeyContainer>`
	want := strings.Replace(doc, `"b"><Data><Counter><PlainValue>1`, `"b"><Data><Counter><PlainValue>9`, 1)
	if got, err := SetCounter([]byte(doc), 1, 9, nil); err != nil || string(got) != want {
		t.Errorf("SetCounter(doc, 1, 9) = %v\n%s\nwant\n%s", err, got, want)
	}
}

func TestSetCounterErrors(t *testing.T) {
	doc := readFile(t, "fig3.pskc")
	for _, i := range []int{-1, 1} {
		if _, err := SetCounter(doc, i, 1, nil); err == nil || !strings.Contains(err.Error(), "out of range") {
			t.Errorf("SetCounter(index %d) = %v; want out of range", i, err)
		}
	}
	if _, err := SetCounter([]byte(kp(`<Key/>`)), 0, 1, nil); err == nil || !strings.Contains(err.Error(), "no <Data>") {
		t.Errorf("SetCounter(key without Data) = %v; want a missing Data error", err)
	}
	if _, err := SetCounter([]byte("<x"), 0, 1, nil); err == nil {
		t.Errorf("SetCounter(malformed) succeeded")
	}
}
