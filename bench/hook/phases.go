package main

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"otpgate.dev/otpgate/internal/importer"
	"otpgate.dev/otpgate/internal/otp"
)

// phase is one way of logging in. store names whose HOTP counters its
// logins move ("" for none); start and stop bracket each of its runs. login
// returns the CPU time of the process it ran.
type phase struct {
	name  string
	store string
	login func(user, code string) (time.Duration, error)
	start func() error
	stop  func()
}

// counters are the next HOTP counter of each user, per store.
type counters map[string][]uint64

func newCounters(n int) counters {
	return counters{"pam": make([]uint64, n), "otpgate": make([]uint64, n)}
}

func userName(i int) string { return fmt.Sprintf("u%08d", i) }

func seedKey(i int) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(i))
	sum := sha256.Sum256(append([]byte("otpgate hook bench seed"), b[:]...))
	return sum[:20]
}

// run logs in random users with their next code for c.duration.
func (p phase) run(c config, ctrs counters) (lat, cpu []time.Duration, err error) {
	if p.start != nil {
		if err := p.start(); err != nil {
			return nil, nil, err
		}
		defer p.stop()
	}
	prm := otp.Params{Algorithm: otp.SHA1, Digits: 6}
	for end := time.Now().Add(c.duration); time.Now().Before(end); {
		i := mrand.IntN(c.tokens)
		var code string
		if ctr := ctrs[p.store]; ctr != nil {
			code = otp.Generate(seedKey(i), ctr[i], prm)
			ctr[i]++
		}
		t0 := time.Now()
		used, err := p.login(userName(i), code)
		if err != nil {
			return nil, nil, err
		}
		lat, cpu = append(lat, time.Since(t0)), append(cpu, used)
	}
	return lat, cpu, nil
}

// cpuTime is the user and system time of cmd's finished process.
func cpuTime(cmd *exec.Cmd) time.Duration {
	return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
}

func writeUsersFile(path string, n int) error {
	recs := make([]importer.Record, n)
	for i := range recs {
		recs[i] = importer.Record{User: userName(i), Type: importer.TypeHOTP, Secret: seedKey(i), Algorithm: otp.SHA1, Digits: 6}
	}
	var b strings.Builder
	if err := importer.WriteUsersFile(&b, recs); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(b.String()), 0o600)
}

// newPhases returns the phases and what removes the PAM service.
func newPhases(c config, db, keyFile string) ([]phase, func(), error) {
	conf, sock := filepath.Join(c.dir, "otpgate.toml"), filepath.Join(c.dir, "hook.sock")
	toml := fmt.Sprintf("db = %q\nkey_file = %q\n[http]\nlisten = \"off\"\n[radius]\nlisten = \"off\"\n[openvpn]\nhook_socket = %q\n", db, keyFile, sock)
	if err := os.WriteFile(conf, []byte(toml), 0o600); err != nil {
		return nil, nil, err
	}
	pam, removePAM, err := pamtester(c)
	if err != nil {
		return nil, nil, err
	}
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + c.dir, "OTPGATE_CONFIG=" + conf, "script_type=user-pass-verify",
		"otpgateStyle=code", "totpTokenDbPath=" + db, "untrusted_ip=127.0.0.1"}
	creds := filepath.Join(c.dir, "creds")
	hook := func(bin, socket string) func(user, code string) (time.Duration, error) {
		return func(user, code string) (time.Duration, error) {
			if err := os.WriteFile(creds, []byte(user+"\n"+code+"\n"), 0o600); err != nil {
				return 0, err
			}
			cmd := exec.Command(bin, "openvpn", "verify", creds)
			cmd.Env = append(env, "otpgateHookSocket="+socket)
			if out, err := cmd.CombinedOutput(); err != nil {
				return 0, fmt.Errorf("%s refused: %v\n%s", user, err, out)
			}
			return cpuTime(cmd), nil
		}
	}
	version := func(string, string) (time.Duration, error) {
		cmd := exec.Command(c.bin, "version")
		err := cmd.Run()
		return cpuTime(cmd), err
	}
	absent := filepath.Join(c.dir, "absent.sock")
	d := &daemon{bin: c.bin, conf: conf, sock: sock}
	phases := []phase{
		{name: "version", login: version},
		{name: "pamtester", store: "pam", login: pam},
		{name: "one-shot", store: "otpgate", login: hook(c.bin, absent)},
		{name: "daemon", store: "otpgate", login: hook(c.bin, sock), start: d.start, stop: d.stop},
	}
	if c.vs != "" {
		phases = append(phases, phase{name: "one-shot B", store: "otpgate", login: hook(c.vs, absent)})
	}
	return phases, removePAM, nil
}

// pamtester installs a PAM service in /etc/pam.d with pam_oath over the
// bench's users file and returns the login through pamtester.
func pamtester(c config) (func(user, code string) (time.Duration, error), func(), error) {
	bin, err := exec.LookPath("pamtester")
	if err != nil {
		return nil, nil, fmt.Errorf("pamtester not found (Debian package pamtester): %w", err)
	}
	service := "otpgate-hookbench-" + strings.ToLower(rand.Text()[:10])
	path := filepath.Join("/etc/pam.d", service)
	conf := fmt.Sprintf("auth requisite pam_oath.so usersfile=%s window=10\naccount required pam_permit.so\n", filepath.Join(c.dir, "users.oath"))
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		return nil, nil, fmt.Errorf("install PAM service (run as root): %w", err)
	}
	login := func(user, code string) (time.Duration, error) {
		cmd := exec.Command(bin, service, user, "authenticate")
		cmd.Stdin = strings.NewReader(code + "\n")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "successfully authenticated") {
			return 0, fmt.Errorf("pam_oath refused %s: %v\n%s", user, err, out)
		}
		return cpuTime(cmd), nil
	}
	return login, func() { os.Remove(path) }, nil
}

// daemon is `otpgate serve` with the hook socket, for the daemon phase.
type daemon struct {
	bin, conf, sock string
	cmd             *exec.Cmd
}

func (d *daemon) start() error {
	d.cmd = exec.Command(d.bin, "serve", "--config", d.conf)
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := d.cmd.Start(); err != nil {
		return err
	}
	for range 200 {
		if c, err := net.Dial("unix", d.sock); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(25 * time.Millisecond)
	}
	d.stop()
	return errors.New("otpgate serve did not open its hook socket within 5 s")
}

func (d *daemon) stop() {
	d.cmd.Process.Signal(syscall.SIGTERM)
	d.cmd.Wait()
}
