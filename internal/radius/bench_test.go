package radius

import (
	"context"
	"testing"

	"otpgate.dev/otpgate/internal/auth"
)

type acceptAll struct{}

func (acceptAll) Authenticate(context.Context, auth.Request) (auth.Response, error) {
	return auth.Response{Outcome: auth.Accept}, nil
}

// BenchmarkHandle measures one Access-Request from parse to signed reply,
// with a login service that accepts at once.
func BenchmarkHandle(b *testing.B) {
	s, err := New(Config{Service: acceptAll{}, Clients: testClients(b, auth.Appended, false)})
	if err != nil {
		b.Fatal(err)
	}
	cl := s.clients.Load().lookup(testSrc.Addr())
	req := buildPacket(b, reqOpts{user: testUser, password: testPassword + testCode})
	b.ReportAllocs()
	for b.Loop() {
		if out, _ := s.handle(b.Context(), testSrc, cl, req); out == nil {
			b.Fatal("dropped")
		}
	}
}
