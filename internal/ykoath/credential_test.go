package ykoath_test

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/testpeer"
	"otpgate.dev/otpgate/internal/ykoath"
)

// idCases are credential IDs with the period, issuer and name ykman's
// _parse_cred_id gives them (checked against it by TestParseIDYubikit).
var idCases = []struct {
	id     string
	t      ykoath.Type
	issuer string
	name   string
	period time.Duration
}{
	{"alice", ykoath.TOTP, "", "alice", 30 * time.Second},
	{"VPN:alice", ykoath.TOTP, "VPN", "alice", 30 * time.Second},
	{"60/VPN:alice", ykoath.TOTP, "VPN", "alice", 60 * time.Second},
	{"15/alice", ykoath.TOTP, "", "alice", 15 * time.Second},
	{"VPN:alice:x", ykoath.TOTP, "VPN", "alice:x", 30 * time.Second},
	{":alice", ykoath.TOTP, "", ":alice", 30 * time.Second},
	{"VPN:", ykoath.TOTP, "", "VPN:", 30 * time.Second},
	{"60/", ykoath.TOTP, "", "60/", 30 * time.Second},
	{"60/:x", ykoath.TOTP, "", ":x", 60 * time.Second},
	{"1/2/x", ykoath.TOTP, "", "2/x", time.Second},
	{"6a/x", ykoath.TOTP, "", "6a/x", 30 * time.Second},
	{"/x", ykoath.TOTP, "", "/x", 30 * time.Second},
	{"007/a:b", ykoath.TOTP, "a", "b", 7 * time.Second},
	{"a:b/c", ykoath.TOTP, "a", "b/c", 30 * time.Second},
	{"Ünïcode:näme", ykoath.TOTP, "Ünïcode", "näme", 30 * time.Second},
	{"x\n", ykoath.TOTP, "", "x", 30 * time.Second},
	{"a:b\nc", ykoath.TOTP, "", "a:b\nc", 30 * time.Second},
	{"", ykoath.TOTP, "", "", 30 * time.Second},
	{"Mail:carol", ykoath.HOTP, "Mail", "carol", 0},
	{"60/Mail:carol", ykoath.HOTP, "60/Mail", "carol", 0},
	{":carol", ykoath.HOTP, "", "carol", 0},
	{"carol:", ykoath.HOTP, "carol", "", 0},
	{"carol", ykoath.HOTP, "", "carol", 0},
}

func TestParseID(t *testing.T) {
	for _, tt := range idCases {
		issuer, name, period := ykoath.ParseID(tt.id, tt.t)
		if issuer != tt.issuer || name != tt.name || period != tt.period {
			t.Errorf("ParseID(%q, %s) = %q, %q, %v; want %q, %q, %v", tt.id, tt.t, issuer, name, period, tt.issuer, tt.name, tt.period)
		}
	}
	// Periods that cannot be used parse as 0, and Calculate refuses them.
	for _, id := range []string{"0/x", "99999999999999999999/x", "4294967296/x"} {
		if _, _, p := ykoath.ParseID(id, ykoath.TOTP); p != 0 {
			t.Errorf("ParseID(%q) period = %v; want 0", id, p)
		}
	}
}

// TestParseIDYubikit compares ParseID with yubikit's own _parse_cred_id,
// the code ykman 4.0.9 uses (Debian python3-ykman).
func TestParseIDYubikit(t *testing.T) {
	python := testpeer.Python(t, "yubikit.oath")
	type pyCase struct {
		ID   string `json:"id"`
		HOTP bool   `json:"hotp"`
	}
	var in []pyCase
	for _, tt := range idCases {
		in = append(in, pyCase{tt.id, tt.t == ykoath.HOTP})
	}
	data, _ := json.Marshal(in)
	const script = `import json, sys
from yubikit.oath import _parse_cred_id, OATH_TYPE
out = []
for c in json.load(sys.stdin):
    t = OATH_TYPE.HOTP if c["hotp"] else OATH_TYPE.TOTP
    issuer, name, period = _parse_cred_id(c["id"].encode(), t)
    out.append([issuer or "", name, period])
json.dump(out, sys.stdout)`
	cmd := exec.Command(python, "-c", script)
	cmd.Stdin = bytes.NewReader(data)
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3 yubikit: %v\n%s", err, stderrOf(err))
	}
	var got [][3]any
	if err := json.Unmarshal(stdout, &got); err != nil {
		t.Fatal(err)
	}
	for i, tt := range idCases {
		issuer, name, period := ykoath.ParseID(tt.id, tt.t)
		want := [3]any{issuer, name, float64(period / time.Second)}
		if got[i] != want {
			t.Errorf("ParseID(%q, %s) = %v; yubikit gives %v", tt.id, tt.t, want, got[i])
		}
	}
}

func TestFormatID(t *testing.T) {
	for _, tt := range []struct {
		issuer, name string
		t            ykoath.Type
		period       time.Duration
		want         string
	}{
		{"VPN", "alice", ykoath.TOTP, 30 * time.Second, "VPN:alice"},
		{"VPN", "alice", ykoath.TOTP, 60 * time.Second, "60/VPN:alice"},
		{"", "alice", ykoath.TOTP, 15 * time.Second, "15/alice"},
		{"Mail", "carol", ykoath.HOTP, 60 * time.Second, "Mail:carol"},
		{"", "carol", ykoath.HOTP, 0, "carol"},
	} {
		if got := ykoath.FormatID(tt.issuer, tt.name, tt.t, tt.period); got != tt.want {
			t.Errorf("FormatID(%q, %q, %s, %v) = %q; want %q", tt.issuer, tt.name, tt.t, tt.period, got, tt.want)
		}
	}
}

func stderrOf(err error) []byte {
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.Stderr
	}
	return nil
}
