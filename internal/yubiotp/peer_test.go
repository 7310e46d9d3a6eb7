package yubiotp

import (
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"regexp"
	"strconv"
	"testing"

	"otpgate.dev/otpgate/internal/testpeer"
)

// randomPlaintext returns fields that exercise every byte, including the
// caps-lock bit and the top of the 24-bit timestamp.
func randomPlaintext(r *rand.Rand) Plaintext {
	var p Plaintext
	for i := range p.PrivateID {
		p.PrivateID[i] = byte(r.Uint32())
	}
	p.Usage = uint16(r.Uint32())
	p.Timestamp = r.Uint32() & 0xffffff
	p.Session = byte(r.Uint32())
	p.Random = uint16(r.Uint32())
	return p
}

// TestYkgenerate decrypts OTPs made by libyubikey's ykgenerate.
func TestYkgenerate(t *testing.T) {
	ykgenerate := testpeer.Need(t, "ykgenerate")[0]
	r := rand.New(rand.NewPCG(1, 2))
	for range 16 {
		key := make([]byte, KeySize)
		for i := range key {
			key[i] = byte(r.Uint32())
		}
		want := randomPlaintext(r)
		out, err := exec.Command(ykgenerate, hex.EncodeToString(key), hex.EncodeToString(want.PrivateID[:]),
			fmt.Sprintf("%04x", want.Usage), fmt.Sprintf("%04x", want.Timestamp&0xffff),
			fmt.Sprintf("%02x", want.Timestamp>>16), fmt.Sprintf("%02x", want.Session)).Output()
		if err != nil {
			t.Fatalf("ykgenerate: %v", err)
		}
		o, err := Parse(string(out[:len(out)-1]))
		if err != nil {
			t.Fatalf("Parse(ykgenerate output %q): %v", out, err)
		}
		got, err := o.Decrypt(key)
		want.Random = got.Random // ykgenerate picks its own
		if err != nil || got != want {
			t.Errorf("Decrypt(ykgenerate %+v) = %+v, %v", want, got, err)
		}
	}
}

var ykparseField = regexp.MustCompile(`(?m)^\s+(uid|counter|timestamp \(low\)|timestamp \(high\)|session use|random|crc check): (.*)$`)

// TestYkparse has libyubikey's ykparse decrypt OTPs made by Generate.
func TestYkparse(t *testing.T) {
	ykparse := testpeer.Need(t, "ykparse")[0]
	r := rand.New(rand.NewPCG(3, 4))
	for range 16 {
		key := make([]byte, KeySize)
		for i := range key {
			key[i] = byte(r.Uint32())
		}
		p := randomPlaintext(r)
		otp, err := Generate("cccccccccccc", p, key)
		if err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(ykparse, hex.EncodeToString(key), otp[12:]).Output()
		if err != nil {
			t.Fatalf("ykparse: %v", err)
		}
		fields := map[string]string{}
		for _, m := range ykparseField.FindAllStringSubmatch(string(out), -1) {
			fields[m[1]] = m[2]
		}
		want := map[string]string{
			"uid":              fmt.Sprintf("% x ", p.PrivateID[:]),
			"counter":          num(uint64(p.Usage), 4),
			"timestamp (low)":  num(uint64(p.Timestamp&0xffff), 4),
			"timestamp (high)": num(uint64(p.Timestamp>>16), 2),
			"session use":      num(uint64(p.Session), 2),
			"random":           num(uint64(p.Random), 1), // ykparse prints it unpadded
			"crc check":        "ok",
		}
		for k, v := range want {
			if fields[k] != v {
				t.Errorf("ykparse(Generate(%+v)) %s = %q; want %q", p, k, fields[k], v)
			}
		}
	}
}

// num formats v the way ykparse prints a field: "19 (0x0013)".
func num(v uint64, width int) string {
	return strconv.FormatUint(v, 10) + fmt.Sprintf(" (0x%0*x)", width, v)
}
