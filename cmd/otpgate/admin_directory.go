package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"otpgate.dev/otpgate/internal/client"
	"otpgate.dev/otpgate/internal/daemon"
	"otpgate.dev/otpgate/internal/directory"
)

const directoryUsage = `Usage:
    otpgate directory test USER [--password-file FILE] [--json] [--config FILE]

Goes through a login for USER against the [ldap] directory of otpgate serve's
configuration, one step at a time on a connection of its own, and prints each
step, how long it took, and what it found: the name as given and its
canonical form, the server that answered and how the connection is secured,
the service account's bind, the user's entry, their groups, whether the
account and its groups permit a login, and the directory attributes otpgate
reads (display name, mail, mobile, pager). With --password-file it also binds
as the user with the first line of FILE. It stops at the first step that
fails and exits 1. Search results are not cached here.

Options:
    --password-file FILE  the user's password, to check the bind as well
    --json                print the steps as JSON
    --config FILE         otpgate serve's configuration (default:
                          $OTPGATE_CONFIG, else /etc/otpgate/otpgate.toml)

Examples:
    $ otpgate directory test alice
    $ otpgate directory test 'EXAMPLE\alice' --password-file /root/alice.pw
`

func init() {
	register(&command{name: "directory", short: "check how a user resolves in the LDAP directory", usage: directoryUsage, run: runDirectory})
}

func runDirectory(e *env, args []string) error {
	if len(args) == 0 || args[0] == "--help" || args[0] == "-h" {
		if len(args) == 0 {
			return usagef("name the subcommand: test")
		}
		return errHelp
	}
	if args[0] != "test" {
		return usagef("unknown subcommand %q (accepted: test)", args[0])
	}
	fs := newFlags("directory test")
	sf := addStoreFlags(fs)
	pwFile := fs.String("password-file", "", "")
	asJSON := fs.Bool("json", false, "")
	pos, err := parseArgs(fs, args[1:], 1, 1, "USER")
	if err != nil {
		return err
	}
	password := ""
	if *pwFile != "" {
		if password, err = client.ReadSecretFile(*pwFile); err != nil {
			return fmt.Errorf("--password-file: %w", err)
		}
	}
	d, err := openDirectory(e, sf)
	if err != nil {
		return err
	}
	defer d.Close()
	r := d.Probe(context.Background(), pos[0], password)
	if *asJSON {
		if err := printJSON(e, probeJSON(r)); err != nil {
			return err
		}
	} else {
		printProbe(e, r)
	}
	for _, s := range r.Steps {
		if s.Err != nil {
			return fmt.Errorf("directory test: %s: %w", s.Name, s.Err)
		}
	}
	return nil
}

// openDirectory opens the [ldap] directory of the configuration sf names.
func openDirectory(e *env, sf *storeFlags) (*directory.Directory, error) {
	d, err := siteDirectory(e, sf)
	if err == nil && d == nil {
		err = withHint(errors.New("the configuration has no [ldap] table"),
			"name otpgate serve's configuration with --config or $OTPGATE_CONFIG; see docs/directory.md")
	}
	return d, err
}

func printProbe(e *env, r *directory.Report) {
	for _, s := range r.Steps {
		status := "ok"
		if s.Err != nil {
			status = "FAILED"
		}
		fmt.Fprintf(e.stdout, "%-13s %-6s %9s  %s\n", s.Name, status, s.Took.Round(10*time.Microsecond), s.Detail)
	}
	if u := r.User; u != nil {
		for _, a := range [][2]string{{"display name", u.DisplayName}, {"mail", u.Mail}, {"mobile", u.Mobile}, {"pager", u.Pager}} {
			fmt.Fprintf(e.stdout, "%-13s %s\n", a[0]+":", a[1])
		}
	}
}

type stepJSON struct {
	Name   string  `json:"step"`
	OK     bool    `json:"ok"`
	Millis float64 `json:"ms"`
	Detail string  `json:"detail,omitempty"`
	Error  string  `json:"error,omitempty"`
}

type probeOut struct {
	Steps []stepJSON       `json:"steps"`
	User  *directoryFields `json:"user,omitempty"`
}

func probeJSON(r *directory.Report) probeOut {
	var out probeOut
	for _, s := range r.Steps {
		j := stepJSON{Name: s.Name, OK: s.Err == nil, Millis: float64(s.Took.Microseconds()) / 1000, Detail: s.Detail}
		if s.Err != nil {
			j.Error = s.Err.Error()
		}
		out.Steps = append(out.Steps, j)
	}
	if r.User != nil {
		f := fieldsOf(r.User)
		out.User = &f
	}
	return out
}

// directoryFields is what otpgate shows of a directory user.
type directoryFields struct {
	Canonical   string   `json:"canonical"`
	DN          string   `json:"dn"`
	DisplayName string   `json:"display_name,omitempty"`
	Mail        string   `json:"mail,omitempty"`
	Mobile      string   `json:"mobile,omitempty"`
	Pager       string   `json:"pager,omitempty"`
	Groups      []string `json:"groups"`
	Status      string   `json:"status,omitempty"`
	Server      string   `json:"server"`
}

func fieldsOf(u *directory.User) directoryFields {
	return directoryFields{Canonical: u.Canonical, DN: u.DN, DisplayName: u.DisplayName, Mail: u.Mail, Mobile: u.Mobile,
		Pager: u.Pager, Groups: u.Groups, Status: u.Status, Server: u.Server}
}

// storeFlagsOf returns the --db and --config that addStoreFlags put on fs,
// once fs is parsed.
func storeFlagsOf(fs *flag.FlagSet) *storeFlags {
	return &storeFlags{db: fs.Lookup("db").Value.String(), config: fs.Lookup("config").Value.String()}
}

// siteDirectory opens the [ldap] directory of the configuration sf names,
// nil when it has none.
func siteDirectory(e *env, sf *storeFlags) (*directory.Directory, error) {
	s, err := sf.find(e)
	if err != nil {
		return nil, err
	}
	return daemon.OpenDirectory(s.Config)
}

// canonicalUser maps a user name as given to the name tokens are stored
// under, when the configuration has an [ldap] table; as given otherwise.
func canonicalUser(e *env, sf *storeFlags, given string) (string, error) {
	s, err := sf.find(e)
	if err != nil {
		return "", err
	}
	return s.Config.LDAP.Canonical(given)
}

// directoryView looks user up in the [ldap] directory: nil without one. A
// directory that cannot answer is a warning, since the store's view stands
// on its own.
func directoryView(e *env, sf *storeFlags, user string) *directoryFields {
	d, err := siteDirectory(e, sf)
	if err != nil {
		e.warnf("directory: %v", err)
		return nil
	}
	if d == nil {
		return nil
	}
	defer d.Close()
	u, err := d.Lookup(context.Background(), user)
	switch {
	case errors.Is(err, directory.ErrNoSuchUser):
		return &directoryFields{Canonical: user, Status: "not in the directory"}
	case err != nil:
		e.warnf("directory: %v", err)
		return nil
	}
	f := fieldsOf(u)
	if err := d.Permit(u); err != nil && f.Status == "" {
		f.Status = err.Error()
	}
	return &f
}

// printDirectory shows a directory view, each line marked as the
// directory's.
func printDirectory(e *env, f *directoryFields) {
	line := func(k, v string) { fmt.Fprintf(e.stdout, "%-14s %s\n", "ldap "+k+":", v) }
	if f.DN != "" {
		line("dn", f.DN)
		line("display name", f.DisplayName)
		line("mail", f.Mail)
		line("mobile", f.Mobile)
		line("pager", f.Pager)
		for _, g := range f.Groups {
			line("group", g)
		}
	}
	if f.Status == "" {
		line("status", "may log in")
	} else {
		line("status", f.Status)
	}
}
