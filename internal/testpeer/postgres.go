package testpeer

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// A throwaway PostgreSQL cluster for tests: initdb into a temporary
// directory, a postmaster on 127.0.0.1 and a random free port, its socket in
// the same directory. It never touches Debian's own cluster (5432,
// /var/run/postgresql). initdb and postgres refuse to run as root, so as root
// they run as the postgres system user, which Debian's postgresql package
// creates.
//
// Two mechanisms make sure nothing outlives the test binary, however it
// ends: the postmaster gets SIGQUIT (immediate shutdown, which does not wait
// for clients) when the test process dies (Pdeathsig), and a watchdog shell,
// holding a pipe from the test process, removes the directory once that
// pipe closes and the postmaster is gone.

// postgresSettings are the cluster's defaults: small and fast, with no
// durability, since the cluster is thrown away.
var postgresSettings = []string{
	"fsync=off", "full_page_writes=off", "synchronous_commit=off",
	"shared_buffers=16MB", "max_connections=100", "autovacuum=off",
	"log_min_messages=warning", "unix_socket_permissions=0700",
}

// postgresWait bounds every wait on the cluster: start, stop, CREATE DATABASE.
const postgresWait = 2 * time.Minute

// watchdogScript runs as sh -c with the cluster directory as $1. It waits
// for its stdin to close (the test process exited or closed it), for the
// postmaster to remove its pid file (telling it once more to stop if it has
// not after 10 s), then removes the directory.
const watchdogScript = `cat >/dev/null
d=$1; i=0
while [ -e "$d/data/postmaster.pid" ] && [ $i -lt 600 ]; do
	if [ $i -eq 100 ]; then
		p=$(head -n 1 "$d/data/postmaster.pid")
		[ "$(cat /proc/$p/comm 2>/dev/null)" = postgres ] && kill -QUIT "$p"
	fi
	sleep 0.1; i=$((i+1))
done
rm -rf "$d"`

// PostgresCluster is a throwaway PostgreSQL cluster. Its methods are safe
// for concurrent use.
type PostgresCluster struct {
	bin      string // directory of initdb and postgres
	dir      string
	port     int
	password string // of the superuser postgres; random
	cred     *syscall.Credential
	settings []string

	watchdog *exec.Cmd
	wdPipe   io.WriteCloser

	mu     sync.Mutex
	proc   *exec.Cmd // the running postmaster, nil when stopped
	exited chan struct{}
	dbs    atomic.Int64
}

var shared struct {
	once sync.Once
	c    *PostgresCluster
	err  error
}

// Postgres returns the URL of a new, empty database on the test binary's
// shared cluster, started at the first call. The database is dropped when t
// ends; the cluster stops when the test binary exits, or at [StopPostgres].
// Missing PostgreSQL binaries fail t.
func Postgres(t testing.TB) string {
	t.Helper()
	shared.once.Do(func() { shared.c, shared.err = startPostgres(nil) })
	if shared.err != nil {
		t.Fatalf("testpeer: postgres: %v", shared.err)
	}
	return shared.c.NewDB(t)
}

// StopPostgres stops the shared cluster and removes its files. A TestMain
// may call it after m.Run; without it the cluster goes when the process
// exits.
func StopPostgres() {
	if shared.c != nil {
		shared.c.close()
	}
}

// NewPostgres starts a cluster of t's own, which t may stop and start again
// (an outage test), and which is removed when t ends. Each setting
// ("fsync=on") overrides the fast defaults.
func NewPostgres(t testing.TB, settings ...string) *PostgresCluster {
	t.Helper()
	c, err := startPostgres(settings)
	if err != nil {
		t.Fatalf("testpeer: postgres: %v", err)
	}
	t.Cleanup(c.close)
	return c
}

// Addr returns the cluster's host:port.
func (c *PostgresCluster) Addr() string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(c.port))
}

// URL returns the URL of the database called name as the superuser.
func (c *PostgresCluster) URL(name string) string {
	return fmt.Sprintf("postgres://postgres:%s@%s/%s?sslmode=disable", c.password, c.Addr(), name)
}

// NewDB creates an empty database with a unique name and returns its URL.
// The database is dropped when t ends, if the cluster is up.
func (c *PostgresCluster) NewDB(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("otpgate_%d", c.dbs.Add(1))
	if err := c.admin(t.Context(), "CREATE DATABASE "+name); err != nil {
		t.Fatalf("testpeer: postgres: create database: %v", err)
	}
	t.Cleanup(func() { c.admin(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") })
	return c.URL(name)
}

func (c *PostgresCluster) admin(ctx context.Context, sql string) error {
	ctx, cancel := context.WithTimeout(ctx, postgresWait)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

// Stop shuts the postmaster down as an administrator would (fast shutdown:
// clients are disconnected, a checkpoint is written) and waits until it has
// exited.
func (c *PostgresCluster) Stop(t testing.TB) {
	t.Helper()
	if err := c.stop(syscall.SIGINT); err != nil {
		t.Fatalf("testpeer: postgres: stop: %v", err)
	}
}

// Start starts a stopped cluster again on the same port and waits until it
// accepts connections.
func (c *PostgresCluster) Start(t testing.TB) {
	t.Helper()
	if err := c.start(); err != nil {
		t.Fatalf("testpeer: postgres: start: %v", err)
	}
}

func startPostgres(settings []string) (*PostgresCluster, error) {
	bin, err := postgresBin()
	if err != nil {
		return nil, err
	}
	c := &PostgresCluster{bin: bin, settings: settings}
	if c.cred, err = postgresCredential(); err != nil {
		return nil, err
	}
	if err := c.makeDir(); err != nil {
		return nil, err
	}
	if err := c.initdb(); err != nil {
		c.close()
		return nil, err
	}
	for range 5 { // another process may take the free port before we bind it
		if c.port, err = freePort(); err != nil {
			break
		}
		if err = c.start(); err == nil || !errors.Is(err, errPortTaken) {
			break
		}
	}
	if err != nil {
		c.close()
		return nil, err
	}
	return c, nil
}

// postgresBin finds the directory holding initdb and postgres: the newest
// Debian version under /usr/lib/postgresql, or else PATH.
func postgresBin() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int { return version(b) - version(a) })
	if p, err := exec.LookPath("initdb"); err == nil {
		dirs = append(dirs, filepath.Dir(p))
	}
	for _, d := range dirs {
		if isExecutable(filepath.Join(d, "initdb")) && isExecutable(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	return "", errors.New("PostgreSQL server programs (initdb, postgres) not found in /usr/lib/postgresql/*/bin " +
		"or on PATH: install Debian's postgresql package, or run `make test`, which installs the test peers")
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// postgresCredential returns the postgres user's ids when running as root,
// nil otherwise (the server then runs as the current user).
func postgresCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root, and initdb refuses root, but there is no postgres user "+
			"to run it as (%v): install Debian's postgresql package, which creates it", err)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}, nil
}

// makeDir creates the cluster's directory, owned by the server's user, and
// starts the watchdog that removes it.
func (c *PostgresCluster) makeDir() error {
	dir, err := os.MkdirTemp("", "otpgate-pg-")
	if err != nil {
		return err
	}
	c.dir = dir
	if c.cred != nil {
		if err := os.Chown(dir, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
			os.RemoveAll(dir)
			return err
		}
		if err := searchable(filepath.Dir(dir)); err != nil {
			os.RemoveAll(dir)
			return err
		}
	}
	c.watchdog = exec.Command("/bin/sh", "-c", watchdogScript, "sh", dir)
	c.watchdog.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if c.wdPipe, err = c.watchdog.StdinPipe(); err == nil {
		err = c.watchdog.Start()
	}
	if err != nil {
		os.RemoveAll(dir)
		return fmt.Errorf("start watchdog: %w", err)
	}
	return nil
}

// searchable checks that the postgres user can reach the temporary
// directory through dir and its parents.
func searchable(dir string) error {
	for d := dir; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return err
		}
		if fi.Mode().Perm()&0o001 == 0 {
			return fmt.Errorf("the postgres user cannot enter %s (mode %v): set TMPDIR to a directory it can reach, such as /tmp", d, fi.Mode().Perm())
		}
		if d == filepath.Dir(d) {
			return nil
		}
	}
}

func (c *PostgresCluster) initdb() error {
	var b [16]byte
	rand.Read(b[:])
	c.password = hex.EncodeToString(b[:])
	pwfile := filepath.Join(c.dir, "pw")
	if err := os.WriteFile(pwfile, []byte(c.password+"\n"), 0o600); err != nil {
		return err
	}
	defer os.Remove(pwfile)
	if c.cred != nil {
		if err := os.Chown(pwfile, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
			return err
		}
	}
	cmd := c.command("initdb", "-D", filepath.Join(c.dir, "data"), "-U", "postgres", "-E", "UTF8",
		"--locale=C", "--auth-local=trust", "--auth-host=scram-sha-256", "--pwfile="+pwfile, "--no-sync")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb: %v\n%s", err, out)
	}
	return nil
}

func (c *PostgresCluster) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(c.bin, name), args...)
	cmd.Dir = c.dir
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred, Setpgid: true}
	return cmd
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

var errPortTaken = errors.New("port taken")

func (c *PostgresCluster) start() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.proc != nil {
		return errors.New("already running")
	}
	args := []string{"-D", filepath.Join(c.dir, "data"), "-k", c.dir, "-h", "127.0.0.1", "-p", strconv.Itoa(c.port)}
	for _, s := range append(slices.Clone(postgresSettings), c.settings...) {
		args = append(args, "-c", s)
	}
	logPath := filepath.Join(c.dir, "postgres.log")
	log, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer log.Close()
	cmd := c.command("postgres", args...)
	cmd.Stdout, cmd.Stderr = log, log
	// The postmaster is in its own process group, away from a terminal's
	// ^C, and stops at once when the test process dies.
	cmd.SysProcAttr.Pdeathsig = syscall.SIGQUIT
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	c.proc, c.exited = cmd, exited
	if err := c.waitReady(exited); err != nil {
		c.kill()
		out, _ := os.ReadFile(logPath)
		if strings.Contains(string(out), "could not bind") || strings.Contains(string(out), "in use") {
			return fmt.Errorf("%w: %s", errPortTaken, out)
		}
		return fmt.Errorf("postgres on %s: %v\n%s", c.Addr(), err, out)
	}
	return nil
}

func (c *PostgresCluster) waitReady(exited <-chan struct{}) error {
	deadline := time.Now().Add(postgresWait)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		conn, err := pgx.Connect(ctx, c.URL("postgres"))
		cancel()
		if err == nil {
			return conn.Close(context.Background())
		}
		select {
		case <-exited:
			return errors.New("the postmaster exited")
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %v: %v", postgresWait, err)
		}
	}
}

// stop sends the postmaster sig, SIGINT for a fast shutdown or SIGQUIT for
// an immediate one, and waits for it to exit.
func (c *PostgresCluster) stop(sig syscall.Signal) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.proc == nil {
		return nil
	}
	c.proc.Process.Signal(sig)
	select {
	case <-c.exited:
		c.proc = nil
		return nil
	case <-time.After(postgresWait):
		c.kill()
		return fmt.Errorf("the postmaster ignored %v for %v; killed", sig, postgresWait)
	}
}

// kill ends the postmaster and its backends at once. c.mu is held.
func (c *PostgresCluster) kill() {
	syscall.Kill(-c.proc.Process.Pid, syscall.SIGKILL)
	<-c.exited
	c.proc = nil
	os.Remove(filepath.Join(c.dir, "data", "postmaster.pid")) // or the watchdog waits for it
}

// close stops the cluster and waits for the watchdog to remove its files.
func (c *PostgresCluster) close() {
	c.stop(syscall.SIGQUIT)
	c.wdPipe.Close()
	c.watchdog.Wait()
}
