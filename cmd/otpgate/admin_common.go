package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"otpgate.dev/otpgate/internal/admin"
	"otpgate.dev/otpgate/internal/site"
)

// parseArgs parses args, in which flags may follow the positional arguments
// (otpgate enroll alice --type hotp), and returns from min to max positional
// arguments; names says what they are, for the error.
func parseArgs(fs *flag.FlagSet, args []string, min, max int, names string) ([]string, error) {
	var pos []string
	for {
		if err := parseFlags(fs, args, math.MaxInt); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(pos) > max {
		return nil, usagef("unexpected argument %q", pos[max])
	}
	if len(pos) < min {
		return nil, usagef("missing %s", names)
	}
	return pos, nil
}

// openAdmin opens the existing site that sf and the configuration name.
func openAdmin(e *env, sf *storeFlags) (*admin.Admin, error) {
	return openAdminMode(e, sf, site.MustExist)
}

// openAdminForEnroll opens the site that sf and the configuration name,
// creating its store and master key on first use.
func openAdminForEnroll(e *env, sf *storeFlags) (*admin.Admin, error) {
	return openAdminMode(e, sf, site.MayCreate)
}

func openAdminMode(e *env, sf *storeFlags, m site.Mode) (*admin.Admin, error) {
	s, h, err := sf.open(e, m)
	if err != nil {
		return nil, err
	}
	a := admin.New(h, s.Policy(), e.now)
	a.UseOOB(s.Config.OOB.Settings(s.Policy()))
	return a, nil
}

// siteHint adds a hint to the errors of opening a site that a user can fix.
func siteHint(err error) error {
	switch {
	case errors.Is(err, site.ErrNoStore):
		return withHint(err, "enroll a token first (otpgate enroll USER), or name the database with --db, --config or $%s", site.EnvDB)
	case errors.Is(err, site.ErrNoKey):
		return withHint(err, "restore the master key file, or name it with key_file in the configuration or $%s", site.EnvKeyFile)
	}
	return err
}

// adminHint adds a hint to the admin errors a user can fix.
func adminHint(err error) error {
	if errors.Is(err, admin.ErrNoUser) {
		return withHint(err, "run \"otpgate list\" for the users")
	}
	return err
}

// openSelected parses the flags of a command on USER or --token ID (with
// those more adds) and opens the site, returning the user and token
// selected, USER in its canonical form when the configuration has an
// [ldap] directory. The caller closes the Admin.
func openSelected(e *env, name string, args []string, more func(*flag.FlagSet)) (*admin.Admin, string, string, error) {
	fs := newFlags(name)
	sf := addStoreFlags(fs)
	token := fs.String("token", "", "")
	if more != nil {
		more(fs)
	}
	user, err := userOrToken(fs, args, token)
	if err == nil && user != "" {
		user, err = canonicalUser(e, sf, user)
	}
	if err != nil {
		return nil, "", "", err
	}
	a, err := openAdmin(e, sf)
	if err != nil {
		return nil, "", "", err
	}
	return a, user, *token, nil
}

// userOrToken reads the optional USER argument and --token of commands that
// act on every token of a user or on one token.
func userOrToken(fs *flag.FlagSet, args []string, token *string) (string, error) {
	pos, err := parseArgs(fs, args, 0, 1, "USER")
	if err != nil {
		return "", err
	}
	if len(pos) == 0 && *token == "" {
		return "", usagef("no user given (give USER or --token ID)")
	}
	if len(pos) == 0 {
		return "", nil
	}
	return pos[0], nil
}

func printJSON(e *env, v any) error {
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// when formats an optional time for people.
func when(t *time.Time) string {
	if t == nil {
		return "never"
	}
	return t.Format(time.RFC3339)
}

// confirm asks on the terminal before an action with no undo; --yes (yes)
// answers for a script. Without a terminal and without --yes it refuses.
func confirm(e *env, yes bool, action string) error {
	if yes {
		return nil
	}
	if !e.stdinTerminal {
		return &usageError{msg: "refusing to " + action + " without confirmation: standard input is not a terminal to ask on",
			hint: "pass --yes to confirm from a script"}
	}
	fmt.Fprintf(e.stderr, "otpgate: %s? There is no undo. [y/N] ", action)
	line, _ := bufio.NewReader(io.LimitReader(e.stdin, 64)).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return nil
	}
	return errors.New("not confirmed; nothing was changed")
}
