package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"

	"otpgate.dev/otpgate/internal/importer"
	"otpgate.dev/otpgate/internal/otp"
)

// writeUsersFile writes n users: even-numbered HOTP/E/6 at counter 0,
// odd-numbered HOTP/T30/6.
func writeUsersFile(path string, n int) error {
	recs := make([]importer.Record, n)
	for i := range recs {
		recs[i] = importer.Record{User: userName(i), Type: importer.TypeHOTP, Secret: seedKey(i), Algorithm: otp.SHA1, Digits: 6}
		if isTOTP(i) {
			recs[i].Type, recs[i].Period = importer.TypeTOTP, 30
		}
	}
	var b bytes.Buffer
	if err := importer.WriteUsersFile(&b, recs); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o600)
}

// checkFile parses the users file pam_oath left and compares it with the
// logins: every user must still be there, and every HOTP user's counter
// must have moved once per accepted login (a lower sum means updates that
// pam_oath lost, which reopen used codes).
func checkFile(path string, n int, s stats) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	recs, err := importer.ParseUsersFile(bytes.NewReader(data))
	if err != nil {
		fmt.Printf("users file after the run: DAMAGED: %v\n", err)
		return errors.New("pam_oath left a users file that does not parse")
	}
	var moved uint64
	for _, r := range recs {
		if r.Type == importer.TypeHOTP {
			moved += r.Counter
		}
	}
	fmt.Printf("users file after the run: %d of %d users; HOTP counters advanced %d times for %d accepted HOTP logins (%d lost updates)\n",
		len(recs), n, moved, s.hotpOK, max(int64(s.hotpOK)-int64(moved), 0))
	return nil
}
