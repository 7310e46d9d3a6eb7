package primary

import (
	"fmt"
	"strings"
)

// Backends of a [Spec].
const (
	KindNone     = "none"
	KindHtpasswd = "htpasswd"
	KindPAM      = "pam"
)

// Spec is a parsed backend name: Kind with its argument, the htpasswd
// file's path or the PAM service.
type Spec struct {
	Kind string
	Arg  string
}

// ParseSpec reads a backend name, "none" (or empty),
// "htpasswd:/path/to/file" or "pam:service", touching nothing. It is the
// one reader of this syntax: the configuration checks with it, [Parse]
// opens what it names.
func ParseSpec(spec string) (Spec, error) {
	kind, arg, _ := strings.Cut(spec, ":")
	switch kind {
	case "", KindNone:
		if spec != kind {
			return Spec{}, fmt.Errorf("primary: %q: none takes no argument (accepted: none, htpasswd:/path/to/file, pam:service)", spec)
		}
		return Spec{Kind: KindNone}, nil
	case KindHtpasswd, KindPAM:
		if arg == "" {
			return Spec{}, fmt.Errorf("primary: %q needs its argument (htpasswd:PATH or pam:SERVICE)", spec)
		}
		return Spec{Kind: kind, Arg: arg}, nil
	}
	return Spec{}, fmt.Errorf("primary: %q is not a backend (accepted: none, htpasswd:/path/to/file, pam:service)", spec)
}

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
	}
	return None{}, nil
}
