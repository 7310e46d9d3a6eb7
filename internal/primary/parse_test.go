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
		{"ldap:x", "", "accepted: none, htpasswd:/path/to/file, pam:service"},
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
