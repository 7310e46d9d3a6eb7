package config

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"otpgate.dev/otpgate/internal/policy"
)

// rulesExample is the policy of docs/policy.md's worked examples.
const rulesExample = `
[auth]
primary = "pam:otpgate"

[policy]
max_failures = 5
dictionaries = ["/usr/share/freeradius/dictionary.cisco", "/usr/share/freeradius/dictionary.fortinet"]

[[policy.rule]]
name = "service accounts"
group = ["svc-backup"]
otp = "skip"

[[policy.rule]]
name = "management network"
from = ["10.99.0.0/16", "2001:db8:99::/48"]
frontend = ["radius"]
otp = "skip"

[[policy.rule]]
name = "admins"
group = ["vpn-admins"]
token_types = ["yubico", "hotp-prefixed"]
reply = { Class = "admins", Session-Timeout = 28800, Cisco-AVPair = ["shell:priv-lvl=15", "ip:inacl#1=permit ip any any"] }

[[policy.rule]]
name = "staff"
group = ["staff"]
nas = ["ocserv", "192.0.2.0/24"]
hours = "06:00-22:00"
days = ["mon", "tue", "wed", "thu", "fri"]
time_zone = "Europe/Berlin"
reply = { Filter-Id = "staff", Fortinet-Group-Name = "staff" }

[[policy.rule]]
name = "migrating off RSA"
forward = "rsa"

[[policy.forward]]
name = "rsa"
servers = ["10.0.0.5:1812", "10.0.0.6:1812"]
secret_file = "/etc/otpgate/rsa.secret"
timeout = "3s"
tries = 2
`

func TestRulesExample(t *testing.T) {
	c, err := Parse([]byte(rulesExample))
	if err != nil {
		t.Fatal(err)
	}
	if *c.Policy.MaxFailures != 5 {
		t.Errorf("max_failures = %d; the engine keys of [policy] must still be read", *c.Policy.MaxFailures)
	}
	rules, err := c.Policy.Rules()
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != 5 || rules[2].Name != "admins" || rules[4].Forward != "rsa" {
		t.Fatalf("Rules = %+v", rules)
	}
	var reply []string
	for _, p := range rules[2].Reply {
		reply = append(reply, p.Attr.Name+"="+p.Text)
	}
	want := "Cisco-AVPair=shell:priv-lvl=15 Cisco-AVPair=ip:inacl#1=permit ip any any Class=admins Session-Timeout=28800"
	if got := strings.Join(reply, " "); got != want {
		t.Errorf("admins reply = %s; want %s", got, want)
	}
	staff := rules[3]
	if staff.NASNames[0] != "ocserv" || staff.NASAddrs[0] != netip.MustParsePrefix("192.0.2.0/24") || staff.Hours == nil || staff.Hours.Zone.String() != "Europe/Berlin" {
		t.Errorf("staff rule = %+v", staff)
	}
	if !c.Policy.Forward[0].RequiresMessageAuthenticator() {
		t.Error("require_message_authenticator defaults to false; want true")
	}
	p, err := policy.New(rules, policy.Union())
	if err != nil {
		t.Fatal(err)
	}
	d, err := p.Decide(context.Background(), policy.Input{User: "bob", Source: netip.MustParseAddr("10.99.3.4"), Frontend: "radius"})
	if err != nil || d.Rule != "management network" || d.OTP != policy.Skip {
		t.Errorf("Decide = %+v, %v", d, err)
	}
}

// TestRulesUserCanonical checks that a rule's user, written decomposed
// (NFD), matches the composed name (NFC) a login carries.
func TestRulesUserCanonical(t *testing.T) {
	c, err := Parse([]byte("[[policy.rule]]\nname = \"a\"\nuser = [\"Jose\u0301\"]\ndeny = true\n"))
	if err != nil {
		t.Fatal(err)
	}
	rules, err := c.Policy.Rules()
	if err != nil {
		t.Fatal(err)
	}
	p, err := policy.New(rules, policy.Union())
	if err != nil {
		t.Fatal(err)
	}
	d, err := p.Decide(context.Background(), policy.Input{User: "Jos\u00e9", Frontend: "radius"})
	if err != nil || d.Rule != "a" {
		t.Errorf("Decide(NFC name) = %+v, %v; want rule a", d, err)
	}
}

func TestRulesRefused(t *testing.T) {
	const head = "[auth]\nprimary = \"pam:otpgate\"\n"
	tests := []struct{ text, want string }{
		{"[[policy.rule]]\notp = \"skip\"\n", "policy.rule #1: no name"},
		{"[[policy.rule]]\nname = \"a\"\n[[policy.rule]]\nname = \"a\"\n", `"a" is empty, "default" or used twice`},
		{"[[policy.rule]]\nname = \"a\"\notp = \"sometimes\"\n", `otp "sometimes" is not one of`},
		{"[[policy.rule]]\nname = \"a\"\nfrom = [\"10.0.0.1/8\"]\n", `policy.rule "a": from: "10.0.0.1/8" has host bits set (did you mean 10.0.0.0/8?)`},
		{"[[policy.rule]]\nname = \"a\"\nfrom = [\"corp\"]\n", `from: "corp" is not an IP address or network`},
		{"[[policy.rule]]\nname = \"a\"\nfrontend = [\"ssh\"]\n", `frontend "ssh" is not one of radius, openvpn, http, yubico`},
		{"[[policy.rule]]\nname = \"a\"\nuser = [\"a\\tb\"]\n", `policy.rule "a": user: username: `},
		{"[[policy.rule]]\nname = \"a\"\ndays = [\"mon\"]\n", "days and time_zone need hours"},
		{"[[policy.rule]]\nname = \"a\"\nhours = \"9-5\"\n", `hours "9-5" is not HH:MM-HH:MM`},
		{"[[policy.rule]]\nname = \"a\"\ntoken_types = [\"sms\"]\n", `token type "sms"`},
		{"[[policy.rule]]\nname = \"a\"\nreply = { Cisco-AVPair = \"x\" }\n", "reply.Cisco-AVPair: no such attribute"},
		{"[[policy.rule]]\nname = \"a\"\nreply = { State = \"x\" }\n", "reply.State: no such attribute"},
		{"[policy]\ndictionaries = [\"/usr/share/freeradius/dictionary\"]\n[[policy.rule]]\nname = \"a\"\nreply = { State = \"x\" }\n", "reply.State: raddict: State cannot be sent in an Access-Accept"},
		{"[[policy.rule]]\nname = \"a\"\nreply = { Session-Timeout = \"soon\" }\n", `reply.Session-Timeout: raddict: Session-Timeout: "soon" is not a number`},
		{"[[policy.rule]]\nname = \"a\"\nreply = { Session-Timeout = 1.5 }\n", "reply.Session-Timeout: accepted: a string, a number, or a list of them"},
		{"[policy]\ndictionaries = [\"dictionary.cisco\"]\n", `policy.dictionaries: "dictionary.cisco" is not an absolute path`},
		{"[policy]\ndictionaries = [\"/nonexistent/dictionary\"]\n", "policy.dictionaries: raddict: stat /nonexistent/dictionary"},
		{"[[policy.rule]]\nname = \"a\"\nforward = \"rsa\"\n", `policy.rule "a": forward "rsa" names no [[policy.forward]]`},
		{"[[policy.forward]]\nname = \"rsa\"\nsecret_file = \"/s\"\n", `policy.forward "rsa": no servers`},
		{"[[policy.forward]]\nname = \"rsa\"\nservers = [\"rsa.example.com:1812\"]\nsecret_file = \"/s\"\n", `server "rsa.example.com:1812" is not an IP address and port`},
		{"[[policy.forward]]\nname = \"rsa\"\nservers = [\"10.0.0.5:1812\"]\n", "no secret_file"},
		{"[[policy.forward]]\nname = \"rsa\"\nservers = [\"10.0.0.5:1812\"]\nsecret_file = \"/s\"\nsend = \"all\"\n", `send "all" is not password or code`},
		{"[[policy.forward]]\nservers = [\"10.0.0.5:1812\"]\n", "policy.forward #1: the name is empty"},
		{"[[policy.rule]]\nname = \"a\"\nbogus = 1\n", `unknown key "policy.rule.bogus"`},
		{"[[policy.rule]]\nname = \"a\"\nreply = { Framed-Route = \"10.0.0.0 255.0.0.0\" }\n", `reply: policy: Framed-Route = "10.0.0.0 255.0.0.0" for OpenVPN: not "NETWORK/BITS`},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(head + tt.text))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q) = %v; want an error with %q", tt.text, err, tt.want)
		}
	}
}

// TestRulesNoFactor: with no primary password, a rule that asks for no
// code would let a user name alone in, except over OpenVPN, where the
// client certificate is the factor.
func TestRulesRADIUSOnlyRoute(t *testing.T) {
	const text = "[[policy.rule]]\nname = \"a\"\nfrontend = [\"radius\"]\nreply = { Framed-Route = \"10.0.0.0 255.0.0.0\" }\n"
	if _, err := Parse([]byte(text)); err != nil {
		t.Errorf("a route only RADIUS NASes read: %v", err)
	}
}

func TestRulesNoFactor(t *testing.T) {
	for _, c := range []struct {
		text string
		ok   bool
	}{
		{"[[policy.rule]]\nname = \"a\"\notp = \"skip\"\n", false},
		{"[[policy.rule]]\nname = \"a\"\notp = \"optional\"\nfrontend = [\"openvpn\", \"radius\"]\n", false},
		{"[[policy.rule]]\nname = \"a\"\notp = \"skip\"\nfrontend = [\"openvpn\"]\n", true},
		{"[[policy.rule]]\nname = \"a\"\notp = \"required\"\n", true},
		{"[auth]\nprimary = \"htpasswd:/etc/otpgate/users\"\n[[policy.rule]]\nname = \"a\"\notp = \"skip\"\n", true},
	} {
		_, err := Parse([]byte(c.text))
		if (err == nil) != c.ok || err != nil && !strings.Contains(err.Error(), "user name alone") {
			t.Errorf("Parse(%q) = %v; want ok %v", c.text, err, c.ok)
		}
	}
}
