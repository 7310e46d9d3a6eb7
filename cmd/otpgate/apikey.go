package main

import (
	"context"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"otpgate.dev/otpgate/internal/apikey"
	"otpgate.dev/otpgate/internal/site"
	"otpgate.dev/otpgate/internal/store"
)

const apikeyUsage = `Usage:
    otpgate apikey create --scope verify|admin [--name NOTE] [--json] [--db PATH] [--config FILE]
    otpgate apikey create --yubico [--name NOTE] [--json] [--db PATH] [--config FILE]
    otpgate apikey list [--json] [--db PATH] [--config FILE]
    otpgate apikey revoke ID [--db PATH] [--config FILE]

Manages the API keys of otpgate serve's HTTPS front end ([web]). create
prints a new key once: the store keeps only its hash, so a lost key is
revoked and replaced, never shown again. The key goes in the caller's
"Authorization: Bearer KEY" header, never in a URL.

--yubico makes a client of the Yubico validation protocol instead (for
pam_yubico and other Yubico clients): a numeric client id and a base64
HMAC-SHA1 key that signs requests and answers, sealed under the master key.

Options:
    --scope SCOPE   verify: POST /api/v1/verify; admin: the admin API
    --yubico        a Yubico validation client (scope verify)
    --name NOTE     who or what holds the key, for list
    --json          JSON output
    --db PATH       the store (default: the configuration's, else the data
                    directory's)
    --config FILE   otpgate serve's configuration (default: $OTPGATE_CONFIG,
                    else /etc/otpgate/otpgate.toml when it exists)

Examples:
    $ otpgate apikey create --scope verify --name "intranet login"
    id:      kq3v7xm2rn4xk5yj
    scope:   verify
    key:     otpgate_kq3v7xm2rn4xk5yj_...
    $ otpgate apikey create --yubico --name "bastion pam_yubico"
    id:      1
    scope:   verify
    key:     Xm6j0V3a5eXk0bqH0Y+Xl4Hu2Jk=
    $ otpgate apikey list
    $ otpgate apikey revoke kq3v7xm2rn4xk5yj
`

func init() {
	register(&command{name: "apikey", short: "create, list and revoke the HTTPS front end's API keys", usage: apikeyUsage, run: runAPIKey})
}

func runAPIKey(e *env, args []string) error {
	if len(args) == 0 {
		return usagef("missing subcommand (accepted: create, list, revoke)")
	}
	switch args[0] {
	case "create":
		return apikeyCreate(e, args[1:])
	case "list":
		return apikeyList(e, args[1:])
	case "revoke":
		return apikeyRevoke(e, args[1:])
	case "-h", "--help", "-help", "help":
		return errHelp
	}
	return usagef("unknown subcommand %q (accepted: create, list, revoke)", args[0])
}

func apikeyCreate(e *env, args []string) error {
	fs := newFlags("apikey create")
	sf := addStoreFlags(fs)
	scope := fs.String("scope", "", "")
	yubico := fs.Bool("yubico", false, "")
	name := fs.String("name", "", "")
	asJSON := fs.Bool("json", false, "")
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	switch {
	case *yubico && *scope != "" && *scope != apikey.ScopeVerify:
		return usagef("--yubico makes a key of scope verify; it takes no --scope %s", *scope)
	case !*yubico && *scope == "":
		return usagef("missing --scope (accepted: verify, admin) or --yubico")
	}
	m, done, err := openKeys(e, sf)
	if err != nil {
		return err
	}
	defer done()
	var c apikey.Created
	if *yubico {
		c, err = m.CreateYubico(context.Background(), *name)
	} else {
		c, err = m.Create(context.Background(), *scope, *name)
	}
	if err != nil {
		return err
	}
	return printCreated(e, c, *asJSON)
}

// createdJSON is create's --json output: the only one with a key.
type createdJSON struct {
	keyJSON
	Key string `json:"key"`
}

func printCreated(e *env, c apikey.Created, asJSON bool) error {
	if asJSON {
		return printJSON(e, createdJSON{keyView(c.APIKey), c.Key})
	}
	fmt.Fprintf(e.stdout, "id:      %s\nscope:   %s\nkey:     %s\n", c.ID, c.Scope, c.Key)
	if c.Kind == store.YubicoClient {
		e.hintf("in pam_yubico: id=%s key=KEY urllist=https://HOST:PORT/wsapi/2.0/verify; the key is not shown again", c.ID)
	} else {
		e.hintf(`send it as "Authorization: Bearer KEY"; it is not shown again`)
	}
	return nil
}

// keyJSON is one key in list --json.
type keyJSON struct {
	ID      string     `json:"id"`
	Kind    string     `json:"kind"`
	Scope   string     `json:"scope"`
	Name    string     `json:"name"`
	Created time.Time  `json:"created"`
	Revoked *time.Time `json:"revoked"`
}

func keyView(k store.APIKey) keyJSON {
	v := keyJSON{ID: k.ID, Kind: string(k.Kind), Scope: k.Scope, Name: k.Name, Created: k.Created.UTC()}
	if !k.Revoked.IsZero() {
		r := k.Revoked.UTC()
		v.Revoked = &r
	}
	return v
}

func apikeyList(e *env, args []string) error {
	fs := newFlags("apikey list")
	sf := addStoreFlags(fs)
	asJSON := fs.Bool("json", false, "")
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	m, done, err := openKeys(e, sf)
	if err != nil {
		return err
	}
	defer done()
	ks, err := m.List(context.Background())
	if err != nil {
		return err
	}
	if *asJSON {
		out := make([]keyJSON, 0, len(ks))
		for _, k := range ks {
			out = append(out, keyView(k))
		}
		return printJSON(e, out)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKIND\tSCOPE\tCREATED\tREVOKED\tNAME")
	for _, k := range ks {
		revoked := "-"
		if !k.Revoked.IsZero() {
			revoked = k.Revoked.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Kind, k.Scope, k.Created.UTC().Format(time.RFC3339), revoked, cell(k.Name))
	}
	return tw.Flush()
}

func apikeyRevoke(e *env, args []string) error {
	fs := newFlags("apikey revoke")
	sf := addStoreFlags(fs)
	pos, err := parseArgs(fs, args, 1, 1, "the ID of the key to revoke")
	if err != nil {
		return err
	}
	m, done, err := openKeys(e, sf)
	if err != nil {
		return err
	}
	defer done()
	if err := m.Revoke(context.Background(), pos[0]); err != nil {
		if errors.Is(err, apikey.ErrNotFound) {
			return withHint(err, `run "otpgate apikey list" for the keys`)
		}
		return err
	}
	fmt.Fprintf(e.stdout, "revoked %s\n", pos[0])
	return nil
}

// openKeys opens the existing store and master key that sf and the
// configuration name; done closes them.
func openKeys(e *env, sf *storeFlags) (*apikey.Manager, func(), error) {
	_, h, err := sf.open(e, site.MustExist)
	if err != nil {
		return nil, nil, err
	}
	return apikey.New(h.Store, h.Box, e.now), func() { h.Close() }, nil
}
