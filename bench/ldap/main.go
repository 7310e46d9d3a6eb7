// Command ldap-bench turns radius-bench's users file into a directory and a
// password file, so that bench/ldap/run.sh can measure RADIUS logins through
// `otpgate serve` with the first factor in slapd (auth.primary = "ldap")
// beside the same logins with an htpasswd file.
//
// Usage:
//
//	ldap-bench -users users.txt -ldif users.ldif -htpasswd users.htpasswd [-bcrypt-cost 5]
//
// The LDIF holds dc=bench,dc=example, a service account
// cn=otpgate,dc=bench,dc=example (password "service-pw"), the group
// cn=vpn holding every user, and each user as uid=NAME,ou=people with
// an {SSHA} userPassword, as slappasswd writes it. The htpasswd file holds
// bcrypt hashes at -bcrypt-cost (5 is what `htpasswd -B` writes).
package main

import (
	"bufio"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// ServicePassword is the service account's password in the LDIF.
const ServicePassword = "service-pw"

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "ldap-bench: error: %v\n", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("ldap-bench", flag.ContinueOnError)
	usersFile := fs.String("users", "", "radius-bench's users file")
	ldif := fs.String("ldif", "", "LDIF to write")
	htpasswd := fs.String("htpasswd", "", "htpasswd file to write")
	cost := fs.Int("bcrypt-cost", 5, "bcrypt cost of the htpasswd hashes")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *usersFile == "" || *ldif == "" || *htpasswd == "" {
		return errors.New("give -users, -ldif and -htpasswd")
	}
	users, err := readUsers(*usersFile)
	if err != nil {
		return err
	}
	if err := writeFile(*ldif, func(w io.Writer) error { return writeLDIF(w, users) }); err != nil {
		return err
	}
	return writeFile(*htpasswd, func(w io.Writer) error { return writeHtpasswd(w, users, *cost) })
}

// user is a name and a password from the users file ("name password key").
type user struct{ name, password string }

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
		if len(fields) != 3 {
			// The line is not echoed: it may hold a password.
			return nil, fmt.Errorf("%s:%d: want name password key, got %d fields", path, line, len(fields))
		}
		users = append(users, user{fields[0], fields[1]})
	}
	return users, sc.Err()
}

func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	err = errors.Join(write(w), w.Flush(), f.Close())
	if err != nil {
		os.Remove(path)
	}
	return err
}

func writeLDIF(w io.Writer, users []user) error {
	fmt.Fprintf(w, `dn: dc=bench,dc=example
objectClass: dcObject
objectClass: organization
dc: bench
o: bench

dn: ou=people,dc=bench,dc=example
objectClass: organizationalUnit
ou: people

dn: cn=otpgate,dc=bench,dc=example
objectClass: applicationProcess
objectClass: simpleSecurityObject
cn: otpgate
userPassword: %s

`, ssha(ServicePassword))
	for _, u := range users {
		fmt.Fprintf(w, "dn: uid=%s,ou=people,dc=bench,dc=example\nobjectClass: inetOrgPerson\nuid: %s\ncn: %s\nsn: %s\nuserPassword: %s\n\n",
			u.name, u.name, u.name, u.name, ssha(u.password))
	}
	fmt.Fprintf(w, "dn: cn=vpn,dc=bench,dc=example\nobjectClass: groupOfNames\ncn: vpn\n")
	for _, u := range users {
		fmt.Fprintf(w, "member: uid=%s,ou=people,dc=bench,dc=example\n", u.name)
	}
	return nil
}

// ssha is a salted SHA-1 userPassword as slappasswd writes it (RFC 2307
// style {SSHA}: base64 of the digest of password and salt, then the salt).
func ssha(password string) string {
	salt := make([]byte, 8)
	rand.Read(salt)
	h := sha1.Sum(append([]byte(password), salt...))
	return "{SSHA}" + base64.StdEncoding.EncodeToString(append(h[:], salt...))
}

func writeHtpasswd(w io.Writer, users []user, cost int) error {
	for _, u := range users {
		h, err := bcrypt.GenerateFromPassword([]byte(u.password), cost)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%s:%s\n", u.name, h)
	}
	return nil
}
