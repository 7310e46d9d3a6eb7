package daemon

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"otpgate.dev/otpgate/internal/auditlog"
	"otpgate.dev/otpgate/internal/config"
	"otpgate.dev/otpgate/internal/oob"
	"otpgate.dev/otpgate/internal/site"
	"otpgate.dev/otpgate/internal/web"
)

// minSecretLen is RFC 2865 section 3's advice for a shared secret.
const minSecretLen = 16

// Check opens everything [New] would open, without creating a file or
// binding a socket: the store (migrated as New would) with its master key
// and a sealed secret, the password backend's file, every secret file,
// the audit file's directory, the auth-token key, [web]'s certificate. It returns what a start
// would create (as site.Handle.Created says it) and the warnings a start
// would log, one sentence each.
func Check(ctx context.Context, s *site.Site) (created, warnings []string, err error) {
	if created, err = s.Check(ctx); err != nil {
		return nil, nil, err
	}
	warnings, err = checkConfig(s.Config)
	return created, warnings, err
}

func checkConfig(cfg *config.Config) ([]string, error) {
	var notes []string
	if err := checkAuditFile(cfg.Log.AuditFile); err != nil {
		return nil, err
	}
	dir, err := OpenDirectory(cfg)
	if err != nil {
		return nil, err
	}
	defer closeDirectory(dir)
	if _, err := Primary(cfg.Auth.Primary, dir); err != nil {
		return nil, fmt.Errorf("auth.primary: %w", err)
	}
	if cfg.RADIUS.Listen != config.Off {
		if _, err := radiusClients(cfg); err != nil {
			return nil, err
		}
		w, err := radiusWarnings(cfg)
		if err != nil {
			return nil, err
		}
		notes = append(notes, w...)
	}
	if err := oob.Check(cfg.OOB.Settings(cfg.Policy.Engine())); err != nil {
		return nil, err
	}
	d := &Daemon{log: slog.New(slog.DiscardHandler), svc: &swapService{}}
	if _, err := d.managementServer(cfg); err != nil {
		return nil, err
	}
	if w := cfg.Web; w.Listen != config.Off && w.CertFile != "" {
		if _, err := web.LoadCertificate(w.CertFile, w.KeyFile); err != nil {
			return nil, fmt.Errorf("web: %w", err)
		}
	}
	return notes, nil
}

// checkAuditFile checks that the audit file opens for appending, or, when
// it does not exist yet, that its directory would take it.
func checkAuditFile(path string) error {
	if path == "" {
		return nil
	}
	if _, err := os.Lstat(path); err == nil {
		f, err := auditlog.OpenFile(path)
		if err != nil {
			return fmt.Errorf("log.audit_file: %w", err)
		}
		return f.Close()
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("log.audit_file: %w", err)
	}
	dir := filepath.Dir(path)
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("log.audit_file %s: its directory: %w", path, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("log.audit_file %s: %s is not a directory", path, dir)
	}
	if err := unix.Access(dir, unix.W_OK); err != nil {
		return fmt.Errorf("log.audit_file %s: cannot create it in %s: %w", path, dir, err)
	}
	return nil
}

// radiusWarnings lists what is allowed but weak in the RADIUS clients.
func radiusWarnings(cfg *config.Config) ([]string, error) {
	if len(cfg.RADIUS.Clients) == 0 {
		return []string{"radius: no clients configured; every request is dropped until [[radius.client]] sections are added"}, nil
	}
	var w []string
	for i, cc := range cfg.RADIUS.Clients {
		cl, err := radiusClient(cc)
		if err != nil {
			return nil, err
		}
		name := clientName(cc, i)
		if n := len(cl.Secret); n < minSecretLen {
			w = append(w, fmt.Sprintf("radius client %s: the shared secret is %d bytes; RFC 2865 section 3 asks for at least %d random ones", name, n, minSecretLen))
		}
		clear(cl.Secret)
		if cc.AllowMissingMessageAuthenticator {
			w = append(w, fmt.Sprintf("radius client %s: allow_missing_message_authenticator reopens BlastRADIUS (CVE-2024-3596) for it", name))
		}
	}
	return w, nil
}
