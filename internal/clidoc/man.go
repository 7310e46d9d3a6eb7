package clidoc

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// ManInfo is what the page says besides the commands' help.
type ManInfo struct {
	Version     string // in the footer: "otpgate v1.2.3"
	Description string // the DESCRIPTION paragraphs, plain text
	Files       string // the FILES section, plain text
	SeeAlso     string // the SEE ALSO paragraph, plain text
}

// Man writes the manual page otpgate(1): NAME, SYNOPSIS, DESCRIPTION, one
// COMMANDS subsection per page (commands sorted by name, a subcommand's
// page after its command), FILES and SEE ALSO.
func Man(w io.Writer, info ManInfo, pages []Page) error {
	var b strings.Builder
	fmt.Fprintf(&b, ".TH OTPGATE 1 \"\" \"otpgate %s\" \"User Commands\"\n", roffQuoted(info.Version))
	b.WriteString(".SH NAME\notpgate \\- one-time-password two-factor authentication for VPNs\n")
	b.WriteString(".SH SYNOPSIS\n.B otpgate\n.I COMMAND\n.RI [ options ]\n")
	b.WriteString(".SH DESCRIPTION\n")
	writeText(&b, info.Description)
	b.WriteString(".SH COMMANDS\n")
	sorted := slices.Clone(pages)
	slices.SortStableFunc(sorted, func(a, b Page) int { return strings.Compare(a.Name, b.Name) })
	for _, p := range sorted {
		fmt.Fprintf(&b, ".SS \"otpgate %s\"\n", roffQuoted(p.Name))
		if p.Short != "" {
			b.WriteString(".PP\n" + roffLine(capitalized(p.Short)+".") + "\n")
		}
		writeText(&b, p.Usage)
	}
	b.WriteString(".SH FILES\n")
	writeText(&b, info.Files)
	b.WriteString(".SH \"SEE ALSO\"\n")
	writeText(&b, info.SeeAlso)
	_, err := io.WriteString(w, b.String())
	return err
}

// writeText renders help text: a line ending in a colon alone is a bold
// heading, indented lines are kept as they are (synopses, option tables,
// examples), and other lines are filled paragraphs.
func writeText(b *strings.Builder, text string) {
	verbatim := false
	for line := range strings.Lines(text) {
		line = strings.TrimRight(line, "\n")
		isVerbatim := indented(line)
		if verbatim && !isVerbatim && line != "" {
			b.WriteString(".fi\n.RE\n")
			verbatim = false
		}
		switch {
		case line == "":
			if !verbatim {
				b.WriteString(".PP\n")
			} else {
				b.WriteString("\n")
			}
		case isVerbatim:
			if !verbatim {
				b.WriteString(".RS 4\n.nf\n")
				verbatim = true
			}
			b.WriteString(roffLine(strings.TrimPrefix(strings.ReplaceAll(line, "\t", "    "), "    ")) + "\n")
		case strings.HasSuffix(line, ":") && !strings.Contains(line[:len(line)-1], ". "):
			b.WriteString(".PP\n.B " + roffLine(line) + "\n")
		default:
			b.WriteString(roffLine(line) + "\n")
		}
	}
	if verbatim {
		b.WriteString(".fi\n.RE\n")
	}
}

// roffLine escapes one line of text for groff: backslashes, minus signs
// (so options copy as ASCII '-'), and a leading '.' or '\” that would be
// read as a request.
func roffLine(s string) string {
	s = strings.NewReplacer(`\`, `\e`, "-", `\-`).Replace(s)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}

// roffQuoted escapes s for a quoted macro argument.
func roffQuoted(s string) string {
	return strings.ReplaceAll(roffLine(s), `"`, `\(dq`)
}

func capitalized(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
