package importer

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/pskc"
	"otpgate.dev/otpgate/internal/testpeer"
)

// pskcRecords are the tokens both directions of the python-pskc tests use.
var pskcRecords = []Record{
	{User: "alice", Type: TypeHOTP, Secret: []byte("12345678901234567890"), Digits: 8, Counter: 7, Issuer: "Example", Serial: "SN-1"},
	{User: "bob", Type: TypeTOTP, Secret: bytes.Repeat([]byte{0xa5}, 32), Algorithm: otp.SHA256, Digits: 6, Period: 60, Drift: 2},
	{Type: TypeHOTP, Secret: []byte("k"), Digits: 6, Serial: "SN-9"},
}

// pskcWriteScript writes pskcRecords' keys with python-pskc, encrypted with
// a password or a pre-shared key.
const pskcWriteScript = `
import pskc, sys
p = pskc.PSKC()
p.add_key(id="a", secret=b"12345678901234567890", algorithm="urn:ietf:params:xml:ns:keyprov:pskc:hotp",
          counter=7, response_length=8, response_encoding="DECIMAL", key_userid="alice", issuer="Example", serial="SN-1")
p.add_key(id="b", secret=bytes([0xa5] * 32), algorithm="urn:ietf:params:xml:ns:keyprov:pskc:totp",
          algorithm_suite="HMAC-SHA256", time_interval=60, time_drift=2, response_length=6, key_userid="bob")
p.add_key(id="c", secret=b"k", algorithm="urn:ietf:params:xml:ns:keyprov:pskc:hotp", counter=0, serial="SN-9")
if sys.argv[1] == "password":
    p.encryption.setup_pbkdf2("correct horse", iterations=1000, key_name="Export password")
else:
    p.encryption.setup_preshared_key(key=bytes.fromhex(sys.argv[2]), key_name="Pre-shared-key")
p.write(sys.stdout.buffer)
`

func TestParsePSKCPython(t *testing.T) {
	py := testpeer.Python(t, "pskc")
	const keyHex = "000102030405060708090a0b0c0d0e0f"
	for mode, keyName := range map[string]string{"password": "Export password", "key": "Pre-shared-key"} {
		doc, err := exec.Command(py, "-c", pskcWriteScript, mode, keyHex).Output()
		if err != nil {
			t.Fatalf("python-pskc write (%s): %v", mode, err)
		}
		var gotNames []string
		recs, err := ParsePSKC(doc, func(names []string) ([]byte, []byte, error) {
			gotNames = names
			return mustHex(keyHex), []byte("correct horse"), nil
		})
		if err != nil {
			t.Fatalf("ParsePSKC(python-pskc, %s): %v", mode, err)
		}
		if !reflect.DeepEqual(gotNames, []string{keyName}) {
			t.Errorf("ParsePSKC(%s) offered key names %q; want [%q]", mode, gotNames, keyName)
		}
		for i, want := range pskcRecords {
			want.Line, want.Comment = i+1, "PSKC key "+string(rune('a'+i))
			if i == 2 {
				want.Digits = 6 // no ResponseFormat: the default
			}
			if !reflect.DeepEqual(recs[i], want) {
				t.Errorf("ParsePSKC(python-pskc, %s)[%d] = %+v; want %+v", mode, i, recs[i], want)
			}
		}
		wrong := func([]string) ([]byte, []byte, error) { return make([]byte, 16), []byte("wrong"), nil }
		if _, err := ParsePSKC(doc, wrong); !errors.Is(err, pskc.ErrWrongKey) {
			t.Errorf("ParsePSKC(%s) with the wrong secret = %v; want pskc.ErrWrongKey", mode, err)
		}
		if _, err := ParsePSKC(doc, nil); !errors.Is(err, ErrNeedUnlock) {
			t.Errorf("ParsePSKC(%s) without unlock = %v; want ErrNeedUnlock", mode, err)
		}
	}
}

// pskcReadScript prints the keys python-pskc reads from a password-encrypted
// file.
const pskcReadScript = `
import json, pskc, sys
p = pskc.PSKC(sys.argv[1])
p.encryption.derive_key(sys.argv[2])
print(json.dumps([{"id": k.id, "userid": k.userid, "algorithm": k.algorithm, "suite": k.algorithm_suite,
    "secret": k.secret.hex(), "counter": k.counter, "interval": k.time_interval, "drift": k.time_drift,
    "digits": k.response_length, "issuer": k.issuer, "serial": k.serial} for k in p.keys]))
`

func TestWritePSKCPython(t *testing.T) {
	py := testpeer.Python(t, "pskc")
	doc, err := WritePSKC(pskcRecords, pskc.EncodeOptions{Password: []byte("correct horse"), Iterations: 1000})
	if err != nil {
		t.Fatalf("WritePSKC: %v", err)
	}
	if bytes.Contains(doc, []byte("MTIzNDU2Nzg5MDEyMzQ1Njc4OTA")) {
		t.Fatalf("WritePSKC with a password wrote a secret in plain text")
	}
	path := filepath.Join(t.TempDir(), "export.pskc")
	if err := os.WriteFile(path, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(py, "-c", pskcReadScript, path, "correct horse").Output()
	if err != nil {
		t.Fatalf("python-pskc read: %v", err)
	}
	var got []struct {
		ID, UserID, Algorithm, Suite, Secret, Issuer, Serial string
		Counter, Interval, Drift                             *int64
		Digits                                               int
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	for i, r := range pskcRecords {
		g := got[i]
		typ := strings.TrimPrefix(g.Algorithm, "urn:ietf:params:xml:ns:keyprov:pskc:")
		if g.UserID != r.User || typ != r.Type || g.Suite != "HMAC-"+r.Algorithm.String() || g.Secret != hex.EncodeToString(r.Secret) ||
			g.Issuer != r.Issuer || g.Serial != r.Serial || g.Digits != r.Digits {
			t.Errorf("python-pskc read key %d as %+v; want %+v", i, g, r)
		}
		if r.Type == TypeHOTP && (g.Counter == nil || uint64(*g.Counter) != r.Counter) ||
			r.Type == TypeTOTP && (g.Interval == nil || *g.Interval != int64(r.Period) || g.Drift == nil || *g.Drift != int64(r.Drift)) {
			t.Errorf("python-pskc read key %d's counter or time as %+v; want %+v", i, g, r)
		}
	}
	recs, err := ParsePSKC(doc, func([]string) ([]byte, []byte, error) { return nil, []byte("correct horse"), nil })
	if err != nil {
		t.Fatalf("ParsePSKC(WritePSKC(records)): %v", err)
	}
	for i := range recs {
		recs[i].Comment = ""
		if want := pskcRecords[i]; recs[i].Line != i+1 || !reflect.DeepEqual(withLine(recs[i], 0), want) {
			t.Errorf("ParsePSKC(WritePSKC(records))[%d] = %+v; want %+v", i, recs[i], want)
		}
	}
}

func withLine(r Record, line int) Record {
	r.Line = line
	return r
}

// pskcYubicoLog is a key as the YubiKey Personalization Tool's PSKC log
// writes it (yubikeylogger.cpp).
const pskcYubicoLog = `<?xml version="1.0" encoding="UTF-8"?>
<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc">
<KeyPackage><DeviceInfo><Manufacturer>Yubico</Manufacturer><SerialNo>508326</SerialNo></DeviceInfo><CryptoModuleInfo><Id>1</Id></CryptoModuleInfo><Key Id="508326:1" Algorithm="http://www.yubico.com/#yubikey-aes"><AlgorithmParameters><ResponseFormat Length="44" Encoding="ALPHANUMERIC"/></AlgorithmParameters><Data><Secret><PlainValue>0mp8D4X92ii9gW5AY0KyFA==</PlainValue></Secret></Data><UserId>CN=vvgutbiedkvi, UID=ab86c04de6a3</UserId></Key></KeyPackage>
</KeyContainer>
`

func TestParsePSKCYubico(t *testing.T) {
	recs, err := ParsePSKC([]byte(pskcYubicoLog), nil)
	want := []Record{{Type: TypeYubico, Identifier: "vvgutbiedkvi", PrivateID: mustHex("ab86c04de6a3"),
		Secret: mustHex("d26a7c0f85fdda28bd816e406342b214"), Serial: "508326", Comment: "PSKC key 508326:1", Line: 1}}
	if err != nil || !reflect.DeepEqual(recs, want) {
		t.Errorf("ParsePSKC(Yubico log) = %+v, %v; want %+v", recs, err, want)
	}
}

func TestParsePSKCErrors(t *testing.T) {
	key := func(alg, params, data string) string {
		return `<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc"><KeyPackage><Key Id="k" Algorithm="` + alg +
			`"><AlgorithmParameters>` + params + `</AlgorithmParameters><Data>` + data + `</Data><UserId>u</UserId></Key></KeyPackage></KeyContainer>`
	}
	const secret = `<Secret><PlainValue>MTIzNDU2Nzg5MDEyMzQ1Njc4OTA=</PlainValue></Secret>`
	tests := []struct{ in, want string }{
		{key(pskc.AlgorithmTOTP, "", secret+`<Time><PlainValue>100</PlainValue></Time>`), "entry 1: Time (the TOTP start time T0) is not 0"},
		{key(pskc.AlgorithmTOTP, "", secret+`<TimeInterval><PlainValue>0</PlainValue></TimeInterval>`), "TimeInterval is not 1 to 86400"},
		{key(pskc.AlgorithmHOTP, `<ResponseFormat Length="6" Encoding="HEXADECIMAL"/>`, secret), "Encoding is not DECIMAL"},
		{key(pskc.AlgorithmHOTP, `<ResponseFormat Length="4" Encoding="DECIMAL"/>`, secret), "Length is not 6 to 10"},
		{key(pskc.AlgorithmHOTP, `<Suite>HMAC-MD5</Suite>`, secret), "Suite is not"},
		{key("urn:ietf:params:xml:ns:keyprov:pskc:ocra", "", secret), "Algorithm is not HOTP, TOTP or Yubico OTP"},
		{key(pskc.AlgorithmHOTP, "", ""), "the secret is empty"},
		{key(pskcYubicoAlgorithm, "", `<Secret><PlainValue>0mp8D4X92ii9gW5AY0KyFA==</PlainValue></Secret>`), "needs UserId"},
		{"<html/>", "importer: PSKC: pskc: root element"},
	}
	for _, tt := range tests {
		recs, err := ParsePSKC([]byte(tt.in), nil)
		if err == nil || recs != nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParsePSKC(%.100q) = %v, %v; want error containing %q", tt.in, recs, err, tt.want)
		}
	}
}

func TestWritePSKCErrors(t *testing.T) {
	bad := []Record{
		{User: "u", Type: TypeYubico, Secret: make([]byte, 16), PrivateID: make([]byte, 6), Identifier: "cccccccccccc"},
		{User: "u", Type: TypeHOTPPrefixed, Secret: []byte("k"), Digits: 6, Identifier: "ubhe00000001"},
		{User: "u", Type: TypeTOTP, Secret: []byte("k"), Digits: 6},
	}
	for _, r := range bad {
		if doc, err := WritePSKC([]Record{pskcRecords[0], r}, pskc.EncodeOptions{}); err == nil || doc != nil || !strings.Contains(err.Error(), "entry 2") {
			t.Errorf("WritePSKC(%+v) = %d bytes, %v; want an error for entry 2", r, len(doc), err)
		}
	}
}

func FuzzParsePSKC(f *testing.F) {
	plain, _ := WritePSKC(pskcRecords, pskc.EncodeOptions{})
	f.Add(plain)
	f.Add([]byte(pskcYubicoLog))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := ParsePSKC(data, func([]string) ([]byte, []byte, error) { return make([]byte, 16), []byte("pw"), nil })
		checkNoLeak(t, err, data)
		if err != nil {
			return
		}
		checkValid(t, recs)
		var oath []Record
		for _, r := range recs {
			if r.Type == TypeHOTP || r.Type == TypeTOTP {
				r.Comment = ""
				oath = append(oath, r)
			}
		}
		doc, err := WritePSKC(oath, pskc.EncodeOptions{})
		if err != nil {
			t.Fatalf("WritePSKC(ParsePSKC(%q)): %v", data, err)
		}
		again, err := ParsePSKC(doc, nil)
		for i := range again {
			again[i].Comment = ""
		}
		if err != nil || !reflect.DeepEqual(again, renumber(oath)) {
			t.Fatalf("ParsePSKC(WritePSKC(%+v)) = %+v, %v", oath, again, err)
		}
	})
}
