package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestTildePaths: "@~/FILE" in --token-secret (and $OTPGATE_TOKEN_SECRET)
// and "~/FILE" in the client's file flags name files under $HOME, as the
// examples in --help and the README write them: the shell does not expand a
// '~' after '@' or inside quotes.
func TestTildePaths(t *testing.T) {
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, ".config"), 0o700); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{".config/vpn.totp": string(rfcKey) + "\n", ".config/vpn.hotp": string(rfcKey) + ",1\n",
		"psk.hex": "12345678901234567890123456789012\n"} {
		if err := os.WriteFile(filepath.Join(home, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	vars := map[string]string{"HOME": home}
	tests := []struct {
		args []string
		vars map[string]string
		want string
	}{
		{[]string{"code", "--token-mode", "totp", "--token-secret", "@~/.config/vpn.totp"}, vars, "287082\n"},
		{[]string{"code", "--token-mode", "hotp", "--token-secret", "@~/.config/vpn.hotp"}, vars, "287082\n"},
		{[]string{"code", "--token-mode", "totp"}, map[string]string{"HOME": home, "OTPGATE_TOKEN_SECRET": "@~/.config/vpn.totp"}, "287082\n"},
		{[]string{"code", "--token-mode", "totp", "--token-secret", "~/.config/vpn.totp"}, vars, ""},
	}
	for _, tt := range tests {
		r := otpgate(t, "", tt.vars, tt.args...)
		if tt.want == "" {
			// Without '@' or a leading '/', the spec is the secret itself.
			if r.code != 0 || r.stdout == "287082\n" {
				t.Errorf("otpgate %q = %+v; want the code of the raw secret", tt.args, r)
			}
			continue
		}
		if r.code != 0 || r.stdout != tt.want {
			t.Errorf("otpgate %q = %d, %q, %q; want %q", tt.args, r.code, r.stdout, r.stderr, tt.want)
		}
	}
	if b := readToken(t, filepath.Join(home, ".config/vpn.hotp")); b != string(rfcKey)+",2\n" {
		t.Errorf("@~/ HOTP file after a code holds %q; want the counter saved", b)
	}
	fig6, _ := copyFigure(t, "fig6.pskc")
	r := otpgate(t, "", vars, "code", "--token-secret", "@"+fig6, "--pskc-key-file", "~/psk.hex")
	if r.code != 0 || r.stdout != eight(0)+"\n" {
		t.Errorf("--pskc-key-file ~/psk.hex = %d, %q, %q; want %s", r.code, r.stdout, r.stderr, eight(0))
	}
}
