package ykoath_test

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/ykoath"
	"otpgate.dev/otpgate/internal/ykoath/ykoathsim"
)

// exchange is one command and response of a recorded trace. A nil resp
// means the recording does not give it: any response ending in 9000 will do.
type exchange struct {
	line      int
	cmd, resp []byte
}

// loadTrace reads a testdata trace: "> hex" commands, "< hex" responses
// ("< -" when not recorded), "#" comments; spaces inside hex are ignored.
func loadTrace(t *testing.T, name string) []exchange {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []exchange
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		b, err := hex.DecodeString(strings.ReplaceAll(line[1:], " ", ""))
		switch {
		case line[0] == '>' && err == nil:
			out = append(out, exchange{line: n, cmd: b})
		case line[0] == '<' && len(out) > 0 && out[len(out)-1].resp == nil && strings.TrimSpace(line[1:]) == "-":
			out[len(out)-1].resp = nil
		case line[0] == '<' && len(out) > 0 && out[len(out)-1].resp == nil && err == nil:
			out[len(out)-1].resp = b
		default:
			t.Fatalf("%s:%d: malformed trace line %q", name, n, line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// replayCard is a ykoath.Card that expects exactly the trace's commands,
// in order, and answers with the recorded responses.
type replayCard struct {
	t     *testing.T
	name  string
	trace []exchange
}

func (c *replayCard) Transmit(apdu []byte) ([]byte, error) {
	c.t.Helper()
	if len(c.trace) == 0 {
		c.t.Fatalf("%s: unexpected extra command %x", c.name, apdu)
	}
	e := c.trace[0]
	c.trace = c.trace[1:]
	if !bytes.Equal(apdu, e.cmd) {
		c.t.Fatalf("%s:%d: command\n got %x\nwant %x", c.name, e.line, apdu, e.cmd)
	}
	return e.resp, nil
}

func (c *replayCard) done() {
	c.t.Helper()
	if len(c.trace) > 0 {
		c.t.Errorf("%s:%d: %d recorded commands were not sent", c.name, c.trace[0].line, len(c.trace))
	}
}

var rfcKey = []byte("12345678901234567890")

// TestTraceClient drives the client over the recorded YubiKey traces and
// checks every command byte it sends.
func TestTraceClient(t *testing.T) {
	t.Run("totp", func(t *testing.T) {
		card := &replayCard{t: t, name: "yubikey543-totp.trace", trace: loadTrace(t, "yubikey543-totp.trace")}
		s := ykoath.NewSession(card)
		info, err := s.Select()
		if err != nil {
			t.Fatal(err)
		}
		if info.Version.String() != "5.4.3" || info.Locked || info.DeviceID != "3X9PPX2jCgOTvI2AalCZkA" {
			t.Errorf("Select() = %+v; want version 5.4.3, unlocked, device ID 3X9PPX2jCgOTvI2AalCZkA", info)
		}
		c, err := s.Put(ykoath.Account{Name: "rfc6238-test-01", Type: ykoath.TOTP, Algorithm: otp.SHA1, Digits: 8, Secret: rfcKey})
		if err != nil {
			t.Fatal(err)
		}
		if code, err := s.Calculate(c, time.Unix(59, 0)); code != "94287082" || err != nil {
			t.Errorf("Calculate(%q, 59 s) = %q, %v; want 94287082", c.ID, code, err)
		}
		card.done()
	})
	t.Run("hotp", func(t *testing.T) {
		card := &replayCard{t: t, name: "yubikey543-hotp.trace", trace: loadTrace(t, "yubikey543-hotp.trace")}
		s := ykoath.NewSession(card)
		if _, err := s.Select(); err != nil {
			t.Fatal(err)
		}
		c, err := s.Put(ykoath.Account{Name: "rfc4226-test-00", Type: ykoath.HOTP, Algorithm: otp.SHA1, Digits: 6, Secret: rfcKey})
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range rfc4226 {
			if code, err := s.Calculate(c, time.Time{}); code != want || err != nil {
				t.Errorf("Calculate(%q) #%d = %q, %v; want %s", c.ID, i, code, err, want)
			}
		}
		card.done()
	})
}

// rfc4226 are the codes of RFC 4226 Appendix D, counters 0 to 9.
var rfc4226 = []string{"755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"}

// TestTraceSimulator replays the recorded commands against the simulator
// and checks that it answers byte for byte as the YubiKey did.
func TestTraceSimulator(t *testing.T) {
	for _, tt := range []struct {
		name       string
		salt, rand string
	}{
		{"yubikey543-totp.trace", "548cb7e04b2969a7", ""},
		{"yubikey543-hotp.trace", "548cb7e04b2969a7", ""},
		{"yubikey-sha256-password.trace", "1ac43b4d845166b8", "5dd49f7561f302eb"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			salt, _ := hex.DecodeString(tt.salt)
			random, _ := hex.DecodeString(tt.rand)
			sim := ykoathsim.New(ykoathsim.Options{Salt: salt, Rand: bytes.NewReader(random)})
			for _, e := range loadTrace(t, tt.name) {
				got, err := sim.Transmit(e.cmd)
				if err != nil {
					t.Fatalf("line %d: Transmit: %v", e.line, err)
				}
				if e.resp == nil && bytes.HasSuffix(got, []byte{0x90, 0x00}) {
					continue
				}
				if !bytes.Equal(got, e.resp) {
					t.Errorf("line %d: Transmit(%x)\n got %x\nwant %x", e.line, e.cmd, got, e.resp)
				}
			}
		})
	}
}
