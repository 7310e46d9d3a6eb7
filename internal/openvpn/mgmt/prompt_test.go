package mgmt

import (
	"testing"

	"otpgate.dev/otpgate/internal/openvpn"
)

func TestParsePassword(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Password
		ok   bool
	}{
		{"Need 'Auth' username/password", Password{Need: true}, true},
		{"Need 'Auth' username/password SC:1,Enter OTP", Password{Need: true, StaticChallenge: &StaticChallenge{Echo: true, Text: "Enter OTP"}}, true},
		{"Need 'Auth' username/password SC:0,Code, please", Password{Need: true, StaticChallenge: &StaticChallenge{Text: "Code, please"}}, true},
		{"Need 'Auth' username/password SC:3,Token", Password{Need: true, StaticChallenge: &StaticChallenge{Echo: true, Concat: true, Text: "Token"}}, true},
		{"Need 'Auth' username/password SC:x,Token", Password{}, false},
		{"Need 'Auth' username/password junk", Password{}, false},
		{"Verification Failed: 'Auth'", Password{Failed: true}, true},
		{"Verification Failed: 'Auth' ['CRV1:R,E:st4te1d:YWxpY2U=:Enter OTP for alice']", Password{Failed: true, Reason: "CRV1:R,E:st4te1d:YWxpY2U=:Enter OTP for alice"}, true},
		{"Verification Failed: 'Auth' ['Authentication failed, required pending auth method 'crtext' not supported']",
			Password{Failed: true, Reason: "Authentication failed, required pending auth method 'crtext' not supported"}, true},
		{"Verification Failed: 'Auth' [oops", Password{}, false},
		{"Auth-Token:SESS_ID_AT_xyz", Password{AuthToken: true}, true},
		{"Need 'Private Key' password", Password{}, true},
	} {
		got, err := ParsePassword(tt.in)
		if (err == nil) != tt.ok || !samePassword(got, tt.want) {
			t.Errorf("ParsePassword(%q) = %+v, %v; want %+v, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func samePassword(a, b Password) bool {
	if (a.StaticChallenge == nil) != (b.StaticChallenge == nil) {
		return false
	}
	if a.StaticChallenge != nil && *a.StaticChallenge != *b.StaticChallenge {
		return false
	}
	a.StaticChallenge, b.StaticChallenge = nil, nil
	return a == b
}

func TestDynamicChallenge(t *testing.T) {
	p, _ := ParsePassword("Verification Failed: 'Auth' ['CRV1:R,E:st4te1d:YWxpY2U=:Enter OTP for alice']")
	c, ok := p.DynamicChallenge()
	want := openvpn.CRV1{Echo: true, Response: true, StateID: "st4te1d", User: "alice", Text: "Enter OTP for alice"}
	if !ok || c != want {
		t.Errorf("DynamicChallenge = %+v, %v; want %+v", c, ok, want)
	}
	if _, ok := (Password{Failed: true, Reason: "bad credentials"}).DynamicChallenge(); ok {
		t.Errorf("a plain failure has a dynamic challenge")
	}
}

func TestParseState(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want State
		ok   bool
	}{
		{"1795427515,CONNECTED,SUCCESS,10.202.0.10,10.201.0.1,1194,,", State{"CONNECTED", "SUCCESS"}, true},
		{"1795427514,AUTH_PENDING,timeout 299,,,,,", State{"AUTH_PENDING", "timeout 299"}, true},
		{"1795427514,RECONNECTING,auth-failure,,,,,", State{"RECONNECTING", "auth-failure"}, true},
		{"1795427514,WAIT", State{}, false},
	} {
		got, err := ParseState(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseState(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func FuzzParsePassword(f *testing.F) {
	f.Add("Need 'Auth' username/password SC:1,Enter OTP")
	f.Add("Verification Failed: 'Auth' ['CRV1:R,E:st4te1d:YWxpY2U=:Enter OTP for alice']")
	f.Add("Auth-Token:x")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePassword(s)
		if err != nil {
			return
		}
		if p.StaticChallenge != nil && !p.Need {
			t.Errorf("ParsePassword(%q): a static challenge without a prompt", s)
		}
		if c, ok := p.DynamicChallenge(); ok && c.StateID == "" {
			t.Errorf("ParsePassword(%q): a dynamic challenge without a state id", s)
		}
	})
}

func FuzzParseState(f *testing.F) {
	f.Add("1795427515,CONNECTED,SUCCESS,10.202.0.10,10.201.0.1,1194,,")
	f.Fuzz(func(t *testing.T, s string) {
		st, err := ParseState(s)
		if err == nil && (len(st.Name)+len(st.Detail) > len(s)) {
			t.Errorf("ParseState(%q) = %+v", s, st)
		}
	})
}
