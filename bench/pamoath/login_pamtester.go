package main

import (
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
)

// serviceConf is the PAM stack both modes use.
func serviceConf(usersFile string, window int) string {
	return fmt.Sprintf("auth requisite pam_oath.so usersfile=%s window=%d\naccount required pam_permit.so\n", usersFile, window)
}

// newLogin returns the login function of c.mode and what removes its PAM
// service.
func newLogin(c config, usersFile string) (loginFunc, func(), error) {
	if c.mode == "inproc" {
		return newInprocLogin(c, usersFile)
	}
	return newPamtesterLogin(c, usersFile)
}

// newPamtesterLogin installs a PAM service in /etc/pam.d, removed by the
// cleanup function or on SIGINT/SIGTERM, and logs in with one pamtester
// process per login.
func newPamtesterLogin(c config, usersFile string) (loginFunc, func(), error) {
	pamtester, err := exec.LookPath("pamtester")
	if err != nil {
		return nil, nil, fmt.Errorf("pamtester not found (Debian package pamtester): %w", err)
	}
	service := "otpgate-bench-" + strings.ToLower(rand.Text()[:10])
	path := filepath.Join("/etc/pam.d", service)
	if err := os.WriteFile(path, []byte(serviceConf(usersFile, c.window)), 0o644); err != nil {
		return nil, nil, fmt.Errorf("install PAM service (run as root): %w", err)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-sig
		os.Remove(path)
		os.RemoveAll(c.dir)
		os.Exit(1)
	}()
	login := func(user, code string) (bool, error) {
		cmd := exec.Command(pamtester, service, user, "authenticate")
		cmd.Stdin = strings.NewReader(code + "\n")
		out, err := cmd.CombinedOutput()
		if _, ok := err.(*exec.ExitError); err != nil && !ok {
			return false, err
		}
		return err == nil && strings.Contains(string(out), "successfully authenticated"), nil
	}
	return login, func() { signal.Stop(sig); os.Remove(path) }, nil
}
