package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"otpgate.dev/otpgate/internal/admin"
	"otpgate.dev/otpgate/internal/site"
	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/username"
)

// checkGroup checks the flags of --group against the number of USER
// arguments given.
func (f *enrollFlags) checkGroup(users int) error {
	switch {
	case f.group == "" && users == 0:
		return usagef("missing USER (or --group GROUP)")
	case f.group == "" && (f.dryRun || f.out != "" || f.uriFiles):
		return usagef("--dry-run, --out and --uri go with --group")
	case f.group == "":
		return nil
	case users > 0:
		return usagef("give USER or --group, not both")
	case f.keyFile != "" || f.testKey || f.identifier != "" || f.qr != "" || f.replace || f.json:
		return usagef("--key-file, --rfc4226-test-key, --identifier, --qr, --replace and --json are for one user; --group makes a random key each for those without a token")
	case f.typ == string(store.Yubico) || f.typ == string(store.HOTPPrefixed):
		return usagef("--group enrolls totp or hotp tokens; %s tokens need a key or identifier each", f.typ)
	case store.TokenType(f.typ).OutOfBand():
		return usagef("--group enrolls totp or hotp tokens; enroll an %s token for each user with otpgate enroll USER --type %s", f.typ, f.typ)
	case f.out == "" && !f.dryRun:
		return usagef("--group needs --out DIR for the QR codes (or --dry-run)")
	}
	return nil
}

// runEnrollGroup enrolls each member of the group who may log in and has
// no token yet.
func runEnrollGroup(e *env, f *enrollFlags) error {
	todo, err := groupToEnroll(e, f)
	if err != nil {
		return err
	}
	if f.dryRun {
		for _, name := range todo {
			fmt.Fprintln(e.stdout, name)
		}
		fmt.Fprintf(e.stderr, "otpgate: %d users would be enrolled (dry run: nothing written)\n", len(todo))
		return nil
	}
	if err := makePrivateDir(f.out); err != nil {
		return err
	}
	a, err := openAdminForEnroll(e, f.store)
	if err != nil {
		return err
	}
	defer a.Close()
	for i, name := range todo {
		file, id, err := enrollMember(a, f, name)
		if errors.Is(err, admin.ErrHasTokens) { // enrolled since the list was made
			fmt.Fprintf(e.stderr, "otpgate: skipping %s: has a token\n", name)
			continue
		}
		if err != nil {
			return fmt.Errorf("enroll %q (%d of %d; the %d before it are enrolled): %w", name, i+1, len(todo), i, err)
		}
		fmt.Fprintf(e.stdout, "%s\t%s\t%s\n", name, id, file)
		fmt.Fprintf(e.stderr, "otpgate: enrolled %s (%d of %d)\n", name, i+1, len(todo))
	}
	return nil
}

// groupToEnroll lists the group's members who may log in and have no
// token, by canonical name, reporting the others on stderr.
func groupToEnroll(e *env, f *enrollFlags) ([]string, error) {
	d, err := openDirectory(e, f.store)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	members, err := d.Members(context.Background(), f.group)
	if err != nil {
		return nil, err
	}
	have, err := usersWithTokens(e, f.store)
	if err != nil {
		return nil, err
	}
	var todo []string
	for _, u := range members {
		if u.Status != "" {
			fmt.Fprintf(e.stderr, "otpgate: skipping %s: %s\n", username.Quote(u.DN), u.Status)
			continue
		}
		if have[u.Canonical] {
			fmt.Fprintf(e.stderr, "otpgate: skipping %s: has a token\n", u.Canonical)
			continue
		}
		todo = append(todo, u.Canonical)
	}
	slices.Sort(todo)
	return slices.Compact(todo), nil
}

// usersWithTokens returns the users of the store who hold a token; none
// when there is no store yet.
func usersWithTokens(e *env, sf *storeFlags) (map[string]bool, error) {
	a, err := openAdmin(e, sf)
	if errors.Is(err, site.ErrNoStore) {
		return map[string]bool{}, nil
	}
	if err != nil {
		return nil, err
	}
	defer a.Close()
	users, err := a.List(context.Background())
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, u := range users {
		have[u.User] = len(u.Tokens) > 0
	}
	return have, nil
}

// makePrivateDir creates dir mode 0700, or accepts an existing directory
// only others cannot enter.
func makePrivateDir(dir string) error {
	err := os.Mkdir(dir, 0o700)
	if err == nil || !errors.Is(err, fs.ErrExist) {
		return err
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() || fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("--out %s exists and is not a directory of mode 0700 (it holds secrets); chmod 700 it or name a new one", dir)
	}
	return nil
}

// enrollMember enrolls one user and writes their QR code or URI, which is
// removed again if storing the token fails.
func enrollMember(a *admin.Admin, f *enrollFlags, name string) (file, id string, err error) {
	spec, err := f.spec(name)
	if err != nil {
		return "", "", err
	}
	en, err := admin.Prepare(spec, f.issuer)
	if err != nil {
		return "", "", err
	}
	defer en.Clear()
	file = filepath.Join(f.out, fileName(name))
	if f.uriFiles {
		file += ".uri"
		err = writeNew(file, en.URI+"\n")
	} else {
		file += ".png"
		err = admin.WriteQR(file, en.URI)
	}
	if err != nil {
		return "", "", err
	}
	out, err := a.Enroll(context.Background(), en, false)
	if err != nil {
		os.Remove(file)
		return "", "", err
	}
	return file, out.TokenID, nil
}

// fileName makes a user name a file name: anything but letters, digits and
// "._-@" becomes %XX, so "EXAMPLE\alice" is "EXAMPLE%5Calice" and no name
// reaches outside the directory.
func fileName(name string) string {
	var b strings.Builder
	for i := range len(name) {
		c := name[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("._-@", c) >= 0 && !(i == 0 && c == '.') {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// writeNew writes text to a new file of mode 0600; an existing one is
// never overwritten.
func writeNew(path, text string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, werr := f.WriteString(text)
	if err := errors.Join(werr, f.Close()); err != nil {
		os.Remove(path)
		return err
	}
	return nil
}
