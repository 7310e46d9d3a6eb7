package mgmt

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

const (
	// maxLineLen bounds one line from OpenVPN; ENV lines are the longest.
	maxLineLen = 64 << 10
	// passwordPrompt is sent, without a newline, when --management has a
	// password file.
	passwordPrompt   = "ENTER PASSWORD:"
	handshakeTimeout = 10 * time.Second
)

// Dial connects to a management interface: a Unix socket given as an
// absolute path or "unix:PATH", or "host:port" over TCP.
func Dial(ctx context.Context, addr string) (net.Conn, error) {
	var d net.Dialer
	if path, ok := strings.CutPrefix(addr, "unix:"); ok {
		return d.DialContext(ctx, "unix", path)
	}
	if strings.HasPrefix(addr, "/") {
		return d.DialContext(ctx, "unix", addr)
	}
	return d.DialContext(ctx, "tcp", addr)
}

// reader reads OpenVPN's lines.
type reader struct {
	r *bufio.Reader
}

func newReader(r io.Reader) *reader {
	return &reader{r: bufio.NewReaderSize(r, maxLineLen)}
}

// line returns the next line without its CR LF.
func (r *reader) line() (string, error) {
	b, err := r.r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return "", fmt.Errorf("mgmt: line longer than %d bytes", maxLineLen)
	}
	if err != nil {
		return "", err
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// login answers the password prompt of a protected interface. OpenVPN asks
// before anything else; an interface without a password starts with >INFO.
func login(conn net.Conn, r *reader, password string) error {
	conn.SetDeadline(time.Now().Add(handshakeTimeout))
	defer conn.SetDeadline(time.Time{})
	head, err := r.r.Peek(len(passwordPrompt))
	if err != nil {
		return fmt.Errorf("mgmt: no greeting: %w", err)
	}
	if string(head) != passwordPrompt {
		return nil
	}
	r.r.Discard(len(passwordPrompt))
	if password == "" {
		return errors.New("mgmt: the management interface asks for a password and none is configured")
	}
	if strings.ContainsAny(password, "\r\n") {
		return errors.New("mgmt: the management password holds a line break")
	}
	if _, err := io.WriteString(conn, password+"\n"); err != nil {
		return fmt.Errorf("mgmt: send password: %w", err)
	}
	reply, err := r.line()
	if err != nil {
		return fmt.Errorf("mgmt: password reply: %w", err)
	}
	if !strings.HasPrefix(reply, "SUCCESS:") {
		return errors.New("mgmt: the management interface refused the password")
	}
	return nil
}
