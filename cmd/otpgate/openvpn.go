package main

import (
	"context"
	"log/slog"

	"otpgate.dev/otpgate/internal/auth"
	"otpgate.dev/otpgate/internal/openvpn"
	"otpgate.dev/otpgate/internal/openvpn/handoff"
	"otpgate.dev/otpgate/internal/primary"
)

const openvpnUsage = `Usage:
    otpgate openvpn verify [FILE]        auth-user-pass-verify (via-file or via-env)
    otpgate openvpn crresponse [FILE]    client-crresponse (answers a crtext challenge)
    otpgate openvpn client-connect FILE  client-connect (pushes an auth-token)
    otpgate openvpn client [options]     log a local OpenVPN client in with
                                         codes from a token (see --help)
    otpgate openvpn genkey PATH          create the auth-token key
                                         (otpgateAuthTokenKey, token_key_file)

The OpenVPN 2.6 server runs these as scripts; they read OpenVPN's
environment and exit as OpenVPN expects (0 accept, 1 refuse, 2 pending).
Configure them with setenv in server.conf:

    setenv totpTokenDbPath /var/lib/otpgate/otpgate.db   (default: the data directory)
    setenv totpChallengeTimeout 300
    setenv totpChallengeText "Please enter your TOTP code"
    setenv otpgateStyle crtext        crtext, crv1, static, append or code
    setenv otpgatePrimary none        none, htpasswd:/etc/openvpn/users.htpasswd, pam:openvpn
                                      or ldap (the [ldap] table of the configuration file)
    setenv OTPGATE_CONFIG /etc/otpgate/otpgate.toml   the configuration file (this is the default);
                                      with an [ldap] table every login also follows the
                                      directory: names, groups, disabled accounts
    setenv otpgateAuthTokenKey /etc/otpgate/authtoken.key

Example server.conf:
    script-security 2
    auth-user-pass-verify "/usr/bin/otpgate openvpn verify" via-file
    client-crresponse "/usr/bin/otpgate openvpn crresponse"
    client-connect "/usr/bin/otpgate openvpn client-connect"
`

func init() {
	register(&command{name: "openvpn", short: "OpenVPN server script hooks and the client helper (openvpn client)", usage: openvpnUsage, run: runOpenVPN})
}

// exitStatus makes run() exit with an exact status and print nothing more:
// OpenVPN reads a hook's status, and the hook has logged why.
type exitStatus int

func (s exitStatus) Error() string { return "exit status" }

// checkHookArgs refuses what OpenVPN never passes a hook, before the hook
// runs and logs a refusal: --help, a missing or extra file.
func checkHookArgs(name string, args []string) error {
	for _, a := range args {
		if a == "--help" || a == "-help" || a == "-h" {
			return errHelp
		}
	}
	min, max := 0, 1 // verify and crresponse: FILE, or none via-env
	switch name {
	case openvpn.ScriptVerify, openvpn.ScriptCRResponse:
	case openvpn.ScriptClientConnect:
		min = 1
	default:
		return usagef("unknown hook %q (accepted: verify, crresponse, client-connect)", name)
	}
	switch {
	case len(args) < min:
		return usagef("%s needs the file OpenVPN names (client-connect \"/usr/bin/otpgate openvpn client-connect\" passes it)", name)
	case len(args) > max:
		return usagef("unexpected argument %q", args[max])
	}
	return nil
}

func runOpenVPN(e *env, args []string) error {
	if len(args) == 0 || args[0] == "--help" || args[0] == "-h" {
		if len(args) == 0 {
			return usagef("name the hook: verify, crresponse or client-connect (or client for the client helper)")
		}
		return errHelp
	}
	name := args[0]
	switch name {
	case "client":
		return runOpenVPNClient(e, args[1:])
	case "genkey":
		return runOpenVPNGenkey(e, args[1:])
	}
	if err := checkHookArgs(name, args[1:]); err != nil {
		return err
	}
	env := openvpn.OSEnv()
	cfg, err := openvpn.ConfigFromEnv(env)
	if err != nil {
		return err
	}
	if _, err := primary.ParseSpec(env["otpgatePrimary"]); err != nil {
		return err
	}
	flags := storeFlags{db: cfg.TokenDBPath}
	st, err := flags.find(e)
	if err != nil {
		return err
	}
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(e.stderr, nil))
	svc := &hookService{e: e, socket: hookSocket(env), log: log, rules: len(st.Config.Policy.Rule) > 0,
		cfg: serviceConfig{store: flags, primary: env["otpgatePrimary"],
			auth: auth.Config{ChallengeTTL: cfg.ChallengeTimeout, Prompt: cfg.ChallengeText}, oneShot: true},
		params: handoff.Params{DB: st.DB, Primary: env["otpgatePrimary"], ChallengeTTL: cfg.ChallengeTimeout, Prompt: cfg.ChallengeText}}
	defer svc.Close()
	h, err := openvpn.NewHook(cfg, svc, log)
	if err != nil {
		return err
	}
	if code := h.Run(ctx, name, env, args[1:]); code != 0 {
		return exitStatus(code)
	}
	return nil
}

// hookSocket is where the hook looks for otpgate serve.
func hookSocket(env openvpn.Env) string {
	if p := env[openvpn.EnvHookSocket]; p != "" {
		return p
	}
	return openvpn.DefaultHookSocket
}
