package storeopen

import (
	"context"

	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/store/pgstore"
)

func openPostgres(ctx context.Context, url string) (store.Store, error) {
	return pgstore.Open(ctx, url)
}
