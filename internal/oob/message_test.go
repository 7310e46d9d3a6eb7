package oob

import (
	"bytes"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"
	"time"
)

func TestMessageEncode(t *testing.T) {
	from, _ := ParseFrom("Example VPN <vpn@example.org>")
	m := Message{From: from, To: "alice@example.org",
		Subject: "Code for Élodie\r\nBcc: eve@example.org",
		Body:    "Line one\nLine two: a long line " + strings.Repeat("x", 100) + "\r\nümlaut\n"}
	raw := m.Encode(time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC))
	if bytes.Contains(bytes.ReplaceAll(raw, []byte("\r\n"), nil), []byte("\n")) {
		t.Errorf("the message has a bare LF:\n%s", raw)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("ReadMessage = %v\n%s", err, raw)
	}
	if msg.Header.Get("Bcc") != "" {
		t.Errorf("the subject added a Bcc header:\n%s", raw)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || subject != "Code for Élodie  Bcc: eve@example.org" {
		t.Errorf("Subject = %q, %v; want the subject on one line", subject, err)
	}
	for name, want := range map[string]string{
		"From": `"Example VPN" <vpn@example.org>`, "To": "alice@example.org",
		"Auto-Submitted": "auto-generated", "Content-Type": "text/plain; charset=utf-8",
	} {
		if got := msg.Header.Get(name); got != want {
			t.Errorf("%s = %q; want %q", name, got, want)
		}
	}
	if !strings.HasSuffix(msg.Header.Get("Message-Id"), "@example.org>") {
		t.Errorf("Message-ID = %q; want one in the From domain", msg.Header.Get("Message-Id"))
	}
	body, _ := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if want := "Line one\r\nLine two: a long line " + strings.Repeat("x", 100) + "\r\nümlaut\r\n"; string(body) != want+"\r\n" && string(body) != want {
		t.Errorf("body = %q; want %q", body, want)
	}
}

func TestFieldValue(t *testing.T) {
	if got := fieldValue("192.0.2.7\r\nX-Evil: 1"); got != "192.0.2.7  X-Evil: 1" {
		t.Errorf("fieldValue = %q; want one line", got)
	}
	if got := fieldValue(strings.Repeat("é", 100)); len(got) > maxFieldValue || !strings.HasPrefix(got, "éé") {
		t.Errorf("fieldValue(200 bytes) = %d bytes; want at most %d of valid UTF-8", len(got), maxFieldValue)
	}
}

func TestLifetime(t *testing.T) {
	for d, want := range map[time.Duration]string{
		15 * time.Minute: "15 minutes", time.Minute: "1 minute", time.Hour: "1 hour",
		2 * time.Hour: "2 hours", 90 * time.Second: "90 seconds",
	} {
		if got := lifetime(d); got != want {
			t.Errorf("lifetime(%v) = %q; want %q", d, got, want)
		}
	}
}
