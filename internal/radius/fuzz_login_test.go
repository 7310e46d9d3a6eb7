package radius

import (
	"context"
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	layeh "layeh.com/radius"

	"otpgate.dev/otpgate/internal/auth"
	"otpgate.dev/otpgate/internal/engine"
	"otpgate.dev/otpgate/internal/enroll"
	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/primary"
	"otpgate.dev/otpgate/internal/secretbox"
	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/store/sqlite"
)

// realUser is a user of realLogin: a password in an htpasswd file and one
// token, TOTP or HOTP.
type realUser struct {
	password string
	typ      store.TokenType
	seed     []byte
	last     int64 // the oracle's highest accepted step or counter; -1 for none
}

// realLogin is the product's login path behind the RADIUS server: the
// auth service over the engine over a SQLite store in a temporary
// directory, bcrypt passwords, and a clock that stands still. Its four NAS
// clients, 127.0.0.1 to 127.0.0.4, use the styles append, challenge and
// code, and append without Message-Authenticator.
type realLogin struct {
	srv        *Server
	clients    []*entry
	now        time.Time
	users      map[string]*realUser
	challenges map[string]string // State of an Access-Challenge -> its user
	lastState  string
}

func newRealLogin(f *testing.F) *realLogin {
	ctx := context.Background()
	dir := f.TempDir()
	r := &realLogin{now: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC), challenges: make(map[string]string), users: map[string]*realUser{
		"alice": {password: "alice's password", typ: store.TOTP, seed: []byte("alice's seed, 20 oct"), last: -1},
		"bob":   {password: "bob's password", typ: store.HOTP, seed: []byte("bob's seed, 20 octet"), last: -1},
	}}
	box, err := secretbox.LoadOrCreate(filepath.Join(dir, "master.key"))
	if err != nil {
		f.Fatal(err)
	}
	st, err := sqlite.Open(ctx, filepath.Join(dir, "otpgate.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	var htpasswd []byte
	for name, u := range r.users {
		if _, err := enroll.Enroll(ctx, st, box, enroll.Spec{User: name, Type: u.typ, Secret: u.seed}, r.now); err != nil {
			f.Fatal(err)
		}
		hash, err := bcrypt.GenerateFromPassword([]byte(u.password), bcrypt.MinCost)
		if err != nil {
			f.Fatal(err)
		}
		htpasswd = fmt.Appendf(htpasswd, "%s:%s\n", name, hash)
	}
	path := filepath.Join(dir, "htpasswd")
	if err := os.WriteFile(path, htpasswd, 0o600); err != nil {
		f.Fatal(err)
	}
	pw, err := primary.LoadHtpasswd(path)
	if err != nil {
		f.Fatal(err)
	}
	pol := engine.DefaultPolicy()
	pol.MaxFailures = 1 << 30 // so that wrong guesses never lock the right codes out of reach
	clock := func() time.Time { return r.now }
	svc := auth.New(auth.Config{Primary: pw}, engine.New(st, box, pol, clock), st, clock)
	r.newServer(f, svc, clock)
	return r
}

func (r *realLogin) newServer(f *testing.F, svc Service, clock func() time.Time) {
	var list []Client
	for i, style := range []auth.Style{auth.Appended, auth.Challenge, auth.CodeOnly, auth.Appended} {
		list = append(list, Client{
			Prefix: netip.PrefixFrom(netip.AddrFrom4([4]byte{127, 0, 0, byte(i + 1)}), 32), Secret: []byte(testSecret),
			Style: style, AllowMissingMessageAuthenticator: i == 3,
		})
	}
	clients, err := NewClients(list)
	if err != nil {
		f.Fatal(err)
	}
	if r.srv, err = New(Config{Service: svc, Clients: clients, Now: clock}); err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { r.srv.Shutdown(context.Background()) })
	for i := range list {
		r.clients = append(r.clients, clients.lookup(list[i].Prefix.Addr()))
	}
}

// code returns user's code at step (TOTP) or counter (HOTP) n.
func (r *realLogin) code(user string, n int64) string {
	u := r.users[user]
	if u.typ == store.HOTP {
		return otp.Generate(u.seed, uint64(n), otp.DefaultParams())
	}
	return otp.Generate(u.seed, uint64(r.step()+n), otp.DefaultParams())
}

func (r *realLogin) step() int64 { return r.now.Unix() / int64(otp.DefaultPeriod/time.Second) }

// FuzzLoginRealEngine drives datagrams through the RADIUS server into the
// real login path: auth.Service splitting password and code, the engine,
// the SQLite store. With sign set, the harness appends a valid
// Message-Authenticator; with answer set, it first adds the State of the
// last Access-Challenge, so that the fuzzer reaches the second round. It
// asserts that nothing panics or fails inside, that every reply is well
// signed, and that an Access-Accept only ever answers a right password
// and a right code not accepted before.
func FuzzLoginRealEngine(f *testing.F) {
	r := newRealLogin(f)
	for nas, password := range map[byte]func(string) string{
		0: func(u string) string { return r.users[u].password + r.code(u, 0) },
		1: func(u string) string { return r.users[u].password },
		2: func(u string) string { return r.code(u, 0) },
		3: func(u string) string { return r.users[u].password + r.code(u, 1) },
	} {
		for _, user := range []string{"alice", "bob", "mallory"} {
			pw := "some password 123456"
			if r.users[user] != nil {
				pw = password(user)
			}
			f.Add(buildPacket(f, reqOpts{user: user, password: pw, noMA: nas == 3}), false, false, nas)
		}
	}
	f.Add(buildPacket(f, reqOpts{user: "alice", password: r.code("alice", 1), noMA: true}), true, true, byte(1))
	f.Add(buildPacket(f, reqOpts{code: layeh.CodeStatusServer, noMA: true}), true, false, byte(0))
	f.Fuzz(func(t *testing.T, b []byte, sign, answer bool, nas byte) {
		if answer {
			b = appendAttribute(b, typeState, []byte(r.lastState))
		}
		if sign {
			b = appendMessageAuthenticator(b)
		}
		r.serve(t, b, nas)
	})
}

// serve answers b as client nas would be answered and checks the reply.
func (r *realLogin) serve(t *testing.T, b []byte, nas byte) {
	cl := r.clients[int(nas)%len(r.clients)]
	src := netip.AddrPortFrom(cl.Prefix.Addr(), 1812)
	in, drop := check(cl, b)
	if drop != notDropped {
		return
	}
	out, drop := r.srv.answer(t.Context(), src, cl, in)
	if out == nil {
		if drop != DropMalformed {
			t.Fatalf("answer() dropped a checked request: %v", drop)
		}
		return
	}
	reply := checkReply(t, out, in.packet, testSecret)
	req, err := layeh.Parse(in.packet, []byte(testSecret))
	if err != nil {
		t.Fatalf("answered a request that does not parse: %v", err)
	}
	switch {
	case reply.Code == layeh.CodeAccessChallenge:
		r.lastState = string(reply.Get(typeState))
		r.challenges[r.lastState] = string(req.Get(typeUserName))
	case reply.Code == layeh.CodeAccessAccept && req.Code == layeh.CodeAccessRequest:
		r.checkAccept(t, cl, req)
	}
}

// checkAccept is the oracle: the request must carry the user's password
// (unless the client takes the code alone or it answers a challenge) and a
// code of the user's token above the last one accepted.
func (r *realLogin) checkAccept(t *testing.T, cl *entry, req *layeh.Packet) {
	user := string(req.Get(typeUserName))
	pw, err := layeh.UserPassword(req.Get(typeUserPassword), []byte(testSecret), req.Authenticator[:])
	if err != nil {
		t.Fatalf("accepted a request without a readable User-Password: %v", err)
	}
	code := string(pw)
	if state := req.Get(typeState); state != nil {
		var ok bool
		if user, ok = r.challenges[string(state)]; !ok {
			t.Fatalf("accepted the answer to a challenge never issued")
		}
	} else if cl.Style == auth.Appended {
		u := r.users[user]
		if u == nil || len(code) < len(u.password) || code[:len(u.password)] != u.password {
			t.Fatalf("accepted %q without the password", user)
		}
		code = code[len(u.password):]
	}
	if !r.consume(user, code) {
		t.Fatalf("accepted %q with a code that is not a fresh right one", user)
	}
}

// consume finds the lowest step or counter above the last accepted one
// whose code is code, within a generous reach, and takes it.
func (r *realLogin) consume(user, code string) bool {
	u := r.users[user]
	if u == nil {
		return false
	}
	lo, hi := max(u.last+1, -50), int64(50)
	if u.typ == store.HOTP {
		lo, hi = u.last+1, u.last+51
	}
	for n := lo; n <= hi; n++ {
		if r.code(user, n) == code {
			u.last = n
			return true
		}
	}
	return false
}

// appendAttribute appends an attribute to a datagram that has a header,
// fixing its Length; other input is returned as is.
func appendAttribute(b []byte, typ byte, value []byte) []byte {
	if len(b) < HeaderLength || len(value) == 0 || len(value) > maxStringLength || len(b)+2+len(value) > MaxPacketLength {
		return b
	}
	b = append(b[:len(b):len(b)], typ, byte(2+len(value)))
	b = append(b, value...)
	binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
	return b
}
