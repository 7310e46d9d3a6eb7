package config

import (
	"strings"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/oob"
)

const oobFull = `
[policy]
max_failures = 3
lock_for = "1h"

[oob]
digits = 8
lifetime = "10m"
resend_after = "0s"
sends_per_user = 3
sends_per_source = 50
limit_window = "2h"
vpn_name = "Example VPN"

[oob.email]
subject = "{vpn} code"
body = "Code {code}, valid {lifetime}, for {user} from {source}"

[oob.smtp]
server = "smtp.example.org:465"
tls = "implicit"
require_tls = true
ca_file = "/etc/otpgate/smtp-ca.pem"
server_name = "smtp.example.org"
username = "otpgate"
password_file = "/etc/otpgate/smtp.password"
from = "Example VPN <vpn@example.org>"
helo = "vpn.example.org"
timeout = "5s"

[oob.sms]
body = "{code} is your {vpn} code"

[oob.sms.http]
url = "https://sms.example.com/v1/messages"
method = "PUT"
format = "json"
body = '{"to": "{to}", "text": "{message}"}'
api_key_file = "/etc/otpgate/sms.key"
ca_file = "/etc/otpgate/sms-ca.pem"
success_status = [200, 202]
success_field = "status"
success_value = "queued"
timeout = "3s"

[oob.sms.http.headers]
Authorization = "Bearer {api_key}"
`

func TestOOBFull(t *testing.T) {
	c, err := Parse([]byte(oobFull))
	if err != nil {
		t.Fatalf("Parse = %v", err)
	}
	s := c.OOB.Settings(c.Policy.Engine())
	if s.Digits != 8 || s.Lifetime != 10*time.Minute || s.ResendAfter != 0 || s.SendsPerUser != 3 ||
		s.SendsPerSource != 50 || s.Window != 2*time.Hour || s.VPNName != "Example VPN" ||
		s.Lockout != (oob.Lockout{MaxFailures: 3, LockFor: time.Hour}) || s.SMSBody != "{code} is your {vpn} code" ||
		s.Email.Subject != "{vpn} code" {
		t.Errorf("Settings = %+v", s)
	}
	if m := s.SMTP; m == nil || m.TLS != oob.TLSImplicit || !m.RequireTLS || m.Timeout != 5*time.Second ||
		m.PasswordFile != "/etc/otpgate/smtp.password" || m.Helo != "vpn.example.org" {
		t.Errorf("SMTP = %+v", s.SMTP)
	}
	if h := s.HTTP; h == nil || h.Method != "PUT" || h.Headers["Authorization"] != "Bearer {api_key}" ||
		len(h.SuccessStatus) != 2 || h.Timeout != 3*time.Second {
		t.Errorf("HTTP = %+v", s.HTTP)
	}
}

func TestOOBDefaults(t *testing.T) {
	c, err := Parse([]byte("[oob.smtp]\nserver = \"127.0.0.1:25\"\nfrom = \"vpn@example.org\"\n"))
	if err != nil {
		t.Fatalf("Parse = %v", err)
	}
	s := c.OOB.Settings(c.Policy.Engine())
	want := oob.DefaultSettings()
	if s.Digits != want.Digits || s.Lifetime != 15*time.Minute || s.ResendAfter != want.ResendAfter ||
		s.SMTP.TLS != oob.TLSStartTLS || s.SMTP.Timeout != oob.DefaultTimeout || s.HTTP != nil {
		t.Errorf("Settings = %+v; want the defaults with STARTTLS", s)
	}
	if d, _ := Parse(nil); d.OOB.Settings(d.Policy.Engine()).SMTP != nil {
		t.Errorf("an empty file configures SMTP; want no gateway")
	}
}

func TestOOBErrors(t *testing.T) {
	smtp := "[oob.smtp]\nserver = \"127.0.0.1:25\"\nfrom = \"vpn@example.org\"\n"
	for _, tt := range []struct{ conf, want string }{
		{"[oob]\ndigits = 5\n", "oob.digits is 5 (accepted: 6 to 8)"},
		{"[oob]\nlifetime = \"30s\"\n", "oob.lifetime is 30s"},
		{"[oob]\nresend_after = \"1h\"\n", "oob.resend_after is 1h0m0s"},
		{"[oob]\nsends_per_user = 5000\n", "oob.sends_per_user is 5000"},
		{"[oob.email]\nbody = \"no code here\"\n", "oob.email.body has no {code}"},
		{"[oob.email]\nsubject = \"{cod}\"\n", "unknown field {cod}"},
		{"[oob.sms]\nbody = \"{vpn}\"\n", "oob.sms.body has no {code}"},
		{"[oob.smtp]\nserver = \"smtp.example.org\"\nfrom = \"vpn@example.org\"\n", "oob.smtp.server \"smtp.example.org\" is not host:port"},
		{smtp + "tls = \"ssl\"\n", "oob.smtp.tls \"ssl\" is not a mode"},
		{smtp + "username = \"otpgate\"\n", "username and oob.smtp.password_file go together"},
		{smtp + "password_file = \"smtp.pw\"\nusername = \"u\"\n", "oob.smtp.password_file \"smtp.pw\" is not an absolute path"},
		{"[oob.smtp]\nserver = \"127.0.0.1:25\"\nfrom = \"not an address\"\n", "oob.smtp.from"},
		{"[oob.smtp]\nserver = \"127.0.0.1:25\"\nfrom = \"vpn@example.org\"\ntimeout = \"10m\"\n", "oob.smtp.timeout is 10m0s"},
		{"[oob.sms.http]\nurl = \"http://sms.example.com/\"\nformat = \"form\"\nbody = \"to={to}&m={message}\"\n", "must be https://"},
		{"[oob.sms.http]\nurl = \"https://sms.example.com/\"\nmethod = \"GET\"\nformat = \"form\"\nbody = \"to={to}&m={message}\"\n", "oob.sms.http.method \"GET\""},
		{"[oob.sms.http]\nurl = \"https://sms.example.com/\"\nformat = \"json\"\nbody = '{\"to\": \"{to}\"}'\n", "neither {message} nor {code}"},
		{"[oob.sms.http]\nurl = \"https://sms.example.com/\"\nformat = \"form\"\nbody = \"to={to}&m={message}&k={api_key}\"\n", "api_key_file is not set"},
		{"[oob.sms.http]\nurl = \"https://sms.example.com/\"\nformat = \"form\"\nbody = \"to={to}&m={message}\"\nsuccess_value = \"ok\"\n", "success_value needs"},
		{"[oob.sms.http]\nurl = \"https://sms.example.com/\"\nformat = \"form\"\nbody = \"to={to}&m={message}\"\n[oob.sms.http.headers]\n\"Bad Header\" = \"x\"\n", "is not a header"},
		{"[oob]\nsend_per_user = 5\n", "unknown key \"oob.send_per_user\""},
	} {
		_, err := Parse([]byte(tt.conf))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q) = %v; want an error containing %q", tt.conf, err, tt.want)
		}
	}
}
