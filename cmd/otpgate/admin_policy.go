package main

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"otpgate.dev/otpgate/internal/admin"
	"otpgate.dev/otpgate/internal/auth"
	"otpgate.dev/otpgate/internal/config"
	"otpgate.dev/otpgate/internal/daemon"
	"otpgate.dev/otpgate/internal/loginpolicy"
	"otpgate.dev/otpgate/internal/policy"
	"otpgate.dev/otpgate/internal/radius"
	"otpgate.dev/otpgate/internal/recovery"
	"otpgate.dev/otpgate/internal/site"
	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/username"
)

const policyUsage = `Usage:
    otpgate policy explain USER [--from IP] [--nas NAME|IP] [--frontend F]
                                [--db PATH] [--config FILE]

Prints which [[policy.rule]] of the configuration decides a login of USER,
every rule looked at and why it matched or not, and what the login then
needs with USER's tokens. It runs the evaluation a login runs (docs/policy.md).

    --from IP         the VPN client's address, as the NAS reports it
    --nas NAME|IP     the RADIUS client by its name or address
    --frontend F      radius (default), openvpn, http or yubico

Examples:
    $ otpgate policy explain alice --from 10.99.1.2 --nas ocserv
`

const groupUsage = `Usage:
    otpgate group add GROUP USER...    [--db PATH] [--config FILE]
    otpgate group remove GROUP USER... [--db PATH] [--config FILE]
    otpgate group list [GROUP]         [--db PATH] [--config FILE] [--json]

Manages otpgate's local groups, which the login policy's group conditions
read (with the directory's, when one is configured). A member need not have
a token: a service account that logs in with its password alone has none.

Examples:
    $ otpgate group add vpn-admins alice bob
    $ otpgate group list
    $ otpgate group list vpn-admins
`

const recoveryUsage = `Usage:
    otpgate recovery USER [--count N] [--db PATH] [--config FILE]
    otpgate recovery USER --left [--db PATH] [--config FILE]

Makes N (default 10) new recovery codes for USER and prints them, once:
only their hashes are kept. Each works once, wherever a code is asked for;
the old codes stop working. --left prints how many unused codes USER has.

Examples:
    $ otpgate recovery alice > alice-codes.txt
    $ otpgate recovery alice --left
`

func init() {
	register(&command{name: "policy", short: "explain which login policy rule applies", usage: policyUsage, run: runPolicy})
	register(&command{name: "group", short: "manage local groups", usage: groupUsage, run: runGroup})
	register(&command{name: "recovery", short: "make a user's recovery codes", usage: recoveryUsage, run: runRecovery})
}

// subcommand returns the subcommand args begin with, errHelp for a help
// flag, or a usage error.
func subcommand(args []string, accepted string) (string, error) {
	switch {
	case len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help"):
		return "", errHelp
	case len(args) == 0 || strings.HasPrefix(args[0], "-"):
		return "", usagef("give a subcommand (accepted: %s)", accepted)
	}
	return args[0], nil
}

func runPolicy(e *env, args []string) error {
	sub, err := subcommand(args, "explain")
	if err != nil {
		return err
	}
	if sub != "explain" {
		return usagef("unknown subcommand %q (accepted: explain)", sub)
	}
	fs := newFlags("policy explain")
	sf := addStoreFlags(fs)
	from := fs.String("from", "", "")
	nas := fs.String("nas", "", "")
	frontend := fs.String("frontend", "radius", "")
	pos, err := parseArgs(fs, args[1:], 1, 1, "USER")
	if err != nil {
		return err
	}
	if *from != "" {
		if _, err := netip.ParseAddr(*from); err != nil {
			return usagef("--from %q is not an IP address", *from)
		}
	}
	switch *frontend {
	case "radius", "openvpn", "http", "yubico":
	default:
		return usagef("--frontend %q is not radius, openvpn, http or yubico", *frontend)
	}
	user, err := username.Canonical(pos[0])
	if err != nil {
		return err
	}
	s, h, err := sf.open(e, site.MustExist)
	if err != nil {
		return err
	}
	a := admin.New(h, s.Policy(), e.now)
	defer a.Close()
	return explain(e, s.Config, a, user, auth.Request{Frontend: store.Actor(*frontend), Client: *from, NAS: *nas}, *nas)
}

// explain decides as the login service does and prints why.
func explain(e *env, cfg *config.Config, a *admin.Admin, user string, req auth.Request, nas string) error {
	ctx := context.Background()
	groups := loginpolicy.Local(a.Store())
	dir, err := daemon.OpenDirectory(cfg)
	if err != nil {
		return err
	}
	if dir != nil {
		defer dir.Close()
		groups = loginpolicy.WithDirectory(groups, dir)
	}
	lp, err := loginpolicy.Build(cfg.Policy, groups, e.now)
	if err != nil {
		return err
	}
	if ip, err := netip.ParseAddr(nas); err == nil {
		req.NAS, req.Source = nasName(cfg, ip), ip.String()
	} else if ip, ok := nasAddress(cfg, nas); ok {
		req.Source = ip
	}
	svc := auth.New(auth.Config{Policy: lp.Policy, Forward: lp.Forward}, nil, a.Store(), e.now)
	d, derr := svc.Decide(ctx, req, user)
	fmt.Fprint(e.stdout, d.Explain())
	if derr != nil {
		return derr
	}
	toks, err := a.Store().Tokens(ctx, user)
	if err != nil {
		toks = nil // an unknown user has none
	}
	fmt.Fprintf(e.stdout, "for %s: %s\n", user, describePlan(d.Plan(toks)))
	return nil
}

// nasAddress is the address of the RADIUS client called name, when it is
// one address rather than a network.
func nasAddress(cfg *config.Config, name string) (string, bool) {
	for _, c := range cfg.RADIUS.Clients {
		if c.Name != name {
			continue
		}
		if p, err := radius.ParsePrefix(c.Address); err == nil && p.IsSingleIP() {
			return p.Addr().String(), true
		}
	}
	return "", false
}

// nasName is the name the RADIUS server gives a request from ip: the
// client whose network holds it most narrowly, named by its name or, with
// none, its network.
func nasName(cfg *config.Config, ip netip.Addr) string {
	best, name := -1, ""
	for _, c := range cfg.RADIUS.Clients {
		p, err := radius.ParsePrefix(c.Address)
		if err != nil || !p.Contains(ip) || p.Bits() <= best {
			continue
		}
		best, name = p.Bits(), c.Name
		if name == "" {
			name = p.String()
		}
	}
	return name
}

func describePlan(p policy.Plan) string {
	switch p.Action {
	case policy.Verify:
		var types []string
		for _, t := range p.Tokens {
			types = append(types, string(t.Type))
		}
		s := fmt.Sprintf("a code from one of %d token(s) (%s)", len(p.Tokens), strings.Join(types, ", "))
		if p.Recovery {
			s += ", or a recovery code"
		}
		return s
	case policy.PasswordOnly:
		return "the password alone (" + p.Reason + ")"
	case policy.Forward:
		return "forwarded (" + p.Reason + ")"
	}
	return "refused (" + p.Reason + ")"
}

func runGroup(e *env, args []string) error {
	sub, err := subcommand(args, "add, remove, list")
	if err != nil {
		return err
	}
	fs := newFlags("group " + sub)
	sf := addStoreFlags(fs)
	asJSON := fs.Bool("json", false, "")
	ctx := context.Background()
	switch sub {
	case "add", "remove":
		pos, err := parseArgs(fs, args[1:], 2, 1<<20, "GROUP and at least one USER")
		if err != nil {
			return err
		}
		open := openAdmin
		if sub == "add" {
			open = openAdminForEnroll // a service account may come before any token
		}
		a, err := open(e, sf)
		if err != nil {
			return err
		}
		defer a.Close()
		if sub == "add" {
			return a.AddToGroup(ctx, pos[0], pos[1:]...)
		}
		return a.RemoveFromGroup(ctx, pos[0], pos[1:]...)
	case "list":
		pos, err := parseArgs(fs, args[1:], 0, 1, "GROUP")
		if err != nil {
			return err
		}
		a, err := openAdmin(e, sf)
		if err != nil {
			return err
		}
		defer a.Close()
		return listGroups(e, a, pos, *asJSON)
	}
	return usagef("unknown subcommand %q (accepted: add, remove, list)", sub)
}

func listGroups(e *env, a *admin.Admin, pos []string, asJSON bool) error {
	ctx := context.Background()
	if len(pos) == 1 {
		us, err := a.GroupMembers(ctx, pos[0])
		if err != nil {
			return err
		}
		if asJSON {
			return printJSON(e, us)
		}
		for _, u := range us {
			fmt.Fprintln(e.stdout, username.Quote(u))
		}
		return nil
	}
	gs, err := a.ListGroups(ctx)
	if err != nil {
		return err
	}
	if asJSON {
		return printJSON(e, gs)
	}
	for _, g := range gs {
		fmt.Fprintf(e.stdout, "%s\t%d\n", g.Name, g.Members)
	}
	return nil
}

func runRecovery(e *env, args []string) error {
	fs := newFlags("recovery")
	sf := addStoreFlags(fs)
	count := fs.Int("count", recovery.DefaultCount, "")
	left := fs.Bool("left", false, "")
	pos, err := parseArgs(fs, args, 1, 1, "USER")
	if err != nil {
		return err
	}
	if *count < 1 || *count > recovery.MaxCount {
		return usagef("--count %d is out of range (accepted: 1 to %d)", *count, recovery.MaxCount)
	}
	a, err := openAdmin(e, sf)
	if err != nil {
		return err
	}
	defer a.Close()
	ctx := context.Background()
	if *left {
		n, err := a.RecoveryCount(ctx, pos[0])
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, n)
		return nil
	}
	codes, err := a.NewRecoveryCodes(ctx, pos[0], *count)
	if err != nil {
		return adminHint(err)
	}
	for _, c := range codes {
		fmt.Fprintln(e.stdout, c)
	}
	fmt.Fprintf(e.stderr, "%d recovery codes for %s, each good for one login; the old ones no longer work. They are not shown again: keep them offline.\n", len(codes), pos[0])
	return nil
}
