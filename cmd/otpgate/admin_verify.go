package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"otpgate.dev/otpgate/internal/admin"
	"otpgate.dev/otpgate/internal/engine"
)

const resyncUsage = `Usage:
    otpgate resync USER CODE1 CODE2 [--db PATH] [--config FILE]
    otpgate resync USER - [--db PATH] [--config FILE]

Resynchronizes USER's HOTP or TOTP token from two consecutive codes it
shows: an HOTP token whose counter ran ahead (up to 1000 codes), a TOTP token
whose clock drifted (up to 1000 time steps). Prints the token's ID. "-"
reads the two codes from standard input (on one line or two), so that they
do not show in the process list.

Examples:
    $ otpgate resync alice 755224 287082
    $ printf '755224\n287082\n' | otpgate resync alice -
`

const verifyUsage = `Usage:
    otpgate verify USER CODE [--json] [--db PATH] [--config FILE]

A test login: checks CODE against USER's tokens exactly as a VPN login
would, using the code up and counting failures. Exit status 0 when accepted,
1 when refused. CODE "-" reads the code from standard input, so that it does
not show in the process list. --json prints the outcome as JSON (user,
accepted, token, reason), refused or not.

Examples:
    $ otpgate verify alice 287082
    accepted by token HZ3V7Q2MRN4XK5YJ
    $ echo 287082 | otpgate verify alice -
    $ otpgate verify alice 287082 --json
`

const testUsage = `Usage:
    otpgate test USER [--json] [--db PATH] [--config FILE]
    otpgate test --token ID [--json] [--db PATH] [--config FILE]

Prints the code USER's HOTP or TOTP token shows now, without using it up,
to compare with the token in the user's hand. With several tokens, each line
is the token ID and its code. For an email or SMS token it sends a test
message, with no code, through the gateway of [oob] in otpgate.toml, and
says where it went. --json prints a list of {id, code} and {id, to,
gateway}.

Examples:
    $ otpgate test alice
    287082
    $ otpgate test dave
    N4XK5YJHZ3V7Q2MR sent a test message to d***@example.org by smtp
`

func init() {
	register(&command{name: "resync", short: "resynchronize a token from two consecutive codes", usage: resyncUsage, run: runResync})
	register(&command{name: "verify", short: "test a login: check a user's code through the engine", usage: verifyUsage, run: runVerify})
	register(&command{name: "test", short: "print the code a user's token shows now, or send a test message", usage: testUsage, run: runTest})
}

func runResync(e *env, args []string) error {
	fs := newFlags("resync")
	sf := addStoreFlags(fs)
	pos, err := parseArgs(fs, args, 2, 3, "USER CODE1 CODE2")
	if err != nil {
		return err
	}
	switch {
	case len(pos) == 2 && pos[1] == "-":
		codes, err := readCodes(e.stdin, 2)
		if err != nil {
			return err
		}
		pos = append(pos[:1], codes...)
	case len(pos) == 2:
		return usagef("missing CODE2 (give USER CODE1 CODE2, or USER - to read both codes from standard input)")
	}
	a, err := openAdmin(e, sf)
	if err != nil {
		return err
	}
	defer a.Close()
	id, err := a.Resync(context.Background(), pos[0], pos[1], pos[2])
	if err != nil {
		return adminHint(err)
	}
	fmt.Fprintln(e.stdout, id)
	return nil
}

func runVerify(e *env, args []string) error {
	fs := newFlags("verify")
	sf := addStoreFlags(fs)
	asJSON := fs.Bool("json", false, "")
	pos, err := parseArgs(fs, args, 2, 2, "USER CODE")
	if err != nil {
		return err
	}
	code := pos[1]
	if code == "-" {
		if code, err = readCode(e.stdin); err != nil {
			return err
		}
	}
	a, err := openAdmin(e, sf)
	if err != nil {
		return err
	}
	defer a.Close()
	res, err := a.Verify(context.Background(), pos[0], code, "admin-cli")
	if err != nil {
		return adminHint(err)
	}
	if *asJSON {
		if err := printJSON(e, verifyOutcome{User: pos[0], Accepted: res.OK, TokenID: res.TokenID, Reason: res.Reason}); err != nil {
			return err
		}
		if !res.OK {
			return exitStatus(1)
		}
		return nil
	}
	if !res.OK {
		return withHint(errors.New("code refused"), "the engine's reason: %s", res.Reason)
	}
	fmt.Fprintf(e.stdout, "accepted by token %s\n", res.TokenID)
	return nil
}

// verifyOutcome is verify --json's output.
type verifyOutcome struct {
	User     string `json:"user"`
	Accepted bool   `json:"accepted"`
	TokenID  string `json:"token,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

// readCode reads one line, the code, from r.
func readCode(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, engine.MaxCodeLen+2)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading the code from standard input: %w", err)
	}
	code := strings.TrimRight(line, "\r\n")
	if code == "" {
		return "", errors.New("no code on standard input")
	}
	return code, nil
}

// readCodes reads n codes from r, separated by spaces or newlines.
func readCodes(r io.Reader, n int) ([]string, error) {
	b, err := io.ReadAll(io.LimitReader(r, int64(n*(engine.MaxCodeLen+2))))
	if err != nil {
		return nil, fmt.Errorf("reading the codes from standard input: %w", err)
	}
	codes := strings.Fields(string(b))
	if len(codes) != n {
		return nil, fmt.Errorf("%d codes on standard input (accepted: exactly %d, separated by spaces or newlines)", len(codes), n)
	}
	return codes, nil
}

func runTest(e *env, args []string) error {
	var asJSON bool
	a, user, token, err := openSelected(e, "test", args, func(fs *flag.FlagSet) { fs.BoolVar(&asJSON, "json", false, "") })
	if err != nil {
		return err
	}
	defer a.Close()
	ctx := context.Background()
	codes, err := a.Current(ctx, user, token)
	if err != nil && !errors.Is(err, admin.ErrNothingToTest) {
		return adminHint(err)
	}
	sent, serr := a.SendTests(ctx, user, token)
	switch {
	case err != nil && errors.Is(serr, admin.ErrNothingToTest):
		return adminHint(err)
	case serr != nil && !errors.Is(serr, admin.ErrNothingToTest):
		return serr
	}
	if asJSON {
		return printJSON(e, testResults(codes, sent))
	}
	for _, c := range codes {
		if len(codes) == 1 && len(sent) == 0 {
			fmt.Fprintln(e.stdout, c.Code)
		} else {
			fmt.Fprintf(e.stdout, "%s %s\n", c.TokenID, c.Code)
		}
	}
	for _, s := range sent {
		fmt.Fprintf(e.stdout, "%s sent a test message to %s by %s\n", s.TokenID, s.To, s.Gateway)
	}
	return nil
}

// testResults lists the codes, then the test messages, as one JSON array
// whose entries each have their token's "id".
func testResults(codes []admin.TokenCode, sent []admin.TestSent) []any {
	out := []any{}
	for _, c := range codes {
		out = append(out, c)
	}
	for _, s := range sent {
		out = append(out, s)
	}
	return out
}
