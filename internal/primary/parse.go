package primary

import (
	"fmt"
	"strings"
)

// Parse returns the checker a configuration names: "none" (or empty),
// "htpasswd:/path/to/file" or "pam:service".
func Parse(spec string) (Checker, error) {
	switch kind, arg, _ := strings.Cut(spec, ":"); kind {
	case "", "none":
		return None{}, nil
	case "htpasswd":
		h, err := LoadHtpasswd(arg)
		if err != nil {
			return nil, err
		}
		return h, nil
	case "pam":
		p, err := NewPAM(PAMConfig{Service: arg})
		if err != nil {
			return nil, err
		}
		return p, nil
	}
	return nil, fmt.Errorf("primary: unknown backend %q (accepted: none, htpasswd:/path/to/file, pam:service)", spec)
}
