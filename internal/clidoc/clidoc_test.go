package clidoc

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

const sample = `Usage:
    otpgate tool run [--db PATH] [--json|--yaml] FILE
    otpgate tool stop-all --force
    otpgate tool --list

Runs a tool. --not-a-flag in prose is ignored, and so is
    --this-example-line under a paragraph.

Options:
    --db PATH     the store
    --json        JSON output
    --db PATH     listed twice
    --delete-before WHEN
                  two lines
Token options, as for "otpgate code":
    --token-mode MODE

Example, an OpenVPN line:
    openvpn --management-hold
`

func TestFlags(t *testing.T) {
	want := []string{"--db", "--json", "--yaml", "--force", "--list", "--delete-before", "--token-mode"}
	if got := Flags(sample); !slices.Equal(got, want) {
		t.Errorf("Flags = %q; want %q", got, want)
	}
	if got := Flags("no usage at all\n"); got != nil {
		t.Errorf("Flags(no usage) = %q; want none", got)
	}
}

func TestSubcommands(t *testing.T) {
	if got, want := Subcommands("tool", sample), []string{"run", "stop-all"}; !slices.Equal(got, want) {
		t.Errorf("Subcommands = %q; want %q", got, want)
	}
	if got := Subcommands("other", sample); got != nil {
		t.Errorf("Subcommands(other) = %q; want none", got)
	}
	if got := Subcommands("delete", "Usage:\n    otpgate delete USER [--db PATH]\n"); got != nil {
		t.Errorf("Subcommands(delete USER) = %q; want none", got)
	}
}

func TestRoffLine(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"--db PATH", `\-\-db PATH`},
		{`a\b`, `a\eb`},
		{".hidden request", `\&.hidden request`},
		{"'quote request", `\&'quote request`},
		{"plain", "plain"},
	} {
		if got := roffLine(tt.in); got != tt.want {
			t.Errorf("roffLine(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

// The page has a subsection per page, sorted, and its verbatim blocks are
// closed.
func TestManStructure(t *testing.T) {
	var b bytes.Buffer
	pages := []Page{{Name: "tool", Short: "run tools", Usage: sample}, {Name: "alpha", Short: "first", Usage: "Usage:\n    otpgate alpha\n"}}
	if err := Man(&b, ManInfo{Version: "v1.0.0", Description: "Desc.\n", Files: "/etc/x\n    a file\n", SeeAlso: "pam.d(5)\n"}, pages); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if i, j := strings.Index(out, `.SS "otpgate alpha"`), strings.Index(out, `.SS "otpgate tool"`); i < 0 || j < i {
		t.Errorf("subsections missing or unsorted:\n%s", out)
	}
	if strings.Count(out, ".nf\n") != strings.Count(out, ".fi\n") || !strings.HasPrefix(out, `.TH OTPGATE 1 "" "otpgate v1.0.0"`) {
		t.Errorf("unbalanced .nf/.fi or bad .TH:\n%s", out)
	}
}
