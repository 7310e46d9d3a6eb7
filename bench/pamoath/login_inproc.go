package main

import (
	"context"
	"os"
	"path/filepath"

	"otpgate.dev/otpgate/internal/primary"
)

// newInprocLogin writes the PAM service into a private configuration
// directory and logs in through libpam in this process, with otpgate's own
// PAM backend: pam_oath's prompt is answered with the code, as a password.
func newInprocLogin(c config, usersFile string) (loginFunc, func(), error) {
	confDir := filepath.Join(c.dir, "pam.d")
	const service = "otpgate-bench"
	if err := os.MkdirAll(confDir, 0o755); err != nil {
		return nil, nil, err
	}
	if err := os.WriteFile(filepath.Join(confDir, service), []byte(serviceConf(usersFile, c.window)), 0o644); err != nil {
		return nil, nil, err
	}
	p, err := primary.NewPAM(primary.PAMConfig{Service: service, ConfDir: confDir, MaxConcurrent: c.goroutines})
	if err != nil {
		return nil, nil, err
	}
	login := func(user, code string) (bool, error) {
		return p.Check(context.Background(), user, code)
	}
	return login, func() {}, nil
}
