//go:build linux

package e2e

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	"otpgate.dev/otpgate/internal/enroll"
	"otpgate.dev/otpgate/internal/openvpn"
	"otpgate.dev/otpgate/internal/openvpn/mgmt"
	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/secretbox"
	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/store/sqlite"
)

// product is the shipped path: the otpgate binary as OpenVPN's scripts, a
// SQLite store with a sealed TOTP token, and an htpasswd primary password.
type product struct {
	bin, db, htpasswd string
	key               []byte
}

// noCgoBuild builds the product as released, with CGO_ENABLED=0: the PAM
// and YubiKey tests here run against that binary.
func noCgoBuild(bin string) *exec.Cmd {
	cmd := exec.Command("go", "build", "-o", bin, "../../../cmd/otpgate")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	return cmd
}

func newProduct(t *testing.T, dir string) *product {
	t.Helper()
	p := &product{bin: filepath.Join(dir, "otpgate"), db: filepath.Join(dir, "otpgate.db"), htpasswd: filepath.Join(dir, "users.htpasswd")}
	if out, err := noCgoBuild(p.bin).CombinedOutput(); err != nil {
		t.Fatalf("go build otpgate: %v\n%s", err, out)
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, p.db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	box, err := secretbox.LoadOrCreate(filepath.Join(dir, "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	p.key = make([]byte, 20)
	rand.Read(p.key)
	if _, err := enroll.Enroll(ctx, st, box, enroll.Spec{User: "alice", Type: store.TOTP, Secret: p.key, Params: otp.DefaultParams()}, time.Now()); err != nil {
		t.Fatal(err)
	}
	hash, _ := bcrypt.GenerateFromPassword([]byte("secret"), bcrypt.MinCost)
	if err := os.WriteFile(p.htpasswd, []byte("alice:"+string(hash)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *product) scripts(style openvpn.Style) []string {
	return []string{
		"script-security 2",
		fmt.Sprintf("auth-user-pass-verify %q via-file", p.bin+" openvpn verify"),
		fmt.Sprintf("client-crresponse %q", p.bin+" openvpn crresponse"),
		fmt.Sprintf("client-connect %q", p.bin+" openvpn client-connect"),
		"setenv " + openvpn.EnvStyle + " " + string(style),
		"setenv totpTokenDbPath " + p.db,
		"setenv otpgatePrimary htpasswd:" + p.htpasswd,
	}
}

func (p *product) code(steps int) string {
	prm := otp.DefaultParams()
	return otp.Generate(p.key, prm.Step(time.Now().Add(time.Duration(steps)*prm.Period)), prm)
}

// TestProductAppend: `otpgate openvpn verify` on the real store lets a
// right password plus code in once, and keeps out a replay, a wrong code and
// a wrong password.
func TestProductAppend(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	p := newProduct(t, l.dir)
	l.startServer(p.scripts(openvpn.StyleAppend)...)
	code := p.code(0)
	l.wantConnected(l.fileClient("valid", "alice", "secret"+code))
	l.wantRefused(l.fileClient("replayed", "alice", "secret"+code))
	l.wantRefused(l.fileClient("wrong", "alice", "secret"+wrong(p.code(1))))
	l.wantRefused(l.fileClient("badpassword", "alice", "terces"+p.code(1)))
	l.wantRefused(l.fileClient("nobody", "mallory", "secret"+p.code(1)))
}

// TestProductCRText: the crtext challenge through the real store: the
// challenge lives in the store between verify and crresponse.
func TestProductCRText(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	p := newProduct(t, l.dir)
	l.startServer(p.scripts(openvpn.StyleCRText)...)
	var used string
	c := &mgmt.Client{Username: "alice", Password: "secret", Style: openvpn.StyleCRText}
	c.Code = codes(func(int) string { used = p.code(0); return used })
	l.wantHelperConnected(l.helperClient("valid", c))
	c = &mgmt.Client{Username: "alice", Password: "secret", Style: openvpn.StyleCRText}
	c.Code = codes(func(int) string { return used })
	l.wantHelperRefused(l.helperClient("replayed", c))
	c = &mgmt.Client{Username: "alice", Password: "secret", Style: openvpn.StyleCRText}
	c.Code = codes(func(int) string { return wrong(p.code(1)) })
	l.wantHelperRefused(l.helperClient("wrong", c))
}
