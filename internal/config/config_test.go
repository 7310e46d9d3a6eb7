package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/auth"
	"otpgate.dev/otpgate/internal/store"
)

const full = `# every key
db = "/var/lib/otpgate/otpgate.db"
key_file = "/etc/otpgate/master.key"

[log]
level = "debug"
format = "json"
audit_file = "/var/log/otpgate/audit.jsonl"
audit_retention = "2160h"

[policy]
hotp_window = 20
totp_back = 5
totp_forward = 5
max_failures = 0
lock_for = "0s"
resync_window = 500
client_max_failures = 50
client_remember = "1h"
client_lock_for = "30m"

[auth]
primary = "htpasswd:/etc/otpgate/users.htpasswd"
challenge_timeout = "2m"
challenge_text = "Code?"

[http]
listen = "off"

[radius]
listen = "0.0.0.0:1812"
workers = 8
queue_size = 100
reply_ttl = "30s"

[[radius.client]]
name = "ocserv"
address = "127.0.0.1"
secret_file = "/etc/otpgate/ocserv.secret"
style = "challenge"
rate = 50.5
burst = 10

[[radius.client]]
name = "office"
address = "10.0.0.0/24"
secret_file = "/etc/otpgate/office.secret"
allow_missing_message_authenticator = true

[openvpn]
management = "/run/openvpn/server.sock"
password_file = "/etc/openvpn/mgmt.pw"
style = "crv1"
challenge_timeout = "60s"
token_key_file = "/etc/otpgate/authtoken.key"
token_lifetime = "8h"
`

func TestParseFull(t *testing.T) {
	c, err := Parse([]byte(full))
	if err != nil {
		t.Fatalf("Parse = %v", err)
	}
	if c.DB != "/var/lib/otpgate/otpgate.db" || c.Log.Format != "json" || c.HTTP.Listen != Off {
		t.Errorf("Parse: top-level values %+v", c)
	}
	if *c.Policy.MaxFailures != 0 || c.Policy.LockFor.Duration != 0 || *c.Policy.HOTPWindow != 20 {
		t.Errorf("Parse: policy %+v", c.Policy)
	}
	if got, want := c.Policy.ClientLimit(), (store.LoginLimit{MaxFailures: 50, Remember: time.Hour, LockFor: 30 * time.Minute}); got != want {
		t.Errorf("Parse: client limit %+v; want %+v", got, want)
	}
	if got := (Policy{}).ClientLimit(); got != auth.DefaultClientLimit {
		t.Errorf("default client limit %+v; want auth's %+v", got, auth.DefaultClientLimit)
	}
	if len(c.RADIUS.Clients) != 2 || c.RADIUS.Clients[0].Style != "challenge" || c.RADIUS.Clients[0].RatePerSecond != 50.5 ||
		!c.RADIUS.Clients[1].AllowMissingMessageAuthenticator {
		t.Errorf("Parse: clients %+v", c.RADIUS.Clients)
	}
	if c.OpenVPN.TokenLifetime.Duration != 8*time.Hour || c.Auth.ChallengeTimeout.Duration != 2*time.Minute ||
		c.Log.AuditRetention.Duration != 90*24*time.Hour {
		t.Errorf("Parse: durations %+v %+v", c.OpenVPN, c.Auth)
	}
}

func TestParseEmptyIsDefault(t *testing.T) {
	c, err := Parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.RADIUS.Listen != DefaultRADIUSListen || c.HTTP.Listen != DefaultHTTPListen || c.Policy.HOTPWindow != nil {
		t.Errorf("Parse(empty) = %+v; want the defaults", c)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"unknown top-level key", "db = \"x\"\ndatabase = \"y\"\n", `:2: unknown key "database" (accepted at the top level: auth, db, http, key_file, ldap, log, oob, openvpn, policy, portal, radius, web)`},
		{"unknown key in table", "[radius]\nlisten = \"off\"\nworker = 3\n", `:3: unknown key "radius.worker" (accepted in [radius]: client, listen, queue_size, reply_cache_mib, reply_ttl, workers)`},
		{"unknown key in array table", "[[radius.client]]\nname = \"a\"\naddress = \"10.0.0.1\"\nsecret_file = \"/s\"\n\n[[radius.client]]\nsecrt = \"x\"\n", `:7: unknown key "radius.client.secrt"`},
		{"unknown table", "[radiuss]\nlisten = \"off\"\n", `unknown key "radiuss`},
		{"syntax", "db = \n", ":1:"},
		{"wrong type", "[radius]\nworkers = \"eight\"\n", "workers"},
		{"bad duration", "[auth]\nchallenge_timeout = \"5 minutes\"\n", "not a duration"},
		{"negative duration", "[auth]\nchallenge_timeout = \"-5m\"\n", "negative"},
		{"bad level", "[log]\nlevel = \"loud\"\n", "log.level"},
		{"short retention", "[log]\naudit_retention = \"90s\"\n", `log.audit_retention "1m30s" is under 1h0m0s`},
		{"bad primary", "[auth]\nprimary = \"kerberos\"\n", "accepted: none, htpasswd"},
		{"primary without path", "[auth]\nprimary = \"htpasswd\"\n", "needs its argument"},
		{"listen name", "[radius]\nlisten = \"localhost:1812\"\n", "must be an IP address"},
		{"listen no port", "[http]\nlisten = \"127.0.0.1\"\n", "not host:port"},
		{"window range", "[policy]\nhotp_window = 0\n", "policy.hotp_window = 0 is out of range"},
		{"client lock for", "[policy]\nclient_lock_for = \"0s\"\n", "policy.client_lock_for = \"0s\" is not positive"},
		{"client without secret", "[[radius.client]]\naddress = \"10.0.0.1\"\n", "no shared secret"},
		{"client both secrets", "[[radius.client]]\naddress = \"10.0.0.1\"\nsecret = \"a\"\nsecret_file = \"b\"\n", "keep one"},
		{"client bad address", "[[radius.client]]\naddress = \"ten\"\nsecret_file = \"b\"\n", `client "ten" is not an address`},
		{"client bad style", "[[radius.client]]\nname = \"x\"\naddress = \"10.0.0.1\"\nsecret_file = \"b\"\nstyle = \"otp\"\n", `radius.client "x": style "otp"`},
		{"negative cache", "[radius]\nreply_cache_mib = -1\n", "radius.reply_cache_mib must not be negative"},
		{"client negative unauthenticated rate", "[[radius.client]]\naddress = \"10.0.0.1\"\nsecret_file = \"b\"\nunauthenticated_rate = -1\n", "unauthenticated_burst must not be negative"},
		{"client twice", "[[radius.client]]\nname = \"x\"\naddress = \"10.0.0.1\"\nsecret_file = \"b\"\n[[radius.client]]\nname = \"x\"\naddress = \"10.0.0.2\"\nsecret_file = \"b\"\n", "used twice"},
		{"openvpn style", "[openvpn]\nmanagement = \"/s\"\nstyle = \"sms\"\n", "openvpn.style"},
		{"relative key file", "key_file = \"master.key\"\n", "not an absolute path"},
		{"openvpn orphan", "[openvpn]\ntoken_key_file = \"/k\"\n", "management is not"},
		{"relative hook socket", "[openvpn]\nhook_socket = \"hook.sock\"\n", "openvpn.hook_socket: \"hook.sock\" is not an absolute path"},
		{"hook group orphan", "[openvpn]\nhook_socket_group = \"nogroup\"\n", "hook_socket is not"},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Parse = %v; want an error containing %q", tt.name, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: Parse error has several lines: %q", tt.name, err)
		}
	}
}

func TestLoadPermissions(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	inline := "[[radius.client]]\naddress = \"10.0.0.1\"\nsecret = \"0123456789abcdef\"\n"
	tests := []struct {
		name, text string
		mode       os.FileMode
		want       string // "" means success
	}{
		{"plain 0644", "db = \"/x\"\n", 0o644, ""},
		{"inline secret 0600", inline, 0o600, ""},
		{"inline secret 0644", inline, 0o644, "readable by group or others"},
		{"group-writable", "db = \"/x\"\n", 0o664, "writable by group or others"},
	}
	for _, tt := range tests {
		p := write(strings.ReplaceAll(tt.name, " ", "_"), tt.text, tt.mode)
		_, err := Load(p)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: Load = %v; want success", tt.name, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: Load = %v; want an error containing %q", tt.name, err, tt.want)
		case err != nil && !strings.HasPrefix(err.Error(), "config: "+p):
			t.Errorf("%s: Load error %q does not start with the file name", tt.name, err)
		}
	}
	if _, err := Load(filepath.Join(dir, "missing.toml")); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("Load(missing) = %v; want a not-found error", err)
	}
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("Load(directory) = %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(full))
	f.Add([]byte("[[radius.client]]\nsecrt = 1\n"))
	f.Add([]byte("a.b.c = 1\n[x]\n[[y]]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if err != nil {
			if c != nil {
				t.Fatal("Parse returned a config with an error")
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Parse accepted a config that Validate refuses: %v", err)
		}
	})
}

// TestOpenVPNDurations: [openvpn] durations take whole seconds too, as the
// hooks' setenv knobs do, so that a value copied between them means the
// same (issue 14 item 11).
func TestOpenVPNDurations(t *testing.T) {
	c, err := Parse([]byte("[openvpn]\ntoken_lifetime = \"43200\"\nchallenge_timeout = \"2m\"\n"))
	if err != nil || c.OpenVPN.TokenLifetime.Duration != 12*time.Hour || c.OpenVPN.ChallengeTimeout.Duration != 2*time.Minute {
		t.Fatalf("Parse = %+v, %v; want 12h and 2m", c, err)
	}
	if _, err := Parse([]byte("[openvpn]\ntoken_lifetime = \"12 hours\"\n")); err == nil || !strings.Contains(err.Error(), ":2: openvpn: \"12 hours\" is not a duration") {
		t.Errorf("Parse(12 hours) = %v; want an error with its line", err)
	}
}
