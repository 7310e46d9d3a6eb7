package importer

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/testpeer"
)

// pickleScript builds the older OpenVPN TOTP script's database the way the
// script does (pyotp.random_base32, pickle.dump) for each protocol, and
// reports pyotp's code for every user at one instant.
const pickleScript = `
import json, pickle, pyotp, sys
names = ["alice", "bob", "carol ünïcode", "dave\\back\\slash", "emoji 😀", "quote's \"x\"", "shared1", "shared2"]
db = {n: pyotp.random_base32() for n in names}
db["lower"] = pyotp.random_base32().lower()
db["shared2"] = db["shared1"]  # one object: pickled once, then fetched from the memo
at = int(sys.argv[1])
out = {"codes": {n: pyotp.TOTP(s).at(at) for n, s in db.items()}, "order": list(db), "pickles": []}
for p in range(6):
    out["pickles"].append(pickle.dumps(db, protocol=p).hex())
out["pickles"].append(pickle.dumps(db, -1).hex())
print(json.dumps(out))
`

func TestParsePicklePython(t *testing.T) {
	py := testpeer.Python(t, "pyotp")
	at := time.Unix(1_800_000_000, 0)
	out, err := exec.Command(py, "-c", pickleScript, "1800000000").Output()
	if err != nil {
		t.Fatalf("python3: %v", err)
	}
	var res struct {
		Codes   map[string]string
		Order   []string
		Pickles []string
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatal(err)
	}
	p := otp.DefaultParams()
	for proto, h := range res.Pickles {
		recs, err := ParsePickle(bytes.NewReader(mustHex(h)))
		if err != nil {
			t.Errorf("ParsePickle(protocol %d) error: %v", proto, err)
			continue
		}
		if len(recs) != len(res.Order) {
			t.Errorf("ParsePickle(protocol %d) = %d records; want %d", proto, len(recs), len(res.Order))
			continue
		}
		for i, r := range recs {
			want := Record{User: res.Order[i], Type: TypeTOTP, Digits: 6, Period: 30, Issuer: "OpenVPN Server", Secret: r.Secret, Line: i + 1}
			if !reflect.DeepEqual(r, want) {
				t.Errorf("ParsePickle(protocol %d) record %d = %+v; want %+v", proto, i, r, want)
			}
			if got := otp.Generate(r.Secret, p.Step(at), p); got != res.Codes[r.User] {
				t.Errorf("ParsePickle(protocol %d) %q: code %s; pyotp gives %s", proto, r.User, got, res.Codes[r.User])
			}
		}
	}
}

// Python 2 pickles, written as its pickle module does: str values use the
// STRING, SHORT_BINSTRING and BINSTRING opcodes.
var python2Pickles = []struct {
	name string
	data string
}{
	{"protocol 0 str", "(dp0\nS'alice'\np1\nS'JBSWY3DPEHPK3PXP'\np2\nsS'bob'\np3\nS\"GEZ\\x44GNBV\"\np4\ns."},
	{"protocol 0 unicode", "(dp1\nValice\np2\nVJBSWY3DPEHPK3PXP\np3\nsVbob\np4\nVGEZDGNBV\np5\ns."},
	{"protocol 2", "\x80\x02}q\x01(U\x05aliceq\x02U\x10JBSWY3DPEHPK3PXPq\x03U\x03bobq\x04T\x08\x00\x00\x00GEZDGNBVq\x05u."},
	{"DICT opcode", "(S'alice'\nS'JBSWY3DPEHPK3PXP'\nS'bob'\nS'GEZDGNBV'\nd."},
}

// TestParsePicklePython2 reads hand-written Python 2 pickles, and checks
// that Debian's python3 loads them as the same dict.
func TestParsePicklePython2(t *testing.T) {
	py := testpeer.Python(t)
	want := []Record{
		{User: "alice", Type: TypeTOTP, Secret: []byte("Hello!\xde\xad\xbe\xef"), Digits: 6, Period: 30, Issuer: "OpenVPN Server", Line: 1},
		{User: "bob", Type: TypeTOTP, Secret: []byte("12345"), Digits: 6, Period: 30, Issuer: "OpenVPN Server", Line: 2},
	}
	for _, tt := range python2Pickles {
		got, err := ParsePickle(strings.NewReader(tt.data))
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("ParsePickle(%s) = %+v, %v; want %+v", tt.name, got, err, want)
		}
		cmd := exec.Command(py, "-c", "import json, pickle, sys; print(json.dumps(pickle.load(sys.stdin.buffer)))")
		cmd.Stdin = strings.NewReader(tt.data)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("python3 pickle.load(%s): %v", tt.name, err)
		}
		if string(bytes.TrimSpace(out)) != `{"alice": "JBSWY3DPEHPK3PXP", "bob": "GEZDGNBV"}` {
			t.Errorf("python3 pickle.load(%s) = %s; want the dict ParsePickle reads", tt.name, out)
		}
	}
}

// evilScript pickles objects that run code or are not a dict of strings.
const evilScript = `
import json, os, pickle, sys
class Evil:
    def __reduce__(self):
        return (os.system, ("touch " + sys.argv[1],))
cases = {"reduce": Evil(), "reduce in a value": {"alice": Evil()}, "int value": {"alice": 1},
         "bytes value": {"alice": b"JBSWY3DP"}, "list": [("alice", "JBSWY3DP")], "str": "JBSWY3DP",
         "nested dict": {"alice": {"k": "JBSWY3DP"}}, "None value": {"alice": None}, "set": {"alice"}}
out = {}
for name, obj in cases.items():
    for p in range(6):
        out[f"{name}, protocol {p}"] = pickle.dumps(obj, protocol=p).hex()
print(json.dumps(out))
`

func TestParsePickleRefusesObjects(t *testing.T) {
	py := testpeer.Python(t)
	marker := filepath.Join(t.TempDir(), "pwned")
	out, err := exec.Command(py, "-c", evilScript, marker).Output()
	if err != nil {
		t.Fatalf("python3: %v", err)
	}
	var cases map[string]string
	if err := json.Unmarshal(out, &cases); err != nil {
		t.Fatal(err)
	}
	for name, h := range cases {
		recs, err := ParsePickle(bytes.NewReader(mustHex(h)))
		if err == nil || recs != nil {
			t.Errorf("ParsePickle(%s) = %v, %v; want an error", name, recs, err)
			continue
		}
		msg := err.Error()
		if strings.HasPrefix(name, "reduce") && !strings.Contains(msg, "refusing pickle opcode") {
			t.Errorf("ParsePickle(%s) = %v; want the GLOBAL or STACK_GLOBAL opcode refused", name, err)
		}
		if strings.Contains(msg, "JBSWY3DP") || strings.Contains(msg, marker) {
			t.Errorf("ParsePickle(%s) error %q quotes the input", name, msg)
		}
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatalf("a pickle ran code")
	}
}

func TestParsePickleErrors(t *testing.T) {
	const ok = "\x80\x02}q\x01U\x05aliceq\x02U\x10JBSWY3DPEHPK3PXPq\x03s."
	tests := []struct{ in, want string }{
		{"", "importer: pickle: the pickle ends before its STOP opcode"},
		{"\x80\x06}.", "pickle protocol 6 (accepted: 0 to 5)"},
		{"cos\nsystem\n(S'id'\ntR.", "refusing pickle opcode GLOBAL: only a dict of names to secrets is read"},
		{"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00\x8c\x02os\x8c\x06system\x93.", "byte 23: refusing pickle opcode STACK_GLOBAL"},
		{"\xff", "refusing pickle opcode 0xff"},
		{ok + "\x00", "data after the STOP opcode"},
		{"}(U\x01aU\x01bU\x01au.", "a key without a value"},
		{"}(U\x01aU\x10JBSWY3DPEHPK3PXPU\x01aU\x10JBSWY3DPEHPK3PXPu.", "a user name appears twice"},
		{"}U\x01ah\x05s.", "GET of memo entry 5, which was never stored"},
		{"U\x01aU\x01bU\x01cs.", "on something that is not the dict"},
		{"}U\x01as.", "SETITEM without a dict, key and value"},
		{"}}.", "a second dict"},
		{"}q\x00U\x01ah\x00s.", "a dict used as a key or value"},
		{"}U\x01aU\x03!!!s.", "entry 1: the secret is not base32"},
		{"}U\x01\x01U\x03ABCs.", "entry 1: the user name contains a control character"},
		{"}U\x01\xffU\x03ABCs.", "a string that is not valid UTF-8"},
		{"}\x8d\xff\xff\xff\xff\xff\xff\xff\x7f", "a string of 9223372036854775807 bytes"},
		{"}T\xff\xff\xff\xff", "a string of 4294967295 bytes"},
		{"}S'a\nS'b'\ns.", "a protocol-0 string argument is malformed"},
		{"}S'a\\x4'\nS'b'\ns.", "malformed"},
		{"}V\\u00\nVb\ns.", "malformed"},
		{"}V\\ud800\nVb\ns.", "malformed"},
		{"}U\x01ap-1\n.", "a memo index that is not a decimal number"},
		{"d.", "an opcode needs a MARK"},
		{"(}.", "does not hold just a dict"},
		{"}p0\n0.", "refusing pickle opcode POP"},
	}
	for _, tt := range tests {
		recs, err := ParsePickle(strings.NewReader(tt.in))
		if err == nil || recs != nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParsePickle(%q) = %v, %v; want error containing %q", tt.in, recs, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "JBSWY3DP") {
			t.Errorf("ParsePickle(%q) error %q contains the secret", tt.in, err)
		}
	}
	for i := range len(ok) {
		if _, err := ParsePickle(strings.NewReader(ok[:i])); err == nil {
			t.Errorf("ParsePickle(%q) (truncated) succeeded", ok[:i])
		}
	}
}
