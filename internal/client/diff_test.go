package client

import (
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/testpeer"
)

// diffCase is one random token and moment, with the spec text otpgate is
// given for it in one of the forms users write.
type diffCase struct {
	Key     []byte
	Alg     otp.Algorithm
	Digits  int
	Period  int
	T0      int64
	Unix    int64
	Counter uint64
	HOTP    bool
	Spec    string
}

func randomCase(r *rand.Rand, maxDigits int) diffCase {
	c := diffCase{
		Key:     make([]byte, 1+r.IntN(64)),
		Alg:     otp.Algorithm(r.IntN(3)),
		Digits:  6 + r.IntN(maxDigits-5),
		Period:  []int{30, 30, 60, 1 + r.IntN(300)}[r.IntN(4)],
		Unix:    r.Int64N(1 << 33),
		Counter: r.Uint64N(1 << 40),
		HOTP:    r.IntN(2) == 0,
	}
	for i := range c.Key {
		c.Key[i] = byte(r.IntN(256))
	}
	c.Spec = c.spec(r)
	return c
}

// spec writes the case as a token spec: hex, base32 or an otpauth URI.
func (c *diffCase) spec(r *rand.Rand) string {
	b32 := base32.StdEncoding.EncodeToString(c.Key)
	if r.IntN(3) == 0 {
		q := fmt.Sprintf("secret=%s&algorithm=%s&digits=%d&period=%d", strings.TrimRight(b32, "="), c.Alg, c.Digits, c.Period)
		if c.HOTP {
			return fmt.Sprintf("otpauth://hotp/Test:case?%s&counter=%d", q, c.Counter)
		}
		return "otpauth://totp/Test:case?" + q
	}
	s := "0x" + hex.EncodeToString(c.Key)
	if r.IntN(2) == 0 {
		s = "base32:" + strings.ToLower(b32)
	}
	s = map[otp.Algorithm]string{otp.SHA1: "sha1:", otp.SHA256: "SHA256:", otp.SHA512: "sha512:"}[c.Alg] + s
	if c.HOTP {
		s += "," + strconv.FormatUint(c.Counter, 10)
	}
	return s
}

// otpgateCode runs the case through the same path as `otpgate code`.
func otpgateCode(t *testing.T, c diffCase) string {
	t.Helper()
	mode := TOTP
	if c.HOTP {
		mode = HOTP
	}
	tok, err := Open(Source{Mode: mode, Secret: c.Spec, Digits: c.Digits, Period: c.Period})
	if err != nil {
		t.Fatalf("Open(%q): %v", c.Spec, err)
	}
	res, err := tok.Codes(Query{Now: time.Unix(c.Unix, 0)})
	if err != nil {
		t.Fatalf("Codes(%q): %v", c.Spec, err)
	}
	if c.T0 != 0 {
		p := otp.Params{Algorithm: c.Alg, Digits: c.Digits, Period: time.Duration(c.Period) * time.Second, T0: c.T0}
		return otp.Generate(c.Key, p.Step(time.Unix(c.Unix, 0)), p)
	}
	return res.Codes[0].Code
}

// oathtool knows HOTP only with SHA-1 and codes of 6 to 8 digits.
func oathtoolArgs(c diffCase) []string {
	args := []string{"-d", strconv.Itoa(c.Digits)}
	if c.HOTP {
		return append(args, "--hotp", "-c", strconv.FormatUint(c.Counter, 10), hex.EncodeToString(c.Key))
	}
	return append(args, "--totp="+c.Alg.String(), "-s", strconv.Itoa(c.Period)+"s",
		"-S", "@"+strconv.FormatInt(c.T0, 10), "-N", "@"+strconv.FormatInt(c.Unix, 10), hex.EncodeToString(c.Key))
}

func TestDifferentialOathtool(t *testing.T) {
	oathtool := testpeer.Need(t, "oathtool")[0]
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 1000 {
		c := randomCase(r, 8)
		if c.HOTP {
			c.Alg = otp.SHA1
			c.Spec = c.spec(r)
		} else if i%4 == 0 {
			c.T0 = r.Int64N(c.Unix + 1)
		}
		out, err := exec.Command(oathtool, oathtoolArgs(c)...).Output()
		if err != nil {
			t.Fatalf("oathtool %q: %v", oathtoolArgs(c), err)
		}
		if want, got := strings.TrimSpace(string(out)), otpgateCode(t, c); got != want {
			t.Errorf("case %d %q at %d (T0 %d): otpgate %s, oathtool %s", i, c.Spec, c.Unix, c.T0, got, want)
		}
	}
}

const pyotpScript = `
import sys, json, base64, hashlib, pyotp
out = []
for line in sys.stdin:
    c = json.loads(line)
    s = base64.b32encode(bytes.fromhex(c["key"])).decode()
    d = {"SHA1": hashlib.sha1, "SHA256": hashlib.sha256, "SHA512": hashlib.sha512}[c["alg"]]
    if c["hotp"]:
        out.append(pyotp.HOTP(s, digits=c["digits"], digest=d).at(c["counter"]))
    else:
        out.append(pyotp.TOTP(s, digits=c["digits"], digest=d, interval=c["period"]).at(c["unix"]))
print("\n".join(out))
`

// pyotp covers what oathtool cannot: HOTP with SHA-256/512, and 9 and 10
// digits.
func TestDifferentialPyotp(t *testing.T) {
	python := testpeer.Python(t, "pyotp")
	r := rand.New(rand.NewPCG(3, 4))
	cases := make([]diffCase, 1000)
	var in strings.Builder
	for i := range cases {
		cases[i] = randomCase(r, 10)
		c := cases[i]
		line, _ := json.Marshal(map[string]any{"key": hex.EncodeToString(c.Key), "alg": c.Alg.String(), "digits": c.Digits,
			"period": c.Period, "unix": c.Unix, "counter": c.Counter, "hotp": c.HOTP})
		in.Write(append(line, '\n'))
	}
	cmd := exec.Command(python, "-c", pyotpScript)
	cmd.Stdin = strings.NewReader(in.String())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pyotp: %v", err)
	}
	want := strings.Fields(string(out))
	if len(want) != len(cases) {
		t.Fatalf("pyotp printed %d codes for %d cases", len(want), len(cases))
	}
	for i, c := range cases {
		if got := otpgateCode(t, c); got != want[i] {
			t.Errorf("case %d %q at %d: otpgate %s, pyotp %s", i, c.Spec, c.Unix, got, want[i])
		}
	}
}
