package importer

import (
	"reflect"
	"strings"
	"testing"
)

// Rows quoted in privacyIDEA's parseYubicoCSV (privacyidea/lib/importotp.py),
// which documents both log formats with rows from the tool.
const (
	tradYubicoOTP = "Yubico OTP,12/11/2013 11:10,1,vvgutbiedkvi,ab86c04de6a3,d26a7c0f85fdda28bd816e406342b214,,,0,0,0,0,0,0,0,0,0,0"
	tradOATH      = "OATH-HOTP,11.12.13 18:55,1,cccccccccccc,,916821d3a138bf855e70069605559a206ba854cd,,,0,0,0,6,0,0,0,0,0,0"
	tradStatic    = "Static Password,11.12.13 19:08,1,,d5a3d50327dc,0e8e37b0e38b314a56748c030f58d21d,,,0,0,0,0,0,0,0,0,0,0"
	ycOATH        = "508326,,0,69cfb9202438ca68964ec3244bfa4843d073a43b,,2013-12-12T08:41:07,"
	ycYubicoOTP   = "508326,cccccccccccc,83cebdfb7b93,a47c5bf9c152202f577be6721c0113af,,2013-12-12T08:43:17,"
	ycStatic      = "508326,,,9e2fd386224a7f77e9b5aee775464033,,2013-12-12T08:44:34,"
)

func TestParseYubicoCSV(t *testing.T) {
	tests := []struct {
		name, in string
		want     []Record
	}{
		{"Traditional", "LOGGING START,12/11/2013 11:09\n" + tradYubicoOTP + "\n" + tradOATH + "\r\n" + tradStatic + "\n", []Record{
			{Type: TypeYubico, Identifier: "vvgutbiedkvi", PrivateID: mustHex("ab86c04de6a3"),
				Secret: mustHex("d26a7c0f85fdda28bd816e406342b214"), Comment: "YubiKey slot 1", Line: 2},
			// No oath-fixed-modhex flag: all six bytes are typed as hex digits.
			{Type: TypeHOTPPrefixed, Identifier: "000000000000", Secret: mustHex("916821d3a138bf855e70069605559a206ba854cd"),
				Digits: 6, Comment: "YubiKey slot 1", Line: 3}}},
		{"Traditional, modhex2 identifier, 8 digits, moving factor, comma in the time",
			"OATH-HOTP,Tuesday, 12 November 2013 11:10,2,ubhecbdefghi,,916821d3a138bf855e70069605559a206ba854cd,,,0,1,0,8,1600,0,0,0,0,0\n", []Record{
				{Type: TypeHOTPPrefixed, Identifier: "ubhe01234567", Secret: mustHex("916821d3a138bf855e70069605559a206ba854cd"),
					Digits: 8, Counter: 1600, Comment: "YubiKey slot 2", Line: 1}}},
		{"Traditional, identifier all modhex or first byte modhex",
			"OATH-HOTP,t,1,ubhecbdefghi,,00,,,0,0,1,6,0,0,0,0,0,0\nOATH-HOTP,t,1,ubhecbdefghi,,00,,,1,0,0,6,0,0,0,0,0,0\n", []Record{
				{Type: TypeHOTPPrefixed, Identifier: "ubhecbdefghi", Secret: []byte{0}, Digits: 6, Comment: "YubiKey slot 1", Line: 1},
				{Type: TypeHOTPPrefixed, Identifier: "ub6301234567", Secret: []byte{0}, Digits: 6, Comment: "YubiKey slot 1", Line: 2}}},
		{"Traditional, OATH-HOTP without identifier", "OATH-HOTP,t,2,,,00ff,,,0,0,0,6,32,0,0,0,0,0\n", []Record{
			{Type: TypeHOTP, Secret: []byte{0, 0xff}, Digits: 6, Counter: 32, Comment: "YubiKey slot 2", Line: 1}}},
		{"Yubico format", "# OATH mode\n" + ycOATH + "\n" + ycYubicoOTP + "\n" + ycStatic + "\n" +
			",ubhecbdefghi,16,00ff,000000000000,2013-12-12T08:45:00,\n", []Record{
			{Type: TypeHOTP, Secret: mustHex("69cfb9202438ca68964ec3244bfa4843d073a43b"), Digits: 6,
				Serial: "508326", Comment: "YubiKey serial 508326 (Yubico log format: 6 digits and the standard token identifier assumed)", Line: 2},
			{Type: TypeYubico, Identifier: "cccccccccccc", PrivateID: mustHex("83cebdfb7b93"),
				Secret: mustHex("a47c5bf9c152202f577be6721c0113af"), Serial: "508326", Comment: "YubiKey serial 508326", Line: 3},
			{Type: TypeHOTPPrefixed, Identifier: "ubhe01234567", Secret: []byte{0, 0xff}, Digits: 6, Counter: 16,
				Comment: "YubiKey (Yubico log format: 6 digits and the standard token identifier assumed)", Line: 5}}},
		{"spaces in ids and keys", "Yubico OTP,t,1,vv gu tb ie dk vi,ab 86 c0 4d e6 a3,d26a7c0f 85fdda28 bd816e40 6342b214,,,0,0,0,0,0,0,0,0,0,0\n", []Record{
			{Type: TypeYubico, Identifier: "vvgutbiedkvi", PrivateID: mustHex("ab86c04de6a3"),
				Secret: mustHex("d26a7c0f85fdda28bd816e406342b214"), Comment: "YubiKey slot 1", Line: 1}}},
		{"skipped events only", "Challenge-Response: HMAC-SHA1,t,2,,,00,,,0,0,0,0,0,0,0,0,0,0\nConfiguration Swap,t,0,,,,,,0,0,0,0,0,0,0,0,0,0\n", nil},
	}
	for _, tt := range tests {
		got, err := ParseYubicoCSV(strings.NewReader(tt.in))
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: ParseYubicoCSV(%q) = %+v, %v; want %+v", tt.name, tt.in, got, err, tt.want)
		}
	}
}

func TestParseYubicoCSVErrors(t *testing.T) {
	const key = "d26a7c0f85fdda28bd816e406342b214"
	tests := []struct{ in, want string }{
		{tradYubicoOTP + "\nYubico OTP,t,3,vvgutbiedkvi,ab86c04de6a3," + key + ",,,0,0,0,0,0,0,0,0,0,0", "line 2: the configuration slot is not 1 or 2"},
		{"Yubico OTP,t,1,vvgutbiedkvi,ab86c04de6a3," + key + ",,,0,0,0,0,0", "13 columns; the Traditional format has 18"},
		{"Yubico OTP,t,1,vvgutbiedkva,ab86c04de6a3," + key + ",,,0,0,0,0,0,0,0,0,0,0", "the public id is not 1 to 16 bytes of modhex"},
		{"Yubico OTP,t,1,vvgutbiedkvi,ab86c04de6," + key + ",,,0,0,0,0,0,0,0,0,0,0", "the private id is not 6 bytes"},
		{"Yubico OTP,t,1,vvgutbiedkvi,ab86c04de6a3," + key + "00,,,0,0,0,0,0,0,0,0,0,0", "the AES key is not 16 bytes"},
		{"OATH-HOTP,t,1,,," + key + ",,,0,0,0,7,0,0,0,0,0,0", "the HOTP length is not 6 or 8"},
		{"OATH-HOTP,t,1,,," + key + ",,,0,0,0,6,x,0,0,0,0,0", "the moving factor is not a decimal number"},
		{"OATH-HOTP,t,1,cccc,," + key + ",,,0,0,0,6,0,0,0,0,0,0", "the OATH token identifier is not 6 bytes"},
		{"OATH-HOTP,t,1,,," + key + "z,,,0,0,0,6,0,0,0,0,0,0", "the OATH-HOTP key is not"},
		{"508326,ubhevvvvvvvv,0," + key + "00000000,,2013-12-12T08:45:00,", "not two modhex bytes and eight digits"},
		{"508326,,0," + key + ",,12/12/2013,", "the time column is not yyyy-MM-ddThh:mm:ss"},
		{"alice," + key, "neither a Traditional-format row"},
		{key + ",alice,0,x,,2013-12-12T08:45:00,", "neither a Traditional-format row"},
	}
	for _, tt := range tests {
		recs, err := ParseYubicoCSV(strings.NewReader(tt.in))
		if err == nil || recs != nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseYubicoCSV(%.70q) = %v, %v; want error containing %q", tt.in, recs, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), key[:12]) {
			t.Errorf("ParseYubicoCSV error %q contains the key", err)
		}
	}
}
