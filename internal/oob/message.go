package oob

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"time"
)

// maxFieldValue bounds a value put into a message ({source}, {vpn},
// {user}): they come from the network and the configuration.
const maxFieldValue = 128

// Message is one email, before it is encoded.
type Message struct {
	From    *mail.Address
	To      string // a bare address, from ParseAddress
	Subject string
	Body    string
}

// Encode returns m as an RFC 5322 message in UTF-8: the subject encoded as
// RFC 2047 words where it needs it, the body quoted-printable, lines ended
// by CRLF, and Auto-Submitted (RFC 3834) so that auto-responders keep
// quiet. Control characters in the subject become spaces, so that no value
// can add a header.
func (m Message) Encode(now time.Time) []byte {
	var b bytes.Buffer
	header := func(name, value string) { fmt.Fprintf(&b, "%s: %s\r\n", name, value) }
	header("From", m.From.String())
	header("To", m.To)
	header("Subject", mime.QEncoding.Encode("utf-8", oneLine(m.Subject)))
	header("Date", now.Format(time.RFC1123Z))
	header("Message-ID", messageID(m.From.Address))
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	header("Auto-Submitted", "auto-generated")
	b.WriteString("\r\n")
	w := quotedprintable.NewWriter(&b)
	w.Write([]byte(crlf(m.Body)))
	w.Close()
	b.WriteString("\r\n")
	return b.Bytes()
}

func messageID(from string) string {
	var r [16]byte
	rand.Read(r[:])
	_, domain, _ := strings.Cut(from, "@")
	return "<" + hex.EncodeToString(r[:]) + "@" + domain + ">"
}

// oneLine replaces control characters by spaces.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

// crlf ends every line of s with CRLF.
func crlf(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\n", "\r\n")
}

// fieldValue makes a value from the network safe to put in a message: one
// line, at most maxFieldValue bytes.
func fieldValue(s string) string {
	s = oneLine(s)
	if len(s) > maxFieldValue {
		s = strings.ToValidUTF8(s[:maxFieldValue], "")
	}
	return s
}
