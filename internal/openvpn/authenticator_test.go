package openvpn

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/auth"
	"otpgate.dev/otpgate/internal/openvpn/authtoken"
)

// fakeService answers with fn and records the requests.
type fakeService struct {
	mu   sync.Mutex
	reqs []auth.Request
	fn   func(auth.Request) (auth.Response, error)
}

func (f *fakeService) Authenticate(_ context.Context, req auth.Request) (auth.Response, error) {
	f.mu.Lock()
	f.reqs = append(f.reqs, req)
	f.mu.Unlock()
	return f.fn(req)
}

func (f *fakeService) last() auth.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.reqs) == 0 {
		return auth.Request{}
	}
	return f.reqs[len(f.reqs)-1]
}

var testNow = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// service accepts alice with password "secret" and code "123456" in every
// style, and challenges her with id "ch1" in the challenge style.
func service() *fakeService {
	return &fakeService{fn: func(r auth.Request) (auth.Response, error) {
		accept := auth.Response{Outcome: auth.Accept, User: "alice"}
		switch {
		case r.ChallengeID != "":
			if r.ChallengeID == "ch1" && r.Code == "123456" {
				return accept, nil
			}
		case r.User != "alice":
		case r.Style == auth.Challenge && r.Password == "secret":
			return auth.Response{Outcome: auth.ChallengeIssued, User: "alice", Challenge: &auth.PendingChallenge{
				ID: "ch1", Prompt: "Code?", Echo: true, Expires: testNow.Add(time.Minute)}}, nil
		case r.Style == auth.Separate && r.Password == "secret" && r.Code == "123456",
			r.Style == auth.Appended && r.Password == "secret123456",
			r.Style == auth.CodeOnly && r.Password == "123456":
			return accept, nil
		}
		return auth.Response{Outcome: auth.Reject, Reason: "no"}, nil
	}}
}

func newAuth(t *testing.T, style Style) (*Authenticator, *fakeService) {
	t.Helper()
	svc := service()
	cfg := DefaultConfig()
	cfg.Style = style
	k, err := authtoken.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return &Authenticator{Service: svc, Config: cfg, Tokens: k, Now: func() time.Time { return testNow }}, svc
}

func TestAuthenticatorLogin(t *testing.T) {
	for _, tt := range []struct {
		name  string
		style Style
		login Login
		want  Verdict
		req   auth.Style // of the request the service saw, "" for none
	}{
		{"append", StyleAppend, Login{User: "alice", Password: "secret123456"}, Accept, auth.Appended},
		{"append wrong", StyleAppend, Login{User: "alice", Password: "secret654321"}, Reject, auth.Appended},
		{"code", StyleCode, Login{User: "alice", Password: "123456"}, Accept, auth.CodeOnly},
		{"static", StyleStatic, Login{User: "alice", Password: FormatSCRV1("secret", "123456")}, Accept, auth.Separate},
		{"static in crtext style", StyleCRText, Login{User: "alice", Password: FormatSCRV1("secret", "123456")}, Accept, auth.Separate},
		{"static empty response", StyleStatic, Login{User: "alice", Password: FormatSCRV1("secret", "")}, Reject, ""},
		{"static bad base64", StyleStatic, Login{User: "alice", Password: "SCRV1:***:MTIz"}, Reject, ""},
		{"static plain password", StyleStatic, Login{User: "alice", Password: "secret"}, Reject, ""},
		{"crtext", StyleCRText, Login{User: "alice", Password: "secret", CRText: true}, Pending, auth.Challenge},
		{"crtext fallback", StyleCRText, Login{User: "alice", Password: "secret"}, Challenge, auth.Challenge},
		{"crv1", StyleCRV1, Login{User: "alice", Password: "secret", CRText: true}, Challenge, auth.Challenge},
		{"crv1 answer", StyleCRV1, Login{User: "alice", Password: "CRV1::ch1::123456"}, Accept, auth.Challenge},
		{"crv1 answer wrong", StyleCRV1, Login{User: "alice", Password: "CRV1::ch1::000000"}, Reject, auth.Challenge},
		{"crv1 answer for another user", StyleCRV1, Login{User: "bob", Password: "CRV1::ch1::123456"}, Reject, auth.Challenge},
		{"crv1 answer bad state", StyleCRV1, Login{User: "alice", Password: "CRV1::c h1::123456"}, Reject, ""},
		{"crv1 answer junk code", StyleCRV1, Login{User: "alice", Password: "CRV1::ch1::12 34"}, Reject, ""},
		{"wrong password", StyleCRText, Login{User: "alice", Password: "nope", CRText: true}, Reject, auth.Challenge},
		{"auth-gen-token", StyleCRText, Login{User: "alice", Password: "SESS_ID_AT_x", SessionState: SessionAuthenticated}, Accept, ""},
		{"auth-gen-token without token", StyleCRText, Login{User: "alice", Password: "secret", SessionState: SessionAuthenticated}, Reject, ""},
		{"auth-gen-token expired", StyleCRText, Login{User: "alice", Password: "SESS_ID_AT_x", SessionState: SessionExpired}, Reject, ""},
		{"auth-gen-token invalid", StyleCRText, Login{User: "alice", Password: "SESS_ID_AT_x", SessionState: SessionInvalid}, Reject, ""},
		{"auth-gen-token empty user", StyleCRText, Login{User: "alice", Password: "SESS_ID_AT_x", SessionState: SessionAuthenticatedEmptyUser}, Reject, ""},
		{"auth-gen-token expired empty user", StyleCRText, Login{User: "alice", Password: "SESS_ID_AT_x", SessionState: SessionExpiredEmptyUser}, Reject, ""},
		{"auth-gen-token unknown state", StyleCRText, Login{User: "alice", Password: "SESS_ID_AT_x", SessionState: "Bogus"}, Reject, ""},
		{"auth-gen-token initial", StyleCRText, Login{User: "alice", Password: "secret", SessionState: SessionInitial, CRText: true}, Pending, auth.Challenge},
		{"foreign token without session_state", StyleCRText, Login{User: "alice", Password: "SESS_ID_AT_x"}, Reject, ""},
		{"otpgate token, bad", StyleCRText, Login{User: "alice", Password: authtoken.Prefix + "AAAA"}, Reject, ""},
		{"empty user", StyleAppend, Login{User: "", Password: "secret123456"}, Reject, ""},
		{"10 kB user", StyleAppend, Login{User: strings.Repeat("a", 10240), Password: "secret123456"}, Reject, ""},
		{"invalid UTF-8 user", StyleAppend, Login{User: "al\xffice", Password: "secret123456"}, Reject, ""},
		{"newline user", StyleAppend, Login{User: "alice\nbob", Password: "secret123456"}, Reject, ""},
		{"NUL password", StyleAppend, Login{User: "alice", Password: "sec\x00ret123456"}, Reject, ""},
	} {
		a, svc := newAuth(t, tt.style)
		d := a.Login(context.Background(), tt.login)
		if d.Verdict != tt.want {
			t.Errorf("%s: Login(%q) = %v (%s); want %v", tt.name, tt.login.User, d.Verdict, d.Why, tt.want)
		}
		if got := svc.last().Style; got != tt.req {
			t.Errorf("%s: service saw style %q; want %q", tt.name, got, tt.req)
		}
		if r := svc.last(); r.Style != "" && r.Frontend != Frontend {
			t.Errorf("%s: Frontend = %q; want %q", tt.name, r.Frontend, Frontend)
		}
	}
}

// TestAuthenticatorChallenge: the client is shown the login service's
// prompt, whatever the front end's configuration says, so that
// [auth].challenge_text holds for RADIUS and OpenVPN alike.
func TestAuthenticatorChallenge(t *testing.T) {
	a, _ := newAuth(t, StyleCRText)
	a.Config.ChallengeText = "not this one"
	d := a.Login(context.Background(), Login{User: "alice", Password: "secret", CRText: true})
	want := CRText{Echo: true, Response: true, Text: "Code?"}
	if d.Verdict != Pending || d.CRText != want || d.ChallengeID != "ch1" || d.Timeout != time.Minute {
		t.Errorf("crtext decision = %+v; want CR_TEXT %+v, id ch1, timeout capped to the challenge's 1m", d, want)
	}
	a.Config.Style = StyleCRV1
	d = a.Login(context.Background(), Login{User: "alice", Password: "secret"})
	if got, want := d.ClientReason(), "CRV1:R,E:ch1:YWxpY2U=:Code?"; d.Verdict != Challenge || got != want {
		t.Errorf("crv1 client reason = %q; want %q", got, want)
	}
	a.Now = func() time.Time { return testNow.Add(time.Minute) }
	if d := a.Login(context.Background(), Login{User: "alice", Password: "secret"}); d.Verdict != Reject {
		t.Errorf("a challenge that expires at once = %v; want reject", d.Verdict)
	}
}

func TestAuthenticatorFailsClosed(t *testing.T) {
	for name, fn := range map[string]func(auth.Request) (auth.Response, error){
		"error": func(auth.Request) (auth.Response, error) {
			return auth.Response{Outcome: auth.Accept}, errors.New("store down")
		},
		"other user": func(auth.Request) (auth.Response, error) {
			return auth.Response{Outcome: auth.Accept, User: "bob"}, nil
		},
		"nil challenge":    func(auth.Request) (auth.Response, error) { return auth.Response{Outcome: auth.ChallengeIssued}, nil },
		"bad challenge id": func(auth.Request) (auth.Response, error) { return challengeWith("a:b"), nil },
		"unknown outcome":  func(auth.Request) (auth.Response, error) { return auth.Response{Outcome: 7}, nil },
		"expired challenge": func(auth.Request) (auth.Response, error) {
			r := challengeWith("x")
			r.Challenge.Expires = testNow
			return r, nil
		},
	} {
		for _, crtext := range []bool{false, true} {
			a, svc := newAuth(t, StyleCRText)
			svc.fn = fn
			d := a.Login(context.Background(), Login{User: "alice", Password: "secret", CRText: crtext})
			if d.Verdict != Reject {
				t.Errorf("%s (crtext %v): verdict %v; want reject", name, crtext, d.Verdict)
			}
		}
	}
	a := &Authenticator{Config: DefaultConfig()}
	if d := a.Login(context.Background(), Login{User: "alice", Password: "secret"}); d.Verdict != Reject {
		t.Errorf("no service: verdict %v; want reject", d.Verdict)
	}
}

func challengeWith(id string) auth.Response {
	return auth.Response{Outcome: auth.ChallengeIssued, User: "alice",
		Challenge: &auth.PendingChallenge{ID: id, Expires: testNow.Add(time.Minute)}}
}

func TestAuthenticatorToken(t *testing.T) {
	a, svc := newAuth(t, StyleStatic)
	lines, err := a.ConnectConfig("alice", "digest")
	if err != nil || len(lines) != 1 || !strings.HasPrefix(lines[0], `push "auth-token `+authtoken.Prefix) {
		t.Fatalf("ConnectConfig = %q, %v", lines, err)
	}
	tok := strings.TrimSuffix(strings.TrimPrefix(lines[0], `push "auth-token `), `"`)
	for _, tt := range []struct {
		name  string
		login Login
		want  Verdict
	}{
		{"same user and certificate", Login{User: "alice", Password: tok, Binding: "digest"}, Accept},
		{"other user", Login{User: "bob", Password: tok, Binding: "digest"}, Reject},
		{"other certificate", Login{User: "alice", Password: tok, Binding: "other"}, Reject},
		{"tampered", Login{User: "alice", Password: tok[:len(tok)-1] + "A", Binding: "digest"}, Reject},
	} {
		if d := a.Login(context.Background(), tt.login); d.Verdict != tt.want {
			t.Errorf("%s: verdict %v (%s); want %v", tt.name, d.Verdict, d.Why, tt.want)
		}
	}
	a.Now = func() time.Time { return testNow.Add(DefaultTokenLifetime) }
	if d := a.Login(context.Background(), Login{User: "alice", Password: tok, Binding: "digest"}); d.Verdict != Reject {
		t.Errorf("expired token: verdict %v; want reject", d.Verdict)
	}
	if len(svc.reqs) != 0 {
		t.Errorf("tokens reached the login service: %d requests", len(svc.reqs))
	}
	a.Tokens = nil
	if d := a.Login(context.Background(), Login{User: "alice", Password: tok, Binding: "digest"}); d.Verdict != Reject {
		t.Errorf("token without a key: verdict %v; want reject", d.Verdict)
	}
	if lines, err := a.ConnectConfig("alice", ""); lines != nil || err != nil {
		t.Errorf("ConnectConfig without a key = %q, %v; want nothing", lines, err)
	}
}

// activeService is a login service that can say whether a user is still
// enrolled.
type activeService struct {
	*fakeService
	active bool
	err    error
}

func (s *activeService) Active(context.Context, string) (bool, error) { return s.active, s.err }

// TestAuthenticatorSessionOfDeletedUser: a session that continues without
// a code (otpgate's auth token, --auth-gen-token) ends once the user is
// deleted or disabled, and when the store cannot say.
func TestAuthenticatorSessionOfDeletedUser(t *testing.T) {
	a, _ := newAuth(t, StyleStatic)
	lines, err := a.ConnectConfig("alice", "digest")
	if err != nil || len(lines) != 1 {
		t.Fatalf("ConnectConfig = %q, %v", lines, err)
	}
	tok := strings.TrimSuffix(strings.TrimPrefix(lines[0], `push "auth-token `), `"`)
	logins := map[string]Login{
		"otpgate token":  {User: "alice", Password: tok, Binding: "digest"},
		"auth-gen-token": {User: "alice", Password: "SESS_ID_AT_x", SessionState: SessionAuthenticated},
	}
	for _, tt := range []struct {
		name   string
		active bool
		err    error
		want   Verdict
	}{
		{"enrolled", true, nil, Accept},
		{"deleted or disabled", false, nil, Reject},
		{"store down", true, errors.New("store: database is locked"), Reject},
	} {
		a.Service = &activeService{fakeService: service(), active: tt.active, err: tt.err}
		for kind, l := range logins {
			if d := a.Login(context.Background(), l); d.Verdict != tt.want {
				t.Errorf("%s, %s: verdict %v (%s); want %v", kind, tt.name, d.Verdict, d.Why, tt.want)
			}
		}
	}
}

// TestUsernames: a name package username refuses never reaches the login
// service, and one typed in another Unicode form reaches it in NFC, the
// form names are stored in.
func TestUsernames(t *testing.T) {
	a, svc := newAuth(t, StyleAppend)
	for _, u := range []string{"ali\u202ece", "alice\u200b", " alice", "alice\x1b[2J", strings.Repeat("a", MaxUsername+1)} {
		n := len(svc.reqs)
		if d := a.Login(context.Background(), Login{User: u, Password: "secret123456"}); d.Verdict != Reject {
			t.Errorf("Login(%q) = %v; want reject", u, d.Verdict)
		}
		if len(svc.reqs) != n {
			t.Errorf("Login(%q) reached the login service", u)
		}
	}
	a.Login(context.Background(), Login{User: "Zoe\u0308", Password: "secret123456"})
	if got := svc.last().User; got != "Zoë" {
		t.Errorf("service saw user %q; want the NFC %q", got, "Zoë")
	}
}
