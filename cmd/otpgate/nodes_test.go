package main

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	layeh "layeh.com/radius"

	"otpgate.dev/otpgate/internal/enroll"
	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/secretbox"
	"otpgate.dev/otpgate/internal/site"
	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/testpeer"
)

// Several otpgate nodes on one PostgreSQL database: three `otpgate serve`
// processes, each with its own RADIUS socket, its own reply cache and its
// own connection pool, sharing only the database and the master key file.
// What one node guarantees alone (a code is accepted once, a challenge is
// answered once, failures lock a token) must hold across the three.

// nodeCount is how many otpgate serve processes a test runs.
const nodeCount = 3

// Waits for an answer. They bound a broken run; none is asserted.
const (
	radiusRetransmit = 2 * time.Second
	radiusWait       = 60 * time.Second // a live node must answer within it
	recoveryWait     = 2 * time.Minute
)

// Attribute types the tests write (RFC 2865, RFC 3579).
const (
	attrUserName             = 1
	attrUserPassword         = 2
	attrState                = 24
	attrMessageAuthenticator = 80
)

// nodeUser is an enrolled HOTP user and its seed, so the test can compute
// its codes.
type nodeUser struct {
	name string
	tok  string // token ID
	key  []byte
}

func (u nodeUser) code(counter uint64) string {
	return otp.Generate(u.key, counter, otp.DefaultParams())
}

// collisionFree reports whether none of u's first codes is also the code
// of another counter within the HOTP window: the streams of the kill and
// outage tests count on every fresh code being accepted, and the engine
// would take the later counter of two that share a code.
func (u nodeUser) collisionFree() bool {
	const counters, window = 512, 10
	seen := make(map[string]uint64, counters)
	for c := range uint64(counters) {
		code := u.code(c)
		if prev, ok := seen[code]; ok && c-prev < window {
			return false
		}
		seen[code] = c
	}
	return true
}

// nodeCluster is nodeCount otpgate serve processes on one database.
type nodeCluster struct {
	db     string
	secret []byte
	nodes  []*daemonProc
	st     store.Store // the test's own connection, to enroll and inspect
	box    *secretbox.Box
}

// startNodes enrolls users HOTP users (random seeds, counter 0) into db and
// starts nodeCount daemons on it whose one RADIUS client, 127.0.0.1, uses
// style; policy is the body of the [policy] section. Every node reads the
// same master key file, through $OTPGATE_KEY_FILE.
func startNodes(t *testing.T, db, style, policy string, users int) (*nodeCluster, []nodeUser) {
	t.Helper()
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "master.key")
	t.Setenv(site.EnvKeyFile, keyFile) // never /var/lib/otpgate, for us or the daemons
	c := &nodeCluster{db: db, secret: []byte(randomHex(16))}
	var err error
	if c.box, err = secretbox.LoadOrCreate(keyFile); err != nil {
		t.Fatal(err)
	}
	if c.st, err = site.OpenStore(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.st.Close() })
	enrolled := c.enroll(t, users)
	secretFile := filepath.Join(dir, "nas.secret")
	if err := os.WriteFile(secretFile, append(c.secret, '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := nodeConfig(db, secretFile, style, policy)
	for i := range nodeCount {
		nodeDir := filepath.Join(dir, fmt.Sprintf("node%d", i+1))
		if err := os.Mkdir(nodeDir, 0o700); err != nil {
			t.Fatal(err)
		}
		c.nodes = append(c.nodes, startServe(t, nodeDir, cfg))
	}
	return c, enrolled
}

func nodeConfig(db, secretFile, style, policy string) string {
	return fmt.Sprintf(`db = %q
[policy]
%s
[http]
listen = "127.0.0.1:0"
[radius]
listen = "127.0.0.1:0"
[[radius.client]]
name = "nas"
address = "127.0.0.1"
secret_file = %q
style = %q
rate = 1000000
burst = 1000000
`, db, policy, secretFile, style)
}

// enroll stores n users with one HOTP token each, in one transaction, the
// way `otpgate import` would.
func (c *nodeCluster) enroll(t *testing.T, n int) []nodeUser {
	t.Helper()
	users := make([]nodeUser, n)
	names := make([]string, n)
	toks := make([]*store.Token, n)
	for i := range users {
		u := nodeUser{name: fmt.Sprintf("user%03d", i), key: make([]byte, enroll.OATHSecretSize)}
		for rand.Read(u.key); !u.collisionFree(); rand.Read(u.key) {
		}
		tok, err := enroll.NewToken(c.box, enroll.Spec{User: u.name, Type: store.HOTP, Secret: u.key}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		u.tok = tok.ID
		users[i], names[i], toks[i] = u, u.name, &tok
	}
	if err := c.st.Import(t.Context(), names, toks); err != nil {
		t.Fatalf("Import(%d users) = %v", n, err)
	}
	return users
}

func (c *nodeCluster) token(t *testing.T, u nodeUser) store.Token {
	t.Helper()
	tok, err := c.st.Token(t.Context(), u.tok)
	if err != nil {
		t.Fatalf("Token(%s) = %v", u.name, err)
	}
	return tok
}

// login sends one PAP Access-Request to node i and returns the reply's
// code, 0 when there was none within wait.
func (c *nodeCluster) login(t *testing.T, i int, user, password, state string, wait time.Duration) (layeh.Code, string) {
	t.Helper()
	p, err := exchange(c.nodes[i].radius, c.secret, papRequest(t, c.secret, user, password, state), wait)
	if err != nil {
		return 0, ""
	}
	return p.Code, string(p.Get(attrState))
}

// loginAll sends the same request, byte for byte, to every node at the same
// moment and returns each node's reply code (0: none).
func (c *nodeCluster) loginAll(t *testing.T, user, password, state string) []layeh.Code {
	t.Helper()
	req := papRequest(t, c.secret, user, password, state)
	codes := make([]layeh.Code, len(c.nodes))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, d := range c.nodes {
		wg.Go(func() {
			<-start
			if p, err := exchange(d.radius, c.secret, req, radiusWait); err == nil {
				codes[i] = p.Code
			}
		})
	}
	close(start)
	wg.Wait()
	return codes
}

// papRequest encodes an Access-Request with the Message-Authenticator
// first (RFC 3579 section 3.2), a random Identifier and Request
// Authenticator, and the password hidden as RFC 2865 section 5.2 says.
func papRequest(t testing.TB, secret []byte, user, password, state string) []byte {
	t.Helper()
	p := &layeh.Packet{Code: layeh.CodeAccessRequest, Secret: secret}
	var rnd [17]byte
	rand.Read(rnd[:])
	p.Identifier = rnd[0]
	copy(p.Authenticator[:], rnd[1:])
	enc, err := layeh.NewUserPassword([]byte(password), secret, p.Authenticator[:])
	if err != nil {
		t.Fatal(err)
	}
	p.Add(attrMessageAuthenticator, make(layeh.Attribute, 16))
	p.Add(attrUserName, layeh.Attribute(user))
	p.Add(attrUserPassword, enc)
	if state != "" {
		p.Add(attrState, layeh.Attribute(state))
	}
	b, err := p.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	m := hmac.New(md5.New, secret)
	m.Write(b)
	m.Sum(b[22:22]) // the Message-Authenticator's value, right after the header
	return b
}

var errNoAnswer = errors.New("no answer")

// exchange sends req to addr, again every radiusRetransmit as a NAS does
// (the server's reply cache answers a retransmission without verifying
// twice), until an authentic reply arrives or wait has passed.
func exchange(addr string, secret, req []byte, wait time.Duration) (*layeh.Packet, error) {
	conn, err := net.Dial("udp", addr)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	buf := make([]byte, 4096)
	for end := time.Now().Add(wait); time.Now().Before(end); {
		if _, err := conn.Write(req); err != nil {
			return nil, err
		}
		deadline := time.Now().Add(radiusRetransmit)
		if deadline.After(end) {
			deadline = end
		}
		conn.SetReadDeadline(deadline)
		for {
			n, err := conn.Read(buf)
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				break
			}
			if err != nil {
				return nil, err // the node is gone: ICMP port unreachable
			}
			if n >= 20 && buf[1] == req[1] && layeh.IsAuthenticResponse(buf[:n], req, secret) {
				return layeh.Parse(buf[:n], secret)
			}
		}
	}
	return nil, errNoAnswer
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// auditCounts returns how many verify events each user has with each
// result ("ok", "replay", "fail", "locked"), read with otpgate audit --json.
func auditCounts(t *testing.T, db string) map[string]map[string]int {
	t.Helper()
	// The key file startNodes put in the process's environment.
	r := otpgate(t, "", map[string]string{site.EnvKeyFile: os.Getenv(site.EnvKeyFile)}, "audit", "--json", "--limit", "0", "--db", db)
	if r.code != 0 {
		t.Fatalf("otpgate audit --json = %d, %q", r.code, r.stderr)
	}
	counts := map[string]map[string]int{}
	for line := range strings.Lines(r.stdout) {
		var ev struct{ Action, User, Result string }
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("otpgate audit --json line %q: %v", line, err)
		}
		if ev.Action != "verify" {
			continue
		}
		if counts[ev.User] == nil {
			counts[ev.User] = map[string]int{}
		}
		counts[ev.User][ev.Result]++
	}
	return counts
}

// TestNodesExactlyOnce sends each valid code to the three nodes at once,
// the same Access-Request to each: exactly one node accepts it, in every
// one of 5000 trials, and the audit table holds one success per code.
//
// Six-digit codes collide: a code may also be the code of a later counter
// in the look-ahead window, and the engine then takes the highest, so the
// counters it skipped are used too (a code at or below the last accepted
// counter is never accepted). The test predicts each trial with that rule.
func TestNodesExactlyOnce(t *testing.T) {
	const (
		users    = 1000
		codes    = 5
		parallel = 16 // trials in flight, of different users
	)
	c, us := startNodes(t, testpeer.Postgres(t), "code", "max_failures = 1000", users)
	var (
		mu       sync.Mutex
		trials   int
		failures []string
		want     = make(map[string]hotpModel)
	)
	work := make(chan nodeUser)
	var wg sync.WaitGroup
	for range parallel {
		wg.Go(func() {
			for u := range work {
				m := hotpModel{}
				for counter := range uint64(codes) {
					accepts := m.try(u, u.code(counter))
					got := c.loginAll(t, u.name, u.code(counter), "")
					mu.Lock()
					trials++
					if n := countCode(got, layeh.CodeAccessAccept); n != accepts || slices.Contains(got, 0) {
						failures = append(failures, fmt.Sprintf("%s counter %d: replies %v; want %d Access-Accept", u.name, counter, got, accepts))
					}
					mu.Unlock()
				}
				mu.Lock()
				want[u.name] = m
				mu.Unlock()
			}
		})
	}
	for _, u := range us {
		work <- u
	}
	close(work)
	wg.Wait()
	if trials != users*codes || len(failures) > 0 {
		t.Fatalf("%d trials, %d not as predicted; first: %q", trials, len(failures), failures[:min(len(failures), 5)])
	}

	audit := auditCounts(t, c.db)
	collisions := 0
	for _, u := range us {
		m := want[u.name]
		if m.ok != codes {
			collisions++
		}
		if got := audit[u.name]; got["ok"] != m.ok || got["replay"] != 3*codes-m.ok {
			t.Errorf("audit of %s: %v; want %d ok and %d replay", u.name, got, m.ok, 3*codes-m.ok)
		}
		if tok := c.token(t, u); uint64(tok.Next) != m.next {
			t.Errorf("token of %s: Next = %d; want %d", u.name, tok.Next, m.next)
		}
	}
	t.Logf("%d trials; %d users had a code that matched a later counter too", trials, collisions)
}

// hotpModel is the engine's HOTP rule for one token: the next usable
// counter and the successes so far.
type hotpModel struct {
	next uint64
	ok   int
}

// try returns how many nodes should accept code (1 or 0) and moves the
// model on: the highest counter in the window [next, next+10) whose code it
// is wins.
func (m *hotpModel) try(u nodeUser, code string) int {
	const window = 10 // engine.DefaultPolicy().HOTPWindow
	for c := m.next + window - 1; c+1 > m.next; c-- {
		if u.code(c) == code {
			m.next, m.ok = c+1, m.ok+1
			return 1
		}
	}
	return 0
}

func countCode(codes []layeh.Code, want layeh.Code) int {
	n := 0
	for _, c := range codes {
		if c == want {
			n++
		}
	}
	return n
}

// TestNodesChallenge: an Access-Challenge from one node is answered on
// another; its State answered again on the third is refused, though the code
// is valid. The same answer sent to all three at once is accepted once.
func TestNodesChallenge(t *testing.T) {
	c, us := startNodes(t, testpeer.Postgres(t), "challenge", "", 1)
	u := us[0]
	var counter uint64
	for round := range nodeCount {
		ask, answer, again := round, (round+1)%nodeCount, (round+2)%nodeCount
		code, state := c.login(t, ask, u.name, "any password", "", radiusWait)
		if code != layeh.CodeAccessChallenge || state == "" {
			t.Fatalf("round %d: node %d answered the password with %v, State %q; want Access-Challenge and a State", round, ask+1, code, state)
		}
		if code, _ := c.login(t, answer, u.name, u.code(counter), state, radiusWait); code != layeh.CodeAccessAccept {
			t.Fatalf("round %d: node %d answered node %d's challenge with %v; want Access-Accept", round, answer+1, ask+1, code)
		}
		counter++
		// A code never used yet: only the State is spent. The next round
		// answers with this code and shows it was not consumed here.
		if code, _ := c.login(t, again, u.name, u.code(counter), state, radiusWait); code != layeh.CodeAccessReject {
			t.Errorf("round %d: node %d, State already answered: %v; want Access-Reject", round, again+1, code)
		}
	}

	for round := range 20 {
		_, state := c.login(t, round%nodeCount, u.name, "any password", "", radiusWait)
		got := c.loginAll(t, u.name, u.code(counter), state)
		counter++
		if countCode(got, layeh.CodeAccessAccept) != 1 || countCode(got, layeh.CodeAccessReject) != nodeCount-1 {
			t.Errorf("round %d: one answer sent to every node: replies %v; want one Access-Accept", round, got)
		}
	}
}

// TestNodesLockout: with max_failures = 4, wrong codes spread over the
// nodes lock the token at the 4th in total, and then a valid code is
// refused by every node exactly as a wrong one is, until an admin unlocks.
func TestNodesLockout(t *testing.T) {
	c, us := startNodes(t, testpeer.Postgres(t), "code", "max_failures = 4\nlock_for = \"0s\"", 1)
	u := us[0]
	wrong := wrongCode(u)
	var wrongReply *layeh.Packet
	for i := range 4 {
		node := i % nodeCount
		p, err := exchange(c.nodes[node].radius, c.secret, papRequest(t, c.secret, u.name, wrong, ""), radiusWait)
		if err != nil || p.Code != layeh.CodeAccessReject {
			t.Fatalf("wrong code %d on node %d: %v, %v; want Access-Reject", i+1, node+1, p, err)
		}
		wrongReply = p
		tok := c.token(t, u)
		if locked := tok.Locked(time.Now()); tok.Failures != i+1 || locked != (i == 3) {
			t.Fatalf("after %d wrong codes: failures %d, locked %v; want %d, %v", i+1, tok.Failures, locked, i+1, i == 3)
		}
	}
	valid := u.code(0)
	for node := range nodeCount {
		p, err := exchange(c.nodes[node].radius, c.secret, papRequest(t, c.secret, u.name, valid, ""), radiusWait)
		if err != nil || p.Code != layeh.CodeAccessReject {
			t.Fatalf("valid code on node %d while locked: %v, %v; want Access-Reject", node+1, p, err)
		}
		if got, want := replyAttributes(p), replyAttributes(wrongReply); !slices.Equal(got, want) {
			t.Errorf("node %d: the locked token's reply has attributes %q; a wrong code's has %q", node+1, got, want)
		}
	}
	if got := auditCounts(t, c.db)[u.name]; got["fail"] != 4 || got["locked"] != nodeCount || got["ok"] != 0 {
		t.Errorf("audit of %s: %v; want 4 fail and %d locked", u.name, got, nodeCount)
	}
	if err := c.st.Unlock(t.Context(), u.tok); err != nil {
		t.Fatal(err)
	}
	if code, _ := c.login(t, nodeCount-1, u.name, valid, "", radiusWait); code != layeh.CodeAccessAccept {
		t.Errorf("valid code after unlock: %v; want Access-Accept", code)
	}
}

// wrongCode returns a six-digit code that no counter in the look-ahead
// window (and far beyond) of u's token produces.
func wrongCode(u nodeUser) string {
	for n := 0; ; n++ {
		code := fmt.Sprintf("%06d", n*7919%1000000)
		if _, ok := otp.Verify(u.key, code, 0, 5000, otp.DefaultParams()); !ok {
			return code
		}
	}
}

// replyAttributes lists a reply's attributes but the Message-Authenticator,
// whose value differs in every reply.
func replyAttributes(p *layeh.Packet) []string {
	var s []string
	for _, a := range p.Attributes {
		if a.Type != attrMessageAuthenticator {
			s = append(s, fmt.Sprintf("%d=%x", a.Type, a.Attribute))
		}
	}
	return s
}

// sent is one code a stream sent, and what came back (0: no answer).
type sent struct {
	user    int // index in the test's users
	counter uint64
	node    int
	reply   layeh.Code
}

// stream logs the users us[i] for i in own in, one valid code after the
// other for each and each request to the next of nodes in turn, until stop
// closes or a request gets no answer. Each user's codes go in counter
// order, one at a time.
func (c *nodeCluster) stream(t *testing.T, us []nodeUser, own, nodes []int, stop <-chan struct{}, out chan<- sent) {
	next := make([]uint64, len(own))
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		j, node := i%len(own), nodes[i%len(nodes)]
		u := us[own[j]]
		code, _ := c.login(t, node, u.name, u.code(next[j]), "", radiusWait)
		out <- sent{user: own[j], counter: next[j], node: node, reply: code}
		if code == 0 {
			return
		}
		next[j]++
	}
}

// TestNodesKilledMidLogin: node 1 gets SIGKILL while logins stream into
// it. Every code it accepted stays used on nodes 2 and 3, a code whose
// answer the kill lost is accepted at most once in all, and nodes 2 and 3
// serve throughout.
func TestNodesKilledMidLogin(t *testing.T) {
	const (
		senders    = 8 // into node 1
		bystanders = 2 // into nodes 2 and 3, with users that never touch node 1
		perSender  = 5
		killAfter  = 60 // accepts by node 1
	)
	c, us := startNodes(t, testpeer.Postgres(t), "code", "max_failures = 1000", (senders+bystanders)*perSender)
	out := make(chan sent, 1024)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for s := range senders + bystanders {
		own, nodes := make([]int, perSender), []int{0}
		for j := range own {
			own[j] = s*perSender + j
		}
		if s >= senders {
			nodes = []int{1, 2}
		}
		wg.Go(func() { c.stream(t, us, own, nodes, stop, out) })
	}
	var log []sent
	for accepted := 0; accepted < killAfter; {
		r := <-out
		log = append(log, r)
		if r.node == 0 && r.reply == layeh.CodeAccessAccept {
			accepted++
		}
	}
	killed := c.nodes[0]
	if err := killed.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-killed.exited
	go func() { wg.Wait(); close(out) }()
	time.AfterFunc(radiusRetransmit, func() { close(stop) }) // the bystanders log in past the kill
	for r := range out {
		log = append(log, r)
	}
	checkKilled(t, c, us, log)
}

// checkKilled checks what the streams saw and then, on nodes 2 and 3,
// every code node 1 was sent.
func checkKilled(t *testing.T, c *nodeCluster, us []nodeUser, log []sent) {
	t.Helper()
	accepts := map[sent]int{} // by user and counter
	last := map[int]uint64{}  // each user's highest counter sent
	for _, r := range log {
		last[r.user] = max(last[r.user], r.counter)
		switch {
		case r.reply == layeh.CodeAccessAccept:
			accepts[sent{user: r.user, counter: r.counter}]++
		case r.node != 0 || r.reply != 0:
			t.Errorf("%s counter %d on node %d: %v; want Access-Accept", us[r.user].name, r.counter, r.node+1, r.reply)
		}
	}
	var byNode1, lost int
	for _, r := range log {
		if r.node != 0 {
			continue
		}
		if r.reply == layeh.CodeAccessAccept {
			byNode1++
			checkUsed(t, c, us[r.user], r.counter, "accepted by node 1")
			continue
		}
		lost++
		if checkLost(t, c, us[r.user], r.counter) {
			accepts[sent{user: r.user, counter: r.counter}]++
		}
	}
	t.Logf("node 1 accepted %d codes; the kill lost the answers to %d", byNode1, lost)
	for k, n := range accepts {
		if n > 1 {
			t.Errorf("%s counter %d: accepted %d times", us[k.user].name, k.counter, n)
		}
	}
	for user, counter := range last {
		node := 1 + user%2
		if code, _ := c.login(t, node, us[user].name, us[user].code(counter+1), "", radiusWait); code != layeh.CodeAccessAccept {
			t.Errorf("%s: a new code on node %d after the kill: %v; want Access-Accept", us[user].name, node+1, code)
		}
	}
}

// checkUsed checks that nodes 2 and 3 refuse u's code for counter, and
// that the database's Next is past it.
func checkUsed(t *testing.T, c *nodeCluster, u nodeUser, counter uint64, why string) {
	t.Helper()
	if next := c.token(t, u).Next; next <= int64(counter) {
		t.Errorf("%s counter %d, %s: the token's Next is %d", u.name, counter, why, next)
	}
	for node := 1; node < nodeCount; node++ {
		if code, _ := c.login(t, node, u.name, u.code(counter), "", radiusWait); code != layeh.CodeAccessReject {
			t.Errorf("%s counter %d, %s: node %d answers %v; want Access-Reject", u.name, counter, why, node+1, code)
		}
	}
}

// checkLost resolves a code whose answer from node 1 was lost to the
// kill. If the database shows it used, node 1 committed it before dying
// and nodes 2 and 3 must refuse it. Otherwise node 2 may accept it (node
// 1 never committed it) or refuse it (node 1's last statement committed
// after all, which the database then shows); node 3 must refuse it. It
// reports whether node 2 accepted.
func checkLost(t *testing.T, c *nodeCluster, u nodeUser, counter uint64) bool {
	t.Helper()
	if c.token(t, u).Next > int64(counter) {
		checkUsed(t, c, u, counter, "committed by node 1 before its answer was lost")
		return false
	}
	code, _ := c.login(t, 1, u.name, u.code(counter), "", radiusWait)
	switch code {
	case layeh.CodeAccessAccept:
		checkUsed(t, c, u, counter, "lost by node 1, accepted by node 2")
		return true
	case layeh.CodeAccessReject:
		checkUsed(t, c, u, counter, "lost by node 1, refused by node 2")
	default:
		t.Errorf("%s counter %d, lost by node 1: node 2 answers %v", u.name, counter, code)
	}
	return false
}

// TestNodesDatabaseOutage stops the database under three running nodes:
// every login fails closed (an Access-Reject or no answer, never an
// Access-Accept), /readyz says 503 while /healthz and the processes stay
// up; once the database is back, logins succeed again without a restart.
func TestNodesDatabaseOutage(t *testing.T) {
	pg := testpeer.NewPostgres(t)
	c, us := startNodes(t, pg.NewDB(t), "code", "max_failures = 1000", 1)
	u := us[0]
	var counter uint64
	for node := range nodeCount {
		if code, _ := c.login(t, node, u.name, u.code(counter), "", radiusWait); code != layeh.CodeAccessAccept {
			t.Fatalf("node %d before the outage: %v; want Access-Accept", node+1, code)
		}
		counter++
	}

	for node, d := range c.nodes {
		if code, body := httpGet(t, "http://"+d.http+"/readyz"); code != 200 {
			t.Errorf("node %d: /readyz before the outage = %d %q; want 200", node+1, code, body)
		}
	}
	pg.Stop(t)
	for node, d := range c.nodes {
		if code, _ := c.login(t, node, u.name, u.code(counter), "", 2*radiusRetransmit); code == layeh.CodeAccessAccept {
			t.Errorf("node %d with the database down: Access-Accept; want Access-Reject or no answer", node+1)
		}
		counter++
		if code, _ := httpGet(t, "http://"+d.http+"/readyz"); code != 503 {
			t.Errorf("node %d: /readyz with the database down = %d; want 503", node+1, code)
		}
		if code, _ := httpGet(t, "http://"+d.http+"/healthz"); code != 200 {
			t.Errorf("node %d: /healthz with the database down = %d; want 200", node+1, code)
		}
	}

	pg.Start(t)
	for node, d := range c.nodes {
		select {
		case <-d.exited:
			t.Fatalf("node %d exited during the outage: %v", node+1, d.exitErr)
		default:
		}
		if !loginUntilAccepted(t, c, node, u, &counter) {
			t.Errorf("node %d: no Access-Accept within %v of the database's return", node+1, recoveryWait)
		}
		// The login went through the store, so the probe must too.
		if code, body := httpGet(t, "http://"+d.http+"/readyz"); code != 200 {
			t.Errorf("node %d: /readyz after the database's return = %d %q; want 200", node+1, code, body)
		}
	}
}

// loginUntilAccepted logs u in on node with fresh codes until one is
// accepted: a pooled connection broken by the outage may fail one login
// (closed, never open) before the pool replaces it.
func loginUntilAccepted(t *testing.T, c *nodeCluster, node int, u nodeUser, counter *uint64) bool {
	t.Helper()
	for end := time.Now().Add(recoveryWait); time.Now().Before(end); {
		code, _ := c.login(t, node, u.name, u.code(*counter), "", radiusWait)
		*counter++
		if code == layeh.CodeAccessAccept {
			return true
		}
	}
	return false
}
