package securid

import (
	"cmp"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Limits of the XML reader, far above what an RSA sdtid file holds.
const (
	sdtidMaxDepth = 8
	sdtidMaxNodes = 4096
)

// xmlNode is an element of an sdtid file: its text content, or its child
// elements in document order.
type xmlNode struct {
	name     string
	text     string
	children []*xmlNode
}

// child returns the first child element called name, or nil.
func (n *xmlNode) child(name string) *xmlNode {
	for _, c := range n.children {
		if c.name == name {
			return c
		}
	}
	return nil
}

// sdtidToken is what Decrypt needs of an sdtid file.
type sdtidToken struct {
	header, tkn *xmlNode
	sn          string // SN as written, before zero-padding
	encSeed     [blockSize]byte
	secret      [blockSize]byte
	headerMAC   [blockSize]byte
	tokenMAC    [blockSize]byte
}

// parseXML reads the document into a tree of elements.
func parseXML(s string) (*xmlNode, error) {
	d := xml.NewDecoder(strings.NewReader(s))
	root := &xmlNode{}
	stack := []*xmlNode{root}
	nodes := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("securid: sdtid file is not well-formed XML: %w", err)
		}
		top := stack[len(stack)-1]
		switch tok := tok.(type) {
		case xml.StartElement:
			if nodes++; nodes > sdtidMaxNodes || len(stack) > sdtidMaxDepth {
				return nil, errors.New("securid: sdtid file has too many or too deeply nested elements")
			}
			n := &xmlNode{name: tok.Name.Local}
			top.children = append(top.children, n)
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			top.text += string(tok)
		}
	}
	return root, nil
}

// parseSDTID decodes an RSA sdtid XML file holding one token.
func parseSDTID(s string) (*Token, error) {
	root, err := parseXML(s)
	if err != nil {
		return nil, err
	}
	batch := root.child("TKNBatch")
	if batch == nil || batch.child("TKNHeader") == nil || batch.child("TKN") == nil {
		return nil, errors.New("securid: sdtid file needs TKNBatch with TKNHeader and TKN")
	}
	st := &sdtidToken{header: batch.child("TKNHeader"), tkn: batch.child("TKN")}
	if err := st.loadSecrets(); err != nil {
		return nil, err
	}
	t := &Token{format: formatSDTID, version: 2, sdtid: st}
	if err := t.loadSDTIDInfo(); err != nil {
		return nil, err
	}
	ok, err := st.checkMACs(st.keys(""))
	if err != nil {
		return nil, err
	}
	t.needPass = !ok
	if t.needPass {
		t.flags |= flPassProt
	}
	return t, nil
}

// loadSecrets decodes the serial, seed, secret and MACs.
func (st *sdtidToken) loadSecrets() error {
	st.sn = cTrim(st.lookup("SN"))
	if st.sn == "" || len(st.sn) > serialLen || strings.Trim(st.sn, "0123456789") != "" {
		return fmt.Errorf("securid: sdtid SN must be 1 to %d digits", serialLen)
	}
	seed := cTrim(st.lookup("Seed"))
	if seed == "" {
		return errors.New("securid: sdtid file has no Seed")
	}
	// The seed's base64 starts with one meaningless character.
	if err := decode16(seed[1:], st.encSeed[:], "Seed"); err != nil {
		return err
	}
	if err := decode16(st.lookup("Secret"), st.secret[:], "Secret"); err != nil {
		return err
	}
	if err := decode16(st.header.childText("HeaderMAC"), st.headerMAC[:], "HeaderMAC"); err != nil {
		return err
	}
	return decode16(st.tkn.childText("TokenMAC"), st.tokenMAC[:], "TokenMAC")
}

// decode16 decodes base64 that must hold exactly 16 bytes.
func decode16(s string, dst []byte, field string) error {
	b, err := base64.StdEncoding.DecodeString(cTrim(s))
	if err != nil || len(b) != blockSize {
		return fmt.Errorf("securid: sdtid %s must be base64 of %d bytes", field, blockSize)
	}
	copy(dst, b)
	return nil
}

// cTrim removes the ASCII white space that C's isspace matches from both
// ends of s: stoken trims field values before using them, though the MACs
// cover them as written.
func cTrim(s string) string { return strings.Trim(s, " \t\n\v\f\r") }

// childText returns the text of the named child, or "".
func (n *xmlNode) childText(name string) string {
	if c := n.child(name); c != nil {
		return c.text
	}
	return ""
}

// lookup finds field X as stoken does: TKN/X, then TKNHeader/DefX, then
// TKNHeader/X.
func (st *sdtidToken) lookup(name string) string {
	for _, n := range []*xmlNode{st.tkn.child(name), st.header.child("Def" + name), st.header.child(name)} {
		if n != nil {
			return n.text
		}
	}
	return ""
}

// lookupInt parses field name as a C integer literal, or returns def if the
// field is absent.
func (st *sdtidToken) lookupInt(name string, def int) (int, error) {
	s := cTrim(st.lookup(name))
	if s == "" {
		return def, nil
	}
	v, err := strconv.ParseInt(s, 0, 32)
	if err != nil {
		return 0, fmt.Errorf("securid: sdtid %s is not an integer", name)
	}
	return int(v), nil
}

// loadSDTIDInfo sets the serial, flags and expiry from the file's fields.
func (t *Token) loadSDTIDInfo() error {
	st := t.sdtid
	t.serial = strings.Repeat("0", serialLen-len(st.sn)) + st.sn
	var err error
	get := func(name string, def int) int {
		v, e := st.lookupInt(name, def)
		err = cmp.Or(err, e)
		return v
	}
	digits, interval := get("Digits", 6), get("Interval", 60)
	pinMode := bit(get("AddPIN", 0) != 0)<<1 | bit(get("LocalPIN", 0) != 0)
	flags := uint16(fl128Bit) | uint16(digits-1)<<fldDigitShift | pinMode<<fldPINModeShift
	flags |= bit(interval == 60) << fldNumSecondsShift
	flags |= bit(get("Mode", 0) != 0) * flFeat4
	flags |= bit(get("TimeDerivedSeeds", 0) != 0) * flTimeSeeds
	flags |= bit(get("AppDerivedSeeds", 0) != 0) * flAppSeeds
	if err != nil {
		return err
	}
	if digits < 1 || digits > maxDigits || (interval != 30 && interval != 60) {
		return fmt.Errorf("securid: sdtid token has %d digits every %d s; want 1 to 8 digits every 30 or 60 s", digits, interval)
	}
	t.flags = flags
	t.expDate, err = sdtidExpDate(st.lookup("Death"))
	return err
}

// bit is 1 for true and 0 for false.
func bit(b bool) uint16 {
	if b {
		return 1
	}
	return 0
}

// sdtidExpDate converts a YYYY/MM/DD death date into days since 2000; a
// missing date means the latest date the format can hold.
func sdtidExpDate(s string) (uint16, error) {
	s = cTrim(s)
	if s == "" {
		return maxExpDate, nil
	}
	d, err := time.Parse("2006/1/2", s)
	epoch := time.Date(2000, time.January, 1, 0, 0, 0, 0, time.UTC)
	days := int(d.Sub(epoch).Hours() / 24)
	if err != nil || days < 1 || days > maxExpDate {
		return 0, errors.New("securid: sdtid Death must be a YYYY/MM/DD date from 2000/01/02 to 2044/11/08")
	}
	return uint16(days), nil
}

// decryptSDTID checks the MACs under the password, if one is needed, and
// decrypts the seed.
func (t *Token) decryptSDTID(password string) error {
	st := t.sdtid
	if !t.needPass {
		password = ""
	} else if password == "" {
		return missingOr(ErrBadPassword, "")
	}
	k := st.keys(password)
	ok, err := st.checkMACs(k)
	if err != nil {
		return err
	}
	if !ok {
		return ErrBadPassword
	}
	t.seed = st.decryptSeed(k)
	return nil
}
