package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/testpeer"
	"otpgate.dev/otpgate/internal/web/webtest"
	"otpgate.dev/otpgate/internal/yubiotp"
)

// webSite is a store with alice (HOTP, the RFC 4226 test key), bob (a
// Yubico OTP token) and carol (HOTP), API keys, and otpgate serve with
// [web] over TLS from a test CA, beside RADIUS.
type webSite struct {
	dir, db      string
	ca           *webtest.CA
	d            *daemonProc
	url          string
	verifyKey    string
	adminKey     string
	yubicoID     string
	yubicoKey    string
	bob          yubicoToken
	radiusSecret string
	certDir      string
	client       *http.Client
}

type yubicoToken struct {
	publicID  string
	key       []byte
	privateID [yubiotp.PrivateIDSize]byte
}

func (y yubicoToken) otp(t *testing.T, usage uint16, session uint8) string {
	t.Helper()
	p := yubiotp.Plaintext{PrivateID: y.privateID, Usage: usage, Session: session, Timestamp: 0x10000 + uint32(usage), Random: 7}
	o, err := yubiotp.Generate(y.publicID, p, y.key)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func startWebSite(t *testing.T) *webSite {
	t.Helper()
	s := &webSite{dir: t.TempDir(), ca: webtest.NewCA(t), radiusSecret: "a-shared-secret-of-some-length"}
	s.db = filepath.Join(s.dir, "otpgate.db")
	s.certDir = filepath.Join(s.dir, "tls")
	os.Mkdir(s.certDir, 0o700)
	_, certFile, keyFile := s.ca.Issue(t, s.certDir)
	for _, u := range []string{"alice", "carol"} {
		mustRun(t, "", "enroll", u, "--type", "hotp", "--rfc4226-test-key", "--db", s.db)
	}
	var en struct {
		Secret, Identifier string
		PrivateID          string `json:"private_id"`
	}
	r := mustRun(t, "", "enroll", "bob", "--type", "yubico", "--json", "--db", s.db)
	if err := json.Unmarshal([]byte(r.stdout), &en); err != nil {
		t.Fatalf("enroll bob --json = %q: %v", r.stdout, err)
	}
	s.bob.publicID = en.Identifier
	s.bob.key, _ = hex.DecodeString(en.Secret)
	pid, _ := hex.DecodeString(en.PrivateID)
	copy(s.bob.privateID[:], pid)
	s.verifyKey = field(mustRun(t, "", "apikey", "create", "--scope", "verify", "--db", s.db).stdout, "key:")
	s.adminKey = field(mustRun(t, "", "apikey", "create", "--scope", "admin", "--db", s.db).stdout, "key:")
	r = mustRun(t, "", "apikey", "create", "--yubico", "--name", "pam_yubico", "--db", s.db)
	s.yubicoID, s.yubicoKey = field(r.stdout, "id:"), field(r.stdout, "key:")
	os.WriteFile(filepath.Join(s.dir, "vpn.secret"), []byte(s.radiusSecret+"\n"), 0o600)
	cfg := fmt.Sprintf(`db = %q
[policy]
max_failures = 3
lock_for = "1h"
[http]
listen = "127.0.0.1:0"
[radius]
listen = "127.0.0.1:0"
[[radius.client]]
name = "vpn"
address = "127.0.0.1"
secret_file = %q
style = "code"
[web]
listen = "127.0.0.1:0"
cert_file = %q
key_file = %q
`, s.db, filepath.Join(s.dir, "vpn.secret"), certFile, keyFile)
	s.d = startServe(t, s.dir, cfg)
	s.url = "https://" + s.webAddr(t)
	s.client = s.ca.Client()
	return s
}

func (s *webSite) webAddr(t *testing.T) string {
	t.Helper()
	for _, l := range strings.Split(s.d.logText.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil && m["msg"] == "otpgate serve: ready" {
			if a, _ := m["web"].(string); a != "" && a != "off" {
				return a
			}
		}
	}
	t.Fatalf("otpgate serve's ready line names no web address:\n%s", s.d.logText)
	return ""
}

// verify is one POST /api/v1/verify through Go's client.
func (s *webSite) verify(t *testing.T, body string) string {
	t.Helper()
	req, _ := http.NewRequest("POST", s.url+"/api/v1/verify", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+s.verifyKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return fmt.Sprintf("%d %s", resp.StatusCode, strings.TrimSpace(string(b)))
}

// A web application verifies a code with one HTTPS call and an API key:
// curl and Go's client, replays refused, and failures counted toward the
// same lock as RADIUS logins.
func TestServeWebVerify(t *testing.T) {
	s := startWebSite(t)
	curl := testpeer.Need(t, "curl")[0]
	out, err := exec.Command(curl, "-sS", "--cacert", s.ca.File, "-H", "Authorization: Bearer "+s.verifyKey,
		"-H", "Content-Type: application/json", "--data", `{"user":"alice","code":"`+rfc4226Codes[0]+`"}`,
		s.url+"/api/v1/verify").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != `{"result":"accept","user":"alice"}` {
		t.Fatalf("curl verify = %v %s; daemon log:\n%s", err, out, s.d.logText)
	}
	if got := s.verify(t, `{"user":"alice","code":"`+rfc4226Codes[0]+`"}`); got != `200 {"result":"reject"}` {
		t.Errorf("replayed code = %s; want reject", got)
	}
	if got := s.verify(t, `{"user":"alice","code":"`+rfc4226Codes[1]+`"}`); got != `200 {"result":"accept","user":"alice"}` {
		t.Errorf("next code = %s; want accept", got)
	}
	// Wrong codes over HTTPS lock carol; RADIUS then refuses her
	// right code: one lockout for every front end.
	for range 4 {
		s.verify(t, `{"user":"carol","code":"000000"}`)
	}
	if got := serveRadclient(t, s.d.radius, s.radiusSecret, `User-Name = "carol", User-Password = "`+rfc4226Codes[0]+`"`); got != "Access-Reject" {
		t.Errorf("RADIUS login of carol after 4 failures over HTTPS (max_failures 3): %s; want Access-Reject (locked)", got)
	}
	// An admin script unlocks her through the admin API; RADIUS then
	// takes her next code.
	out, err = exec.Command(curl, "-sS", "--fail-with-body", "--cacert", s.ca.File, "-X", "POST",
		"-H", "Authorization: Bearer "+s.adminKey, s.url+"/api/v1/users/carol/unlock").CombinedOutput()
	if err != nil || !strings.Contains(string(out), `{"tokens":["`) {
		t.Fatalf("curl unlock carol = %v %s", err, out)
	}
	if got := serveRadclient(t, s.d.radius, s.radiusSecret, `User-Name = "carol", User-Password = "`+rfc4226Codes[1]+`"`); got != "Access-Accept" {
		t.Errorf("RADIUS login of carol after the admin API unlocked her: %s; want Access-Accept", got)
	}
	r := mustRun(t, "", "audit", "--user", "carol", "--json", "--db", s.db)
	if !strings.Contains(r.stdout, `"actor":"http","action":"api POST /api/v1/users/{user}/unlock","user":"carol"`) ||
		!strings.Contains(r.stdout, `"source":"127.0.0.1 key k`) {
		t.Errorf("carol's audit trail lacks the admin API's unlock with the caller:\n%s", r.stdout)
	}
	log := s.d.logText.String()
	if strings.Contains(log, s.verifyKey) || strings.Contains(log, s.adminKey) || strings.Contains(log, rfc4226Codes[1]) {
		t.Errorf("the daemon's log holds the API key or a code:\n%s", log)
	}
	if !strings.Contains(log, `"path":"/api/v1/verify"`) || !strings.Contains(log, `"key":"k`) {
		t.Errorf("the access log lacks the path or the key's ID:\n%s", log)
	}
}

// SIGHUP reloads the certificate; a broken new pair keeps the old one.
func TestServeWebCertificateReload(t *testing.T) {
	s := startWebSite(t)
	addr := strings.TrimPrefix(s.url, "https://")
	first := s.ca.PeerSerial(t, addr)
	second, _, _ := s.ca.Issue(t, s.certDir)
	s.d.signal(t, syscall.SIGHUP)
	s.d.waitLog(t, "web: certificate reloaded")
	if got := s.ca.PeerSerial(t, addr); got.Cmp(second) != 0 || got.Cmp(first) == 0 {
		t.Errorf("after SIGHUP the listener presents %v; want the new certificate %v", got, second)
	}
	os.WriteFile(filepath.Join(s.certDir, "cert.pem"), []byte("not a certificate\n"), 0o600)
	s.d.signal(t, syscall.SIGHUP)
	s.d.waitLog(t, "web: the new certificate did not load; the previous one stays in use")
	if got := s.ca.PeerSerial(t, addr); got.Cmp(second) != 0 {
		t.Errorf("after a broken certificate the listener presents %v; want still %v", got, second)
	}
	if got := s.verify(t, `{"user":"alice","code":"`+rfc4226Codes[0]+`"}`); got != `200 {"result":"accept","user":"alice"}` {
		t.Errorf("verify after the failed reload = %s", got)
	}
}

// pam_yubico, through pamtester, validates bob's Yubico OTPs against
// otpgate over HTTPS with the test CA: right, replayed, wrong client key,
// unsigned request.
func TestServeWebPAMYubico(t *testing.T) {
	s := startWebSite(t)
	authfile := filepath.Join(s.dir, "yubikey_mappings")
	os.WriteFile(authfile, []byte("bob:"+s.bob.publicID+"\n"), 0o644)
	wrongKey := []byte(s.yubicoKey)
	wrongKey[0] = map[bool]byte{true: 'B', false: 'A'}[wrongKey[0] == 'A']
	signed := yubicoPAMService(t, s, authfile, "id="+s.yubicoID+" key="+s.yubicoKey)
	unsigned := yubicoPAMService(t, s, authfile, "id="+s.yubicoID)
	wrong := yubicoPAMService(t, s, authfile, "id="+s.yubicoID+" key="+string(wrongKey))
	first := s.bob.otp(t, 1, 0)
	tests := []struct {
		name, service, otp string
		ok                 bool
		debug              string // what pam_yubico's debug output says about otpgate's answer
		status             string // what otpgate's access log says it answered
	}{
		{"right", signed, first, true, "ykclient return value (0): Success", "OK"},
		{"replayed", signed, first, false, "(REPLAYED_OTP)", "REPLAYED_OTP"},
		// The answer is signed with the client's real key, which the
		// client with the wrong one cannot verify.
		{"wrong client key", wrong, s.bob.otp(t, 1, 1), false, "(BAD_SERVER_SIGNATURE)", "BAD_SIGNATURE"},
		{"unsigned", unsigned, s.bob.otp(t, 1, 2), false, "(MISSING_PARAMETER)", "MISSING_PARAMETER"},
		{"next press", signed, s.bob.otp(t, 1, 3), true, "ykclient return value (0): Success", "OK"},
	}
	for _, tt := range tests {
		before := strings.Count(s.d.logText.String(), `"result":"`+tt.status+`"`)
		ok, debug := pamYubicoLogin(t, s, tt.service, "bob", tt.otp)
		if ok != tt.ok || !strings.Contains(debug, tt.debug) {
			t.Errorf("%s: pam_yubico login = %v; want %v with %q in its debug output:\n%s", tt.name, ok, tt.ok, tt.debug, debug)
		}
		if !s.d.logged(`"result":"`+tt.status+`"`, before+1) {
			t.Errorf("%s: otpgate's access log shows no new %s answer:\n%s", tt.name, tt.status, s.d.logText)
		}
	}
}

// yubicoPAMService writes /etc/pam.d/NAME for pam_yubico with args against
// s's Yubico endpoint, removed when t ends.
func yubicoPAMService(t *testing.T, s *webSite, authfile, args string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatalf("the pam_yubico test writes a service to /etc/pam.d and must run as root")
	}
	name := "otpgate-yubico-test-" + strings.ToLower(randomHex(5))
	debug := filepath.Join(s.dir, name+".debug")
	os.WriteFile(debug, nil, 0o600) // pam_yubico writes to a debug_file that exists
	conf := fmt.Sprintf("auth required pam_yubico.so %s urllist=%s/wsapi/2.0/verify cainfo=%s authfile=%s debug debug_file=%s\naccount required pam_permit.so\n",
		args, s.url, s.ca.File, authfile, debug)
	path := filepath.Join("/etc/pam.d", name)
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatalf("create PAM service: %v", err)
	}
	t.Cleanup(func() { os.Remove(path) })
	return name
}

// pamYubicoLogin logs user in with otp through pamtester and returns
// whether it succeeded and what pam_yubico's debug output said this time.
func pamYubicoLogin(t *testing.T, s *webSite, service, user, otp string) (bool, string) {
	t.Helper()
	debugFile := filepath.Join(s.dir, service+".debug")
	os.Truncate(debugFile, 0)
	cmd := exec.Command(testpeer.Need(t, "pamtester")[0], service, user, "authenticate")
	cmd.Stdin = strings.NewReader(otp + "\n")
	out, err := cmd.CombinedOutput()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("pamtester: %v", err)
	}
	debug, _ := os.ReadFile(debugFile)
	return err == nil && strings.Contains(string(out), "successfully authenticated"), string(out) + string(debug)
}

// logged waits until the daemon's log holds text n times, and reports
// whether it did: the access log line follows the answer.
func (d *daemonProc) logged(text string, n int) bool {
	for range 100 {
		if strings.Count(d.logText.String(), text) >= n {
			return true
		}
		time.Sleep(100 * time.Millisecond)
	}
	return false
}

// serve --check loads [web]'s certificate and key as a start would.
func TestServeCheckWebCertificate(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "otpgate.db")
	mustRun(t, "", "enroll", "alice", "--type", "hotp", "--db", db)
	ca := webtest.NewCA(t)
	_, certFile, keyFile := ca.Issue(t, dir)
	broken := writeMode(t, filepath.Join(dir, "broken.pem"), "-----BEGIN CERTIFICATE-----\n", 0o600)
	for _, tt := range []struct {
		name, cert string
		code       int
	}{{"good pair", certFile, 0}, {"broken certificate", broken, 1}} {
		conf := writeMode(t, filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-")+".toml"), fmt.Sprintf(
			"db = %q\n[web]\nlisten = \"0.0.0.0:8443\"\ncert_file = %q\nkey_file = %q\n", db, tt.cert, keyFile), 0o600)
		r := otpgate(t, "", nil, "serve", "--check", "--config", conf)
		if tt.code != 0 {
			oneErrorLine(t, "serve --check with a "+tt.name, r, tt.code, "web: certificate "+broken)
		} else if r.code != 0 {
			t.Errorf("serve --check with a %s = %d %q", tt.name, r.code, r.stderr)
		}
	}
}
