package sqlstore

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"

	"otpgate.dev/otpgate/internal/store"
)

// The statements of store.OOBStore.
const (
	OOBCodeColumns = `token_id, user_name, mac, sent, expires`
	// PutOOBCode inserts a token's code, or replaces the one before if
	// that one was sent at or before $6 or has expired at $4 (the new
	// code's sent time). Zero rows changed: too soon.
	PutOOBCode = `INSERT INTO oob_codes (` + OOBCodeColumns + `) VALUES ($1, $2, $3, $4, $5)
	ON CONFLICT (token_id) DO UPDATE SET user_name = excluded.user_name, mac = excluded.mac,
	sent = excluded.sent, expires = excluded.expires
	WHERE oob_codes.sent <= $6 OR oob_codes.expires <= $4`
	SelectOOBCode = `SELECT ` + OOBCodeColumns + ` FROM oob_codes WHERE token_id = $1`
	// TakeOOBCode is the one-time guard of a code: zero rows changed means
	// another request took it, a resend replaced it, or it expired.
	TakeOOBCode    = `DELETE FROM oob_codes WHERE token_id = $1 AND mac = $2 AND expires > $3`
	PurgeOOBCodes  = `DELETE FROM oob_codes WHERE expires <= $1`
	PurgeOOBSends  = `DELETE FROM oob_sends WHERE last <= $1`
	SelectOOBSends = `SELECT times FROM oob_sends WHERE subject = $1`
	UpsertOOBSends = `INSERT INTO oob_sends (subject, last, times) VALUES ($1, $2, $3)
	ON CONFLICT (subject) DO UPDATE SET last = excluded.last, times = excluded.times`
	// EnsureOOBSends makes the row that SelectOOBSendsForUpdate locks.
	EnsureOOBSends          = `INSERT INTO oob_sends (subject, last, times) VALUES ($1, 0, $2) ON CONFLICT (subject) DO NOTHING`
	SelectOOBSendsForUpdate = SelectOOBSends + ` FOR UPDATE`
)

// OOBCodeArgs returns c's values for OOBCodeColumns.
func OOBCodeArgs(c store.OOBCode) []any {
	return []any{c.TokenID, c.User, nonNil(c.MAC), Nanos(c.Sent), Nanos(c.Expires)}
}

// ScanOOBCode reads a row of OOBCodeColumns.
func ScanOOBCode(row Scanner) (store.OOBCode, error) {
	var (
		c             store.OOBCode
		sent, expires int64
	)
	if err := row.Scan(&c.TokenID, &c.User, &c.MAC, &sent, &expires); err != nil {
		return store.OOBCode{}, err
	}
	c.Sent, c.Expires = FromNanos(sent), FromNanos(expires)
	return c, nil
}

// EncodeSendTimes is the times column of oob_sends: big-endian int64 Unix
// nanoseconds.
func EncodeSendTimes(ts []time.Time) []byte {
	b := make([]byte, 0, 8*len(ts))
	for _, t := range ts {
		b = binary.BigEndian.AppendUint64(b, uint64(Nanos(t)))
	}
	return b
}

// DecodeSendTimes is the inverse of EncodeSendTimes.
func DecodeSendTimes(b []byte) ([]time.Time, error) {
	if len(b)%8 != 0 || len(b) > 8*store.MaxSendLimit {
		return nil, fmt.Errorf("sqlstore: oob_sends.times is %d bytes; want a multiple of 8, at most %d", len(b), 8*store.MaxSendLimit)
	}
	ts := make([]time.Time, 0, len(b)/8)
	for i := 0; i < len(b); i += 8 {
		ts = append(ts, FromNanos(int64(binary.BigEndian.Uint64(b[i:]))))
	}
	return ts, nil
}

// SendRows is how AdmitSends reads and writes oob_sends inside the caller's
// transaction; Get returns a missing subject's times as empty.
type SendRows struct {
	Get func(subject string) ([]byte, error)
	Put func(subject string, last int64, times []byte) error
}

// CheckSendLimits refuses limits a store cannot keep, and returns them in
// subject order, so that transactions lock their rows in one order.
func CheckSendLimits(limits []store.SendLimit, window time.Duration) ([]store.SendLimit, error) {
	if window <= 0 {
		return nil, errors.New("sqlstore: admit send: the window must be positive")
	}
	sorted := slices.SortedFunc(slices.Values(limits), func(a, b store.SendLimit) int { return cmp.Compare(a.Subject, b.Subject) })
	for i, l := range sorted {
		if l.Subject == "" || l.Max < 1 || l.Max > store.MaxSendLimit {
			return nil, fmt.Errorf("sqlstore: admit send: limit %q of %d (accepted: a subject, 1 to %d)", l.Subject, l.Max, store.MaxSendLimit)
		}
		if i > 0 && sorted[i-1].Subject == l.Subject {
			return nil, fmt.Errorf("sqlstore: admit send: subject %q twice", l.Subject)
		}
	}
	return sorted, nil
}

// AdmitSends decides a send at now against limits (from CheckSendLimits)
// with rows, writing the new times only when every limit admits it.
func AdmitSends(rows SendRows, limits []store.SendLimit, window time.Duration, now time.Time) (bool, error) {
	kept := make([][]time.Time, len(limits))
	for i, l := range limits {
		b, err := rows.Get(l.Subject)
		if err != nil {
			return false, err
		}
		ts, err := DecodeSendTimes(b)
		if err != nil {
			return false, err
		}
		var ok bool
		if kept[i], ok = store.AdmitSend(ts, now, window, l.Max); !ok {
			return false, nil
		}
	}
	for i, l := range limits {
		if err := rows.Put(l.Subject, Nanos(now), EncodeSendTimes(kept[i])); err != nil {
			return false, err
		}
	}
	return true, nil
}
