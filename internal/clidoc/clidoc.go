// Package clidoc turns otpgate's help texts into a manual page (man(7)
// macros) and bash and zsh completion scripts, so the packaged manual and
// completions say exactly what `otpgate COMMAND --help` says: the help text
// is the one source. Use [Man], [Bash] and [Zsh] on the command table.
//
// A help text is plain text: a "Usage:" block of indented synopsis lines,
// paragraphs, and sections whose heading ends in a colon. Flags are the
// first word of the indented lines under a heading that mentions
// "options"; subcommands are the word after the command's name in its
// synopsis lines, when that word is lower case.
package clidoc

import (
	"regexp"
	"slices"
	"strings"
)

// Page is one command's help.
type Page struct {
	Name  string // "serve", or "openvpn client" for a subcommand's own help
	Short string // one line for the command list
	Usage string // what --help prints
}

// Flags returns the long options a help text shows in its synopsis or
// lists under its options headings, in order, once each.
func Flags(usage string) []string {
	var flags []string
	for _, line := range synopsis(usage) {
		for _, m := range synopsisFlagRE.FindAllStringSubmatch(line, -1) {
			if !slices.Contains(flags, m[1]) {
				flags = append(flags, m[1])
			}
		}
	}
	inOptions := false
	for line := range strings.Lines(usage) {
		line = strings.TrimRight(line, "\n")
		switch {
		case line == "":
		case !indented(line):
			inOptions = strings.HasSuffix(line, ":") && strings.Contains(strings.ToLower(line), "options")
		case inOptions:
			if m := flagRE.FindStringSubmatch(line); m != nil && !slices.Contains(flags, m[1]) {
				flags = append(flags, m[1])
			}
		}
	}
	return flags
}

var (
	flagRE         = regexp.MustCompile(`^\s+(--[a-z][a-z0-9-]*)`)
	synopsisFlagRE = regexp.MustCompile(`(?:^|[\s\[|])(--[a-z][a-z0-9-]*)`)
	subRE          = regexp.MustCompile(`^[a-z][a-z-]*$`)
)

func indented(line string) bool { return strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t") }

// Subcommands returns the subcommands the synopsis of command name shows
// ("verify", "client" for openvpn), in order, once each.
func Subcommands(name, usage string) []string {
	var subs []string
	for _, line := range synopsis(usage) {
		f := strings.Fields(line)
		if len(f) >= 3 && f[0] == "otpgate" && f[1] == name && subRE.MatchString(f[2]) && !slices.Contains(subs, f[2]) {
			subs = append(subs, f[2])
		}
	}
	return subs
}

// synopsis returns the indented lines of the "Usage:" block.
func synopsis(usage string) []string {
	var lines []string
	in := false
	for line := range strings.Lines(usage) {
		line = strings.TrimRight(line, "\n")
		switch {
		case line == "Usage:":
			in = true
		case in && indented(line):
			lines = append(lines, strings.TrimSpace(line))
		case in:
			return lines
		}
	}
	return lines
}

// tree is the command table as completion needs it: each command's
// subcommands and the flags of each command and subcommand.
type tree struct {
	names []string
	subs  map[string][]string
	flags map[string][]string // "serve", "openvpn client"
}

func newTree(pages []Page) tree {
	t := tree{subs: map[string][]string{}, flags: map[string][]string{}}
	for _, p := range pages {
		cmd, sub, _ := strings.Cut(p.Name, " ")
		if sub == "" {
			t.names = append(t.names, cmd)
			t.subs[cmd] = Subcommands(cmd, p.Usage)
		}
		t.flags[p.Name] = Flags(p.Usage)
		if !slices.Contains(t.flags[p.Name], "--help") {
			t.flags[p.Name] = append(t.flags[p.Name], "--help")
		}
	}
	slices.Sort(t.names)
	return t
}
