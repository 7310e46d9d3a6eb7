package auth

import (
	"context"
	"net/netip"
	"testing"
	"time"

	layeh "layeh.com/radius"

	"otpgate.dev/otpgate/internal/policy"
	"otpgate.dev/otpgate/internal/radproxy"
	"otpgate.dev/otpgate/internal/testpeer"
)

const legacySecret = "legacy-secret-for-auth-tests"

// legacyRSA is a FreeRADIUS standing in for an RSA server: "dave" logs in
// with PIN and tokencode, "erin" answers a next-tokencode challenge.
func legacyRSA(t *testing.T) *testpeer.FreeRADIUS {
	return testpeer.StartFreeRADIUS(t, testpeer.FreeRADIUSConfig{
		Secret: legacySecret,
		Users:  "dave\tCleartext-Password := \"4711123456\"\n\tClass = \"rsa-users\"\nalice\tCleartext-Password := \"legacy\"\n",
		Authorize: `
		if (User-Name == "erin") {
			if (!State) {
				update reply {
					Reply-Message := "Next tokencode:"
					State := "rsa-next-1"
				}
				update control {
					Response-Packet-Type := Access-Challenge
				}
				handled
			}
			elsif (State == "rsa-next-1" && User-Password == "222222") {
				update control {
					Auth-Type := Accept
				}
			}
			else {
				reject
			}
		}`,
	})
}

func withForward(t *testing.T, servers []netip.AddrPort, codeOnly bool) *fixture {
	t.Helper()
	f := withPolicy(t, []policy.Rule{{Name: "migrating", Outcome: policy.Outcome{Forward: "rsa"}}}, nil)
	c, err := radproxy.New(radproxy.Config{Name: "rsa", Servers: servers, Secret: []byte(legacySecret), Timeout: 300 * time.Millisecond, Tries: 1}, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	f.svc.cfg.Forward = map[string]Forward{"rsa": {Client: c, CodeOnly: codeOnly}}
	return f
}

// TestForward: a user without a token here is forwarded, and the legacy
// server decides; a user with one is verified here, never forwarded.
func TestForward(t *testing.T) {
	fr := legacyRSA(t)
	f := withForward(t, []netip.AddrPort{fr.Addr}, false)
	got := f.auth(t, Request{User: "dave", Style: Appended, Password: "4711123456"})
	if got.Outcome != Accept || string(got.Passed.Get(25)) != "rsa-users" {
		t.Errorf("dave forwarded = %+v; want accept with the legacy server's Class", got)
	}
	if got := f.auth(t, Request{User: "dave", Style: Appended, Password: "4711000000"}); got.Outcome != Reject {
		t.Errorf("dave with a wrong tokencode = %+v; want reject", got)
	}
	// alice holds a token here: the legacy server's password for her is
	// never tried.
	if got := f.auth(t, Request{User: "alice", Style: Appended, Password: "legacy"}); got.Outcome != Reject {
		t.Errorf("alice with her legacy password = %+v; want reject (she is verified here)", got)
	}
	if got := f.auth(t, Request{User: "alice", Style: Appended, Password: "pw" + f.code(0)}); got.Outcome != Accept {
		t.Errorf("alice with her otpgate code = %+v; want accept", got)
	}
}

// TestForwardChallenge: the legacy server's challenge comes back under an
// otpgate challenge ID, and its answer goes to that server with its State.
func TestForwardChallenge(t *testing.T) {
	fr := legacyRSA(t)
	f := withForward(t, []netip.AddrPort{fr.Addr}, false)
	ch := f.auth(t, Request{User: "erin", Style: Appended, Password: "4711111111"})
	if ch.Outcome != ChallengeIssued || ch.Challenge.Prompt != "Next tokencode:" || ch.Challenge.ID == "rsa-next-1" {
		t.Fatalf("first step = %+v; want a challenge with the legacy prompt and otpgate's own ID", ch)
	}
	if got := f.auth(t, Request{ChallengeID: ch.Challenge.ID, Code: "222222"}); got.Outcome != Accept || got.User != "erin" {
		t.Errorf("answer = %+v; want accept for erin", got)
	}
	if got := f.auth(t, Request{ChallengeID: ch.Challenge.ID, Code: "222222"}); got.Outcome != Reject {
		t.Errorf("second answer to one challenge = %+v; want reject", got)
	}
	ch = f.auth(t, Request{User: "erin", Style: Appended, Password: "4711111111"})
	if got := f.auth(t, Request{ChallengeID: ch.Challenge.ID, Code: "999999"}); got.Outcome != Reject {
		t.Errorf("wrong answer = %+v; want reject", got)
	}
}

// TestForwardDown: no legacy server answers, and the login is refused.
func TestForwardDown(t *testing.T) {
	fr := legacyRSA(t)
	f := withForward(t, []netip.AddrPort{fr.Addr}, false)
	fr.Stop()
	got := f.auth(t, Request{User: "dave", Style: Appended, Password: "4711123456"})
	if got.Outcome != Reject {
		t.Errorf("forward with the legacy server down = %+v; want reject", got)
	}
}

// TestForwardCodeOnly: otpgate checks the primary password and sends the
// legacy server the code alone.
func TestForwardCodeOnly(t *testing.T) {
	fr := testpeer.StartFreeRADIUS(t, testpeer.FreeRADIUSConfig{Secret: legacySecret, Users: "frank\tCleartext-Password := \"123456\"\n"})
	f := withForward(t, []netip.AddrPort{fr.Addr}, true)
	f.svc.cfg.Primary = &recorder{}
	if got := f.auth(t, Request{User: "frank", Style: Appended, Password: "pw123456"}); got.Outcome != Accept {
		t.Errorf("frank, password here and code there = %+v; want accept", got)
	}
	if got := f.auth(t, Request{User: "frank", Style: Appended, Password: "px123456"}); got.Outcome != Reject || got.Reason != "wrong password" {
		t.Errorf("frank with a wrong password = %+v; want reject before forwarding", got)
	}
	if got := f.auth(t, Request{User: "frank", Style: Separate, Password: "pw", Code: "123456"}); got.Outcome != Accept {
		t.Errorf("frank, separate fields = %+v; want accept", got)
	}
}

// TestForwardCarriesNASAttributes: the NAS's attributes reach the legacy
// server (its Calling-Station-Id decides here).
func TestForwardCarriesNASAttributes(t *testing.T) {
	fr := testpeer.StartFreeRADIUS(t, testpeer.FreeRADIUSConfig{Secret: legacySecret, Users: "gina\tCalling-Station-Id == \"203.0.113.5\", Cleartext-Password := \"x\"\n"})
	f := withForward(t, []netip.AddrPort{fr.Addr}, false)
	attrs := layeh.Attributes{{Type: 31, Attribute: layeh.Attribute("203.0.113.5")}}
	if got, err := f.svc.Authenticate(context.Background(), Request{User: "gina", Style: Appended, Password: "x", Attributes: &attrs, Frontend: "radius"}); err != nil || got.Outcome != Accept {
		t.Errorf("gina from her station = %+v, %v; want accept", got, err)
	}
	if got := f.auth(t, Request{User: "gina", Style: Appended, Password: "x"}); got.Outcome != Reject {
		t.Errorf("gina without the station = %+v; want reject", got)
	}
}
