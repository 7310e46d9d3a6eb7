package main

import (
	"fmt"

	"otpgate.dev/otpgate/internal/buildinfo"
)

// runVersion is `otpgate version` and `otpgate --version`.
func runVersion(e *env) int {
	i := buildinfo.Get()
	fmt.Fprintln(e.stdout, "otpgate", i)
	if !i.Known() {
		e.hintf("this build recorded no version or revision: build with \"make build\", or go build in a git checkout without -buildvcs=false")
	}
	return 0
}
