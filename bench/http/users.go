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

// params are the OATH parameters of every generated key.
var params = otp.DefaultParams()

// user is one line of the users file, with the worker's view of its next
// HOTP counter.
type user struct {
	name    string
	key     []byte
	counter uint64
	ahead   []string // codes from counter on, up to the server's window
}

func runGen(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	n := fs.Int("n", 10000, "number of users")
	out := fs.String("users", "", "pam_oath users file to write")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || *n < 1 {
		return errors.New("gen needs -users FILE and -n >= 1")
	}
	f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	key := make([]byte, 20)
	for i := range *n {
		rand.Read(key)
		fmt.Fprintf(w, "HOTP web%06d - %s\n", i, hex.EncodeToString(key))
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func readUsers(path string) ([]*user, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var users []*user
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		fields := strings.Fields(sc.Text())
		if len(fields) != 4 || fields[0] != "HOTP" {
			return nil, fmt.Errorf("%s:%d: want \"HOTP name - hex-key\"", path, line)
		}
		key, err := hex.DecodeString(fields[3])
		if err != nil {
			return nil, fmt.Errorf("%s:%d: the key is not hex", path, line)
		}
		users = append(users, &user{name: fields[1], key: key})
	}
	if len(users) == 0 {
		return nil, fmt.Errorf("%s: no users", path)
	}
	return users, sc.Err()
}

// nextHOTP returns the code of u's next counter and moves past it the way
// the server will: when a later counter in the server's look-ahead window
// shows the same six digits, the server takes the later one.
func (u *user) nextHOTP(window int) string {
	for len(u.ahead) < window {
		u.ahead = append(u.ahead, otp.Generate(u.key, u.counter+uint64(len(u.ahead)), params))
	}
	code, used := u.ahead[0], 0
	for k := range u.ahead {
		if u.ahead[k] == code {
			used = k
		}
	}
	u.counter += uint64(used + 1)
	u.ahead = u.ahead[used+1:]
	return code
}
