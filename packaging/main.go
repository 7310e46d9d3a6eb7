// Command packaging builds otpgate's Debian packages with
// github.com/goreleaser/nfpm/v2, from the release binaries `make release`
// leaves in dist/: `make deb` runs it. The manual page and the completions
// come from a runnable otpgate's own help (`otpgate help --man`,
// `--completion bash|zsh`), so they say what --help says; the copyright
// file holds the licence of every module linked into the binary.
//
// Usage:
//
//	go run ./packaging -version v1.2.3 -revision COMMIT -dist dist -arch amd64,arm64 -docs-bin bin/otpgate
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

type options struct {
	version, revision string
	dist, root        string
	arches            []string
	docsBin           string
	maintainer        string
	mtime             time.Time
}

func main() {
	o, err := parseOptions(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "packaging: error:", err)
		os.Exit(2)
	}
	for _, arch := range o.arches {
		path, err := buildDeb(o, arch)
		if err != nil {
			fmt.Fprintln(os.Stderr, "packaging: error:", err)
			os.Exit(1)
		}
		fmt.Println(path)
	}
}

func parseOptions(args []string) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("packaging", flag.ContinueOnError)
	fs.StringVar(&o.version, "version", "", "the release's Go-style version (v1.2.3 or a pseudo-version)")
	fs.StringVar(&o.revision, "revision", "", "the VCS commit, for the changelog")
	fs.StringVar(&o.dist, "dist", "dist", "directory of otpgate-VERSION-linux-ARCH binaries; the .deb files go there too")
	fs.StringVar(&o.root, "root", ".", "the source tree (deploy/, docs/, packaging/debian/)")
	arches := fs.String("arch", "amd64", "comma-separated Debian architectures: amd64, arm64")
	fs.StringVar(&o.docsBin, "docs-bin", "", "an otpgate this machine can run, for the manual page and completions")
	fs.StringVar(&o.maintainer, "maintainer", "otpgate maintainers <maintainers@otpgate.dev>", "the Maintainer field")
	epoch := fs.Int64("source-date-epoch", 0, "file times in the package, in Unix seconds (default $SOURCE_DATE_EPOCH)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if o.version == "" || o.docsBin == "" {
		return nil, fmt.Errorf("-version and -docs-bin are required")
	}
	o.arches = strings.Split(*arches, ",")
	for _, a := range o.arches {
		if a != "amd64" && a != "arm64" {
			return nil, fmt.Errorf("-arch %q: accepted: amd64, arm64", a)
		}
	}
	if *epoch == 0 {
		fmt.Sscan(os.Getenv("SOURCE_DATE_EPOCH"), epoch)
	}
	o.mtime = time.Unix(*epoch, 0).UTC()
	o.docsBin, _ = filepath.Abs(o.docsBin)
	return o, nil
}

// debVersion maps a Go module version onto a Debian one that sorts the
// same way: v1.2.3 is 1.2.3, v1.2.3-rc.1 is 1.2.3~rc.1 (before 1.2.3), and
// the pseudo-version v0.0.0-20260101120000-abcdef123456 is
// 0.0.0~20260101120000.abcdef123456.
func debVersion(v string) (string, error) {
	v = strings.TrimPrefix(v, "v")
	if v == "" || v[0] < '0' || v[0] > '9' {
		return "", fmt.Errorf("version %q does not start with a digit (want v1.2.3 or a pseudo-version)", v)
	}
	if base, pre, ok := strings.Cut(v, "-"); ok {
		v = base + "~" + strings.ReplaceAll(pre, "-", ".")
	}
	for _, r := range v {
		if !strings.ContainsRune("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.+~", r) {
			return "", fmt.Errorf("version %q: %q is not allowed in a Debian version", v, r)
		}
	}
	return v, nil
}
