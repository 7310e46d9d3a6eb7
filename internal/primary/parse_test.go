package primary

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		spec, wantType, wantErr string
	}{
		{"", "primary.None", ""},
		{"none", "primary.None", ""},
		{"pam:otpgate", "*primary.PAM", ""},
		{"pam:../etc/shadow", "", "pam"},
		{"htpasswd:/nonexistent/users.htpasswd", "", "no such file"},
		{"ldap:x", "", "accepted: none, htpasswd:/path/to/file, pam:service, ldap"},
		{"ldap", "", "the caller opens"},
		{"kerberos", "", "accepted: none, htpasswd:/path/to/file, pam:service, ldap"},
	}
	for _, tt := range tests {
		c, err := Parse(tt.spec)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Parse(%q) = %v; want an error containing %q", tt.spec, err, tt.wantErr)
			}
			if c != nil {
				t.Errorf("Parse(%q) returned a checker with its error", tt.spec)
			}
			continue
		}
		if err != nil || typeName(c) != tt.wantType {
			t.Errorf("Parse(%q) = %s, %v; want %s", tt.spec, typeName(c), err, tt.wantType)
		}
	}
}

func typeName(c Checker) string {
	switch c.(type) {
	case None:
		return "primary.None"
	case *PAM:
		return "*primary.PAM"
	case nil:
		return "nil"
	}
	return "other"
}

// FuzzParseSpec checks that every name either parses to a kind with the
// argument it was written with, or is refused with an error naming the
// accepted forms; never a panic.
func FuzzParseSpec(f *testing.F) {
	for _, s := range []string{"", "none", "none:x", "htpasswd:/etc/u", "htpasswd:", "pam:openvpn", "ldap:x", "ldap", ":", "pam::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		s, err := ParseSpec(spec)
		if err != nil {
			if s != (Spec{}) {
				t.Errorf("ParseSpec(%q) = %+v with error %v", spec, s, err)
			}
			return
		}
		switch s.Kind {
		case KindNone:
			if spec != "" && spec != "none" {
				t.Errorf("ParseSpec(%q) = none", spec)
			}
		case KindLDAP:
			if spec != "ldap" || s.Arg != "" {
				t.Errorf("ParseSpec(%q) = %+v", spec, s)
			}
		case KindHtpasswd, KindPAM:
			if s.Arg == "" || spec != s.Kind+":"+s.Arg {
				t.Errorf("ParseSpec(%q) = %+v; want the kind and its argument as written", spec, s)
			}
		default:
			t.Errorf("ParseSpec(%q) = unknown kind %q", spec, s.Kind)
		}
	})
}
