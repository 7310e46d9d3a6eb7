package admin

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"time"

	"otpgate.dev/otpgate/internal/enroll"
	"otpgate.dev/otpgate/internal/importer"
	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/recovery"
	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/username"
)

// Formats are the import formats, by the name `otpgate import --format` takes.
var Formats = []string{"users-file", "google-authenticator", "yubico-csv", "pickle", "otpauth", "pskc"}

// ParseImport reads data in format. unlock supplies the key or password of
// an encrypted PSKC file.
func ParseImport(format string, data []byte, unlock func([]string) ([]byte, []byte, error)) ([]importer.Record, error) {
	r := bytes.NewReader(data)
	switch format {
	case "users-file":
		return importer.ParseUsersFile(r)
	case "google-authenticator":
		return importer.ParseGoogleAuthenticator(r)
	case "yubico-csv":
		return importer.ParseYubicoCSV(r)
	case "pickle":
		return importer.ParsePickle(r)
	case "otpauth":
		return importer.ParseURIs(r)
	case "pskc":
		return importer.ParsePSKC(data, unlock)
	}
	return nil, fmt.Errorf("admin: unknown import format %q (accepted: %v)", format, Formats)
}

// Planned is one record of an import, ready to store.
type Planned struct {
	User, Type string
	Line       int
	en         *Enrollment
	// recovery are the record's recovery codes, hashed (google-authenticator
	// scratch codes).
	recovery []store.RecoveryCode
}

// Recovery is how many recovery codes the record brings.
func (p Planned) Recovery() int { return len(p.recovery) }

// PlanImport turns records into enrollments, checking all of them before
// anything is stored: a record without a user takes user (an error when
// that is empty too), a record without an issuer takes issuer (the token
// keeps it), a user already in the store is refused, and so is a
// pam_oath PIN, which otpgate does not keep (passwords belong to the
// primary backend).
func (a *Admin) PlanImport(ctx context.Context, recs []importer.Record, user, issuer string) ([]Planned, error) {
	plan := make([]Planned, 0, len(recs))
	for _, r := range recs {
		p, err := a.planOne(ctx, r, user, issuer)
		if err != nil {
			for _, q := range plan {
				q.en.Clear()
			}
			return nil, fmt.Errorf("admin: record %d: %w", r.Line, err)
		}
		plan = append(plan, p)
	}
	return plan, nil
}

func (a *Admin) planOne(ctx context.Context, r importer.Record, user, issuer string) (Planned, error) {
	if r.User == "" {
		r.User = user
	}
	if r.User == "" {
		return Planned{}, errors.New("the file names no user for this token: give --user")
	}
	var err error
	if r.User, err = username.Canonical(r.User); err != nil {
		return Planned{}, err
	}
	if r.PIN != nil {
		return Planned{}, fmt.Errorf("user %q has a pam_oath password; otpgate checks passwords with its primary backend (htpasswd, PAM), so remove it from the file first", r.User)
	}
	if _, err := a.st.User(ctx, r.User); err == nil {
		return Planned{}, fmt.Errorf("user %q is already enrolled (otpgate delete %s first)", r.User, r.User)
	} else if !errors.Is(err, store.ErrNotFound) {
		return Planned{}, err
	}
	en, err := Prepare(specFromRecord(r), issuer)
	if err != nil {
		return Planned{}, err
	}
	var rc []store.RecoveryCode
	if len(r.RecoveryCodes) > 0 {
		if rc, err = recovery.Hash(r.User, r.RecoveryCodes, a.now()); err != nil {
			en.Clear()
			return Planned{}, err
		}
	}
	return Planned{User: r.User, Type: r.Type, Line: r.Line, en: en, recovery: rc}, nil
}

func specFromRecord(r importer.Record) enroll.Spec {
	s := enroll.Spec{User: r.User, Type: store.TokenType(r.Type), Comment: r.Comment, Issuer: r.Issuer, Secret: r.Secret,
		Identifier: r.Identifier, PrivateID: r.PrivateID}
	if r.Type != importer.TypeYubico {
		s.Params = otp.Params{Algorithm: r.Algorithm, Digits: r.Digits, Period: otp.DefaultPeriod}
		if r.Period > 0 {
			s.Params.Period = secondsToDuration(r.Period)
		}
	}
	switch {
	case r.Type == importer.TypeTOTP && r.Counter > 0:
		s.Counter = int64(r.Counter) + 1 // the file's last used step stays used
	case r.Type != importer.TypeTOTP:
		s.Counter = int64(r.Counter)
	}
	return s
}

// Import stores the plan in one store transaction, so that it is all or
// nothing even if the process dies halfway; then it records one audit event
// per token. progress is called as tokens are sealed and once more when they
// are stored.
func (a *Admin) Import(ctx context.Context, plan []Planned, progress func(done, total int)) error {
	defer func() {
		for _, p := range plan {
			p.en.Clear()
		}
	}()
	toks := make([]*store.Token, 0, len(plan))
	var users []string
	seen := make(map[string]bool)
	for i, p := range plan {
		t, err := enroll.NewToken(a.box, p.en.spec, a.now())
		if err != nil {
			return fmt.Errorf("admin: record %d (user %q): %w; nothing was imported", p.Line, p.User, err)
		}
		toks = append(toks, &t)
		if !seen[p.User] {
			seen[p.User] = true
			users = append(users, p.User)
		}
		if progress != nil && (i+1)%1000 == 0 {
			progress(i+1, len(plan))
		}
	}
	if err := a.st.Import(ctx, users, toks); err != nil {
		return fmt.Errorf("admin: %w; nothing was imported", err)
	}
	if progress != nil {
		progress(len(plan), len(plan))
	}
	for _, t := range toks {
		if err := a.audit(ctx, store.ActionImport, t.User, t.ID); err != nil {
			return err
		}
	}
	return a.importRecovery(ctx, plan)
}

// importRecovery stores the planned recovery codes, after their users'
// tokens: a failure here leaves the tokens imported, and says so.
func (a *Admin) importRecovery(ctx context.Context, plan []Planned) error {
	for _, p := range plan {
		if len(p.recovery) == 0 {
			continue
		}
		if err := a.st.SetRecoveryCodes(ctx, p.User, p.recovery); err != nil {
			return fmt.Errorf("admin: the tokens were imported, but not the recovery codes of %q (%w); make new ones with: otpgate recovery %s", p.User, err, p.User)
		}
		if err := a.auditReason(ctx, store.ActionImportRecovery, p.User, fmt.Sprintf("%d recovery codes", len(p.recovery))); err != nil {
			return err
		}
	}
	return nil
}

func secondsToDuration(n int) time.Duration { return time.Duration(n) * time.Second }
