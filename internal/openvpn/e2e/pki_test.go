//go:build linux

package e2e

import (
	"os"
	"path/filepath"
	"testing"
)

// pki is a throwaway CA with one server and one client certificate, made
// with the openssl CLI.
type pki struct {
	dir string
}

func (p *pki) path(name string) string { return filepath.Join(p.dir, name) }

func newPKI(t *testing.T, dir string) *pki {
	t.Helper()
	p := &pki{dir: dir}
	ec := []string{"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"}
	mustRun(t, "openssl", append(append([]string{"req", "-x509"}, ec...),
		"-keyout", p.path("ca.key"), "-out", p.path("ca.crt"), "-days", "2", "-subj", "/CN=otpgate-e2e-ca",
		"-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")...)
	p.issue(t, "server", "serverAuth", ec)
	p.issue(t, "client", "clientAuth", ec)
	return p
}

// issue makes NAME.key and NAME.crt, signed by the CA, for one extended key
// usage.
func (p *pki) issue(t *testing.T, name, eku string, ec []string) {
	t.Helper()
	ext := p.path(name + ".ext")
	if err := os.WriteFile(ext, []byte("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage="+eku+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "openssl", append(append([]string{"req"}, ec...),
		"-keyout", p.path(name+".key"), "-out", p.path(name+".csr"), "-subj", "/CN="+name)...)
	mustRun(t, "openssl", "x509", "-req", "-in", p.path(name+".csr"), "-CA", p.path("ca.crt"), "-CAkey", p.path("ca.key"),
		"-CAcreateserial", "-out", p.path(name+".crt"), "-days", "2", "-extfile", ext)
}
