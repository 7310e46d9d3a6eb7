package importer_test

import (
	"fmt"
	"os"
	"strings"

	"otpgate.dev/otpgate/internal/importer"
)

func ExampleParseUsersFile() {
	// A pam_oath users file after alice logged in with the code at counter 4.
	f := "# /etc/users.oath\n" +
		"HOTP/T30\tbob\t-\t3132333435363738393031323334353637383930\n" +
		"HOTP\talice\t-\t3132333435363738393031323334353637383930\t4\t338314\t2026-01-02T15:04:05L\n"
	recs, err := importer.ParseUsersFile(strings.NewReader(f))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range recs {
		fmt.Println(r.Line, r.User, r.Type, r.Digits, r.Period, r.Counter)
	}
	// Output:
	// 2 bob totp 6 30 0
	// 3 alice hotp 6 0 5
}

func ExampleParseUsersFile_error() {
	_, err := importer.ParseUsersFile(strings.NewReader("HOTP alice - 31323334\nTOTP bob - 31323334\n"))
	fmt.Println(err)
	// Output:
	// importer: users file line 2: field 1 is not a token type (accepted: HOTP, HOTP/E, HOTP/E/6-8, HOTP/T30, HOTP/T30/6-8, HOTP/T60, HOTP/T60/6-8)
}

func ExampleWriteUsersFile() {
	recs := []importer.Record{
		{User: "alice", Type: importer.TypeHOTP, Secret: []byte("12345678901234567890"), Digits: 6, Counter: 5},
		{User: "bob", Type: importer.TypeTOTP, Secret: []byte("12345678901234567890"), Digits: 8, Period: 30},
	}
	if err := importer.WriteUsersFile(os.Stdout, recs); err != nil {
		fmt.Println(err)
	}
	// Output:
	// HOTP/E/6	alice	-	3132333435363738393031323334353637383930	5
	// HOTP/T30/8	bob	-	3132333435363738393031323334353637383930
}

func ExampleParseGoogleAuthenticator() {
	f := "JBSWY3DPEHPK3PXP\n\" RATE_LIMIT 3 30\n\" WINDOW_SIZE 17\n\" DISALLOW_REUSE 59999999\n\" TOTP_AUTH\n12345678\n"
	recs, err := importer.ParseGoogleAuthenticator(strings.NewReader(f))
	if err != nil {
		fmt.Println(err)
		return
	}
	r := recs[0]
	r.User = "alice" // the owner of the home directory the file came from
	fmt.Println(r.User, r.Type, r.Period, r.Counter, len(r.Secret))
	// Output: alice totp 30 59999999 10
}

func ExampleParseYubicoCSV() {
	f := "LOGGING START,12/11/2013 11:09\n" +
		"Yubico OTP,12/11/2013 11:10,1,vvgutbiedkvi,ab86c04de6a3,d26a7c0f85fdda28bd816e406342b214,,,0,0,0,0,0,0,0,0,0,0\n"
	recs, err := importer.ParseYubicoCSV(strings.NewReader(f))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(recs[0].Type, recs[0].Identifier, recs[0].Comment)
	// Output: yubico vvgutbiedkvi YubiKey slot 1
}

func ExampleParsePickle() {
	// /etc/openvpn/pyotp_index.db as Python 2 wrote it (pickle protocol 2).
	db := "\x80\x02}q\x01U\x05aliceq\x02U\x10JBSWY3DPEHPK3PXPq\x03s."
	recs, err := importer.ParsePickle(strings.NewReader(db))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(recs[0].User, recs[0].Type, recs[0].Issuer)

	// Anything that would run code is refused, never executed.
	_, err = importer.ParsePickle(strings.NewReader("cos\nsystem\n(S'id'\ntR."))
	fmt.Println(err)
	// Output:
	// alice totp OpenVPN Server
	// importer: pickle: refusing pickle opcode GLOBAL: only a dict of names to secrets is read
}

func ExampleParseURIs() {
	list := "# exported\notpauth://totp/Example:alice@example.com?secret=JBSWY3DPEHPK3PXP&issuer=Example\n"
	recs, err := importer.ParseURIs(strings.NewReader(list))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(recs[0].Line, recs[0].User, recs[0].Issuer)
	if err := importer.WriteURIs(os.Stdout, recs); err != nil {
		fmt.Println(err)
	}
	// Output:
	// 2 alice@example.com Example
	// otpauth://totp/Example:alice@example.com?secret=JBSWY3DPEHPK3PXP&issuer=Example&algorithm=SHA1&digits=6&period=30
}
