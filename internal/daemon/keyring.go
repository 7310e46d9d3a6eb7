package daemon

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"otpgate.dev/otpgate/internal/secretbox"
	"otpgate.dev/otpgate/internal/site"
)

// keyring holds the master key the login service opens secrets with and
// follows its file. otpgate rekey replaces the file (keeping the old key
// beside it until every secret is resealed) before it reseals anything, so
// a daemon that looks at the file before each login has the new key before
// any secret needs it. A look is one stat(2).
type keyring struct {
	path string
	box  atomic.Pointer[secretbox.Box]
	seen atomic.Pointer[fileState] // written under the daemon's reloadMu
}

// fileState is what tells that the key file was replaced or rewritten.
type fileState struct {
	fi os.FileInfo
}

func (a *fileState) same(fi os.FileInfo) bool {
	return a != nil && os.SameFile(a.fi, fi) && a.fi.Size() == fi.Size() && a.fi.ModTime().Equal(fi.ModTime())
}

func newKeyring(path string, box *secretbox.Box) (*keyring, error) {
	k := &keyring{path: path}
	k.box.Store(box)
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	k.seen.Store(&fileState{fi})
	return k, nil
}

// current returns the key in use.
func (k *keyring) current() *secretbox.Box { return k.box.Load() }

// changed reports whether the file differs from the one last loaded.
func (k *keyring) changed() (os.FileInfo, bool) {
	fi, err := os.Stat(k.path)
	if err != nil {
		// Gone or unreadable: keep the key in use; readiness tells
		// whether it still opens the store's secrets.
		return nil, false
	}
	return fi, !k.seen.Load().same(fi)
}

// load reads the changed file and returns its key, which must open a
// sealed secret of st; otherwise the key in use stays. It returns nil when
// the file did not change after all (another goroutine loaded it).
func (k *keyring) load(ctx context.Context, st site.TokenWalker) (*secretbox.Box, error) {
	fi, changed := k.changed()
	if !changed {
		return nil, nil
	}
	k.seen.Store(&fileState{fi}) // a bad file is reported once, not at every login
	box, err := secretbox.Load(k.path)
	if err != nil {
		return nil, fmt.Errorf("master key file %s changed but does not load; keeping the key in use: %w", k.path, err)
	}
	if err := site.CheckKey(ctx, st, box); err != nil {
		return nil, fmt.Errorf("master key file %s changed but its key does not open the store's secrets; keeping the key in use: %w", k.path, err)
	}
	k.box.Store(box)
	return box, nil
}

// keyCheckTimeout bounds the probe of a new key.
const keyCheckTimeout = 5 * time.Second

// followKey loads the master key file when it changed and rebuilds the
// login service on the new key. It is called before every login, on every
// readiness probe and at each housekeeping tick; a reload loads the key too.
func (d *Daemon) followKey(ctx context.Context) {
	if _, changed := d.keys.changed(); !changed {
		return
	}
	d.reloadMu.Lock()
	defer d.reloadMu.Unlock()
	if !d.loadKey(ctx) {
		return
	}
	svc, dir, err := newService(d.cfg, d.st, d.keys.current(), d.sender(), d.now)
	if err != nil {
		d.log.Error("otpgate serve: the master key changed but the login service cannot be rebuilt", "err", err)
		return
	}
	d.install(svc, dir)
}

// loadKey loads the master key file if it changed and reports whether the
// key in use did. The caller holds reloadMu.
func (d *Daemon) loadKey(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), keyCheckTimeout)
	defer cancel()
	box, err := d.keys.load(ctx, d.st)
	if err != nil {
		d.log.Error("otpgate serve: "+err.Error(), "key", d.keys.current().Fingerprint())
		return false
	}
	if box != nil {
		d.log.Info("otpgate serve: master key file changed; logins now use it", "key", box.Fingerprint())
	}
	return box != nil
}
