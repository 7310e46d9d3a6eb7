package admin

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"otpgate.dev/otpgate/internal/enroll"
	"otpgate.dev/otpgate/internal/importer"
	"otpgate.dev/otpgate/internal/pskc"
	"otpgate.dev/otpgate/internal/secretbox"
	"otpgate.dev/otpgate/internal/store"
)

// ExportFormats are the export formats, by the name `otpgate export
// --format` takes: a pam_oath/ocserv users file, PSKC (RFC 6030) and a list
// of otpauth:// Key URIs.
var ExportFormats = []string{"users-file", "pskc", "otpauth"}

// ExportOptions says what [Admin.Export] writes.
type ExportOptions struct {
	Format string   // one of ExportFormats
	Users  []string // the users whose tokens to export; empty for every user
	// SkipUnsupported leaves out the tokens the format cannot carry and
	// reports them in Export.Skipped; without it they fail the export.
	SkipUnsupported bool
	// PSKC encrypts a PSKC export (Key or Password); the zero value writes
	// the secrets in plain text.
	PSKC pskc.EncodeOptions
	// Issuer goes into otpauth URIs and PSKC Issuer for the tokens stored
	// without one (enrolled before otpgate kept it); each other token
	// carries its own.
	Issuer string
	// Dest names where the export goes ("/root/users.oath", "stdout"), for
	// the audit trail.
	Dest string
}

// ExportedToken is a token an export holds.
type ExportedToken struct {
	User    string
	TokenID string
	Type    store.TokenType
}

// SkippedToken is a token left out of an export, and why.
type SkippedToken struct {
	ExportedToken
	Reason string
}

// Export is a built export, not yet written anywhere. Data holds secrets:
// call Clear when it is written.
type Export struct {
	Data    []byte
	Tokens  []ExportedToken
	Skipped []SkippedToken
	opts    ExportOptions
}

// Clear overwrites Data.
func (x *Export) Clear() { clear(x.Data) }

// ErrUnsupported is wrapped by the error of [Admin.Export] for a token the
// format cannot carry.
var ErrUnsupported = errors.New("admin: token not exportable")

// Export reads the selected tokens, opens their secrets and writes them in
// opts.Format, all in memory: nothing is stored or audited. The caller
// writes Data where it belongs, calls [Admin.RecordExport] before anyone
// can read it, and clears it.
//
// HOTP tokens are written with their next unused counter, so that the
// system reading the file never accepts a code otpgate already accepted.
// The formats have no field for a TOTP token's last step; its drift goes
// into PSKC TimeDrift. Tokens a format cannot carry (Yubico OTP, prefixed
// HOTP, a TOTP start time other than 0, a disabled token, and for the users
// file anything liboath does not support) fail the export with an error
// naming the user, unless opts.SkipUnsupported.
func (a *Admin) Export(ctx context.Context, opts ExportOptions) (*Export, error) {
	if !slices.Contains(ExportFormats, opts.Format) {
		return nil, fmt.Errorf("admin: unknown export format %q (accepted: %s)", opts.Format, strings.Join(ExportFormats, ", "))
	}
	toks, err := a.exportTokens(ctx, opts.Users)
	if err != nil {
		return nil, err
	}
	x := &Export{opts: opts}
	recs := make([]importer.Record, 0, len(toks))
	defer func() {
		for _, r := range recs {
			clear(r.Secret)
		}
	}()
	for i := range toks {
		t := &toks[i]
		rec, why, err := a.exportRecord(t, opts)
		if err != nil {
			return nil, err
		}
		et := ExportedToken{User: t.User, TokenID: t.ID, Type: t.Type}
		if why != "" {
			if !opts.SkipUnsupported {
				return nil, fmt.Errorf("%w: user %q token %s: %s", ErrUnsupported, t.User, t.ID, why)
			}
			x.Skipped = append(x.Skipped, SkippedToken{et, why})
			continue
		}
		recs = append(recs, rec)
		x.Tokens = append(x.Tokens, et)
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("admin: no token to export%s", skippedNote(len(x.Skipped)))
	}
	x.Data, err = writeExport(opts, recs)
	if err != nil {
		return nil, fmt.Errorf("admin: export: %w", err)
	}
	return x, nil
}

func skippedNote(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(" (%d left out as unsupported)", n)
}

// exportTokens returns the tokens of users (every token when users is
// empty), ordered by user and creation.
func (a *Admin) exportTokens(ctx context.Context, users []string) ([]store.Token, error) {
	var toks []store.Token
	if len(users) == 0 {
		err := a.st.ForEachToken(ctx, func(t store.Token) error {
			toks = append(toks, t)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("admin: export: %w", err)
		}
	}
	for _, u := range slices.Compact(slices.Sorted(slices.Values(users))) {
		ts, err := a.tokens(ctx, u, "")
		if err != nil {
			return nil, err
		}
		toks = append(toks, ts...)
	}
	slices.SortStableFunc(toks, func(x, y store.Token) int {
		return cmp.Or(strings.Compare(x.User, y.User), x.Created.Compare(y.Created), strings.Compare(x.ID, y.ID))
	})
	return toks, nil
}

// exportRecord opens t's secret and returns its record, or why opts.Format
// cannot carry it. The error is for a secret that does not open.
func (a *Admin) exportRecord(t *store.Token, opts ExportOptions) (importer.Record, string, error) {
	if why := exportable(t); why != "" {
		return importer.Record{}, why, nil
	}
	secret, err := a.box.Open(t.Secret, secretbox.AAD(t.ID, enroll.ColumnSecret))
	if err != nil {
		return importer.Record{}, "", fmt.Errorf("admin: export token %s of user %q: open its secret: %w", t.ID, t.User, err)
	}
	rec := tokenRecord(t, secret, opts.Issuer)
	if why := checkRecord(opts.Format, rec); why != "" {
		clear(secret)
		return importer.Record{}, why, nil
	}
	return rec, "", nil
}

// exportable says why no export format can carry t, or "".
func exportable(t *store.Token) string {
	switch {
	case !t.Enabled:
		return "the token is disabled and the format has no way to say so (enable it, or leave it out)"
	case t.Type != store.HOTP && t.Type != store.TOTP:
		return fmt.Sprintf("a %s token cannot be exported (accepted: %s, %s)", t.Type, store.HOTP, store.TOTP)
	case t.Type == store.TOTP && t.Params.T0 != 0:
		return "the TOTP start time T0 is not 0, which no export format carries"
	case t.Type == store.TOTP && t.Params.Period%time.Second != 0:
		return "the TOTP period is not a whole number of seconds, which no export format carries"
	}
	return ""
}

// tokenRecord maps a token and its opened secret to a record.
func tokenRecord(t *store.Token, secret []byte, issuer string) importer.Record {
	rec := importer.Record{
		User: t.User, Type: string(t.Type), Secret: secret, Algorithm: t.Params.Algorithm,
		Digits: t.Params.Digits, Issuer: cmp.Or(t.Issuer, issuer), Comment: t.Comment,
	}
	switch t.Type {
	case store.HOTP:
		rec.Counter = uint64(t.Next) // the next counter to use
	case store.TOTP:
		rec.Period = int(t.Params.Period / time.Second)
		if t.Next > 0 {
			rec.Counter = uint64(t.Next - 1) // the last step used
		}
		rec.Drift = int(t.Drift)
	}
	return rec
}

// checkRecord says why format cannot carry rec, or "", by asking the
// format's own writer, whose errors never hold a secret.
func checkRecord(format string, rec importer.Record) string {
	_, err := writeExport(ExportOptions{Format: format}, []importer.Record{rec})
	if err == nil {
		return ""
	}
	if ie, ok := errors.AsType[*importer.Error](err); ok {
		return ie.Msg
	}
	return err.Error()
}

// writeExport writes recs in opts.Format.
func writeExport(opts ExportOptions, recs []importer.Record) ([]byte, error) {
	var b bytes.Buffer
	var err error
	switch opts.Format {
	case "users-file":
		err = importer.WriteUsersFile(&b, recs)
	case "otpauth":
		err = importer.WriteURIs(&b, recs)
	default:
		return importer.WritePSKC(recs, opts.PSKC)
	}
	return b.Bytes(), err
}

// RecordExport appends an "export" event for each token of x to the audit
// trail. Call it before the export can be read: an export that cannot be
// audited must not be published.
func (a *Admin) RecordExport(ctx context.Context, x *Export) error {
	reason := x.opts.Format
	if x.opts.Format == "pskc" && x.opts.PSKC.Key == nil && x.opts.PSKC.Password == nil {
		reason += " (plain text)"
	}
	if x.opts.Dest != "" {
		reason += " to " + x.opts.Dest
	}
	for _, t := range x.Tokens {
		err := a.st.AppendAudit(ctx, store.AuditEvent{
			Time: a.now(), Actor: Actor, Action: store.ActionExport, User: t.User, TokenID: t.TokenID,
			Result: store.ResultOK, Reason: reason,
		})
		if err != nil {
			return fmt.Errorf("admin: audit export of user %q: %w", t.User, err)
		}
	}
	return nil
}

// Audit returns the audit events f selects, newest first. Like Export it
// reads without changing anything.
func (a *Admin) Audit(ctx context.Context, f store.AuditFilter) ([]store.AuditEvent, error) {
	es, err := a.st.Audit(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("admin: audit trail: %w", err)
	}
	return es, nil
}
