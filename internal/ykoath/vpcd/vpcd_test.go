package vpcd_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/ykoath"
	"otpgate.dev/otpgate/internal/ykoath/vpcd"
	"otpgate.dev/otpgate/internal/ykoath/ykoathsim"
)

// fakeReader plays pcscd's vpcd driver: it accepts the card's connection
// and sends framed messages.
type fakeReader struct {
	t    *testing.T
	conn net.Conn
}

func (r *fakeReader) send(msg []byte) {
	r.t.Helper()
	if _, err := r.conn.Write(append(binary.BigEndian.AppendUint16(nil, uint16(len(msg))), msg...)); err != nil {
		r.t.Fatal(err)
	}
}

func (r *fakeReader) recv() []byte {
	r.t.Helper()
	r.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	var hdr [2]byte
	if _, err := io.ReadFull(r.conn, hdr[:]); err != nil {
		r.t.Fatal(err)
	}
	msg := make([]byte, binary.BigEndian.Uint16(hdr[:]))
	if _, err := io.ReadFull(r.conn, msg); err != nil {
		r.t.Fatal(err)
	}
	return msg
}

func TestServe(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sim := ykoathsim.New(ykoathsim.Options{})
	done := make(chan error, 1)
	go func() { done <- vpcd.Serve(ctx, ln.Addr().String(), sim) }()
	conn, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	r := &fakeReader{t, conn}

	r.send([]byte{4})
	if got := r.recv(); !bytes.Equal(got, vpcd.ATR) {
		t.Errorf("ATR = %x; want %x", got, vpcd.ATR)
	}
	r.send([]byte{1}) // power on: no answer
	r.send(append([]byte{0x00, ykoath.InsSelect, 0x04, 0x00, 0x07}, ykoath.AID...))
	if got := r.recv(); !bytes.HasSuffix(got, []byte{0x90, 0x00}) || got[0] != ykoath.TagVersion {
		t.Errorf("SELECT = %x; want the version and 9000", got)
	}
	r.send([]byte{0x00, ykoath.InsList, 0x00, 0x00})
	if got := r.recv(); !bytes.Equal(got, []byte{0x90, 0x00}) {
		t.Errorf("LIST = %x; want 9000", got)
	}
	// A reset forgets the selection, as a real card does.
	r.send([]byte{2})
	r.send([]byte{0x00, ykoath.InsList, 0x00, 0x00})
	if got := r.recv(); !bytes.Equal(got, []byte{0x6d, 0x00}) {
		t.Errorf("LIST after reset = %x; want 6d00", got)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve after cancel = %v; want nil", err)
	}
}

func TestServeClosed(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- vpcd.Serve(ctx, ln.Addr().String(), ykoathsim.New(ykoathsim.Options{})) }()
	conn, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	conn.Write([]byte{0x00}) // half a length, then hang up
	conn.Close()
	if err := <-done; err == nil {
		t.Errorf("Serve after the reader hung up = nil; want an error")
	}
}
