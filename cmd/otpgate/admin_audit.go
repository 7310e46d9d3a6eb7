package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"otpgate.dev/otpgate/internal/auditlog"
	"otpgate.dev/otpgate/internal/store"
)

const auditUsage = `Usage:
    otpgate audit [--user NAME] [--since DURATION|TIME] [--limit N] [--json] [--db PATH] [--config FILE]
    otpgate audit --delete-before DURATION|TIME [--yes] [--db PATH] [--config FILE]

Prints the audit trail, newest first: every admin action and every
verification outcome, with the user, token, result, reason and source. It
never holds a code or a secret. With --delete-before it deletes the events
logged before that time instead (the daemon can do this by itself: see
log.audit_retention), and records the deletion in the trail.

Options:
    --user NAME       only events of NAME
    --since WHEN      only events since WHEN: a duration back from now
                      (90m, 24h) or an RFC 3339 time (2026-11-23T08:00:00Z)
    --limit N         at most N events (default 100; 0 for all)
    --json            JSON lines, the fields the server's audit log file has:
                      time, actor, action, user, token, result, reason, source
    --delete-before WHEN
                      delete the events logged before WHEN: a duration back
                      from now (2160h for 90 days) or an RFC 3339 time;
                      asks first on a terminal
    --yes             confirm --delete-before for a script (without a
                      terminal and without --yes it refuses)
    --db PATH         the store (default: the configuration's, else the data
                      directory's)
    --config FILE     otpgate serve's configuration, for its db, key_file and
                      policy (default: $OTPGATE_CONFIG, else
                      /etc/otpgate/otpgate.toml when it exists)

Examples:
    $ otpgate audit --user alice --since 24h
    TIME                  ACTOR      ACTION  USER   TOKEN             RESULT  REASON      SOURCE
    2026-11-23T09:12:40Z  openvpn    verify  alice  HZ3V7Q2MRN4XK5YJ  fail    wrong code  198.51.100.7
    $ otpgate audit --json --limit 0 | jq -c 'select(.result != "ok")'
    $ otpgate audit --delete-before 2160h --yes
    deleted 48211 audit events logged before 2026-08-25T09:12:40Z
`

func init() {
	register(&command{name: "audit", short: "print the audit trail (--json for JSON lines)", usage: auditUsage, run: runAudit})
}

func runAudit(e *env, args []string) error {
	fs := newFlags("audit")
	sf := addStoreFlags(fs)
	user := fs.String("user", "", "")
	since := fs.String("since", "", "")
	limit := fs.Int("limit", 100, "")
	asJSON := fs.Bool("json", false, "")
	deleteBefore := fs.String("delete-before", "", "")
	yes := fs.Bool("yes", false, "")
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	if *deleteBefore != "" {
		if *user != "" || *since != "" || *asJSON {
			return usagef("--delete-before deletes by time only: it takes no --user, --since or --json")
		}
		return pruneAudit(e, sf, *deleteBefore, *yes)
	}
	f := store.AuditFilter{User: *user, Limit: *limit}
	if *limit < 0 {
		return usagef("--limit %d is negative (accepted: 0 for all, or a count)", *limit)
	}
	if *since != "" {
		t, err := parseSince(*since, e.now())
		if err != nil {
			return err
		}
		f.Since = t
	}
	a, err := openAdmin(e, sf)
	if err != nil {
		return err
	}
	defer a.Close()
	events, err := a.Audit(context.Background(), f)
	if err != nil {
		return err
	}
	if *asJSON {
		for _, ev := range events {
			e.stdout.Write(auditlog.Marshal(ev))
		}
		return nil
	}
	return printAudit(e, events)
}

func pruneAudit(e *env, sf *storeFlags, when string, yes bool) error {
	before, err := parseWhen("--delete-before", when, e.now())
	if err != nil {
		return err
	}
	if err := confirm(e, yes, "delete the audit events logged before "+before.UTC().Format(time.RFC3339)); err != nil {
		return err
	}
	a, err := openAdmin(e, sf)
	if err != nil {
		return err
	}
	defer a.Close()
	n, err := a.PruneAudit(context.Background(), before)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "deleted %d audit events logged before %s\n", n, before.UTC().Format(time.RFC3339))
	return nil
}

// parseSince reads --since: a duration before now, or an RFC 3339 time.
func parseSince(s string, now time.Time) (time.Time, error) { return parseWhen("--since", s, now) }

// parseWhen reads flag's value: a duration before now, or an RFC 3339 time.
func parseWhen(flag, s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			return time.Time{}, usagef("%s %q is negative (accepted: a duration back from now, e.g. 24h)", flag, s)
		}
		return now.Add(-d), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	return time.Time{}, usagef("%s %q is neither a duration nor an RFC 3339 time (e.g. 24h or 2026-11-23T08:00:00Z)", flag, s)
}

func printAudit(e *env, events []store.AuditEvent) error {
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tACTOR\tACTION\tUSER\tTOKEN\tRESULT\tREASON\tSOURCE")
	for _, ev := range events {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", ev.Time.UTC().Format(time.RFC3339),
			cell(string(ev.Actor)), cell(string(ev.Action)), cell(ev.User), cell(ev.TokenID), cell(string(ev.Result)), cell(ev.Reason), cell(ev.Source))
	}
	return tw.Flush()
}

// cell keeps a field to one cell: "-" when empty, control characters
// escaped (a user name comes from whoever typed it).
func cell(s string) string {
	if s == "" {
		return "-"
	}
	q := fmt.Sprintf("%q", s)
	q = q[1 : len(q)-1]
	return strings.ReplaceAll(q, "\t", `\t`)
}
