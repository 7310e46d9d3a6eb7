package main

import (
	"context"
	"flag"
	"fmt"

	"otpgate.dev/otpgate/internal/admin"
	"otpgate.dev/otpgate/internal/username"
)

const listUsage = `Usage:
    otpgate list [--db PATH] [--config FILE] [--json]

Lists every user and their tokens: ID, type, enabled, locked and last
success. Never a secret.

Examples:
    $ otpgate list
    alice
      HZ3V...  totp  enabled  unlocked  last success 2026-11-23T10:00:00Z
    $ otpgate list --json
`

const showUsage = `Usage:
    otpgate show USER [--db PATH] [--config FILE] [--json]
    otpgate show --token ID [--db PATH] [--config FILE] [--json]

Shows every property of each token of USER: type, parameters, identifier,
next counter or time step, drift, failures, lock, last check, last success,
last configuration, creation and comment. Never a secret.

When the configuration has an [ldap] table, USER may be given as the
directory accepts it ("EXAMPLE\alice", "alice@example.org"; so for every
command that takes USER), and the directory's view follows, each line
marked "ldap": the entry's DN, display name, mail, mobile, pager, groups,
and whether the account and its groups permit a login. With --json the
output is then {"tokens": [...], "directory": {...}}.

Examples:
    $ otpgate show alice
    $ otpgate show --json alice
`

const deleteUsage = `Usage:
    otpgate delete USER [--token ID] [--yes] [--db PATH] [--config FILE]

Deletes USER with every token, or with --token only that one token of
USER. There is no undo: on a terminal it asks first; --yes confirms for a
script (without a terminal and without --yes it refuses).

Examples:
    $ otpgate delete alice
    $ otpgate delete alice --token HZ3V7Q2MRN4XK5YJ --yes
`

const enableUsage = `Usage:
    otpgate %[1]s USER [--db PATH] [--config FILE]
    otpgate %[1]s --token ID [--db PATH] [--config FILE]

%[2]s every token of USER, or the one token ID. Prints the IDs of the tokens
changed.

Examples:
    $ otpgate %[1]s alice
    $ otpgate %[1]s --token HZ3V7Q2MRN4XK5YJ
`

const unlockUsage = `Usage:
    otpgate unlock USER [--db PATH] [--config FILE]
    otpgate unlock --token ID [--db PATH] [--config FILE]

Clears the failure count and lock of every token of USER, or of the one
token ID. Prints the IDs of the tokens unlocked.

Examples:
    $ otpgate unlock alice
`

func init() {
	register(&command{name: "list", short: "list users and their tokens", usage: listUsage, run: runList})
	register(&command{name: "show", short: "show every property of a user's tokens", usage: showUsage, run: runShow})
	register(&command{name: "delete", short: "delete a user and their tokens", usage: deleteUsage, run: runDelete})
	register(&command{name: "enable", short: "enable a user's tokens", usage: fmt.Sprintf(enableUsage, "enable", "Enables"), run: runEnable})
	register(&command{name: "disable", short: "disable a user's tokens", usage: fmt.Sprintf(enableUsage, "disable", "Disables"), run: runDisable})
	register(&command{name: "unlock", short: "clear a user's failed attempts and lock", usage: unlockUsage, run: runUnlock})
}

func runList(e *env, args []string) error {
	fs := newFlags("list")
	sf := addStoreFlags(fs)
	asJSON := fs.Bool("json", false, "")
	if _, err := parseArgs(fs, args, 0, 0, ""); err != nil {
		return err
	}
	a, err := openAdmin(e, sf)
	if err != nil {
		return err
	}
	defer a.Close()
	users, err := a.List(context.Background())
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e, users)
	}
	for _, u := range users {
		fmt.Fprintln(e.stdout, username.Quote(u.User))
		for _, t := range u.Tokens {
			fmt.Fprintf(e.stdout, "  %s  %s  %s  %s  last success %s\n", t.ID, t.Type,
				yesNo(t.Enabled, "enabled", "disabled"), yesNo(t.Locked, "locked", "unlocked"), when(t.LastSuccess))
		}
	}
	return nil
}

func yesNo(b bool, yes, no string) string {
	if b {
		return yes
	}
	return no
}

func runShow(e *env, args []string) error {
	var asJSON bool
	var flags *flag.FlagSet
	a, user, token, err := openSelected(e, "show", args, func(fs *flag.FlagSet) {
		fs.BoolVar(&asJSON, "json", false, "")
		flags = fs
	})
	if err != nil {
		return err
	}
	defer a.Close()
	infos, err := a.Show(context.Background(), user, token)
	if err != nil {
		return adminHint(err)
	}
	var dir *directoryFields
	if user != "" {
		dir = directoryView(e, storeFlagsOf(flags), user)
	}
	if asJSON && dir != nil {
		return printJSON(e, struct {
			Tokens    []admin.TokenInfo `json:"tokens"`
			Directory *directoryFields  `json:"directory"`
		}{infos, dir})
	}
	if asJSON {
		return printJSON(e, infos)
	}
	for i := range infos {
		if i > 0 {
			fmt.Fprintln(e.stdout)
		}
		printInfo(e, &infos[i])
	}
	if dir != nil {
		fmt.Fprintln(e.stdout)
		printDirectory(e, dir)
	}
	return nil
}

func printInfo(e *env, t *admin.TokenInfo) {
	line := func(k string, v any) { fmt.Fprintf(e.stdout, "%-14s %v\n", k+":", v) }
	line("token", t.ID)
	line("user", username.Quote(t.User))
	line("type", t.Type)
	line("enabled", t.Enabled)
	if t.Algorithm != "" {
		line("algorithm", t.Algorithm)
		line("digits", t.Digits)
	}
	if t.Period != 0 {
		line("period", fmt.Sprintf("%ds", t.Period))
		line("t0", t.T0)
	}
	if t.Identifier != "" {
		line("identifier", t.Identifier)
	}
	if t.OOB != nil {
		line("address", t.OOB.Address)
		last := when(t.OOB.LastSend)
		if t.OOB.LastResult != "" {
			last += " (" + t.OOB.LastResult + ")"
		}
		line("last send", last)
	}
	line("next", fmt.Sprintf("%d (%s)", t.Next, t.Sequence))
	line("drift", t.Drift)
	line("failures", t.Failures)
	line("locked", lockText(t))
	line("last check", when(t.LastCheck))
	line("last success", when(t.LastSuccess))
	line("configured", when(t.ConfiguredAt))
	line("created", when(t.Created))
	line("comment", t.Comment)
}

func lockText(t *admin.TokenInfo) string {
	switch {
	case !t.Locked:
		return "no"
	case t.LockedUntil != nil && t.LockedUntil.Year() == 9999:
		return "until an admin unlocks it"
	}
	return "until " + when(t.LockedUntil)
}

func runDelete(e *env, args []string) error {
	fs := newFlags("delete")
	sf := addStoreFlags(fs)
	token := fs.String("token", "", "")
	yes := fs.Bool("yes", false, "")
	pos, err := parseArgs(fs, args, 1, 1, "USER")
	if err != nil {
		return err
	}
	action := fmt.Sprintf("delete user %q and every token of it", pos[0])
	if *token != "" {
		action = fmt.Sprintf("delete token %s of user %q", *token, pos[0])
	}
	if err := confirm(e, *yes, action); err != nil {
		return err
	}
	a, err := openAdmin(e, sf)
	if err != nil {
		return err
	}
	defer a.Close()
	if *token != "" {
		return adminHint(a.DeleteToken(context.Background(), pos[0], *token))
	}
	return adminHint(a.Delete(context.Background(), pos[0]))
}

func runEnable(e *env, args []string) error  { return setEnabled(e, "enable", args, true) }
func runDisable(e *env, args []string) error { return setEnabled(e, "disable", args, false) }

func setEnabled(e *env, name string, args []string, enabled bool) error {
	return eachToken(e, name, args, func(a *admin.Admin, user, token string) ([]string, error) {
		return a.SetEnabled(context.Background(), user, token, enabled)
	})
}

func runUnlock(e *env, args []string) error {
	return eachToken(e, "unlock", args, func(a *admin.Admin, user, token string) ([]string, error) {
		return a.Unlock(context.Background(), user, token)
	})
}

// eachToken runs a command that changes every token of USER or the one of
// --token, and prints the IDs changed.
func eachToken(e *env, name string, args []string, op func(a *admin.Admin, user, token string) ([]string, error)) error {
	a, user, token, err := openSelected(e, name, args, nil)
	if err != nil {
		return err
	}
	defer a.Close()
	ids, err := op(a, user, token)
	for _, id := range ids {
		fmt.Fprintln(e.stdout, id)
	}
	return adminHint(err)
}
