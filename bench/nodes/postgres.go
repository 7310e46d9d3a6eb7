package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// cluster is a private PostgreSQL cluster in a temporary directory, on
// 127.0.0.1 and a free port, with the server's durability defaults (fsync,
// synchronous_commit and full_page_writes on): the benchmark measures what
// a production database costs. As root, initdb and postgres run as the
// postgres system user, since both refuse root.
type cluster struct {
	bin, dir string
	port     int
	password string
	cred     *syscall.Credential
	proc     *exec.Cmd
	exited   chan struct{}
}

// startCluster runs initdb and starts the server.
func startCluster() (*cluster, error) {
	c := &cluster{password: rand.Text()}
	var err error
	if c.bin, err = postgresBin(); err != nil {
		return nil, err
	}
	if c.cred, err = postgresUser(); err != nil {
		return nil, err
	}
	if c.dir, err = os.MkdirTemp("", "otpgate-nodes-pg-"); err != nil {
		return nil, err
	}
	if c.cred != nil {
		if err := os.Chown(c.dir, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
			os.RemoveAll(c.dir)
			return nil, err
		}
	}
	if err := c.initdb(); err != nil {
		os.RemoveAll(c.dir)
		return nil, err
	}
	if err := c.start(); err != nil {
		c.stop()
		return nil, err
	}
	return c, nil
}

// postgresBin returns the newest /usr/lib/postgresql/*/bin, Debian's place
// for initdb and postgres.
func postgresBin() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int { return pgVersion(b) - pgVersion(a) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", errors.New("initdb not found in /usr/lib/postgresql/*/bin: apt-get install postgresql")
}

func pgVersion(bin string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(bin)))
	return n
}

// postgresUser returns the postgres user's ids when running as root.
func postgresUser() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root needs the postgres user, which Debian's postgresql package creates: %w", err)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}, nil
}

func (c *cluster) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(c.bin, name), args...)
	cmd.Dir = c.dir
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C"}
	// Its own process group, away from the terminal's ^C, and gone with us.
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred, Setpgid: true, Pdeathsig: syscall.SIGQUIT}
	return cmd
}

func (c *cluster) initdb() error {
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
		"--locale=C", "--auth-local=trust", "--auth-host=scram-sha-256", "--pwfile="+pwfile)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb: %v\n%s", err, out)
	}
	return nil
}

func (c *cluster) start() error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	c.port = l.Addr().(*net.TCPAddr).Port
	l.Close()
	log, err := os.Create(filepath.Join(c.dir, "postgres.log"))
	if err != nil {
		return err
	}
	defer log.Close()
	c.proc = c.command("postgres", "-D", filepath.Join(c.dir, "data"), "-k", c.dir,
		"-h", "127.0.0.1", "-p", strconv.Itoa(c.port), "-c", "log_min_messages=warning")
	c.proc.Stdout, c.proc.Stderr = log, log
	if err := c.proc.Start(); err != nil {
		return err
	}
	c.exited = make(chan struct{})
	go func() { c.proc.Wait(); close(c.exited) }()
	return c.waitReady()
}

func (c *cluster) waitReady() error {
	for end := time.Now().Add(time.Minute); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		select {
		case <-c.exited:
			out, _ := os.ReadFile(filepath.Join(c.dir, "postgres.log"))
			return fmt.Errorf("postgres exited at start:\n%s", out)
		default:
		}
		if c.exec(context.Background(), "SELECT 1") == nil {
			return nil
		}
	}
	return errors.New("postgres did not accept connections within a minute")
}

// url returns the URL of database name, as the superuser.
func (c *cluster) url(name string) string {
	return fmt.Sprintf("postgres://postgres:%s@127.0.0.1:%d/%s?sslmode=disable", c.password, c.port, name)
}

// exec runs one statement in the postgres database.
func (c *cluster) exec(ctx context.Context, sql string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.url("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

// stop shuts the server down (fast shutdown) and removes its directory.
func (c *cluster) stop() {
	if c.proc != nil && c.proc.Process != nil {
		c.proc.Process.Signal(syscall.SIGINT)
		select {
		case <-c.exited:
		case <-time.After(time.Minute):
			syscall.Kill(-c.proc.Process.Pid, syscall.SIGKILL)
			<-c.exited
		}
	}
	os.RemoveAll(c.dir)
}
