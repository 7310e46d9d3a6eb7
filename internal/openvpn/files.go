package openvpn

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"otpgate.dev/otpgate/internal/atomicfile"
)

// checkPath accepts the absolute, clean paths OpenVPN creates in its tmp-dir.
// The paths come from OpenVPN, never from the client; the check keeps a
// misconfigured call from writing somewhere surprising.
func checkPath(p string) error {
	if p == "" {
		return errors.New("empty path")
	}
	if !filepath.IsAbs(p) || filepath.Clean(p) != p || hasControl(p) {
		return fmt.Errorf("path %q is not absolute and clean", p)
	}
	return nil
}

// readSmallFile reads a regular file of at most max bytes.
func readSmallFile(path string, max int) ([]byte, error) {
	if err := checkPath(path); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil {
		return nil, err
	} else if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	b, err := io.ReadAll(io.LimitReader(f, int64(max)+1))
	if err != nil {
		return nil, err
	}
	if len(b) > max {
		return nil, fmt.Errorf("%s is over %d bytes", path, max)
	}
	return b, nil
}

// writeFileAtomic replaces path with data through atomicfile.Replace (a
// new 0600 file beside it, synced and renamed over it), so that OpenVPN,
// which polls the control files by name, never reads a half-written one.
func writeFileAtomic(path string, data []byte) error {
	if err := checkPath(path); err != nil {
		return err
	}
	return atomicfile.Replace(path, data, nil)
}
