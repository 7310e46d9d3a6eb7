package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/goreleaser/nfpm/v2"
	_ "github.com/goreleaser/nfpm/v2/deb" // registers the deb packager
	"github.com/goreleaser/nfpm/v2/files"
)

// docs are the guides installed in /usr/share/doc/otpgate.
var docs = []string{"README.md", "docs/install.md", "docs/serve.md", "docs/radius.md", "docs/openvpn.md", "docs/scaling.md", "docs/tokens.md"}

const description = `one-time-password two-factor authentication for VPNs
 otpgate generates the codes a VPN login asks for (TOTP, HOTP, RSA SecurID,
 YubiKey OATH), as OpenConnect's --token-mode does, and is the server's OATH
 token manager for OpenVPN and RADIUS VPNs: replay protection, lockout and
 resync, with every secret sealed at rest in SQLite or PostgreSQL.`

// lintianOverrides are the checks the package fails on purpose: the
// configuration may hold secrets, so only root and the daemon read it.
const lintianOverrides = `otpgate: non-standard-dir-perm 0750 != 0755 [etc/otpgate/]
otpgate: non-standard-file-perm 0640 != 0644 [etc/otpgate/otpgate.toml]
`

// buildDeb writes dist/otpgate_VERSION_ARCH.deb and returns its path.
func buildDeb(o *options, arch string) (string, error) {
	ver, err := debVersion(o.version)
	if err != nil {
		return "", err
	}
	bin := filepath.Join(o.dist, fmt.Sprintf("otpgate-%s-linux-%s", o.version, arch))
	stage, err := os.MkdirTemp("", "otpgate-deb")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(stage)
	generated, err := generate(o, ver, bin, stage)
	if err != nil {
		return "", err
	}
	info := packageInfo(o, ver, arch, append(contents(o, bin), generated...))
	if err := nfpm.PrepareForPackager(info, "deb"); err != nil {
		return "", fmt.Errorf("deb %s: %w", arch, err)
	}
	pkg, err := nfpm.Get("deb")
	if err != nil {
		return "", err
	}
	out := filepath.Join(o.dist, pkg.ConventionalFileName(info))
	var b bytes.Buffer
	if err := pkg.Package(info, &b); err != nil {
		return "", fmt.Errorf("deb %s: %w", arch, err)
	}
	return out, os.WriteFile(out, b.Bytes(), 0o644)
}

func packageInfo(o *options, ver, arch string, c files.Contents) *nfpm.Info {
	scripts := filepath.Join(o.root, "packaging", "debian")
	return nfpm.WithDefaults(&nfpm.Info{
		Name: "otpgate", Arch: arch, Platform: "linux", Version: ver, VersionSchema: "none",
		Section: "net", Priority: "optional", Maintainer: o.maintainer,
		Description: description, Homepage: "https://otpgate.dev", MTime: o.mtime,
		Overridables: nfpm.Overridables{
			Depends:  []string{"libc6", "adduser"},
			Suggests: []string{"libpam0g", "libpcsclite1", "pcscd"},
			Contents: c,
			Scripts: nfpm.Scripts{
				PostInstall: filepath.Join(scripts, "postinst"),
				PreRemove:   filepath.Join(scripts, "prerm"),
				PostRemove:  filepath.Join(scripts, "postrm"),
			},
			Deb: nfpm.Deb{Compression: "xz"},
		},
	})
}

// contents are the package's files taken from the tree as they are.
func contents(o *options, bin string) files.Contents {
	c := files.Contents{
		file(o, bin, "/usr/bin/otpgate", 0o755, ""),
		{Destination: "/etc/otpgate", Type: files.TypeDir, FileInfo: &files.ContentFileInfo{Mode: 0o750, MTime: o.mtime}},
		file(o, filepath.Join(o.root, "deploy", "otpgate.toml"), "/etc/otpgate/otpgate.toml", 0o640, files.TypeConfig),
		file(o, filepath.Join(o.root, "deploy", "otpgate.service"), "/lib/systemd/system/otpgate.service", 0o644, ""),
	}
	for _, d := range docs {
		c = append(c, file(o, filepath.Join(o.root, d), "/usr/share/doc/otpgate/"+filepath.Base(d), 0o644, ""))
	}
	return c
}

func file(o *options, src, dst string, mode os.FileMode, typ string) *files.Content {
	return &files.Content{Source: src, Destination: dst, Type: typ,
		FileInfo: &files.ContentFileInfo{Owner: "root", Group: "root", Mode: mode, MTime: o.mtime}}
}

// generate writes the manual page, the completions, the copyright file and
// the changelog into stage and returns them as contents.
func generate(o *options, ver, bin, stage string) (files.Contents, error) {
	man, err := run(o.docsBin, "help", "--man")
	if err != nil {
		return nil, err
	}
	bash, err := run(o.docsBin, "help", "--completion", "bash")
	if err != nil {
		return nil, err
	}
	zsh, err := run(o.docsBin, "help", "--completion", "zsh")
	if err != nil {
		return nil, err
	}
	copyright, err := copyrightFile(bin)
	if err != nil {
		return nil, err
	}
	changelog := fmt.Sprintf("otpgate (%s) unstable; urgency=medium\n\n  * Release %s,\n    built from revision %s.\n\n -- %s  %s\n",
		ver, o.version, o.revision, o.maintainer, o.mtime.Format("Mon, 02 Jan 2006 15:04:05 -0700"))
	out := []struct {
		name, dst string
		data      []byte
		gzip      bool
	}{
		{"otpgate.1.gz", "/usr/share/man/man1/otpgate.1.gz", man, true},
		{"bash", "/usr/share/bash-completion/completions/otpgate", bash, false},
		{"zsh", "/usr/share/zsh/vendor-completions/_otpgate", zsh, false},
		{"copyright", "/usr/share/doc/otpgate/copyright", copyright, false},
		{"changelog.gz", "/usr/share/doc/otpgate/changelog.gz", []byte(changelog), true},
		{"lintian", "/usr/share/lintian/overrides/otpgate", []byte(lintianOverrides), false},
	}
	var c files.Contents
	for _, f := range out {
		data := f.data
		if f.gzip {
			data = gzipped(data)
		}
		path := filepath.Join(stage, f.name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return nil, err
		}
		c = append(c, file(o, path, f.dst, 0o644, ""))
	}
	return c, nil
}

func run(bin string, args ...string) ([]byte, error) {
	out, err := exec.Command(bin, args...).Output()
	if err != nil {
		return nil, fmt.Errorf("%s %v: %w", bin, args, err)
	}
	return out, nil
}

// gzipped compresses at the best level with no name or time in the header,
// as Debian's gzip -9n does, so the package is reproducible.
func gzipped(data []byte) []byte {
	var b bytes.Buffer
	w, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	w.Write(data)
	w.Close()
	return b.Bytes()
}
