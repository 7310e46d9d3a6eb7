package main

import (
	"sort"

	"otpgate.dev/otpgate/internal/buildinfo"
	"otpgate.dev/otpgate/internal/clidoc"
)

// The manual page's own text; everything else in it is the commands' help.
const (
	manDescription = `otpgate generates the one-time codes a VPN login asks for, as
OpenConnect's --token-mode and --token-secret do, and is the server's OATH
token manager for OpenVPN and RADIUS VPNs: it keeps users and tokens in a
store with every secret sealed under a master key, verifies codes with
replay protection, lockout and resync, and runs as a daemon (otpgate serve).

Every command prints its help, with examples, for --help. Errors go to
standard error as one line, "otpgate: error: ...", often followed by
"otpgate: hint: ...". The exit status is 0 on success, 1 on failure and 2
for a usage mistake.
`
	manFiles = `/etc/otpgate/otpgate.toml
    the configuration of otpgate serve, which the admin commands and the
    OpenVPN hooks read too ($OTPGATE_CONFIG names another)

/var/lib/otpgate/otpgate.db, /var/lib/otpgate/master.key
    the store and the master key its secrets are sealed under, owned by the
    otpgate user; run admin commands as that user (sudo -u otpgate otpgate list)

/lib/systemd/system/otpgate.service
    the systemd unit that runs otpgate serve as the otpgate user
`
	manSeeAlso = `The guides in /usr/share/doc/otpgate: serve.md (the configuration),
radius.md, openvpn.md, scaling.md and tokens.md. pam.d(5) for pam:SERVICE
password stacks, systemd.exec(5) for the unit's sandbox.
`
)

// helpPages is the command table as clidoc reads it, with the help of a
// subcommand that has its own.
func helpPages() []clidoc.Page {
	var pages []clidoc.Page
	for _, c := range commands {
		pages = append(pages, clidoc.Page{Name: c.name, Short: c.short, Usage: c.usage})
	}
	pages = append(pages, clidoc.Page{Name: "openvpn client", Usage: openvpnClientUsage},
		clidoc.Page{Name: "openvpn genkey", Usage: genkeyUsage})
	sort.Slice(pages, func(i, j int) bool { return pages[i].Name < pages[j].Name })
	return pages
}

// runHelpDoc is the hidden `otpgate help --man` and `otpgate help
// --completion bash|zsh`, which packaging runs to generate otpgate(1) and
// the completions.
func runHelpDoc(e *env, args []string) int {
	var err error
	switch {
	case len(args) == 1 && args[0] == "--man":
		info := clidoc.ManInfo{Version: buildinfo.Get().Version, Description: manDescription, Files: manFiles, SeeAlso: manSeeAlso}
		err = clidoc.Man(e.stdout, info, helpPages())
	case len(args) == 2 && args[0] == "--completion" && args[1] == "bash":
		err = clidoc.Bash(e.stdout, helpPages())
	case len(args) == 2 && args[0] == "--completion" && args[1] == "zsh":
		err = clidoc.Zsh(e.stdout, helpPages())
	default:
		return report(e, &command{name: "help"}, usagef("unknown help option %q (accepted: --man, --completion bash|zsh)", args[0]))
	}
	return report(e, &command{name: "help"}, err)
}
