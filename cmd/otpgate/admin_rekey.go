package main

import (
	"context"
	"fmt"

	"otpgate.dev/otpgate/internal/admin"
)

const rekeyUsage = `Usage:
    otpgate rekey [--db PATH] [--config FILE]

Rotates the master key: writes a new random master.key, reseals every token
secret under it in one transaction, and removes the old key. If a rotation
was interrupted, running rekey again finishes it.

Example:
    $ otpgate rekey
    resealed 42 tokens under a new master key
`

func init() {
	register(&command{name: "rekey", short: "rotate the master key and reseal every secret", usage: rekeyUsage, run: runRekey})
}

func runRekey(e *env, args []string) error {
	fs := newFlags("rekey")
	sf := addStoreFlags(fs)
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	s, err := sf.find(e)
	if err != nil {
		return err
	}
	n, err := admin.Rekey(context.Background(), s)
	if err != nil {
		return siteHint(err)
	}
	fmt.Fprintf(e.stderr, "resealed %d tokens under a new master key\n", n)
	return nil
}
