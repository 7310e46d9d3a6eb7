package openvpn

import (
	"context"
	"encoding/base64"
	"maps"
	"strings"
	"testing"

	"otpgate.dev/otpgate/internal/auth"
)

func FuzzParseSCRV1(f *testing.F) {
	for _, tt := range scrv1Tests {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		pw, code, err := ParseSCRV1(s)
		if err != nil {
			return
		}
		pw2, code2, err := ParseSCRV1(FormatSCRV1(pw, code))
		if err != nil || pw2 != pw || code2 != code {
			t.Errorf("round trip of %q: %q, %q, %v", s, pw2, code2, err)
		}
	})
}

func FuzzParseCRV1(f *testing.F) {
	f.Add("CRV1:R,E:Om01u7Fh4LrGBS7uh0SWmzwabUiGiW6l:Y3Ix:Please enter token PIN")
	f.Add("CRV1:FIDO2,R:reg:YQ==:text:with:colons")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCRV1(s)
		if err != nil {
			return
		}
		c2, err := ParseCRV1(c.String())
		if err != nil || c2 != c {
			t.Errorf("round trip of %q: %+v, %v; want %+v", s, c2, err, c)
		}
	})
}

func FuzzParseCRV1Answer(f *testing.F) {
	for _, tt := range crv1AnswerTests {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		st, resp, err := ParseCRV1Answer(s)
		if err == nil && FormatCRV1Answer(st, resp) != s {
			t.Errorf("FormatCRV1Answer(ParseCRV1Answer(%q)) = %q", s, FormatCRV1Answer(st, resp))
		}
	})
}

func FuzzParseCRText(f *testing.F) {
	f.Add("CR_TEXT:E,R:Please enter your TOTP code!")
	f.Add("CR_TEXT:R:a:b")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCRText(s)
		if err != nil {
			return
		}
		if c2, err := ParseCRText(c.String()); err != nil || c2 != c {
			t.Errorf("round trip of %q: %+v, %v; want %+v", s, c2, err, c)
		}
	})
}

func FuzzParseCRResponse(f *testing.F) {
	for _, s := range []string{"MTIzNDU2\n", "MTIzNDU", "!!!!", "", "/w=="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		code, err := ParseCRResponse(s)
		if err != nil {
			return
		}
		if CheckCode(code) != nil {
			t.Errorf("ParseCRResponse(%q) = %q, which CheckCode refuses", s, code)
		}
		if got, err := ParseCRResponse(base64.StdEncoding.EncodeToString([]byte(code))); err != nil || got != code {
			t.Errorf("round trip of %q: %q, %v", code, got, err)
		}
	})
}

func FuzzParseCredentialsFile(f *testing.F) {
	for _, s := range []string{"alice\nsecret\n", "alice\n\n", "a\nb\nc\n", "\xff\nx\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		u, p, err := ParseCredentialsFile(b)
		if err != nil {
			return
		}
		if CheckUsername(u) != nil {
			t.Errorf("ParseCredentialsFile(%q) passed a username CheckUsername refuses", b)
		}
		if u2, p2, err := ParseCredentialsFile([]byte(u + "\n" + p + "\n")); err != nil || u2 != u || p2 != p {
			t.Errorf("round trip of %q: %q, %q, %v", b, u2, p2, err)
		}
	})
}

func FuzzParsePendingControl(f *testing.F) {
	for _, s := range []string{"pending:ch1\n", "1", "0", "pending:a:b", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		id, err := ParsePendingControl(b)
		if err != nil {
			return
		}
		m, err := MarshalPendingControl(id)
		if err != nil || m[0] == '0' || m[0] == '1' {
			t.Errorf("MarshalPendingControl(%q) = %q, %v", id, m, err)
		}
		if id2, err := ParsePendingControl(m); err != nil || id2 != id {
			t.Errorf("round trip of %q: %q, %v", id, id2, err)
		}
	})
}

func FuzzConfigFromEnv(f *testing.F) {
	f.Add("crtext", "300", "Please enter your TOTP code", "43200")
	f.Add("static", "0", "", "x")
	f.Fuzz(func(t *testing.T, style, timeout, text, lifetime string) {
		c, err := ConfigFromEnv(Env{EnvStyle: style, EnvChallengeTimeout: timeout, EnvChallengeText: text, EnvTokenLifetime: lifetime})
		if err == nil && c.Validate() != nil {
			t.Errorf("ConfigFromEnv accepted a config Validate refuses: %+v", c)
		}
	})
}

// FuzzLogin: against a service that refuses everything, no input gets in
// except a session OpenVPN itself vouched for, and none panics.
func FuzzLogin(f *testing.F) {
	f.Add("alice", "secret123456", "", true)
	f.Add("alice", "SCRV1:c2VjcmV0:MTIzNDU2", "", false)
	f.Add("alice", "CRV1::ch1::123456", "Initial", false)
	f.Add("alice", "SESS_ID_AT_abc", "Authenticated", false)
	f.Add("alice", "OTPGATE_AT1_AAAA", "", false)
	f.Fuzz(func(t *testing.T, user, password, state string, crtext bool) {
		svc := &fakeService{fn: func(auth.Request) (auth.Response, error) {
			return auth.Response{Outcome: auth.Reject}, nil
		}}
		for _, style := range []Style{StyleCRText, StyleCRV1, StyleStatic, StyleAppend, StyleCode} {
			a, _ := newAuth(t, style)
			a.Service = svc
			d := a.Login(context.Background(), Login{User: user, Password: password, SessionState: state, CRText: crtext})
			if d.Verdict != Reject && !(d.Verdict == Accept && state == SessionAuthenticated) {
				t.Errorf("Login(%q, %q, %q) in style %s = %v (%s); want reject", user, password, state, style, d.Verdict, d.Why)
			}
		}
	})
}

// FuzzParseEnv: whatever the environment (entries NUL-separated, as in
// /proc/PID/environ), ParseEnv keeps the last value of each name, no name
// is empty or holds '=', the map round-trips, and what is read from it
// (the source, the crtext support, the configuration, a login) never
// panics.
func FuzzParseEnv(f *testing.F) {
	f.Add("username=alice\x00untrusted_ip=192.0.2.1\x00IV_SSO=webauth,crtext\x00script_type=user-pass-verify")
	f.Add("a=1\x00a=2\x00=x\x00noequals\x00b==\x00" + EnvTokenLifetime + "=12h\x00" + EnvStyle + "=crv1")
	f.Add("untrusted_ip6=2001:db8::1\x00session_state=Authenticated\x00password=SESS_ID_AT_x")
	f.Fuzz(func(t *testing.T, s string) {
		entries := strings.Split(s, "\x00")
		env := ParseEnv(entries)
		want := map[string]string{}
		for _, kv := range entries {
			if name, value, ok := strings.Cut(kv, "="); ok && name != "" {
				want[name] = value
			}
		}
		if len(env) != len(want) {
			t.Fatalf("ParseEnv(%q) has %d names; want %d", entries, len(env), len(want))
		}
		var again []string
		for name, value := range env {
			if name == "" || strings.Contains(name, "=") || want[name] != value {
				t.Fatalf("ParseEnv(%q)[%q] = %q; want %q", entries, name, value, want[name])
			}
			again = append(again, name+"="+value)
		}
		if round := ParseEnv(again); !maps.Equal(round, env) {
			t.Fatalf("round trip of %q: %q", env, round)
		}
		_, _ = env.Source(), env.supportsCRText()
		ConfigFromEnv(env)
		a := &Authenticator{Service: &fakeService{fn: func(auth.Request) (auth.Response, error) { return auth.Response{}, nil }}, Config: DefaultConfig()}
		// OpenVPN itself vouches for a session_state Authenticated token.
		d := a.Login(context.Background(), LoginFromEnv(env, env.user(), env[EnvPassword]))
		if d.Verdict == Accept && env[EnvSessionState] != SessionAuthenticated {
			t.Fatalf("a service that accepts nothing let %q in", env)
		}
	})
}
