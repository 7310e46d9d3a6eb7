package main

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"otpgate.dev/otpgate/internal/otp"
)

// user is one line of the users file: "name password hex-key".
type user struct {
	name, password string
	key            []byte
}

// codeMode says what follows the password in the PAP password.
type codeMode string

const (
	codeNone codeMode = "none" // the password alone
	codeHOTP codeMode = "hotp" // password + HOTP, counters from 0 in order
	codeTOTP codeMode = "totp" // password + TOTP of the current 30 s step
)

func parseCodeMode(s string) (codeMode, error) {
	switch m := codeMode(s); m {
	case codeNone, codeHOTP, codeTOTP:
		return m, nil
	}
	return "", fmt.Errorf("-code %q is not one of none, hotp, totp", s)
}

// params are the OATH parameters of every generated key.
var params = otp.DefaultParams()

func runGen(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	n := fs.Int("n", 10000, "number of users")
	out := fs.String("users", "", "users file to write")
	fr := fs.String("freeradius-users", "", "FreeRADIUS users file to write too")
	oath := fs.String("oath-users", "", "pam_oath users file (HOTP keys) to write too, for otpgate import")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || *n < 1 {
		return errors.New("gen needs -users FILE and -n >= 1")
	}
	users := make([]user, *n)
	for i := range users {
		users[i] = user{name: fmt.Sprintf("bench%06d", i), password: "pw-" + rand.Text()[:10], key: make([]byte, 20)}
		rand.Read(users[i].key)
	}
	if err := writeLines(*out, users, func(u user) string {
		return u.name + " " + u.password + " " + hex.EncodeToString(u.key)
	}); err != nil {
		return err
	}
	if *oath != "" {
		if err := writeLines(*oath, users, func(u user) string {
			return "HOTP " + u.name + " - " + hex.EncodeToString(u.key)
		}); err != nil {
			return err
		}
	}
	if *fr == "" {
		return nil
	}
	return writeLines(*fr, users, func(u user) string {
		return u.name + ` Cleartext-Password := "` + u.password + `"`
	})
}

func writeLines(path string, users []user, line func(user) string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	for _, u := range users {
		fmt.Fprintln(w, line(u))
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func readUsers(path string) ([]user, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var users []user
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		if len(fields) != 3 {
			return nil, fmt.Errorf("%s:%d: want \"name password hex-key\"", path, line)
		}
		key, err := hex.DecodeString(fields[2])
		if err != nil || len(key) == 0 {
			return nil, fmt.Errorf("%s:%d: the key is not hex", path, line)
		}
		users = append(users, user{name: fields[0], password: fields[1], key: key})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(users) == 0 {
		return nil, fmt.Errorf("%s: no users", path)
	}
	return users, nil
}
