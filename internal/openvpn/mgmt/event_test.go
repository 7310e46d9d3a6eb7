package mgmt

import (
	"testing"
)

func TestParseClientHeader(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want ClientEvent
		ok   bool
	}{
		{"CONNECT,0,1", ClientEvent{Kind: KindConnect, CID: 0, KID: 1}, true},
		{"REAUTH,12,3", ClientEvent{Kind: KindReauth, CID: 12, KID: 3}, true},
		{"CR_RESPONSE,0,1,MTIzNDU2", ClientEvent{Kind: KindCRResponse, CID: 0, KID: 1, Response: "MTIzNDU2"}, true},
		{"ESTABLISHED,4", ClientEvent{Kind: KindEstablished, CID: 4}, true},
		{"DISCONNECT,4", ClientEvent{Kind: KindDisconnect, CID: 4}, true},
		{"ADDRESS,4,10.8.0.6,1", ClientEvent{Kind: KindAddress, CID: 4}, true},
		{"CONNECT,0", ClientEvent{}, false},
		{"CONNECT,x,1", ClientEvent{}, false},
		{"CONNECT,0,-1", ClientEvent{}, false},
		{"CR_RESPONSE,0,1", ClientEvent{}, false},
		{"CR_RESPONSE,0,1,a,b", ClientEvent{}, false},
		{"BOGUS,1", ClientEvent{}, false},
		{"", ClientEvent{}, false},
	} {
		got, err := ParseClientHeader(tt.in)
		if (err == nil) != tt.ok || got.Kind != tt.want.Kind || got.CID != tt.want.CID || got.KID != tt.want.KID || got.Response != tt.want.Response {
			t.Errorf("ParseClientHeader(%q) = %+v, %v; want %+v, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestEventReader(t *testing.T) {
	var r eventReader
	lines := []string{
		"CONNECT,0,1", "ENV,username=alice", "ENV,password=se=cret", "ENV,IV_SSO=crtext", "ENV,END",
		"ADDRESS,0,10.8.0.6,1",
		"ENV,stray=1",
		"REAUTH,0,2", "CONNECT,1,1", "ENV,username=bob", "ENV,END",
	}
	var got []*ClientEvent
	var errs int
	for _, l := range lines {
		ev, err := r.add(l)
		if err != nil {
			errs++
		}
		if ev != nil {
			got = append(got, ev)
		}
	}
	if len(got) != 3 || errs != 1 {
		t.Fatalf("got %d events and %d errors; want 3 and 1", len(got), errs)
	}
	if e := got[0]; e.Kind != KindConnect || e.Env["password"] != "se=cret" || e.Env["username"] != "alice" || len(e.Env) != 3 {
		t.Errorf("first event = %+v", e)
	}
	if e := got[2]; e.Kind != KindConnect || e.CID != 1 || e.Env["username"] != "bob" {
		t.Errorf("event after an unfinished block = %+v; want bob's CONNECT", e)
	}
}

func TestEventReaderLimit(t *testing.T) {
	var r eventReader
	r.add("CONNECT,0,1")
	for i := 0; i < maxEnv; i++ {
		if _, err := r.add("ENV,v" + string(rune('a'+i%26)) + string(rune('0'+i/26%10)) + string(rune('a'+i/260)) + "=x"); err != nil {
			t.Fatalf("variable %d: %v", i, err)
		}
	}
	if _, err := r.add("ENV,one=more"); err == nil {
		t.Errorf("an ENV block over %d variables was accepted", maxEnv)
	}
}

func FuzzEventReader(f *testing.F) {
	f.Add("CONNECT,0,1\nENV,username=alice\nENV,END")
	f.Add("CR_RESPONSE,0,1,MTIz\nENV,END\nDISCONNECT,0\nENV,END")
	f.Fuzz(func(t *testing.T, s string) {
		var r eventReader
		start := 0
		for i := 0; i <= len(s); i++ {
			if i == len(s) || s[i] == '\n' {
				ev, err := r.add(s[start:i])
				start = i + 1
				if ev != nil && (err != nil || ev.Kind == "" || (ev.hasEnv() && ev.Env == nil)) {
					t.Errorf("incomplete event %+v, %v", ev, err)
				}
			}
		}
	})
}
