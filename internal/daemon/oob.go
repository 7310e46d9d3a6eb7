package daemon

import (
	"context"
	"errors"
	"reflect"

	"otpgate.dev/otpgate/internal/auth"
	"otpgate.dev/otpgate/internal/config"
	"otpgate.dev/otpgate/internal/oob"
	"otpgate.dev/otpgate/internal/store"
)

// Out-of-band codes ([oob]). The service is built once, at start: it
// holds the send counters of /metrics and has read the SMTP password and
// the SMS gateway's API key; a reload that changes [oob] says it needs a
// restart. It reads the codes and send counts from the store itself and
// writes audit events through d.st, so that log.audit_file copies them.

// buildOOB makes the out-of-band service of cfg; it stays nil when [oob]
// names no gateway.
func (d *Daemon) buildOOB(cfg *config.Config) error {
	s := cfg.OOB.Settings(cfg.Policy.Engine())
	if s.SMTP == nil && s.HTTP == nil {
		return nil
	}
	codes, ok := d.h.Store.(store.OOBStore)
	if !ok {
		return errors.New("oob: the store keeps no out-of-band codes")
	}
	o, err := oob.New(oob.Join(d.st, codes), keyBox{d.keys}, s, d.now)
	if err != nil {
		return err
	}
	d.oob = o
	return nil
}

// sender is the service's view of d.oob: nil when there is none, so that
// auth refuses the users who need one with its reason.
func (d *Daemon) sender() auth.OutOfBand {
	if d.oob == nil {
		return nil
	}
	return d.oob
}

// purgeOOB deletes expired codes and idle send counts.
func (d *Daemon) purgeOOB(ctx context.Context) {
	codes, ok := d.h.Store.(store.OOBStore)
	if !ok {
		return
	}
	window := d.cfg.OOB.Settings(d.cfg.Policy.Engine()).Window
	if _, err := codes.PurgeOOB(ctx, d.now(), window); err != nil && ctx.Err() == nil {
		d.log.Warn("purging expired out-of-band codes", "err", err)
	}
}

// oobChanged reports whether a reload changes [oob], which needs a restart.
func oobChanged(old, new *config.Config) bool { return !reflect.DeepEqual(old.OOB, new.OOB) }

// keyBox is the master key the daemon follows, as package oob uses it: a
// rekey changes it without a restart.
type keyBox struct{ k *keyring }

func (b keyBox) MAC(purpose string, msg []byte) []byte { return b.k.current().MAC(purpose, msg) }
func (b keyBox) CheckMAC(purpose string, msg, mac []byte) bool {
	return b.k.current().CheckMAC(purpose, msg, mac)
}
func (b keyBox) Open(sealed, aad []byte) ([]byte, error) { return b.k.current().Open(sealed, aad) }
