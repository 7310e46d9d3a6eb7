package ykoathsim_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"sync"
	"testing"

	"otpgate.dev/otpgate/internal/ykoath/ykoathsim"
)

func unhex(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

const (
	selectOATH = "00a4040007 a0000005272101"
	// PUT "t": TOTP|SHA256, 6 digits, key "12345678901234567890"
	putTOTP = "000100001b 7101 74 7316 22 06 3132333435363738393031323334353637383930"
	// PUT "h": HOTP|SHA1, 8 digits, same key, PROPERTY 02 with no length byte, IMF 5
	putHOTP = "0001000023 7101 68 7316 11 08 3132333435363738393031323334353637383930 7802 7a0400000005"
)

// run sends hex APDUs in order and returns the last response.
func run(t *testing.T, a *ykoathsim.Applet, apdus ...string) []byte {
	t.Helper()
	var resp []byte
	for _, s := range apdus {
		resp, _ = a.Transmit(unhex(s))
	}
	return resp
}

func newApplet() *ykoathsim.Applet {
	return ykoathsim.New(ykoathsim.Options{Salt: unhex("548cb7e04b2969a7")})
}

func TestStatusWords(t *testing.T) {
	for _, tt := range []struct {
		name  string
		apdus []string
		want  string
	}{
		{"select", []string{selectOATH}, "7903050403 7108548cb7e04b2969a7 9000"},
		{"select other AID", []string{"00a4040008 a000000527471117"}, "6a82"},
		{"select wrong P2", []string{"00a4040c07 a0000005272101"}, "6b00"},
		{"list before select", []string{"00a10000"}, "6d00"},
		{"unknown INS", []string{selectOATH, "00ff0000"}, "6d00"},
		{"CLA 80", []string{"80a4040007 a0000005272101"}, "6e00"},
		{"too short", []string{"00a4"}, "6700"},
		{"Lc too long", []string{"00a4040009 a0000005272101"}, "6700"},
		{"list with Le", []string{selectOATH, "00a1000000"}, "9000"},
		{"list P1", []string{selectOATH, "00a1010000"}, "6b00"},
		{"calculate unknown", []string{selectOATH, "00a2000108 7101 78 7403 010203"}, "6984"},
		{"calculate no name", []string{selectOATH, "00a2000105 7403 010203"}, "6a80"},
		{"delete unknown", []string{selectOATH, "0002000003 7101 78"}, "6984"},
		{"put SHA-1 key too long", []string{selectOATH, "0001000048 7101 74 7343 21 06" + strings.Repeat("00", 65)}, "6a80"},
		{"put 9 digits", []string{selectOATH, "0001000007 7101 74 7302 21 09"}, "6a80"},
		{"put type 30", []string{selectOATH, "0001000007 7101 74 7302 31 06"}, "6a80"},
		{"put hash 4", []string{selectOATH, "0001000007 7101 74 7302 24 06"}, "6a80"},
		{"put no name", []string{selectOATH, "0001000004 7302 21 06"}, "6a80"},
		{"put bad IMF", []string{selectOATH, "000100000a 7101 74 7302 11 06 7a0101"}, "6a80"},
		{"totp empty challenge", []string{selectOATH, putTOTP, "00a2000105 7101 74 7400"}, "6a80"},
		{"validate without password", []string{selectOATH, "00a300000e 7502 0000 7408 0000000000000000"}, "6984"},
		{"reset wrong P1P2", []string{selectOATH, "00040000"}, "6b00"},
		{"set code bad response", []string{selectOATH, "0003000013 7303 01 aabb 7408 0000000000000000 7502 0000"}, "6a80"},
	} {
		if got := run(t, newApplet(), tt.apdus...); !bytes.Equal(got, unhex(tt.want)) {
			t.Errorf("%s: Transmit = %x; want %s", tt.name, got, strings.ReplaceAll(tt.want, " ", ""))
		}
	}
}

// TestHOTP checks the PROPERTY tag without a length byte and the IMF: the
// credential starts at counter 5, CALCULATE ALL does not advance it, and
// full responses carry the whole HMAC.
func TestHOTP(t *testing.T) {
	a := newApplet()
	if got := run(t, a, selectOATH, putHOTP); !bytes.Equal(got, unhex("9000")) {
		t.Fatalf("PUT = %x; want 9000", got)
	}
	all := run(t, a, "00a400010a 7408 0000000000000001")
	if want := unhex("7101 68 7701 08 9000"); !bytes.Equal(all, want) {
		t.Errorf("CALCULATE ALL = %x; want %x", all, want)
	}
	// RFC 4226 counter 5, 8 digits: 68254676 = 0x04117bd4
	if got, want := run(t, a, "00a2000105 7101 68 7400"), unhex("7605 08 04117bd4 9000"); !bytes.Equal(got, want) {
		t.Errorf("CALCULATE truncated = %x; want %x", got, want)
	}
	// Counter 6, full: digits then HMAC-SHA1 (RFC 4226 Appendix D).
	if got, want := run(t, a, "00a2000005 7101 68 7400"), unhex("7515 08 bc9cd28561042c83f219324d3c607256c03272ae 9000"); !bytes.Equal(got, want) {
		t.Errorf("CALCULATE full = %x; want %x", got, want)
	}
}

func TestCalculateAllTOTP(t *testing.T) {
	a := newApplet()
	chal := unhex("0000000000000001")
	m := hmac.New(sha256.New, []byte("12345678901234567890"))
	m.Write(chal)
	full := m.Sum(nil)
	got := run(t, a, selectOATH, putTOTP, "00a400000a 7408 0000000000000001")
	want := append(append(unhex("7101 74 7521 06"), full...), 0x90, 0x00)
	if !bytes.Equal(got, want) {
		t.Errorf("CALCULATE ALL full = %x; want %x", got, want)
	}
}

// TestPasswordGate checks that a set password gates every instruction but
// VALIDATE and RESET, and that RESET works while locked.
func TestPasswordGate(t *testing.T) {
	a := ykoathsim.New(ykoathsim.Options{Salt: unhex("1ac43b4d845166b8"), Rand: bytes.NewReader(bytes.Repeat([]byte{7}, 64))})
	key := unhex("94caf75c9308fc3ca840379332defbfb")
	chal := unhex("0102030405060708")
	m := hmac.New(sha256.New, key)
	m.Write(chal)
	setCode := "000300003f 7311 02 " + hex.EncodeToString(key) + " 7408 " + hex.EncodeToString(chal) + " 7520 " + hex.EncodeToString(m.Sum(nil))
	if got := run(t, a, selectOATH, putTOTP, setCode); !bytes.Equal(got, unhex("9000")) {
		t.Fatalf("SET CODE = %x; want 9000", got)
	}
	sel := run(t, a, selectOATH)
	if !bytes.Contains(sel, unhex("7408 0707070707070707 7b01 02")) {
		t.Errorf("SELECT with password = %x; want a challenge and algorithm 02", sel)
	}
	for _, apdu := range []string{"00a10000", putTOTP, "00a2000105 7101 74 7400", "00a400010a 7408 0000000000000001", "0002000003 7101 74", "0003000002 7300", "00a50000"} {
		if got := run(t, a, apdu); !bytes.Equal(got, unhex("6982")) {
			t.Errorf("%s while locked = %x; want 6982", apdu, got)
		}
	}
	if got := run(t, a, "00a300000e 7502 0000 7408 0000000000000000"); !bytes.Equal(got, unhex("6a80")) {
		t.Errorf("VALIDATE with a wrong response = %x; want 6a80", got)
	}
	if got := run(t, a, "0004dead", selectOATH); !bytes.Equal(got[len(got)-2:], unhex("9000")) || bytes.Contains(got, []byte{0x74, 0x08}) {
		t.Errorf("SELECT after RESET = %x; want no challenge", got)
	}
	if got := run(t, a, "00a10000"); !bytes.Equal(got, unhex("9000")) {
		t.Errorf("LIST after RESET = %x; want empty 9000", got)
	}
}

// TestChaining covers command chaining (CLA 10) and response chaining.
func TestChaining(t *testing.T) {
	a := newApplet()
	put := unhex(putTOTP)
	first := append(unhex("1001000005"), put[5:10]...)
	rest := append([]byte{0x00, 0x01, 0x00, 0x00, byte(len(put) - 10)}, put[10:]...)
	run(t, a, selectOATH)
	for _, apdu := range [][]byte{first, rest} {
		if got, _ := a.Transmit(apdu); !bytes.Equal(got, unhex("9000")) {
			t.Fatalf("chained PUT part %x = %x; want 9000", apdu, got)
		}
	}
	if got := run(t, a, "00a10000"); !bytes.Equal(got, unhex("7202 22 74 9000")) {
		t.Errorf("LIST after chained PUT = %x; want the credential", got)
	}
	// 30 more credentials with 60-byte names make LIST 1894 bytes long.
	for i := range 30 {
		name := strings.Repeat(string(rune('a'+i%26)), 58) + string(rune('0'+i/10)) + string(rune('0'+i%10))
		apdu := "0001000056 713c " + hex.EncodeToString([]byte(name)) + " 7316 21 06 3132333435363738393031323334353637383930"
		run(t, a, apdu)
	}
	const want = 4 + 30*63 // "t", then 30 entries of 72 3d type name
	resp := run(t, a, "00a10000")
	var total []byte
	for n := 0; ; n++ {
		sw1, sw2 := resp[len(resp)-2], resp[len(resp)-1]
		total = append(total, resp[:len(resp)-2]...)
		if sw1 == 0x90 {
			break
		}
		if sw1 != 0x61 || len(resp) != 257 || int(sw2) != min(want-len(total), 0xff) {
			t.Fatalf("LIST part %d: %d bytes, SW %02x%02x", n, len(resp), sw1, sw2)
		}
		resp = run(t, a, "00a50000")
	}
	if len(total) != want {
		t.Errorf("LIST total %d bytes; want %d", len(total), want)
	}
}

func TestConcurrentTransmit(t *testing.T) {
	a := newApplet()
	run(t, a, selectOATH, putTOTP)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				a.Transmit(unhex("00a200010d 7101 74 7408 0000000000000001"))
			}
		})
	}
	wg.Wait()
}

// FuzzApplet sends the fuzz input as a series of APDUs (each prefixed by
// its length) to a fresh applet with one credential: every response is a
// status word with at most 255 data bytes, and nothing panics.
func FuzzApplet(f *testing.F) {
	f.Add(unhex("0c" + selectOATH + "04 00a10000"))
	f.Add(unhex("04 00a10000 05 1001000001 04 00a50000"))
	f.Add(unhex(strings.ReplaceAll("0c"+selectOATH+"41"+"000300003f 7311 02 497bf21cf91df0c677087a0b779be8df 7408 225f145cfc487575 7520 27749e37160b8c015b163ac3fe16cf421dbb2336d6c445e0a6ab76d7cec88b52", " ", "")))
	f.Fuzz(func(t *testing.T, in []byte) {
		a := newApplet()
		run(t, a, selectOATH, putTOTP, putHOTP)
		for len(in) > 0 {
			n := min(int(in[0]), len(in)-1)
			apdu := in[1 : 1+n]
			in = in[1+n:]
			resp, err := a.Transmit(apdu)
			if err != nil || len(resp) < 2 || len(resp) > 257 {
				t.Fatalf("Transmit(%x) = %x, %v", apdu, resp, err)
			}
		}
	})
}
