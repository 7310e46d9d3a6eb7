package pskc

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// MaxSize is the largest document, in bytes, that Parse accepts. Callers
// reading a file can stop at MaxSize+1 bytes.
const MaxSize = 1 << 20

// Limits against deeply nested or element-heavy documents. RFC 6030
// documents nest 8 deep, and a container of a thousand keys has about 20000
// elements.
const (
	maxDepth    = 32
	maxElements = 1 << 16
)

// node is one element of a parsed document. Parse and SetCounter share it,
// so that both agree on which bytes belong to which element.
type node struct {
	name  xml.Name // Space is the namespace URI, not the prefix
	attrs []xml.Attr
	kids  []*node
	text  []byte // character data of the element itself, children excluded

	start int // offset of '<' of the start tag
	open  int // offset just after the start tag
	close int // offset of '<' of the end tag (== open for <empty/>)
	end   int // offset just after the end tag
}

// parseTree reads data into a tree of nodes and returns the root element.
func parseTree(data []byte) (*node, error) {
	if len(data) > MaxSize {
		return nil, fmt.Errorf("pskc: document is %d bytes; the limit is %d", len(data), MaxSize)
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	var b builder
	for {
		start := int(d.InputOffset())
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("pskc: malformed XML: %w", err)
		}
		if err := b.add(tok, start, int(d.InputOffset())); err != nil {
			return nil, err
		}
	}
	if b.root == nil {
		return nil, errors.New("pskc: malformed XML: no root element")
	}
	return b.root, nil
}

// builder assembles nodes from the tokens of a decoder, which has already
// checked that start and end tags match.
type builder struct {
	root  *node
	stack []*node // open elements
	count int     // elements so far
}

// add takes a token that spans the bytes from start to end.
func (b *builder) add(tok xml.Token, start, end int) error {
	switch t := tok.(type) {
	case xml.StartElement:
		if b.count++; b.count > maxElements {
			return fmt.Errorf("pskc: more than %d elements", maxElements)
		}
		if len(b.stack) >= maxDepth {
			return fmt.Errorf("pskc: elements nested deeper than %d", maxDepth)
		}
		n := &node{name: t.Name, attrs: t.Attr, start: start, open: end}
		switch {
		case len(b.stack) > 0:
			p := b.stack[len(b.stack)-1]
			p.kids = append(p.kids, n)
		case b.root != nil:
			return errors.New("pskc: malformed XML: more than one root element")
		default:
			b.root = n
		}
		b.stack = append(b.stack, n)
	case xml.EndElement:
		n := b.stack[len(b.stack)-1]
		n.close, n.end = start, end
		b.stack = b.stack[:len(b.stack)-1]
	case xml.CharData:
		if len(b.stack) > 0 {
			n := b.stack[len(b.stack)-1]
			n.text = append(n.text, t...)
		}
	}
	return nil
}

// child returns the only child element with the given local name, nil when
// there is none, and an error when there are several: a duplicate would make
// the reader and the counter writer disagree on which one counts.
func (n *node) child(local string) (*node, error) {
	var found *node
	for _, k := range n.kids {
		if k.name.Local != local {
			continue
		}
		if found != nil {
			return nil, fmt.Errorf("<%s> holds more than one <%s>", n.name.Local, local)
		}
		found = k
	}
	return found, nil
}

// path follows child for each name in turn; a missing step gives nil.
func (n *node) path(locals ...string) (*node, error) {
	for _, l := range locals {
		if n == nil {
			return nil, nil
		}
		var err error
		if n, err = n.child(l); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// textOf returns the trimmed text of the element at path below n, or "".
func (n *node) textOf(locals ...string) (string, error) {
	c, err := n.path(locals...)
	if c == nil || err != nil {
		return "", err
	}
	return strings.TrimSpace(string(c.text)), nil
}

// attr returns the value of the attribute with the given local name.
func (n *node) attr(local string) string {
	for _, a := range n.attrs {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// children returns all child elements with the given local name.
func (n *node) children(local string) []*node {
	var out []*node
	for _, k := range n.kids {
		if k.name.Local == local {
			out = append(out, k)
		}
	}
	return out
}
