package testpeer

import (
	"bytes"
	"cmp"
	"io"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Mail is one message Postfix delivered.
type Mail struct {
	File   string
	To     string // the envelope recipient (X-Original-To)
	Header mail.Header
	Body   string // decoded from quoted-printable when it was sent so
	Raw    []byte
}

// Mails returns every message delivered so far, oldest first.
func (p *Postfix) Mails(t testing.TB) []Mail {
	t.Helper()
	var out []Mail
	for _, sub := range []string{"new", "cur"} {
		dir := filepath.Join(p.dir, "mail", "inbox", sub)
		names, err := os.ReadDir(dir)
		if err != nil && !os.IsNotExist(err) {
			t.Fatalf("testpeer: maildir: %v", err)
		}
		for _, n := range names {
			out = append(out, readMail(t, filepath.Join(dir, n.Name())))
		}
	}
	slices.SortFunc(out, func(a, b Mail) int {
		return cmp.Or(cmp.Compare(deliveredAt(a.File), deliveredAt(b.File)), strings.Compare(a.File, b.File))
	})
	return out
}

// deliveredAt reads the delivery time, in microseconds, from a Maildir
// name as Postfix makes it: SECONDS.VdevIinodeMmicroseconds.host.
func deliveredAt(path string) int64 {
	name := filepath.Base(path)
	secs, rest, _ := strings.Cut(name, ".")
	_, rest, _ = strings.Cut(rest, "M")
	usecs, _, _ := strings.Cut(rest, ".")
	s, _ := strconv.ParseInt(secs, 10, 64)
	u, _ := strconv.ParseInt(usecs, 10, 64)
	return s*1_000_000 + u
}

func readMail(t testing.TB, path string) Mail {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("testpeer: maildir: %v", err)
	}
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("testpeer: maildir: %s is not a message: %v", path, err)
	}
	var body io.Reader = m.Body
	if strings.EqualFold(m.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		body = quotedprintable.NewReader(body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		t.Fatalf("testpeer: maildir: %s: body: %v", path, err)
	}
	return Mail{File: path, To: m.Header.Get("X-Original-To"), Header: m.Header, Body: string(b), Raw: raw}
}

// WaitMail waits until n messages to the envelope recipient to have been
// delivered, and returns them, oldest first.
func (p *Postfix) WaitMail(t testing.TB, to string, n int) []Mail {
	t.Helper()
	deadline := time.Now().Add(postfixWait)
	for {
		var got []Mail
		for _, m := range p.Mails(t) {
			if m.To == to {
				got = append(got, m)
			}
		}
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("testpeer: postfix: %d of %d messages to %s after %v%s", len(got), n, to, postfixWait, p.log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
