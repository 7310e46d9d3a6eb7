package primary

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"runtime"

	"otpgate.dev/otpgate/internal/dynlib"
)

// NewPAM returns a [PAM] checker for cfg's service. It loads libpam.so.0
// (an error names the Debian package when it is missing) and checks the
// configuration; a stack that names a missing module shows up as an error
// from the first Check.
func NewPAM(cfg PAMConfig) (*PAM, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	lib, err := loadPAM()
	if err != nil {
		return nil, err
	}
	if cfg.ConfDir != "" && lib.startConfdir == nil {
		return nil, errors.New("primary: pam: ConfDir needs pam_start_confdir (Linux-PAM 1.4 or later); " +
			"leave ConfDir empty to use /etc/pam.d")
	}
	return &PAM{cfg: cfg, lib: lib, sem: make(chan struct{}, cfg.MaxConcurrent)}, nil
}

// pamFlags go to both pam_authenticate and pam_acct_mgmt.
const pamFlags = pamSilent | pamDisallowNullAuthn

type pamResult struct {
	ok  bool
	err error
}

type remoteHostKey struct{}

// WithRemoteHost returns a context under which [PAM.Check] sets PAM_RHOST
// to host (a port is dropped), so that modules such as pam_access and the
// logs can see where a login comes from. Other checkers ignore it.
func WithRemoteHost(ctx context.Context, host string) context.Context {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return context.WithValue(ctx, remoteHostKey{}, host)
}

func remoteHost(ctx context.Context) string {
	h, _ := ctx.Value(remoteHostKey{}).(string)
	return h
}

// Check runs one PAM transaction for user and password.
func (p *PAM) Check(ctx context.Context, user, password string) (bool, error) {
	if !pamUserOK(user) || !pamPasswordOK(password) {
		return false, nil
	}
	if p.sem == nil {
		return false, errors.New("primary: pam: a PAM must come from NewPAM")
	}
	if err := ctx.Err(); err != nil {
		return false, err
	}
	select {
	case p.sem <- struct{}{}:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	conv := &pamConv{user: user, password: password, rhost: remoteHost(ctx)}
	done := make(chan pamResult, 1) // the goroutine never blocks on an abandoned Check
	go func() {
		defer func() { <-p.sem }()
		// Never unlocked: the thread exits with the goroutine, taking any
		// per-thread state a module left behind.
		runtime.LockOSThread()
		ok, err := p.transact(conv)
		done <- pamResult{ok, err}
	}()
	select {
	case r := <-done:
		return r.ok, r.err
	case <-ctx.Done():
		return false, ctx.Err()
	}
}

// transact starts, runs and ends one PAM transaction.
func (p *PAM) transact(conv *pamConv) (bool, error) {
	h := addConv(conv)
	defer removeConv(h)
	c := &cConv{conv: p.lib.conv, appdata: h}
	var pamh uintptr
	var code int32
	if p.cfg.ConfDir != "" {
		code = p.lib.startConfdir(p.cfg.Service, conv.user, c, p.cfg.ConfDir, &pamh)
	} else {
		code = p.lib.start(p.cfg.Service, conv.user, c, &pamh)
	}
	if code != pamSuccess {
		return false, fmt.Errorf("%s: start: %s (is there a stack, or an \"other\" service, in %s?)",
			p.describe(), p.lib.strerror(pamh, code), p.confDir())
	}
	tx := &pamTx{lib: p.lib, h: pamh}
	defer func() { p.lib.end(pamh, tx.last) }()
	return p.steps(tx, conv)
}

// pamTx is one started transaction; last is the latest result, which
// pam_end hands to the modules' cleanup functions.
type pamTx struct {
	lib  *libpam
	h    uintptr
	last int32
}

func (t *pamTx) do(call func(uintptr, int32) int32) int32 {
	t.last = call(t.h, pamFlags)
	return t.last
}

// steps sets PAM_RHOST, authenticates, checks the account, and makes sure
// the stack kept the user name.
func (p *PAM) steps(tx *pamTx, conv *pamConv) (bool, error) {
	if conv.rhost != "" {
		if code := p.lib.setItem(tx.h, pamItemRHost, conv.rhost); code != pamSuccess {
			return false, fmt.Errorf("%s: set PAM_RHOST: %s", p.describe(), p.lib.strerror(tx.h, code))
		}
	}
	if code := tx.do(p.lib.authenticate); code != pamSuccess {
		return p.verdict(tx, "authenticate", code, conv)
	}
	if code := tx.do(p.lib.acctMgmt); code != pamSuccess {
		return p.verdict(tx, "account management", code, conv)
	}
	var item *byte
	if code := p.lib.getItem(tx.h, pamItemUser, &item); code != pamSuccess {
		return false, fmt.Errorf("%s: read PAM_USER: %s", p.describe(), p.lib.strerror(tx.h, code))
	}
	if got := dynlib.GoString(item); got != conv.user {
		return false, fmt.Errorf("%s: the stack changed the user name to %q; otpgate checks the second "+
			"factor under the name the client gave, so a stack must not rename users", p.describe(), got)
	}
	return true, nil
}

// verdict maps a failed PAM call to Check's result: a refusal of this user
// is (false, nil), anything else a broken backend.
func (p *PAM) verdict(tx *pamTx, step string, code int32, conv *pamConv) (bool, error) {
	msg := p.lib.strerror(tx.h, code)
	if conv.refused {
		return false, fmt.Errorf("%s: %s: %s: the stack asked for more than the password, "+
			"which is all otpgate can answer (remove prompting modules such as pam_oath from the stack)", p.describe(), step, msg)
	}
	if pamRefusal(code) {
		return false, nil
	}
	return false, fmt.Errorf("%s: %s: %s", p.describe(), step, msg)
}

// describe names the service and its stack file for error messages.
func (p *PAM) describe() string {
	return fmt.Sprintf("primary: pam service %q (%s)", p.cfg.Service, filepath.Join(p.confDir(), p.cfg.Service))
}

func (p *PAM) confDir() string {
	if p.cfg.ConfDir != "" {
		return p.cfg.ConfDir
	}
	return "/etc/pam.d"
}

// pamRefusal reports whether code says "not this user, not now" rather
// than "the stack is broken".
func pamRefusal(code int32) bool {
	switch code {
	case pamAuthErr, pamUserUnknown, pamAcctExpired, pamPermDenied, pamMaxtries, pamNewAuthtokReqd:
		return true
	}
	return false
}

// Bounds on a conversation: the password is given at most twice (a module
// and a use_first_pass-less module after it), and a stack gets at most
// maxPAMMessages messages in all.
const (
	maxPAMPasswordAnswers = 2
	maxPAMMessages        = 32
)

var errPAMPromptRefused = errors.New("primary: pam: prompt refused")

// pamConv answers one transaction's prompts. PAM calls it from the
// transaction's own thread only.
type pamConv struct {
	user, password string
	rhost          string
	answers        int // passwords given
	messages       int // messages seen
	refused        bool
}

// RespondPAM answers one message.
func (c *pamConv) RespondPAM(style pamStyle, _ string) (string, error) {
	c.messages++
	if c.messages > maxPAMMessages || c.refused {
		return c.refuse()
	}
	switch style {
	case pamErrorMsg, pamTextInfo:
		return "", nil
	case pamPromptEchoOn, pamPromptEchoOff:
		if c.answers >= maxPAMPasswordAnswers {
			return c.refuse()
		}
		if style == pamPromptEchoOn {
			return c.user, nil
		}
		c.answers++
		return c.password, nil
	}
	return c.refuse()
}

func (c *pamConv) refuse() (string, error) {
	c.refused = true
	return "", errPAMPromptRefused
}
