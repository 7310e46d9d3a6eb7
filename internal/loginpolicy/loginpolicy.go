// Package loginpolicy builds the login policy that a configuration file
// describes ([[policy.rule]], [[policy.forward]], policy.dictionaries; see
// package config and docs/policy.md) into what the login service runs: a
// policy.Policy whose groups are otpgate's local groups, and a radproxy
// client for each group of legacy servers, with its secret read from its
// file. `otpgate serve`, the OpenVPN hooks and `otpgate policy explain`
// all build it here, so that they decide alike.
package loginpolicy

import (
	"bytes"
	"fmt"
	"net/netip"
	"time"

	"otpgate.dev/otpgate/internal/atomicfile"
	"otpgate.dev/otpgate/internal/auth"
	"otpgate.dev/otpgate/internal/config"
	"otpgate.dev/otpgate/internal/policy"
	"otpgate.dev/otpgate/internal/radproxy"
	"otpgate.dev/otpgate/internal/store"
)

// maxSecretFile bounds a legacy server's shared-secret file.
const maxSecretFile = 4096

// Built is the policy part of the login service's configuration.
type Built struct {
	Policy  *policy.Policy
	Forward map[string]auth.Forward
}

// Build reads p's rules (and dictionaries) with groups as the source of
// group membership: the store's local groups, to which a directory adds
// its own (policy.Union).
func Build(p config.Policy, groups policy.Groups, now func() time.Time) (Built, error) {
	rules, err := p.Rules()
	if err != nil {
		return Built{}, err
	}
	pol, err := policy.New(rules, groups)
	if err != nil {
		return Built{}, err
	}
	fw := make(map[string]auth.Forward, len(p.Forward))
	for _, f := range p.Forward {
		c, err := client(f, now)
		if err != nil {
			return Built{}, fmt.Errorf("policy.forward %q: %w", f.Name, err)
		}
		fw[f.Name] = auth.Forward{Client: c, CodeOnly: f.Send == "code"}
	}
	return Built{Policy: pol, Forward: fw}, nil
}

// Local is the store's local groups as a policy.Groups.
func Local(st store.Groups) policy.Groups { return policy.GroupsFunc(st.UserGroups) }

func client(f config.Forward, now func() time.Time) (*radproxy.Client, error) {
	secret, err := readSecret(f.SecretFile)
	if err != nil {
		return nil, err
	}
	servers := make([]netip.AddrPort, len(f.Servers))
	for i, s := range f.Servers {
		if servers[i], err = netip.ParseAddrPort(s); err != nil {
			return nil, fmt.Errorf("server %q: %w", s, err)
		}
	}
	return radproxy.New(radproxy.Config{Name: f.Name, Servers: servers, Secret: secret,
		Timeout: f.Timeout.Duration, Tries: f.Tries, RequireMessageAuthenticator: f.RequiresMessageAuthenticator()}, now)
}

// readSecret returns the first line of a secret file that only its owner
// and its group may read.
func readSecret(path string) ([]byte, error) {
	b, err := atomicfile.GroupRead.Read(path, maxSecretFile)
	if err != nil {
		return nil, fmt.Errorf("secret_file: %w", err)
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	line = bytes.TrimRight(line, "\r")
	if len(line) == 0 {
		return nil, fmt.Errorf("secret_file %s is empty", path)
	}
	return bytes.Clone(line), nil
}
