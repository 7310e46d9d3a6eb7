//go:build !cgo || !linux

package primary

import "context"

// NewPAM fails: this build has no PAM support, which needs cgo on Linux.
func NewPAM(PAMConfig) (*PAM, error) { return nil, errPAMUnsupported }

// Check fails: this build has no PAM support.
func (*PAM) Check(context.Context, string, string) (bool, error) { return false, errPAMUnsupported }
