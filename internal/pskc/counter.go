package pskc

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strconv"
)

// SetCounter returns a copy of doc in which the Counter of Keys[keyIndex] (as
// numbered by Parse) is counter, and every other byte is unchanged: comments,
// whitespace, attribute order and the XML declaration stay as they were.
//
// A plain Counter gets its PlainValue text replaced. A missing one is
// inserted after the Secret as <Counter><PlainValue>N</PlainValue></Counter>,
// indented like the Secret. An encrypted Counter is re-encrypted as 8
// big-endian bytes (RFC 6030 section 4.1) under encKey, the pre-shared key or
// the result of DeriveKey, with a fresh IV and a new ValueMAC; encKey is
// checked against the old value first, and a wrong one gives ErrWrongKey.
// encKey is ignored for a plain Counter.
func SetCounter(doc []byte, keyIndex int, counter uint64, encKey []byte) ([]byte, error) {
	c, root, err := parse(doc)
	if err != nil {
		return nil, err
	}
	if keyIndex < 0 || keyIndex >= len(c.Keys) {
		return nil, fmt.Errorf("pskc: key index %d out of range: the container holds %d keys", keyIndex, len(c.Keys))
	}
	edits, err := counterEdits(doc, c, keyNodes(root)[keyIndex], keyIndex, counter, encKey)
	if err != nil {
		return nil, err
	}
	out := applyEdits(doc, edits)
	if err := checkCounter(out, keyIndex, counter, encKey); err != nil {
		return nil, fmt.Errorf("pskc: internal error: rewritten counter does not read back: %w", err)
	}
	return out, nil
}

// edit replaces doc[from:to] with text.
type edit struct {
	from, to int
	text     string
}

func counterEdits(doc []byte, c *Container, kn *node, i int, counter uint64, encKey []byte) ([]edit, error) {
	data, err := kn.child("Data")
	if err != nil {
		return nil, fmt.Errorf("pskc: key %d: %w", i, err)
	}
	if data == nil {
		return nil, fmt.Errorf("pskc: key %d has no <Data> to hold a Counter", i)
	}
	cn, _ := data.child("Counter") // Parse has rejected duplicates
	switch {
	case cn == nil:
		return []edit{insertCounter(doc, data, counter)}, nil
	case c.Keys[i].sealed[itemCounter] != nil:
		return sealCounter(doc, c, cn, c.Keys[i].sealed[itemCounter], counter, encKey)
	}
	pv, _ := cn.child("PlainValue")
	return []edit{setText(doc, pv, strconv.FormatUint(counter, 10))}, nil
}

// insertCounter adds a plain Counter after the Secret, or first in Data,
// with the namespace prefix of Data and the indentation of the Secret.
func insertCounter(doc []byte, data *node, counter uint64) edit {
	p := prefix(qname(doc, data))
	x := "<" + p + "Counter><" + p + "PlainValue>" + strconv.FormatUint(counter, 10) +
		"</" + p + "PlainValue></" + p + "Counter>"
	if data.end == data.open {
		return fill(doc, data, x)
	}
	if s, _ := data.child("Secret"); s != nil {
		return edit{s.end, s.end, lineIndent(doc, s.start) + x}
	}
	at := data.open
	if len(data.kids) > 0 {
		return edit{at, at, lineIndent(doc, data.kids[0].start) + x}
	}
	return edit{at, at, x}
}

// sealCounter re-encrypts an encrypted Counter after checking encKey on the
// old value, and recomputes its ValueMAC.
func sealCounter(doc []byte, c *Container, cn *node, old *sealedValue, counter uint64, encKey []byte) ([]edit, error) {
	o, err := c.opener(encKey)
	if err == nil {
		_, err = o.open(old)
	}
	if err != nil {
		return nil, wrapErr("Counter", err)
	}
	data, err := seal(old.alg, encKey, binary.BigEndian.AppendUint64(nil, counter))
	if err != nil {
		return nil, wrapErr("Counter", err)
	}
	cv, _ := cn.path("EncryptedValue", "CipherData", "CipherValue")
	edits := []edit{setText(doc, cv, base64.StdEncoding.EncodeToString(data))}
	if old.mac != nil {
		mn, _ := cn.child("ValueMAC")
		edits = append(edits, setText(doc, mn, base64.StdEncoding.EncodeToString(o.sum(data))))
	}
	return edits, nil
}

// setText replaces the text of n, keeping the whitespace around it.
func setText(doc []byte, n *node, text string) edit {
	if n.end == n.open {
		return fill(doc, n, text)
	}
	from, to := n.open, n.close
	for from < to && isSpace(doc[from]) {
		from++
	}
	for to > from && isSpace(doc[to-1]) {
		to--
	}
	return edit{from, to, text}
}

// fill turns the empty element <x .../> into <x ...>content</x>.
func fill(doc []byte, n *node, content string) edit {
	return edit{n.open - len("/>"), n.open, ">" + content + "</" + qname(doc, n) + ">"}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// qname returns the element name of n as written, with its prefix.
func qname(doc []byte, n *node) string {
	s := doc[n.start+1 : n.open]
	if i := bytes.IndexAny(s, " \t\r\n/>"); i >= 0 {
		s = s[:i]
	}
	return string(s)
}

// prefix returns "p:" for "p:Local" and "" for "Local".
func prefix(qname string) string {
	if i := bytes.IndexByte([]byte(qname), ':'); i >= 0 {
		return qname[:i+1]
	}
	return ""
}

// lineIndent returns the line break and indentation before doc[at], or ""
// when doc[at] does not start a line (a compact document).
func lineIndent(doc []byte, at int) string {
	i := at
	for i > 0 && (doc[i-1] == ' ' || doc[i-1] == '\t') {
		i--
	}
	switch {
	case i > 1 && doc[i-1] == '\n' && doc[i-2] == '\r':
		return "\r\n" + string(doc[i:at])
	case i > 0 && doc[i-1] == '\n':
		return "\n" + string(doc[i:at])
	}
	return ""
}

// applyEdits returns doc with the non-overlapping edits applied.
func applyEdits(doc []byte, edits []edit) []byte {
	slices.SortFunc(edits, func(a, b edit) int { return a.from - b.from })
	var out bytes.Buffer
	last := 0
	for _, e := range edits {
		out.Write(doc[last:e.from])
		out.WriteString(e.text)
		last = e.to
	}
	out.Write(doc[last:])
	return out.Bytes()
}

// checkCounter re-reads out and confirms key i now holds counter.
func checkCounter(out []byte, i int, counter uint64, encKey []byte) error {
	c, err := Parse(out)
	if err != nil {
		return err
	}
	if len(c.Keys) <= i {
		return errors.New("key missing")
	}
	k := c.Keys[i]
	if s := k.sealed[itemCounter]; s != nil {
		o, err := c.opener(encKey)
		if err != nil {
			return err
		}
		b, err := o.open(s)
		if err != nil {
			return err
		}
		if err := k.setDecrypted(itemCounter, b); err != nil {
			return err
		}
	}
	if k.Counter == nil || *k.Counter != counter {
		return errors.New("counter differs")
	}
	return nil
}
