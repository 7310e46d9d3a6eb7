package clidoc

import (
	"fmt"
	"io"
	"strings"
)

// Bash writes a bash completion script for otpgate (bash-completion loads
// it from its completions directory by the command's name): commands, then
// subcommands, then the flags of the command or subcommand after a '-',
// and file names otherwise.
func Bash(w io.Writer, pages []Page) error {
	t := newTree(pages)
	var b strings.Builder
	b.WriteString("# bash completion for otpgate, generated from its help texts by otpgate help --completion bash\n")
	b.WriteString("_otpgate() {\n\tlocal cur=${COMP_WORDS[COMP_CWORD]} opts=\n")
	fmt.Fprintf(&b, "\tif [ \"$COMP_CWORD\" -eq 1 ]; then\n\t\tCOMPREPLY=($(compgen -W %q -- \"$cur\"))\n\t\treturn\n\tfi\n",
		strings.Join(append(t.names, "help", "version"), " "))
	b.WriteString("\tcase ${COMP_WORDS[1]} in\n")
	for _, cmd := range t.names {
		fmt.Fprintf(&b, "\t%s)\n", cmd)
		if subs := t.subs[cmd]; len(subs) > 0 {
			fmt.Fprintf(&b, "\t\tif [ \"$COMP_CWORD\" -eq 2 ]; then\n\t\t\tCOMPREPLY=($(compgen -W %q -- \"$cur\"))\n\t\t\treturn\n\t\tfi\n", strings.Join(subs, " "))
			b.WriteString("\t\tcase ${COMP_WORDS[2]} in\n")
			for _, sub := range subs {
				if f, ok := t.flags[cmd+" "+sub]; ok {
					fmt.Fprintf(&b, "\t\t%s) opts=%q ;;\n", sub, strings.Join(f, " "))
				}
			}
			fmt.Fprintf(&b, "\t\t*) opts=%q ;;\n\t\tesac ;;\n", strings.Join(t.flags[cmd], " "))
			continue
		}
		fmt.Fprintf(&b, "\t\topts=%q ;;\n", strings.Join(t.flags[cmd], " "))
	}
	fmt.Fprintf(&b, "\thelp)\n\t\tCOMPREPLY=($(compgen -W %q -- \"$cur\"))\n\t\treturn ;;\n\tesac\n", strings.Join(t.names, " "))
	b.WriteString("\tif [[ $cur == -* ]]; then\n\t\tCOMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n")
	b.WriteString("\telse\n\t\tCOMPREPLY=($(compgen -f -- \"$cur\"))\n\tfi\n}\ncomplete -o filenames -F _otpgate otpgate\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// Zsh writes a zsh completion function (#compdef otpgate, for a directory
// on $fpath) that shows each command's one-line description.
func Zsh(w io.Writer, pages []Page) error {
	t := newTree(pages)
	short := map[string]string{}
	for _, p := range pages {
		short[p.Name] = p.Short
	}
	var b strings.Builder
	b.WriteString("#compdef otpgate\n# zsh completion for otpgate, generated from its help texts by otpgate help --completion zsh\n\n")
	b.WriteString("_otpgate() {\n\tlocal -a commands subs opts\n\tcommands=(\n")
	for _, cmd := range t.names {
		fmt.Fprintf(&b, "\t\t%s\n", zshQuote(cmd+":"+short[cmd]))
	}
	b.WriteString("\t\t'help:print the help of a command'\n\t\t'version:print the version'\n\t)\n")
	b.WriteString("\tif (( CURRENT == 2 )); then\n\t\t_describe command commands\n\t\treturn\n\tfi\n")
	b.WriteString("\tcase $words[2] in\n")
	for _, cmd := range t.names {
		fmt.Fprintf(&b, "\t%s)\n", cmd)
		if subs := t.subs[cmd]; len(subs) > 0 {
			fmt.Fprintf(&b, "\t\tif (( CURRENT == 3 )); then\n\t\t\tsubs=(%s)\n\t\t\tcompadd -a subs\n\t\t\treturn\n\t\tfi\n", strings.Join(subs, " "))
			b.WriteString("\t\tcase $words[3] in\n")
			for _, sub := range subs {
				if f, ok := t.flags[cmd+" "+sub]; ok {
					fmt.Fprintf(&b, "\t\t%s) opts=(%s) ;;\n", sub, strings.Join(f, " "))
				}
			}
			fmt.Fprintf(&b, "\t\t*) opts=(%s) ;;\n\t\tesac ;;\n", strings.Join(t.flags[cmd], " "))
			continue
		}
		fmt.Fprintf(&b, "\t\topts=(%s) ;;\n", strings.Join(t.flags[cmd], " "))
	}
	fmt.Fprintf(&b, "\thelp)\n\t\tsubs=(%s)\n\t\tcompadd -a subs\n\t\treturn ;;\n\tesac\n", strings.Join(t.names, " "))
	b.WriteString("\tif [[ $PREFIX == -* ]]; then\n\t\tcompadd -a opts\n\telse\n\t\t_files\n\tfi\n}\n\n_otpgate \"$@\"\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func zshQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
