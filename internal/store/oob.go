package store

import (
	"context"
	"errors"
	"time"
)

// Out-of-band codes. Package oob sends a code by email or SMS and keeps in
// the store only a keyed hash of it (the code bound to its user, token and
// challenge), with its expiry, and the recent sends of each user and source
// address that its abuse limits count. Every decision that several nodes
// must agree on is one conditional write here: a resend replaces a code
// only once the resend interval has passed (PutOOBCode), a code is accepted
// by one request only (TakeOOBCode), and a send is counted only if every
// limit still allows it (AdmitSend).

// ErrTooSoon is returned by PutOOBCode when the token's code was sent less
// than the resend interval ago and is still pending.
var ErrTooSoon = errors.New("store: the previous code was sent too recently")

// OOBCode is the code pending for an out-of-band token.
type OOBCode struct {
	TokenID string
	User    string
	// MAC is a keyed hash of the code, its user, token and challenge; a
	// store never sees the code.
	MAC     []byte
	Sent    time.Time
	Expires time.Time // the code is refused from Expires on
}

// SendLimit is one abuse limit of AdmitSend: at most Max sends for Subject
// within the window.
type SendLimit struct {
	Subject string // e.g. "user:alice", "source:192.0.2.7"
	Max     int
}

// MaxSendLimit bounds SendLimit.Max: a store keeps the time of each send
// within the window.
const MaxSendLimit = 1000

// OOBStore is implemented by the SQLite and PostgreSQL stores. Its methods
// are safe for concurrent use by many goroutines, processes and nodes.
type OOBStore interface {
	// PutOOBCode stores c as the pending code of c.TokenID and drops the
	// one before it, unless that one is still pending at c.Sent (it
	// expires later) and was sent after resendBefore: then it answers
	// ErrTooSoon and changes nothing. An unknown token is ErrNotFound;
	// deleting a token deletes its code.
	PutOOBCode(ctx context.Context, c OOBCode, resendBefore time.Time) error
	// OOBCode returns the code pending for tokenID, expired or not, or
	// ErrNotFound.
	OOBCode(ctx context.Context, tokenID string) (OOBCode, error)
	// TakeOOBCode deletes the code of tokenID if its MAC is still mac and
	// it has not expired at now, and reports whether it did: of many
	// requests with the same code, on any node, one gets true.
	TakeOOBCode(ctx context.Context, tokenID string, mac []byte, now time.Time) (bool, error)
	// AdmitSend counts one send at now against every limit, if each allows
	// it (fewer than Max sends for its subject in the window before now),
	// and reports whether it did; when one refuses, nothing is counted.
	AdmitSend(ctx context.Context, limits []SendLimit, window time.Duration, now time.Time) (bool, error)
	// PurgeOOB deletes the codes expired at now and the send counts of
	// subjects with no send in the window before now, and reports how many
	// rows it deleted.
	PurgeOOB(ctx context.Context, now time.Time, window time.Duration) (int, error)
}

// AdmitSend decides one send at now for a subject whose recent sends are
// times: it is admitted when fewer than limit of them fall in the window
// (now-window, now]. It returns the times to keep, those in the window and
// now if the send is admitted, in their order with now last. Times after now
// (another node's clock ahead of this one) count as in the window.
func AdmitSend(times []time.Time, now time.Time, window time.Duration, limit int) ([]time.Time, bool) {
	start := now.Add(-window)
	var keep []time.Time
	for _, t := range times {
		if t.After(start) {
			keep = append(keep, t)
		}
	}
	if len(keep) >= limit {
		return keep, false
	}
	return append(keep, now), true
}
