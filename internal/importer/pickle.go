package importer

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"

	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/tokenspec"
)

// The older OpenVPN TOTP script (SparkLabs openvpn_pam_totp.py) keeps its
// users in /etc/openvpn/pyotp_index.db, a Python pickle of a dict mapping
// each user name to a pyotp base32 secret, written by pickle.dump(db, f, -1).
// Python's own pickle.load runs whatever a pickle asks for, so a pickle is
// read here by a small machine that knows only the opcodes such a dict is
// made of (protocols 0 to 5, from Python 2 or 3: Lib/pickletools.py lists
// them all) and refuses every other one; nothing is ever called, imported or
// built.
const (
	pickleFormat    = "pickle"
	pickleMaxSize   = 1 << 30
	pickleMaxProto  = 5
	pickleIssuer    = "OpenVPN Server" // the script's provisioning URI issuer
	pickleMaxString = MaxLineLength
)

// Pickle opcodes (Lib/pickle.py) that a dict of strings uses.
const (
	opMark           = '('
	opStop           = '.'
	opEmptyDict      = '}'
	opDict           = 'd'
	opSetItem        = 's'
	opSetItems       = 'u'
	opUnicode        = 'V'
	opBinUnicode     = 'X'
	opShortBinUni    = 0x8c
	opBinUnicode8    = 0x8d
	opString         = 'S'
	opBinString      = 'T'
	opShortBinString = 'U'
	opPut            = 'p'
	opBinPut         = 'q'
	opLongBinPut     = 'r'
	opMemoize        = 0x94
	opGet            = 'g'
	opBinGet         = 'h'
	opLongBinGet     = 'j'
	opProto          = 0x80
	opFrame          = 0x95
)

// pickleRefused names opcodes that build or call objects, for the error.
var pickleRefused = map[byte]string{
	'c': "GLOBAL", 0x93: "STACK_GLOBAL", 'R': "REDUCE", 'b': "BUILD", 'i': "INST",
	'o': "OBJ", 0x81: "NEWOBJ", 0x92: "NEWOBJ_EX", 'P': "PERSID", 'Q': "BINPERSID",
	0x82: "EXT1", 0x83: "EXT2", 0x84: "EXT4", ']': "EMPTY_LIST", 'l': "LIST",
	')': "EMPTY_TUPLE", 't': "TUPLE", 'I': "INT", 'J': "BININT", 'N': "NONE",
	'a': "APPEND", 'e': "APPENDS", '0': "POP", '1': "POP_MARK", '2': "DUP",
	'B': "BINBYTES", 'C': "SHORT_BINBYTES", 0x8e: "BINBYTES8", 0x96: "BYTEARRAY8",
	0x97: "NEXT_BUFFER", 0x8f: "EMPTY_SET", 0x90: "ADDITEMS", 0x91: "FROZENSET",
}

// pickleItem is a value on the pickle machine's stack: a string, or the dict.
type pickleItem struct {
	s      string
	isDict bool
}

// pickleMachine runs the allowed opcodes.
type pickleMachine struct {
	r     *bufio.Reader
	off   int64 // bytes consumed
	at    int64 // offset of the current opcode
	stack []pickleItem
	marks []int
	memo  map[uint64]pickleItem
	dict  *pickleDict
}

// pickleDict is the one dict a pickle may build, in insertion order.
type pickleDict struct {
	keys, values []string
	seen         map[string]bool
}

// ParsePickle reads the pickle database of the older OpenVPN TOTP script: a
// dict of user names to base32 secrets. Each entry becomes a TOTP record with
// pyotp's parameters (SHA-1, 6 digits, 30 seconds) and the script's issuer,
// in the dict's order; Record.Line is the entry's 1-based position. Any
// opcode other than those that build a dict of strings is refused with an
// error naming it, before anything is returned.
func ParsePickle(r io.Reader) ([]Record, error) {
	m := &pickleMachine{r: bufio.NewReader(io.LimitReader(r, pickleMaxSize+1)), memo: map[uint64]pickleItem{}}
	if err := m.run(); err != nil {
		return nil, err
	}
	return m.dict.records()
}

func (m *pickleMachine) errorf(format string, args ...any) error {
	return &Error{Format: pickleFormat, Offset: m.at, Msg: fmt.Sprintf(format, args...)}
}

// run executes opcodes up to STOP, then checks that nothing follows.
func (m *pickleMachine) run() error {
	for {
		m.at = m.off
		op, err := m.byte()
		if err != nil {
			return err
		}
		if op == opStop {
			return m.stop()
		}
		if err := m.step(op); err != nil {
			return err
		}
	}
}

// stop checks the final state: one dict on the stack, and nothing after.
func (m *pickleMachine) stop() error {
	if len(m.stack) != 1 || !m.stack[0].isDict || len(m.marks) != 0 {
		return m.errorf("the pickle does not hold just a dict (a dict of user names to base32 secrets is expected)")
	}
	if _, err := m.r.ReadByte(); err != io.EOF {
		return m.errorf("data after the STOP opcode (one pickle per file is expected)")
	}
	return nil
}

// step executes one opcode.
func (m *pickleMachine) step(op byte) error {
	switch op {
	case opProto:
		v, err := m.byte()
		if err == nil && v > pickleMaxProto {
			err = m.errorf("pickle protocol %d (accepted: 0 to %d)", v, pickleMaxProto)
		}
		return err
	case opFrame:
		_, err := m.uint(8)
		return err
	case opMark:
		m.marks = append(m.marks, len(m.stack))
		return nil
	case opEmptyDict:
		return m.newDict(nil)
	case opDict:
		items, err := m.popMark()
		if err == nil {
			err = m.newDict(items)
		}
		return err
	case opSetItem:
		return m.setItems(2)
	case opSetItems:
		return m.setItemsMark()
	}
	return m.stepData(op)
}

// stepData executes the opcodes that push strings or use the memo.
func (m *pickleMachine) stepData(op byte) error {
	switch op {
	case opUnicode, opString:
		return m.pushLineString(op)
	case opBinUnicode, opBinString:
		return m.pushString(4)
	case opShortBinUni, opShortBinString:
		return m.pushString(1)
	case opBinUnicode8:
		return m.pushString(8)
	case opPut, opBinPut, opLongBinPut, opMemoize:
		return m.put(op)
	case opGet, opBinGet, opLongBinGet:
		return m.get(op)
	}
	name := pickleRefused[op]
	if name == "" {
		name = fmt.Sprintf("0x%02x", op)
	}
	return m.errorf("refusing pickle opcode %s: only a dict of names to secrets is read", name)
}

func (m *pickleMachine) byte() (byte, error) {
	b, err := m.r.ReadByte()
	if err != nil {
		return 0, m.truncated(err)
	}
	m.off++
	if m.off > pickleMaxSize {
		return 0, m.errorf("the pickle is larger than %d bytes", pickleMaxSize)
	}
	return b, nil
}

func (m *pickleMachine) truncated(err error) error {
	if errors.Is(err, io.EOF) {
		return m.errorf("the pickle ends before its STOP opcode (a truncated file?)")
	}
	return fmt.Errorf("importer: read pickle: %w", err)
}

// uint reads an n-byte little-endian unsigned integer.
func (m *pickleMachine) uint(n int) (uint64, error) {
	var b [8]byte
	for i := range n {
		c, err := m.byte()
		if err != nil {
			return 0, err
		}
		b[i] = c
	}
	return binary.LittleEndian.Uint64(b[:]), nil
}

// bytes reads exactly n bytes of a string argument.
func (m *pickleMachine) bytes(n uint64) ([]byte, error) {
	if n > pickleMaxString {
		return nil, m.errorf("a string of %d bytes (at most %d are accepted)", n, pickleMaxString)
	}
	b := make([]byte, n)
	k, err := io.ReadFull(m.r, b)
	m.off += int64(k)
	if err != nil {
		return nil, m.truncated(err)
	}
	return b, nil
}

// line reads a protocol-0 argument up to its newline.
func (m *pickleMachine) line() ([]byte, error) {
	var b []byte
	for {
		c, err := m.byte()
		if err != nil {
			return nil, err
		}
		if c == '\n' {
			return b, nil
		}
		if len(b) >= pickleMaxString {
			return nil, m.errorf("a text argument longer than %d bytes", pickleMaxString)
		}
		b = append(b, c)
	}
}

// pushString reads a string with an n-byte length prefix. BINSTRING's
// length is signed in Python; a negative one is larger than any accepted.
func (m *pickleMachine) pushString(n int) error {
	size, err := m.uint(n)
	if err != nil {
		return err
	}
	b, err := m.bytes(size)
	if err != nil {
		return err
	}
	if !utf8.Valid(b) {
		return m.errorf("a string that is not valid UTF-8")
	}
	return m.push(pickleItem{s: string(b)})
}

// pushLineString reads the argument of UNICODE (raw-unicode-escape) or
// STRING (a quoted Python 2 str literal).
func (m *pickleMachine) pushLineString(op byte) error {
	b, err := m.line()
	if err != nil {
		return err
	}
	var s string
	var ok bool
	if op == opUnicode {
		s, ok = decodeRawUnicodeEscape(b)
	} else {
		s, ok = decodeStringLiteral(b)
	}
	if !ok {
		return m.errorf("a protocol-0 string argument is malformed")
	}
	return m.push(pickleItem{s: s})
}

func (m *pickleMachine) push(it pickleItem) error {
	if len(m.stack) >= 2*MaxRecords+2 {
		return m.errorf("%s", errTooMany)
	}
	m.stack = append(m.stack, it)
	return nil
}

// popMark pops everything above the last MARK.
func (m *pickleMachine) popMark() ([]pickleItem, error) {
	if len(m.marks) == 0 {
		return nil, m.errorf("an opcode needs a MARK and there is none")
	}
	at := m.marks[len(m.marks)-1]
	m.marks = m.marks[:len(m.marks)-1]
	items := m.stack[at:]
	m.stack = m.stack[:at]
	return items, nil
}

// newDict pushes the dict, filled with items (key, value, key, value...).
func (m *pickleMachine) newDict(items []pickleItem) error {
	if m.dict != nil {
		return m.errorf("a second dict (only one dict of names to secrets is read)")
	}
	m.dict = &pickleDict{seen: map[string]bool{}}
	if err := m.fill(items); err != nil {
		return err
	}
	return m.push(pickleItem{isDict: true})
}

// setItems pops n items (pairs) and sets them in the dict below them.
func (m *pickleMachine) setItems(n int) error {
	if len(m.stack) < n+1 || len(m.marks) > 0 && m.marks[len(m.marks)-1] > len(m.stack)-n-1 {
		return m.errorf("SETITEM without a dict, key and value on the stack")
	}
	items := m.stack[len(m.stack)-n:]
	m.stack = m.stack[:len(m.stack)-n]
	return m.fillTop(items)
}

func (m *pickleMachine) setItemsMark() error {
	items, err := m.popMark()
	if err != nil {
		return err
	}
	return m.fillTop(items)
}

// fillTop sets items in the dict that must be on top of the stack.
func (m *pickleMachine) fillTop(items []pickleItem) error {
	if len(m.stack) == 0 || !m.stack[len(m.stack)-1].isDict {
		return m.errorf("SETITEM(S) on something that is not the dict")
	}
	return m.fill(items)
}

func (m *pickleMachine) fill(items []pickleItem) error {
	if len(items)%2 != 0 {
		return m.errorf("a key without a value")
	}
	for i := 0; i < len(items); i += 2 {
		k, v := items[i], items[i+1]
		if k.isDict || v.isDict {
			return m.errorf("a dict used as a key or value (strings are expected)")
		}
		if m.dict.seen[k.s] {
			return m.errorf("a user name appears twice in the dict")
		}
		if len(m.dict.keys) >= MaxRecords {
			return m.errorf("%s", errTooMany)
		}
		m.dict.seen[k.s] = true
		m.dict.keys, m.dict.values = append(m.dict.keys, k.s), append(m.dict.values, v.s)
	}
	return nil
}

// put stores the top of the stack in the memo.
func (m *pickleMachine) put(op byte) error {
	idx, err := m.memoIndex(op)
	if err != nil {
		return err
	}
	if len(m.stack) == 0 || len(m.marks) > 0 && m.marks[len(m.marks)-1] == len(m.stack) {
		return m.errorf("PUT with nothing on the stack")
	}
	if len(m.memo) >= 2*MaxRecords+2 {
		return m.errorf("%s", errTooMany)
	}
	m.memo[idx] = m.stack[len(m.stack)-1]
	return nil
}

// get pushes a memo entry.
func (m *pickleMachine) get(op byte) error {
	idx, err := m.memoIndex(op)
	if err != nil {
		return err
	}
	it, ok := m.memo[idx]
	if !ok {
		return m.errorf("GET of memo entry %d, which was never stored", idx)
	}
	return m.push(it)
}

// memoIndex reads the memo index argument of a PUT or GET opcode.
func (m *pickleMachine) memoIndex(op byte) (uint64, error) {
	switch op {
	case opMemoize:
		return uint64(len(m.memo)), nil
	case opBinPut, opBinGet:
		return m.uint(1)
	case opLongBinPut, opLongBinGet:
		return m.uint(4)
	}
	b, err := m.line()
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseUint(string(b), 10, 63)
	if err != nil || !isDigits(string(b)) {
		return 0, m.errorf("a memo index that is not a decimal number")
	}
	return n, nil
}

// records turns the dict into TOTP records.
func (d *pickleDict) records() ([]Record, error) {
	recs := make([]Record, len(d.keys))
	for i, user := range d.keys {
		fail := func(msg string) error { return &Error{Format: pickleFormat, Entry: i + 1, Msg: msg} }
		if msg := checkUser(user); msg != "" {
			return nil, fail(msg)
		}
		secret, err := tokenspec.DecodeBase32(d.values[i])
		if err != nil {
			return nil, fail("the secret is not base32 (letters A-Z and digits 2-7, as pyotp writes it)")
		}
		if msg := checkSecret(secret); msg != "" {
			return nil, fail(msg)
		}
		recs[i] = Record{User: user, Type: TypeTOTP, Secret: secret, Algorithm: otp.SHA1,
			Digits: 6, Period: 30, Issuer: pickleIssuer, Line: i + 1}
	}
	return recs, nil
}
