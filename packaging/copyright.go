package main

import (
	"debug/buildinfo"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// copyrightFile is /usr/share/doc/otpgate/copyright in Debian's machine-
// readable format: otpgate itself, then the licence text of every module the
// binary links, read from the module cache the build used.
func copyrightFile(bin string) ([]byte, error) {
	bi, err := buildinfo.ReadFile(bin)
	if err != nil {
		return nil, fmt.Errorf("read the modules of %s: %w", bin, err)
	}
	modcache, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		return nil, fmt.Errorf("go env GOMODCACHE: %w", err)
	}
	var b strings.Builder
	b.WriteString("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nUpstream-Name: otpgate\n\n")
	b.WriteString("Files: *\nCopyright: the otpgate authors\nLicense: otpgate\n No licence has been published for otpgate itself yet.\n")
	apache := false
	for _, m := range bi.Deps {
		if m.Replace != nil {
			m = m.Replace
		}
		text, err := licence(strings.TrimSpace(string(modcache)), m.Path, m.Version)
		if err != nil {
			return nil, err
		}
		name := m.Path + "-licence"
		if isApache2(text) {
			name, apache = "Apache-2.0", true
		}
		fmt.Fprintf(&b, "\nFiles: go-modules/%s\nCopyright: the authors of %s %s\nLicense: %s\n", m.Path, m.Path, m.Version, name)
		if name != "Apache-2.0" {
			fmt.Fprintf(&b, "\nLicense: %s\n%s", name, indent(text))
		}
	}
	if apache {
		b.WriteString("\nLicense: Apache-2.0\n On Debian systems, the full text of the Apache License, Version 2.0, is in\n /usr/share/common-licenses/Apache-2.0.\n")
	}
	return []byte(b.String()), nil
}

// isApache2 recognises the Apache License 2.0, whose text Debian keeps in
// /usr/share/common-licenses and policy says to refer to, not copy.
func isApache2(text string) bool {
	return strings.Contains(text, "Apache License") && strings.Contains(text, "Version 2.0, January 2004")
}

// licence reads a module's LICENSE (or LICENCE, COPYING) file.
func licence(modcache, path, version string) (string, error) {
	escaped := strings.Builder{}
	for _, r := range path {
		if r >= 'A' && r <= 'Z' {
			escaped.WriteString("!" + strings.ToLower(string(r)))
			continue
		}
		escaped.WriteRune(r)
	}
	dir := filepath.Join(modcache, escaped.String()+"@"+version)
	for _, name := range []string{"LICENSE", "LICENSE.md", "LICENSE.txt", "LICENCE", "COPYING", "LICENSE-MIT"} {
		if b, err := os.ReadFile(filepath.Join(dir, name)); err == nil {
			return string(b), nil
		}
	}
	return "", fmt.Errorf("no licence file for %s %s in %s", path, version, dir)
}

// indent formats text as a copyright-format paragraph: each line starts
// with a space and an empty line is " .".
func indent(text string) string {
	var b strings.Builder
	for line := range strings.Lines(strings.TrimRight(text, "\n") + "\n") {
		line = strings.TrimRight(line, " \t\r\n")
		if line == "" {
			line = "."
		}
		b.WriteString(" " + line + "\n")
	}
	return b.String()
}
