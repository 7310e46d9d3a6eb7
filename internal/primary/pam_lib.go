package primary

import (
	"errors"
	"fmt"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"

	"otpgate.dev/otpgate/internal/dynlib"
)

// Linux-PAM's constants, from <security/_pam_types.h>.
const (
	pamSuccess           = 0
	pamBufErr            = 5
	pamPermDenied        = 6
	pamAuthErr           = 7
	pamUserUnknown       = 10
	pamMaxtries          = 11
	pamNewAuthtokReqd    = 12
	pamAcctExpired       = 13
	pamConvErr           = 19
	pamSilent            = 0x8000
	pamDisallowNullAuthn = 0x0001
	pamItemUser          = 2
	pamItemRHost         = 4
)

// pamStyle is a message's msg_style.
type pamStyle int32

const (
	pamPromptEchoOff pamStyle = 1
	pamPromptEchoOn  pamStyle = 2
	pamErrorMsg      pamStyle = 3
	pamTextInfo      pamStyle = 4
)

// cMessage is struct pam_message and cResponse struct pam_response; Go lays
// them out as C does on every platform purego supports.
type cMessage struct {
	style pamStyle
	msg   *byte
}

type cResponse struct {
	resp    *byte
	retcode int32
}

// cConv is struct pam_conv. appdata is a handle into convs, never a Go
// pointer: C must not hold Go memory.
type cConv struct {
	conv    uintptr
	appdata uintptr
}

// libpam is libpam.so.0's application interface (pam_start(3) and the
// calls after it) and the two libc functions the conversation needs:
// libpam frees each answer with free(3), so answers live in malloc'd memory.
type libpam struct {
	start        func(service, user string, conv *cConv, pamh *uintptr) int32
	startConfdir func(service, user string, conv *cConv, confdir string, pamh *uintptr) int32 // nil before Linux-PAM 1.4
	end          func(pamh uintptr, status int32) int32
	authenticate func(pamh uintptr, flags int32) int32
	acctMgmt     func(pamh uintptr, flags int32) int32
	getItem      func(pamh uintptr, item int32, value **byte) int32
	setItem      func(pamh uintptr, item int32, value string) int32
	strerror     func(pamh uintptr, code int32) string
	calloc       func(n, size uintptr) unsafe.Pointer
	free         func(p unsafe.Pointer)
	// conv is the one conversation callback of the process: purego never
	// frees a callback and allows a few thousand, so every transaction
	// shares it and finds its state through appdata.
	conv uintptr
}

var (
	pamOnce sync.Once
	pamLib  *libpam
	pamErr  error
)

// loadPAM loads libpam.so.0 once; a machine without it gets one error that
// names the Debian package.
func loadPAM() (*libpam, error) {
	pamOnce.Do(func() { pamLib, pamErr = bindPAM() })
	return pamLib, pamErr
}

func bindPAM() (*libpam, error) {
	pam, err := dynlib.Open("libpam.so.0", "PAM", "libpam0g")
	if err != nil {
		return nil, err
	}
	libc, err := dynlib.Open("libc.so.6", "PAM", "libc6")
	if err != nil {
		return nil, err
	}
	l := &libpam{}
	err = errors.Join(pam.BindAll(
		dynlib.Sym{Fn: &l.start, Name: "pam_start"},
		dynlib.Sym{Fn: &l.end, Name: "pam_end"},
		dynlib.Sym{Fn: &l.authenticate, Name: "pam_authenticate"},
		dynlib.Sym{Fn: &l.acctMgmt, Name: "pam_acct_mgmt"},
		dynlib.Sym{Fn: &l.getItem, Name: "pam_get_item"},
		dynlib.Sym{Fn: &l.setItem, Name: "pam_set_item"},
		dynlib.Sym{Fn: &l.strerror, Name: "pam_strerror"},
	), libc.BindAll(
		dynlib.Sym{Fn: &l.calloc, Name: "calloc"},
		dynlib.Sym{Fn: &l.free, Name: "free"},
	))
	if err != nil {
		return nil, fmt.Errorf("primary: pam: %w", err)
	}
	if pam.Has("pam_start_confdir") {
		if err := pam.Bind(&l.startConfdir, "pam_start_confdir"); err != nil {
			return nil, fmt.Errorf("primary: pam: %w", err)
		}
	}
	l.conv = purego.NewCallback(l.converse)
	return l, nil
}

// convs holds the conversation of every transaction in flight, by handle.
var convs = struct {
	sync.Mutex
	next uintptr
	m    map[uintptr]*pamConv
}{m: map[uintptr]*pamConv{}}

func addConv(c *pamConv) uintptr {
	convs.Lock()
	defer convs.Unlock()
	convs.next++
	convs.m[convs.next] = c
	return convs.next
}

func removeConv(h uintptr) {
	convs.Lock()
	defer convs.Unlock()
	delete(convs.m, h)
}

func lookupConv(h uintptr) *pamConv {
	convs.Lock()
	defer convs.Unlock()
	return convs.m[h]
}

// converse is the conversation function (pam_conv(3)). Linux-PAM passes
// msgs as an array of n pointers. On success *resp is a calloc'd array of n
// answers, each a malloc'd string, which libpam frees; on failure nothing
// is left allocated.
func (l *libpam) converse(n int32, msgs **cMessage, resp **cResponse, appdata uintptr) int32 {
	c := lookupConv(appdata)
	if c == nil || n <= 0 || n > maxPAMMessages || msgs == nil || resp == nil {
		return pamConvErr
	}
	out := l.calloc(uintptr(n), unsafe.Sizeof(cResponse{}))
	if out == nil {
		return pamBufErr
	}
	answers := unsafe.Slice((*cResponse)(out), n)
	for i, m := range unsafe.Slice(msgs, n) {
		answer, err := c.RespondPAM(m.style, dynlib.GoString(m.msg))
		if err == nil {
			answers[i].resp, err = l.cString(answer)
		}
		if err != nil {
			l.freeAnswers(answers)
			return pamConvErr
		}
	}
	*resp = &answers[0]
	return pamSuccess
}

// cString copies s into malloc'd memory.
func (l *libpam) cString(s string) (*byte, error) {
	p := l.calloc(uintptr(len(s))+1, 1)
	if p == nil {
		return nil, errors.New("primary: pam: out of memory")
	}
	copy(unsafe.Slice((*byte)(p), len(s)), s)
	return (*byte)(p), nil
}

// freeAnswers wipes (they may hold the password) and frees answers.
func (l *libpam) freeAnswers(answers []cResponse) {
	for _, a := range answers {
		if a.resp != nil {
			clear(unsafe.Slice(a.resp, dynlib.Strlen(a.resp)))
			l.free(unsafe.Pointer(a.resp))
		}
	}
	l.free(unsafe.Pointer(&answers[0]))
}
