package importer

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestUsersFilePAMOath writes a users file with WriteUsersFile, logs in
// through Debian's pam_oath (pamtester) with codes from package otp and
// oathtool, then parses the file as pam_oath rewrote it.
func TestUsersFilePAMOath(t *testing.T) {
	key := mustHex(rfc4226Key)
	recs := []Record{
		{User: "hotp6", Type: TypeHOTP, Secret: key, Digits: 6, Counter: 5},
		{User: "hotp8", Type: TypeHOTP, Secret: mustHex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"), Digits: 8},
		{User: "totp30", Type: TypeTOTP, Secret: key, Digits: 6, Period: 30},
		{User: "totp60", Type: TypeTOTP, Secret: key[:16], Digits: 8, Period: 60},
		{User: "withpin", Type: TypeHOTP, Secret: key, Digits: 6, Counter: 2, PIN: []byte("s3cret")},
	}
	path := filepath.Join(t.TempDir(), "users.oath")
	var b bytes.Buffer
	if err := WriteUsersFile(&b, recs); err != nil {
		t.Fatalf("WriteUsersFile: %v", err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	plain := pamService(t, path, "")
	withPIN := pamService(t, path, "digits=6")

	now := time.Now()
	used := map[string]string{}
	for i := range recs[:4] {
		r := &recs[i]
		code := recordCode(t, r, r.Counter, now)
		if !pamLogin(t, plain, r.User, code) {
			t.Errorf("pam_oath refused %s's code from our users file", r.User)
		}
		used[r.User] = code
	}
	code := recordCode(t, &recs[4], 2, now)
	if pamLogin(t, withPIN, "withpin", "wrong"+code) {
		t.Errorf("pam_oath accepted a wrong PIN")
	}
	if !pamLogin(t, withPIN, "withpin", "s3cret"+code) {
		t.Errorf("pam_oath refused the PIN and code from our users file")
	}
	if pamLogin(t, plain, "hotp6", used["hotp6"]) {
		t.Errorf("pam_oath accepted a replayed code")
	}
	checkRewritten(t, path, recs)
}

// checkRewritten parses the users file after pam_oath's logins: every line
// now carries pam_oath's counter, last code and time, and an HOTP counter
// must point past the code accepted.
func checkRewritten(t *testing.T, path string, recs []Record) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseUsersFile(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("ParseUsersFile(pam_oath's rewritten file %q): %v", data, err)
	}
	if len(got) != len(recs) {
		t.Fatalf("ParseUsersFile(%q) = %d records; want %d", data, len(got), len(recs))
	}
	for i, want := range recs {
		if want.Type == TypeHOTP {
			want.Counter++ // the code at Counter was used
		}
		want.Line = i + 1
		if g := got[i]; g.User != want.User || g.Counter != want.Counter || !bytes.Equal(g.Secret, want.Secret) ||
			g.Digits != want.Digits || g.Period != want.Period || !bytes.Equal(g.PIN, want.PIN) {
			t.Errorf("record %d after pam_oath's login = %+v; want %+v", i, g, want)
		}
	}
	// The next HOTP code, at the parsed counter, is accepted by pam_oath.
	plain := pamService(t, path, "")
	next := got[0]
	if !pamLogin(t, plain, next.User, recordCode(t, &next, next.Counter, time.Now())) {
		t.Errorf("pam_oath refused the code at the parsed next counter %d", next.Counter)
	}
}
