package oob

import (
	"bytes"
	"crypto/rand"
	"math"
	"testing"
)

// NewCode draws by rejection: a draw at or above 10^digits is thrown away,
// not reduced modulo 10^digits, which would favour low codes.
func TestNewCodeRejectsInsteadOfReducing(t *testing.T) {
	// rand.Int reads 20 bits (3 bytes, the top 4 bits masked) for a bound
	// of 10^6. 0xFFFFF = 1048575 is out of range; modulo would give 048575.
	r := bytes.NewReader([]byte{0x0f, 0xff, 0xff, 0x00, 0x00, 0x2a})
	code, err := NewCode(r, 6)
	if err != nil || code != "000042" {
		t.Errorf("NewCode(out of range, then 42) = %q, %v; want 000042", code, err)
	}
}

func TestNewCodeForm(t *testing.T) {
	for _, digits := range []int{6, 7, 8} {
		for range 100 {
			code, err := NewCode(rand.Reader, digits)
			if err != nil || !isCode(code, digits) {
				t.Fatalf("NewCode(%d) = %q, %v; want %d digits", digits, code, err, digits)
			}
		}
	}
	for _, digits := range []int{0, 5, 9, 10} {
		if _, err := NewCode(rand.Reader, digits); err == nil {
			t.Errorf("NewCode(%d) = nil error; want an error", digits)
		}
	}
}

// Every digit at every position is equally likely: a chi-square test over
// 60 000 codes, with a bound that a uniform source exceeds with
// probability about 1e-9 (9 degrees of freedom), so that the test does not
// fail by chance but does fail for a biased generator.
func TestNewCodeUniform(t *testing.T) {
	const n = 60000
	var counts [6][10]int
	for range n {
		code, err := NewCode(rand.Reader, 6)
		if err != nil {
			t.Fatal(err)
		}
		for i := range code {
			counts[i][code[i]-'0']++
		}
	}
	for pos, c := range counts {
		var chi2 float64
		for _, k := range c {
			d := float64(k) - n/10.0
			chi2 += d * d / (n / 10.0)
		}
		if chi2 > 50 || math.IsNaN(chi2) {
			t.Errorf("digit %d: chi-square %.1f over counts %v; want under 50 for a uniform draw", pos, chi2, c)
		}
	}
}

func TestMACInputUnambiguous(t *testing.T) {
	a := macInput("al", "ice", "c", "123456")
	b := macInput("ali", "ce", "c", "123456")
	if bytes.Equal(a, b) {
		t.Errorf("macInput of different fields encodes alike: %x", a)
	}
}
