package securid

import (
	"errors"
	"strings"
)

// sdtidKeys is the key schedule of one sdtid token under one password.
type sdtidKeys struct {
	batchMAC, tokenMAC, tokenEnc [blockSize]byte
}

// padTo returns s cut or zero-padded to n bytes.
func padTo(s string, n int) []byte {
	b := make([]byte, n)
	copy(b, s)
	return b
}

// keys derives the MAC and seed keys. The password, when the file needs
// one, takes the place of the header's Origin.
func (st *sdtidToken) keys(password string) sdtidKeys {
	origin := cTrim(st.header.childText("Origin"))
	if password != "" {
		origin = password
	}
	name := cTrim(st.header.childText("Name"))
	key0 := sdtidKey0(origin, cTrim(st.header.childText("Dest")), name)

	secretIn := append([]byte("Secret\x00\x00"), padTo(name, 8)...)
	key1 := aesEncrypt(key0[:], secretIn)
	xorBlock(key1[:], st.secret[:])

	derive := func(iv [blockSize]byte, label, subject string) [blockSize]byte {
		data := append(padTo(label, 32), padTo(subject, 32)...)
		return cbcMAC(key1[:], iv[:], data)
	}
	return sdtidKeys{
		batchMAC: derive(sdtidBatchMACIV, "BatchMAC", name),
		tokenMAC: derive(sdtidTokenMACIV, "TokenMAC", st.sn),
		tokenEnc: derive(sdtidTokenEncIV, "TokenEncrypt", st.sn),
	}
}

// sdtidKey0 XORs 1000 CBC-MACs, keyed by the batch name, of
// origin || dest || a 16-byte block ending in the big-endian round number.
func sdtidKey0(origin, dest, name string) [blockSize]byte {
	data := append(padTo(origin, 32), padTo(dest, 32)...)
	data = append(data, make([]byte, blockSize)...)
	var key0 [blockSize]byte
	var zero [blockSize]byte
	for i := range sdtidKey0Rounds {
		data[len(data)-2], data[len(data)-1] = byte(i>>8), byte(i)
		m := cbcMAC(padTo(name, blockSize), zero[:], data)
		xorBlock(key0[:], m[:])
	}
	return key0
}

// checkMACs reports whether both HeaderMAC and TokenMAC match under k. One
// matching without the other means the file was altered.
func (st *sdtidToken) checkMACs(k sdtidKeys) (bool, error) {
	hdr, err := sdtidSectionMAC(st.header, "TKNHeader", k.batchMAC, sdtidBatchMACIV)
	if err != nil {
		return false, err
	}
	tkn, err := sdtidSectionMAC(st.tkn, "TKN", k.tokenMAC, sdtidTokenMACIV)
	if err != nil {
		return false, err
	}
	hdrOK := constantTimeEqual(hdr[:], st.headerMAC[:])
	tknOK := constantTimeEqual(tkn[:], st.tokenMAC[:])
	switch {
	case hdrOK && !tknOK:
		return false, errors.New("securid: sdtid TokenMAC mismatch: the token section was altered")
	case !hdrOK && tknOK:
		return false, errors.New("securid: sdtid HeaderMAC mismatch: the header was altered")
	}
	return hdrOK, nil
}

// decryptSeed is AES_{tokenEnc}(SN[0:8] || "Seed\0\0\0\0") XOR encSeed.
func (st *sdtidToken) decryptSeed(k sdtidKeys) [blockSize]byte {
	in := append(padTo(st.sn, 8), "Seed\x00\x00\x00\x00"...)
	seed := aesEncrypt(k.tokenEnc[:], in)
	xorBlock(seed[:], st.encSeed[:])
	return seed
}

// sdtidSectionMAC is the CBC-MAC of a section's canonical text.
func sdtidSectionMAC(n *xmlNode, prefix string, key, iv [blockSize]byte) ([blockSize]byte, error) {
	var w sdtidHashWriter
	w.section(n, prefix+".")
	if w.tooLong {
		return [blockSize]byte{}, errors.New("securid: sdtid section is too long to hash")
	}
	return cbcMAC(key[:], iv[:], w.buf), nil
}

// sdtidHashWriter builds the text that the sdtid MACs cover: one
// "Path.Name value\n" line per leaf element, in document order, the MAC
// elements left out. It reproduces two quirks of RSA's format that stoken
// keeps: after each line come [lineGap] zero bytes, and an empty element's value is written as "</Name>".
type sdtidHashWriter struct {
	buf     []byte
	tooLong bool
}

func (w *sdtidHashWriter) section(n *xmlNode, prefix string) {
	for _, c := range n.children {
		switch {
		case strings.HasSuffix(c.name, "MAC"):
		case len(c.children) > 0:
			w.section(c, prefix+c.name+".")
		default:
			w.line(prefix, c)
		}
	}
}

func (w *sdtidHashWriter) line(prefix string, c *xmlNode) {
	value := c.text
	if value == "" {
		value = "</" + c.name + ">"
	}
	start := len(w.buf)
	if start+len(prefix)+len(c.name)+len(value)+2+blockSize > sdtidMaxHashInput {
		w.tooLong = true
		return
	}
	w.buf = append(w.buf, prefix...)
	w.buf = append(w.buf, c.name...)
	w.buf = append(w.buf, ' ')
	w.buf = append(w.buf, value...)
	w.buf = append(w.buf, '\n')
	w.buf = append(w.buf, make([]byte, lineGap(start))...)
}

// lineGap is the number of zero bytes after a line that starts at offset
// start: start modulo 16, taken in 1..16 for every line but the first.
func lineGap(start int) int {
	if start == 0 {
		return 0
	}
	return (start-1)%blockSize + 1
}
