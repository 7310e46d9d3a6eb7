//go:build cgo && linux

package primary

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"

	"github.com/msteinert/pam/v2"
)

// NewPAM returns a [PAM] checker for cfg's service. It checks the
// configuration only: a stack that names a missing module shows up as an
// error from the first Check.
func NewPAM(cfg PAMConfig) (*PAM, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if cfg.ConfDir != "" && !pam.CheckPamHasStartConfdir() {
		return nil, errors.New("primary: pam: ConfDir needs pam_start_confdir (Linux-PAM 1.4 or later); " +
			"leave ConfDir empty to use /etc/pam.d")
	}
	return &PAM{cfg: cfg, sem: make(chan struct{}, cfg.MaxConcurrent)}, nil
}

// pamFlags go to both pam_authenticate and pam_acct_mgmt.
const pamFlags = pam.Silent | pam.DisallowNullAuthtok

type pamResult struct {
	ok  bool
	err error
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
	done := make(chan pamResult, 1) // the goroutine never blocks on an abandoned Check
	go func() {
		defer func() { <-p.sem }()
		// Never unlocked: the thread exits with the goroutine, taking any
		// per-thread state a module left behind.
		runtime.LockOSThread()
		ok, err := p.transact(user, password)
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
func (p *PAM) transact(user, password string) (bool, error) {
	conv := &pamConv{user: user, password: password}
	tx, err := p.start(user, conv)
	if err != nil {
		return false, fmt.Errorf("%s: start: %w (is there a stack, or an \"other\" service, in %s?)", p.describe(), err, p.confDir())
	}
	defer tx.End()
	if err := tx.Authenticate(pamFlags); err != nil {
		return p.verdict("authenticate", err, conv)
	}
	if err := tx.AcctMgmt(pamFlags); err != nil {
		return p.verdict("account management", err, conv)
	}
	got, err := tx.GetItem(pam.User)
	if err != nil {
		return false, fmt.Errorf("%s: read PAM_USER: %w", p.describe(), err)
	}
	if got != user {
		return false, fmt.Errorf("%s: the stack changed the user name to %q; otpgate checks the second "+
			"factor under the name the client gave, so a stack must not rename users", p.describe(), got)
	}
	return true, nil
}

func (p *PAM) start(user string, conv *pamConv) (*pam.Transaction, error) {
	if p.cfg.ConfDir != "" {
		return pam.StartConfDir(p.cfg.Service, user, conv, p.cfg.ConfDir)
	}
	return pam.Start(p.cfg.Service, user, conv)
}

// verdict maps a failed PAM call to Check's result: a refusal of this user
// is (false, nil), anything else a broken backend.
func (p *PAM) verdict(step string, err error, conv *pamConv) (bool, error) {
	if conv.refused {
		return false, fmt.Errorf("%s: %s: %w: the stack asked for more than the password, "+
			"which is all otpgate can answer (remove prompting modules such as pam_oath from the stack)", p.describe(), step, err)
	}
	var code pam.Error
	if errors.As(err, &code) && pamRefusal(code) {
		return false, nil
	}
	return false, fmt.Errorf("%s: %s: %w", p.describe(), step, err)
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
func pamRefusal(code pam.Error) bool {
	switch code {
	case pam.ErrAuth, pam.ErrUserUnknown, pam.ErrAcctExpired, pam.ErrPermDenied,
		pam.ErrMaxtries, pam.ErrNewAuthtokReqd:
		return true
	}
	return false
}

// Bounds on a conversation: the password is given at most twice (a module
// and a use_first_pass-less module after it), and a stack gets at most
// maxPAMMessages callbacks in all, messages included.
const (
	maxPAMPasswordAnswers = 2
	maxPAMMessages        = 32
)

var errPAMPromptRefused = errors.New("primary: pam: prompt refused")

// pamConv answers one transaction's prompts. PAM calls it from the
// transaction's own thread only.
type pamConv struct {
	user, password string
	answers        int // passwords given
	messages       int // callbacks seen
	refused        bool
}

// RespondPAM implements pam.ConversationHandler.
func (c *pamConv) RespondPAM(style pam.Style, _ string) (string, error) {
	c.messages++
	if c.messages > maxPAMMessages || c.refused {
		return c.refuse()
	}
	switch style {
	case pam.ErrorMsg, pam.TextInfo:
		return "", nil
	case pam.PromptEchoOn, pam.PromptEchoOff:
		if c.answers >= maxPAMPasswordAnswers {
			return c.refuse()
		}
		if style == pam.PromptEchoOn {
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
