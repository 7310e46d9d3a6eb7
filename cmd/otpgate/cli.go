package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"golang.org/x/term"
)

// env is everything a command touches outside its arguments, so that tests
// can drive run() with their own streams, environment and clock.
type env struct {
	stdin                                         io.Reader
	stdout, stderr                                io.Writer
	getenv                                        func(string) string
	now                                           func() time.Time
	stdinTerminal, stdoutTerminal, stderrTerminal bool
	readPassword                                  func(prompt string) ([]byte, error)
	// configFile is the configuration file read when it exists and none
	// is named: site.SystemConfig, or "" in tests.
	configFile string
	uid        int // the effective user, for the data directory
}

func (e *env) warnf(format string, args ...any) {
	fmt.Fprintf(e.stderr, "otpgate: warning: "+format+"\n", args...)
}

func (e *env) hintf(format string, args ...any) {
	fmt.Fprintf(e.stderr, "otpgate: hint: "+format+"\n", args...)
}

// command is one subcommand. run returns a *usageError for bad invocations
// (exit 2) and any other error for failures (exit 1).
type command struct {
	name  string
	short string
	usage string
	run   func(e *env, args []string) error
}

var commands = map[string]*command{}

func register(c *command) { commands[c.name] = c }

// errHelp asks report() to print the command's usage.
var errHelp = flag.ErrHelp

// usageError is a mistake in how a command was called.
type usageError struct{ msg, hint string }

func (u *usageError) Error() string { return u.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// hintError is a failure with a suggestion for the user.
type hintError struct {
	err  error
	hint string
}

func (h *hintError) Error() string { return h.err.Error() }
func (h *hintError) Unwrap() error { return h.err }

func withHint(err error, format string, args ...any) error {
	return &hintError{err: err, hint: fmt.Sprintf(format, args...)}
}

const mainUsage = `otpgate: one-time-password two-factor authentication for VPNs.

Usage:
    otpgate COMMAND [options]

Commands:
%s
Run "otpgate COMMAND --help" for a command's options and examples.
`

func run(args []string, e *env) int {
	if len(args) == 0 {
		fmt.Fprintf(e.stderr, mainUsage, commandList())
		return 2
	}
	switch args[0] {
	case "help", "-h", "--help", "-help":
		if len(args) > 1 && strings.HasPrefix(args[1], "--") {
			return runHelpDoc(e, args[1:])
		}
		if len(args) > 1 {
			if c, ok := commands[args[1]]; ok {
				fmt.Fprint(e.stdout, c.usage)
				return 0
			}
		}
		fmt.Fprintf(e.stdout, mainUsage, commandList())
		return 0
	case "version", "--version", "-version":
		return runVersion(e)
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(e.stderr, "otpgate: error: unknown command %q\n", args[0])
		e.hintf("run \"otpgate help\" for the list of commands")
		return 2
	}
	return report(e, c, c.run(e, args[1:]))
}

// report prints err the otpgate way and returns the exit status.
func report(e *env, c *command, err error) int {
	if err == nil {
		return 0
	}
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(e.stdout, c.usage)
		return 0
	}
	var status exitStatus
	if errors.As(err, &status) {
		return int(status)
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(e.stderr, "otpgate %s: error: %s\n", c.name, oneLine(ue.msg))
		if ue.hint != "" {
			e.hintf("%s", ue.hint)
		} else {
			e.hintf("run \"otpgate %s --help\" for usage and examples", c.name)
		}
		return 2
	}
	fmt.Fprintf(e.stderr, "otpgate: error: %s\n", oneLine(err.Error()))
	var he *hintError
	if errors.As(err, &he) {
		e.hintf("%s", he.hint)
	}
	return 1
}

// oneLine keeps an error to one line whatever text it quotes.
func oneLine(s string) string {
	return strings.NewReplacer("\n", `\n`, "\r", `\r`).Replace(s)
}

func commandList() string {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "    %-10s %s\n", n, commands[n].short)
	}
	return b.String()
}

// newFlags returns a flag set whose parse errors become usage errors and
// whose output is discarded: report() prints errors, and --help prints the
// hand-written usage.
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parseFlags parses args and refuses positional arguments beyond max.
func parseFlags(fs *flag.FlagSet, args []string, max int) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usagef("%s", err)
	}
	if fs.NArg() > max {
		return usagef("unexpected argument %q", fs.Arg(max))
	}
	return nil
}

func readPasswordTTY(prompt string) ([]byte, error) {
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return nil, errors.New("no terminal to ask for it on")
	}
	defer tty.Close()
	fmt.Fprint(tty, prompt)
	pw, err := term.ReadPassword(int(tty.Fd()))
	fmt.Fprintln(tty)
	return pw, err
}
