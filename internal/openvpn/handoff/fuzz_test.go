package handoff

import (
	"bytes"
	"testing"
)

// FuzzRead: any bytes from the socket either decode into a message that
// encodes back to the same frame, or are an error; never a panic. The
// answers a hook acts on are checked whole.
func FuzzRead(f *testing.F) {
	for _, m := range []message{
		helloMessage(Params{DB: "/var/lib/otpgate/otpgate.db", Primary: "none", ChallengeTTL: 300e9, Prompt: "code"}),
		{kindOK, nil}, {kindMismatch, []string{"another store"}},
		{kindAuth, []string{"alice", "pw123456", "", "", "append", "192.0.2.1", "192.0.2.1"}},
		{kindResponse, []string{"2", "alice", "", "id", "code?", "false", "1700000000000000000"}},
		{kindActive, []string{"alice"}}, {kindIsActive, []string{"1"}}, {kindError, []string{"x"}},
	} {
		b, err := m.encode()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := read(bytes.NewReader(b))
		if err != nil {
			return
		}
		again, err := m.encode()
		if err != nil || !bytes.Equal(again, b[:len(again)]) {
			t.Fatalf("%x decodes to %+v, which encodes to %x, %v", b, m, again, err)
		}
		switch m.kind {
		case kindResponse:
			parseResponse(m)
		case kindHello:
			parseHello(m)
		}
	})
}
