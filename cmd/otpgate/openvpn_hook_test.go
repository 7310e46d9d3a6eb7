package main

import (
	"strings"
	"testing"
)

// A hook asked for help prints it and does nothing else; a hook called
// without the file OpenVPN always passes is a usage error, not a success.
func TestOpenVPNHookArguments(t *testing.T) {
	for _, tt := range []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{[]string{"openvpn", "verify", "--help"}, 0, "auth-user-pass-verify", ""},
		{[]string{"openvpn", "crresponse", "-h"}, 0, "client-crresponse", ""},
		{[]string{"openvpn", "client-connect", "--help"}, 0, "client-connect", ""},
		{[]string{"openvpn", "client-connect"}, 2, "", "client-connect needs the file"},
		{[]string{"openvpn", "verify", "a", "b"}, 2, "", `unexpected argument "b"`},
		{[]string{"openvpn", "frobnicate"}, 2, "", `unknown hook "frobnicate"`},
	} {
		r := otpgate(t, "", nil, tt.args...)
		if r.code != tt.code || !strings.Contains(r.stdout, tt.stdout) || !strings.Contains(r.stderr, tt.stderr) {
			t.Errorf("otpgate %q = %d, %q, %q; want %d, %q, %q", tt.args, r.code, r.stdout, r.stderr, tt.code, tt.stdout, tt.stderr)
		}
		if tt.code == 0 && r.stderr != "" {
			t.Errorf("otpgate %q: stderr %q; want the help alone, no hook run", tt.args, r.stderr)
		}
	}
}
