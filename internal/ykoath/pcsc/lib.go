package pcsc

import (
	"fmt"
	"sync"
	"unsafe"

	"otpgate.dev/otpgate/internal/dynlib"
)

// pcsc-lite's types on Linux (<PCSC/wintypes.h>): LONG is long, DWORD
// unsigned long, and contexts and card handles are LONGs.
type (
	long  = int
	dword = uint
)

// pcsc-lite's constants (<PCSC/pcsclite.h>).
const (
	scardScopeSystem      dword = 2
	scardShareShared      dword = 2
	scardProtocolT1       dword = 2
	scardLeaveCard        dword = 0
	scardResetCard        dword = 1
	scardSuccess                = 0
	scardENoReaders             = 0x8010002E
	scardEInsufficientBuf       = 0x80100008
	// maxBufferSizeExtended is MAX_BUFFER_SIZE_EXTENDED: the largest
	// extended-length response, status word included.
	maxBufferSizeExtended = 4 + 3 + 1<<16 + 3 + 2
)

// ioRequest is SCARD_IO_REQUEST; sendT1 is g_rgSCardT1Pci's value.
type ioRequest struct {
	protocol, pciLength dword
}

var sendT1 = ioRequest{protocol: scardProtocolT1, pciLength: dword(unsafe.Sizeof(ioRequest{}))}

// libpcsclite is the part of libpcsclite.so.1's WinSCard API that Open
// needs.
type libpcsclite struct {
	establish   func(scope dword, r1, r2 uintptr, ctx *long) long
	release     func(ctx long) long
	listReaders func(ctx long, groups *byte, readers *byte, n *dword) long
	connect     func(ctx long, reader string, share, protocols dword, card *long, active *dword) long
	begin       func(card long) long
	end         func(card long, disposition dword) long
	disconnect  func(card long, disposition dword) long
	transmit    func(card long, send *ioRequest, apdu []byte, n dword, recv *ioRequest, resp []byte, m *dword) long
	stringify   func(rv long) string
}

var (
	libOnce sync.Once
	lib     *libpcsclite
	libErr  error
)

// load loads libpcsclite.so.1 once.
func load() (*libpcsclite, error) {
	libOnce.Do(func() { lib, libErr = bind() })
	return lib, libErr
}

func bind() (*libpcsclite, error) {
	so, err := dynlib.Open("libpcsclite.so.1", "YubiKey OATH", "libpcsclite1")
	if err != nil {
		return nil, err // one line that names the package, as PAM's
	}
	l := &libpcsclite{}
	err = so.BindAll(
		dynlib.Sym{Fn: &l.establish, Name: "SCardEstablishContext"},
		dynlib.Sym{Fn: &l.release, Name: "SCardReleaseContext"},
		dynlib.Sym{Fn: &l.listReaders, Name: "SCardListReaders"},
		dynlib.Sym{Fn: &l.connect, Name: "SCardConnect"},
		dynlib.Sym{Fn: &l.begin, Name: "SCardBeginTransaction"},
		dynlib.Sym{Fn: &l.end, Name: "SCardEndTransaction"},
		dynlib.Sym{Fn: &l.disconnect, Name: "SCardDisconnect"},
		dynlib.Sym{Fn: &l.transmit, Name: "SCardTransmit"},
		dynlib.Sym{Fn: &l.stringify, Name: "pcsc_stringify_error"},
	)
	if err != nil {
		return nil, fmt.Errorf("pcsc: %w", err)
	}
	return l, nil
}

// Error is a PC/SC result code other than SCARD_S_SUCCESS.
type Error struct {
	Code uint32
	Text string // pcsc_stringify_error
}

func (e *Error) Error() string { return fmt.Sprintf("%s (0x%08X)", e.Text, e.Code) }

// check turns a result code into an error.
func (l *libpcsclite) check(rv long) error {
	if rv == scardSuccess {
		return nil
	}
	return &Error{Code: uint32(rv), Text: l.stringify(rv)}
}
