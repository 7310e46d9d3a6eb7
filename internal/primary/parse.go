package primary

import (
	"cmp"
	"errors"
	"fmt"
	"strings"
)

// Backends of a [Spec].
const (
	KindNone     = "none"
	KindHtpasswd = "htpasswd"
	KindPAM      = "pam"
	// KindLDAP checks passwords against the [ldap] directory of the
	// configuration: [NewLDAP], not Parse, opens it.
	KindLDAP = "ldap"
)

// Spec is a parsed backend name: Kind with its argument, the htpasswd
// file's path or the PAM service.
type Spec struct {
	Kind string
	Arg  string
}

// ParseSpec reads a backend name, "none" (or empty),
// "htpasswd:/path/to/file", "pam:service" or "ldap", touching nothing. It is the
// one reader of this syntax: the configuration checks with it, [Parse]
// opens what it names.
func ParseSpec(spec string) (Spec, error) {
	kind, arg, _ := strings.Cut(spec, ":")
	switch kind {
	case "", KindNone, KindLDAP:
		if spec != kind {
			return Spec{}, fmt.Errorf("primary: %q: %s takes no argument (accepted: %s)", spec, kind, accepted)
		}
		return Spec{Kind: cmp.Or(kind, KindNone)}, nil
	case KindHtpasswd, KindPAM:
		if arg == "" {
			return Spec{}, fmt.Errorf("primary: %q needs its argument (htpasswd:PATH or pam:SERVICE)", spec)
		}
		return Spec{Kind: kind, Arg: arg}, nil
	}
	return Spec{}, fmt.Errorf("primary: %q is not a backend (accepted: %s)", spec, accepted)
}

const accepted = "none, htpasswd:/path/to/file, pam:service, ldap"

// Parse returns the checker a backend name names (see [ParseSpec]),
// reading the htpasswd file or starting PAM.
func Parse(spec string) (Checker, error) {
	s, err := ParseSpec(spec)
	if err != nil {
		return nil, err
	}
	switch s.Kind {
	case KindHtpasswd:
		h, err := LoadHtpasswd(s.Arg)
		if err != nil {
			return nil, err
		}
		return h, nil
	case KindPAM:
		p, err := NewPAM(PAMConfig{Service: s.Arg})
		if err != nil {
			return nil, err
		}
		return p, nil
	case KindLDAP:
		return nil, errors.New("primary: ldap checks passwords against the [ldap] table of the configuration, which the caller opens (NewLDAP)")
	}
	return None{}, nil
}
