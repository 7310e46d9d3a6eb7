package otp

import (
	"fmt"
	"testing"
	"time"
)

var rfc4226Key = []byte("12345678901234567890")

// RFC 4226 Appendix D.
var rfc4226Tests = []struct {
	counter   uint64
	truncated uint32
	code      string
}{
	{0, 0x4c93cf18, "755224"},
	{1, 0x41397eea, "287082"},
	{2, 0x082fef30, "359152"},
	{3, 0x66ef7655, "969429"},
	{4, 0x61c5938a, "338314"},
	{5, 0x33c083d4, "254676"},
	{6, 0x7256c032, "287922"},
	{7, 0x04e5b397, "162583"},
	{8, 0x2823443f, "399871"},
	{9, 0x2679dc69, "520489"},
}

func TestRFC4226(t *testing.T) {
	p := DefaultParams()
	for _, tt := range rfc4226Tests {
		if got := truncate(rfc4226Key, tt.counter, SHA1); got != tt.truncated {
			t.Errorf("truncate(%d) = %#x; want %#x", tt.counter, got, tt.truncated)
		}
		if got := Generate(rfc4226Key, tt.counter, p); got != tt.code {
			t.Errorf("Generate(%d) = %q; want %q", tt.counter, got, tt.code)
		}
	}
}

// RFC 6238 Appendix B, with the seed lengths of erratum 2866.
var rfc6238Keys = map[Algorithm][]byte{
	SHA1:   []byte("12345678901234567890"),
	SHA256: []byte("12345678901234567890123456789012"),
	SHA512: []byte("1234567890123456789012345678901234567890123456789012345678901234"),
}

var rfc6238Tests = []struct {
	unix int64
	step uint64
	alg  Algorithm
	code string
}{
	{59, 0x1, SHA1, "94287082"},
	{59, 0x1, SHA256, "46119246"},
	{59, 0x1, SHA512, "90693936"},
	{1111111109, 0x23523EC, SHA1, "07081804"},
	{1111111109, 0x23523EC, SHA256, "68084774"},
	{1111111109, 0x23523EC, SHA512, "25091201"},
	{1111111111, 0x23523ED, SHA1, "14050471"},
	{1111111111, 0x23523ED, SHA256, "67062674"},
	{1111111111, 0x23523ED, SHA512, "99943326"},
	{1234567890, 0x273EF07, SHA1, "89005924"},
	{1234567890, 0x273EF07, SHA256, "91819424"},
	{1234567890, 0x273EF07, SHA512, "93441116"},
	{2000000000, 0x3F940AA, SHA1, "69279037"},
	{2000000000, 0x3F940AA, SHA256, "90698825"},
	{2000000000, 0x3F940AA, SHA512, "38618901"},
	{20000000000, 0x27BC86AA, SHA1, "65353130"},
	{20000000000, 0x27BC86AA, SHA256, "77737706"},
	{20000000000, 0x27BC86AA, SHA512, "47863826"},
}

func TestRFC6238(t *testing.T) {
	for _, tt := range rfc6238Tests {
		p := Params{Algorithm: tt.alg, Digits: 8, Period: DefaultPeriod}
		if got := p.Step(time.Unix(tt.unix, 0)); got != tt.step {
			t.Errorf("Step(%d) = %#x; want %#x", tt.unix, got, tt.step)
		}
		if got := Generate(rfc6238Keys[tt.alg], tt.step, p); got != tt.code {
			t.Errorf("Generate(%v, %d) = %q; want %q", tt.alg, tt.unix, got, tt.code)
		}
	}
}

// Extra vectors observed with oathtool and OpenConnect 9.01 (reference/client-tokens.md section 3).
func TestObservedVectors(t *testing.T) {
	tests := []struct {
		key     string
		counter uint64
		p       Params
		want    string
	}{
		{"12345678901234567890", 0, Params{SHA256, 6, DefaultPeriod, 0}, "875740"},
		{"12345678901234567890", 0, Params{SHA512, 6, DefaultPeriod, 0}, "125165"},
		{"SecretSecret!", 99, DefaultParams(), "397024"},
		{"SecretSecret!", 100, DefaultParams(), "876702"},
		{"12345678901234567890", 9, Params{SHA1, 8, DefaultPeriod, 0}, "45520489"},
		{"12345678901234567890", 5, Params{SHA1, 8, DefaultPeriod, 0}, "68254676"},
		{"1234567890123456789012345678901234567890123456789012345678901234", 0x27BC86AA, Params{SHA512, 6, DefaultPeriod, 0}, "863826"},
		{"12345678901234567890", 0, Params{SHA1, 10, DefaultPeriod, 0}, "1284755224"},
		{"12345678901234567890", 7, Params{SHA1, 10, DefaultPeriod, 0}, "0082162583"},
	}
	for _, tt := range tests {
		if got := Generate([]byte(tt.key), tt.counter, tt.p); got != tt.want {
			t.Errorf("Generate(%q, %d, %v/%d) = %q; want %q", tt.key, tt.counter, tt.p.Algorithm, tt.p.Digits, got, tt.want)
		}
	}
	p := Params{SHA1, 6, 60 * time.Second, 0}
	if got := Generate(rfc4226Key, p.Step(time.Unix(1111111111, 0)), p); got != "360094" {
		t.Errorf("TOTP/60s at 1111111111 = %q; want 360094", got)
	}
}

func TestT0(t *testing.T) {
	p := Params{SHA1, 6, DefaultPeriod, 1000}
	if got := p.Step(time.Unix(999, 0)); got != 0 {
		t.Errorf("Step before T0 = %d; want 0", got)
	}
	if got := p.Step(time.Unix(1000+59, 0)); got != 1 {
		t.Errorf("Step(T0+59) = %d; want 1", got)
	}
	if got := p.StepStart(2).Unix(); got != 1060 {
		t.Errorf("StepStart(2) = %d; want 1060", got)
	}
}

func TestVerify(t *testing.T) {
	p := DefaultParams()
	tests := []struct {
		code   string
		lo, hi uint64
		want   uint64
		ok     bool
	}{
		{"755224", 0, 0, 0, true},
		{"755224", 1, 9, 0, false},
		{"520489", 0, 9, 9, true},
		{"520489", 0, 8, 0, false},
		{"287082", 0, 9, 1, true},
		{"28708", 0, 9, 0, false},
		{"2870820", 0, 9, 0, false},
		{"999999", 0, 9, 0, false},
		{"755224", 5, 4, 0, false},
	}
	for _, tt := range tests {
		got, ok := Verify(rfc4226Key, tt.code, tt.lo, tt.hi, p)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Verify(%q, %d, %d) = %d, %v; want %d, %v", tt.code, tt.lo, tt.hi, got, ok, tt.want, tt.ok)
		}
	}
}

// A code that matches two counters of one window must report the higher.
func TestVerifyHighestMatch(t *testing.T) {
	p := DefaultParams()
	key := []byte("collide")
	seen := map[string]uint64{}
	for c := uint64(0); c < 5000; c++ {
		code := Generate(key, c, p)
		if first, dup := seen[code]; dup {
			got, ok := Verify(key, code, first, c, p)
			if !ok || got != c {
				t.Fatalf("Verify(%q, %d, %d) = %d, %v; want %d, true", code, first, c, got, ok, c)
			}
			return
		}
		seen[code] = c
	}
	t.Fatal("no collision found in 5000 counters; widen the search")
}

func TestVerifyWindowEdges(t *testing.T) {
	p := DefaultParams()
	max := ^uint64(0)
	code := Generate(rfc4226Key, max, p)
	if got, ok := Verify(rfc4226Key, code, max-2, max, p); !ok || got != max {
		t.Errorf("Verify at the top of the counter space = %d, %v; want %d, true", got, ok, max)
	}
	if lo, hi := Window(1, 5, 1); lo != 0 || hi != 2 {
		t.Errorf("Window(1, 5, 1) = %d, %d; want 0, 2", lo, hi)
	}
	if lo, hi := Window(100, 5, 1); lo != 95 || hi != 101 {
		t.Errorf("Window(100, 5, 1) = %d, %d; want 95, 101", lo, hi)
	}
}

func TestParamsValidate(t *testing.T) {
	for d := 0; d < 13; d++ {
		err := Params{SHA1, d, DefaultPeriod, 0}.Validate()
		if (err == nil) != (d >= 6 && d <= 10) {
			t.Errorf("Validate(digits=%d) = %v", d, err)
		}
	}
	if err := (Params{SHA1, 6, 1500 * time.Millisecond, 0}).Validate(); err == nil {
		t.Error("Validate accepted a fractional period")
	}
	if err := (Params{Algorithm(7), 6, DefaultPeriod, 0}).Validate(); err == nil {
		t.Error("Validate accepted an unknown algorithm")
	}
}

func TestParseAlgorithm(t *testing.T) {
	for in, want := range map[string]Algorithm{"sha1": SHA1, "SHA256": SHA256, "Sha-512": SHA512} {
		if got, err := ParseAlgorithm(in); err != nil || got != want {
			t.Errorf("ParseAlgorithm(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseAlgorithm("md5"); err == nil {
		t.Error("ParseAlgorithm(md5) succeeded")
	}
}

func ExampleGenerate() {
	key := []byte("12345678901234567890")
	p := DefaultParams()
	fmt.Println(Generate(key, p.Step(time.Unix(59, 0)), p))
	// Output: 287082
}

func ExampleVerify() {
	key := []byte("12345678901234567890")
	p := DefaultParams()
	// The last accepted HOTP counter was 3: look at the next ten.
	c, ok := Verify(key, "287922", 4, 13, p)
	fmt.Println(c, ok)
	// Output: 6 true
}
