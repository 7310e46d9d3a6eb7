package admin

import (
	"context"
	"fmt"
	"time"

	"otpgate.dev/otpgate/internal/store"
)

// PruneAudit deletes the audit events logged before before and records the
// deletion itself, with how many went, as a new event. A time after now is
// refused: it would delete the trail of what has not happened yet.
func (a *Admin) PruneAudit(ctx context.Context, before time.Time) (int, error) {
	if before.After(a.now()) {
		return 0, fmt.Errorf("admin: prune audit: %s is in the future (accepted: a time before now)", before.UTC().Format(time.RFC3339))
	}
	n, err := a.st.PruneAudit(ctx, before)
	if n > 0 || err == nil {
		// Recorded even after a partial prune: the events are gone.
		aerr := a.st.AppendAudit(ctx, store.PruneEvent(Actor, n, before, a.now()))
		if err == nil && aerr != nil {
			err = aerr
		}
	}
	if err != nil {
		return n, fmt.Errorf("admin: prune audit: %w", err)
	}
	return n, nil
}
