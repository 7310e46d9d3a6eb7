package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"otpgate.dev/otpgate/internal/site"
)

// buildOtpgate compiles cmd/otpgate into dir and returns the binary's path.
func buildOtpgate(dir string) (string, error) {
	bin := filepath.Join(dir, "otpgate")
	cmd := exec.Command("go", "build", "-o", bin, "otpgate.dev/otpgate/cmd/otpgate")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build ./cmd/otpgate: %w", err)
	}
	return bin, nil
}

// node is one running otpgate serve.
type node struct {
	cmd    *exec.Cmd
	radius string // the bound RADIUS address
	exited chan struct{}
	errors int // log records at level ERROR, read after exited closes
}

// nodeConfig is every node's configuration: the same file on each, as
// docs/scaling.md asks. The client's rate limit is lifted so that it does
// not cap the measurement.
const nodeConfig = `db = %q
[log]
level = %q
[http]
listen = "off"
[radius]
listen = "127.0.0.1:0"
[[radius.client]]
name = "bench"
address = "127.0.0.1"
secret_file = %q
style = "code"
rate = 1000000
burst = 1000000
`

// startNode writes the configuration into dir and starts otpgate serve
// with it and the master key file keyFile, returning once it is ready.
func startNode(bin, dir, db, keyFile, secretFile, logLevel string) (*node, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	cfg := filepath.Join(dir, "otpgate.toml")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, nodeConfig, db, logLevel, secretFile), 0o600); err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve", "--config", cfg, "--log-format", "json")
	cmd.Env = append(os.Environ(), site.EnvKeyFile+"="+keyFile)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	n := &node{cmd: cmd, exited: make(chan struct{})}
	ready := make(chan string, 1)
	go n.readLog(stderr, ready)
	select {
	case n.radius = <-ready:
		return n, nil
	case <-n.exited:
		return nil, errors.New("otpgate serve exited before it was ready (run with -log-level debug)")
	case <-time.After(time.Minute):
		n.stop()
		return nil, errors.New("otpgate serve was not ready within a minute")
	}
}

// readLog reads the daemon's JSON log: it hands the RADIUS address of the
// ready line to ready, counts errors, and echoes warnings and errors.
func (n *node) readLog(r io.Reader, ready chan<- string) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		var rec struct{ Level, Msg, Radius string }
		if json.Unmarshal(sc.Bytes(), &rec) != nil {
			fmt.Fprintf(os.Stderr, "nodes-bench: otpgate: %s\n", sc.Bytes())
			continue
		}
		switch {
		case rec.Msg == "otpgate serve: ready":
			ready <- rec.Radius
		case rec.Level == "ERROR":
			n.errors++
			if n.errors <= 5 {
				fmt.Fprintf(os.Stderr, "nodes-bench: otpgate: %s\n", sc.Bytes())
			}
		}
	}
	n.cmd.Wait()
	close(n.exited)
}

// stop sends SIGTERM (drain and exit) and waits, killing after a minute.
func (n *node) stop() {
	n.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-n.exited:
	case <-time.After(time.Minute):
		n.cmd.Process.Kill()
		<-n.exited
	}
}
