package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
	"unicode"

	"otpgate.dev/otpgate/internal/client"
	"otpgate.dev/otpgate/internal/openvpn"
	"otpgate.dev/otpgate/internal/openvpn/mgmt"
)

const openvpnClientUsage = `Usage:
    otpgate openvpn client --management ADDR --user NAME --token-mode MODE
                           --token-secret SPEC [options]

Logs a local OpenVPN client in through its management interface, answering
its prompts as OpenConnect does with --token-mode: the username and password,
then the one-time code for a static challenge, a CRV1 dynamic challenge or a
crtext challenge, whichever the server uses. The first two codes come from the
token (a time-based token waits for a fresh code before the second); after a
second refusal the code is asked for on the terminal. HOTP counters in a token
file advance only for codes actually sent.

It exits 0 once OpenVPN reports CONNECTED (with --stay, once OpenVPN exits
after connecting), and 1 when the server refuses the login after the retries or
OpenVPN goes away. Start OpenVPN first, with:

    openvpn --config vpn.ovpn --management ADDR unix \
        --management-query-passwords --management-hold \
        --auth-user-pass --auth-retry interact --setenv IV_SSO crtext

(for a HOST:PORT address, write --management HOST PORT).

Options:
    --management ADDR     the management interface: a Unix socket path or
                          HOST:PORT
    --management-password-file FILE  the interface's password, if it has one
    --user NAME           the VPN username
    --password-file FILE  the VPN password (also $OTPGATE_PASSWORD; asked on
                          the terminal)
    --style STYLE         what a plain password prompt gets: the password
                          alone, the code following in a challenge (crtext,
                          the default; also crv1, static), the password and
                          the code (append), or the code alone (code)
    --stay                keep answering (re-authentication, reconnection)
                          until OpenVPN exits
    --verbose             log each step on standard error

Token options, as for "otpgate code" (see "otpgate code --help"):
    --token-mode MODE     totp, hotp, rsa or yubioath
    --token-secret SPEC   the token (SPEC, @FILE, - for standard input; also
                          $OTPGATE_TOKEN_SECRET)
    --digits N, --period SECONDS, --key-id ID, --pskc-key-file FILE,
    --pskc-password-file FILE, --pin-file FILE, --devid ID
    --token-password-file FILE  the SecurID token's password (what
                          "otpgate code" calls --password-file)

Every FILE may start with ~/ or ~user/, and must be readable by its owner
alone (chmod 600 FILE), as for "otpgate code".

Examples:
    $ openvpn --config vpn.ovpn --management /run/user/1000/vpn.sock unix \
          --management-query-passwords --management-hold \
          --auth-user-pass --auth-retry interact --daemon
    $ otpgate openvpn client --management /run/user/1000/vpn.sock \
          --user alice --password-file ~/.config/vpn.pass \
          --token-mode totp --token-secret @~/.config/vpn.totp
    $ otpgate openvpn client --management 127.0.0.1:7505 --user alice \
          --style code --token-mode rsa --token-secret @token.sdtid
`

// errConnected ends a run when OpenVPN reports CONNECTED.
var errConnected = errors.New("connected")

// vpnClientFlags are the options of `otpgate openvpn client`.
type vpnClientFlags struct {
	token                          codeFlags
	addr, mgmtPwFile, user, pwFile string
	style                          string
	stay, verbose                  bool
}

func runOpenVPNClient(e *env, args []string) error {
	f, err := parseVPNClientFlags(args)
	if errors.Is(err, errHelp) {
		fmt.Fprint(e.stdout, openvpnClientUsage)
		return nil
	}
	var ue *usageError
	if errors.As(err, &ue) && ue.hint == "" {
		ue.hint = `run "otpgate openvpn client --help" for usage and examples`
	}
	if err != nil {
		return err
	}
	gen, err := newVPNCodes(e, &f.token)
	if err != nil {
		return err
	}
	f.addr = e.client().Path(f.addr)
	c, err := f.client(e, gen)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	conn, err := dialManagement(ctx, f.addr)
	if err != nil {
		return err
	}
	return f.run(ctx, c, conn)
}

func parseVPNClientFlags(args []string) (*vpnClientFlags, error) {
	f := &vpnClientFlags{}
	fs := newFlags("openvpn client")
	f.token.addTokenFlags(fs, "token-password-file")
	fs.StringVar(&f.addr, "management", "", "")
	fs.StringVar(&f.mgmtPwFile, "management-password-file", "", "")
	fs.StringVar(&f.user, "user", "", "")
	fs.StringVar(&f.pwFile, "password-file", "", "")
	fs.StringVar(&f.style, "style", string(openvpn.StyleCRText), "")
	fs.BoolVar(&f.stay, "stay", false, "")
	fs.BoolVar(&f.verbose, "verbose", false, "")
	if err := parseFlags(fs, args, 0); err != nil {
		return nil, err
	}
	switch {
	case f.addr == "":
		return nil, usagef("--management ADDR is required: the Unix socket path or HOST:PORT of OpenVPN's management interface")
	case f.user == "":
		return nil, usagef("--user NAME is required")
	}
	if _, err := mgmt.Quote(f.user); err != nil {
		return nil, usagef("--user must be at most %d bytes without control characters", mgmt.MaxParam)
	}
	if _, err := openvpn.ParseStyle(f.style); err != nil {
		return nil, usagef("unknown --style %q (accepted: crtext, crv1, static, append, code)", f.style)
	}
	return f, nil
}

// client builds the management client: the credentials, the codes and the
// terminal prompt.
func (f *vpnClientFlags) client(e *env, gen *vpnCodes) (*mgmt.Client, error) {
	style, _ := openvpn.ParseStyle(f.style)
	c := &mgmt.Client{Username: f.user, Style: style, Code: gen.code, Prompt: promptCode(e), Log: f.logger(e)}
	var err error
	if style != openvpn.StyleCode {
		if c.Password, err = f.password(e); err != nil {
			return nil, err
		}
	}
	if f.mgmtPwFile != "" {
		if c.ManagementPassword, err = client.ReadSecretFile(e.client().Path(f.mgmtPwFile)); err != nil {
			return nil, fmt.Errorf("openvpn client: management password: %w", err)
		}
	}
	return c, nil
}

// password reads the VPN password from --password-file, the environment or
// the terminal.
func (f *vpnClientFlags) password(e *env) (string, error) {
	pw, err := e.client().Secret(f.pwFile, client.EnvVPNPassword, "VPN password for "+f.user+": ")
	switch {
	case err != nil && f.pwFile != "":
		return "", fmt.Errorf("openvpn client: VPN password: %w", err)
	case err != nil:
		return "", withHint(fmt.Errorf("openvpn client: no VPN password given: %w", err),
			"give --password-file FILE or $%s (or --style code if the server wants the code alone)", client.EnvVPNPassword)
	}
	if _, err := mgmt.Quote(pw); err != nil {
		return "", fmt.Errorf("openvpn client: the VPN password must be at most %d bytes without control characters", mgmt.MaxParam)
	}
	return pw, nil
}

// logger shows the management client's errors, and with --verbose each
// step, in otpgate's voice.
func (f *vpnClientFlags) logger(e *env) *slog.Logger {
	level := slog.LevelError
	if f.verbose {
		level = slog.LevelInfo
	}
	return slog.New(&lineHandler{w: e.stderr, level: level})
}

// lineHandler writes records as "otpgate: [warning: ]msg key=value".
type lineHandler struct {
	w     io.Writer
	level slog.Level
	attrs []slog.Attr
}

func (h *lineHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *lineHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString("otpgate: ")
	switch {
	case r.Level >= slog.LevelError:
		b.WriteString("error: ")
	case r.Level >= slog.LevelWarn:
		b.WriteString("warning: ")
	}
	b.WriteString(r.Message)
	write := func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%q", a.Key, a.Value.String())
		return true
	}
	for _, a := range h.attrs {
		write(a)
	}
	r.Attrs(write)
	_, err := fmt.Fprintln(h.w, oneLine(b.String()))
	return err
}

func (h *lineHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &lineHandler{w: h.w, level: h.level, attrs: append(append([]slog.Attr(nil), h.attrs...), attrs...)}
}

func (h *lineHandler) WithGroup(string) slog.Handler { return h }

// promptCode asks the user for a code on the terminal once the generated
// ones were refused. The server's prompt text loses its control characters
// so that it cannot drive the terminal.
func promptCode(e *env) func(context.Context, string, bool) (string, error) {
	return func(_ context.Context, text string, _ bool) (string, error) {
		text = strings.Map(func(r rune) rune {
			if unicode.IsPrint(r) {
				return r
			}
			return '?'
		}, text)
		code, err := e.readPassword(strings.TrimRight(text, ": ") + ": ")
		return string(code), err
	}
}

// dialManagement connects to ADDR: an absolute or relative socket path,
// "unix:PATH", or HOST:PORT.
func dialManagement(ctx context.Context, addr string) (net.Conn, error) {
	target := addr
	if !strings.HasPrefix(addr, "unix:") && !strings.HasPrefix(addr, "/") && !strings.Contains(addr, ":") {
		if abs, err := filepath.Abs(addr); err == nil {
			target = abs
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := mgmt.Dial(ctx, target)
	if err != nil {
		return nil, withHint(fmt.Errorf("openvpn client: cannot reach the management interface %s: %w", addr, err),
			"start openvpn first, with %s", strings.Join(mgmt.ClientFlags(strings.TrimPrefix(target, "unix:")), " "))
	}
	return conn, nil
}

// run drives OpenVPN until it reports CONNECTED (or exits, with --stay).
func (f *vpnClientFlags) run(ctx context.Context, c *mgmt.Client, conn net.Conn) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	if !f.stay {
		c.OnConnected = func() { cancel(errConnected) }
	}
	err := c.Run(ctx, conn)
	switch {
	case err == nil, errors.Is(err, errConnected):
		return nil
	case errors.Is(err, mgmt.ErrGaveUp):
		return withHint(fmt.Errorf("openvpn client: the VPN server refused the login (AUTH_FAILED): %w", err),
			"the first %d codes came from the token: check --user, the password, the token and the clock, or run on a terminal to type a code", mgmt.AutoAttempts)
	case errors.Is(err, mgmt.ErrPasswordRefused):
		return withHint(errors.New("openvpn client: the VPN server refused the password (AUTH_FAILED) before asking for a code"),
			"check --user and the password; no code was used")
	case errors.Is(err, context.Canceled):
		return errors.New("openvpn client: interrupted before OpenVPN connected")
	}
	return fmt.Errorf("openvpn client: %w", err)
}

// vpnCodes generates the codes the client sends, one per attempt and only
// when it is about to be sent, so that an HOTP counter advances only for
// codes actually sent.
type vpnCodes struct {
	e     *env
	f     *codeFlags
	tok   *client.Token
	until time.Time
}

// newVPNCodes opens the token and checks it without using a code, so that a
// bad spec, file or password fails before OpenVPN is touched.
func newVPNCodes(e *env, f *codeFlags) (*vpnCodes, error) {
	tok, err := f.open(e)
	if err != nil {
		return nil, err
	}
	if err := tok.Check(); err != nil {
		return nil, f.clientError(err)
	}
	return &vpnCodes{e: e, f: f, tok: tok}, nil
}

// code is mgmt.Client's Code: a fresh code for each attempt.
func (g *vpnCodes) code(ctx context.Context, attempt int) (string, error) {
	if attempt > 1 {
		if err := g.waitFresh(ctx); err != nil {
			return "", err
		}
	}
	res, err := g.tok.Codes(client.Query{Now: g.e.now()})
	if err != nil {
		return "", g.f.clientError(err)
	}
	if len(res.Codes) == 0 {
		return "", errors.New("openvpn client: the token gave no code")
	}
	g.until = res.Codes[0].ValidUntil
	return res.Codes[0].Code, nil
}

// waitFresh waits until the last time-based code sent has expired: the
// server may have refused it as already used.
func (g *vpnCodes) waitFresh(ctx context.Context) error {
	d := g.until.Sub(g.e.now())
	if g.until.IsZero() || d <= 0 {
		return nil
	}
	fmt.Fprintf(g.e.stderr, "otpgate: waiting %s for a fresh code\n", d.Round(time.Second))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
