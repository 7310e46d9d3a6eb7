// Package client generates the one-time codes a VPN user sends, the way
// OpenConnect's --token-mode and --token-secret do: from a TOTP or HOTP
// token spec (package tokenspec), an RSA SecurID token (package securid) or
// a YubiKey's OATH applet (package ykoath).
//
// Use [Open] to resolve a [Source] once, then [Token.Codes] as often as
// codes are needed. Open reads the spec from the flag, standard input or
// $OTPGATE_TOKEN_SECRET and expands "~" in a token file's path as a shell
// would; a token file is read at each Codes, and for HOTP the advanced
// counter is saved (package tokenfile) before a code is returned, under a
// lock, so that no two runs ever print the same code. Passwords, PINs and
// PSKC keys come from a file, the environment or the terminal, each prompt
// asked at most once per Token; a file holding one must pass
// [atomicfile.CheckSecret].
//
// `otpgate code`, `otpgate openvpn client` and `otpgate token import` only
// turn their flags into a Source and print what a Token gives.
package client

import (
	"fmt"
	"strings"
	"time"

	"otpgate.dev/otpgate/internal/securid"
	"otpgate.dev/otpgate/internal/tokenspec"
)

// Mode is a --token-mode.
type Mode int

const (
	ModeAuto Mode = iota // a spec whose otpauth URI or PSKC document says totp or hotp
	TOTP
	HOTP
	RSA      // RSA SecurID, as stoken
	YubiOATH // the OATH applet of a YubiKey over PC/SC
)

var modeNames = [...]string{"", "totp", "hotp", "rsa", "yubioath"}

func (m Mode) String() string { return modeNames[m] }

// device reports whether the token's parameters come from the token itself
// rather than from a spec the flags may override.
func (m Mode) device() bool { return m == RSA || m == YubiOATH }

// ParseMode reads a --token-mode, in any case; "" is ModeAuto.
func ParseMode(s string) (Mode, error) {
	for m, name := range modeNames {
		if strings.EqualFold(s, name) {
			return Mode(m), nil
		}
	}
	return 0, &UsageError{Msg: fmt.Sprintf("unknown token mode %q (accepted: totp, hotp, rsa, yubioath)", s)}
}

// UsageError is a Source or Query that asks for what its token mode does not
// allow, or lacks what it needs. Msg names the flag of `otpgate code`.
type UsageError struct{ Msg, Hint string }

func (e *UsageError) Error() string { return e.Msg }

// Source names a token and what unlocks it: the token flags of `otpgate
// code`, and the process around it.
type Source struct {
	Mode Mode
	// Secret is the spec; "@FILE" or "/PATH" names a token file, as in
	// OpenConnect, and "@~/FILE" one under $HOME; "-" reads the spec from
	// Env.Stdin; "" takes $OTPGATE_TOKEN_SECRET and, in rsa mode, then
	// ~/.stokenrc. In yubioath mode it names the credential instead.
	Secret string
	// Digits and Period (seconds) override a TOTP or HOTP token's when
	// non-zero.
	Digits, Period int
	// KeyID picks a KeyPackage of a PSKC document by key Id or serial.
	KeyID string
	// PSKCKeyFile holds the hex pre-shared key of an encrypted PSKC
	// document, PSKCPasswordFile its password.
	PSKCKeyFile, PSKCPasswordFile string
	// PasswordFile and PINFile hold a SecurID token's password and PIN;
	// DeviceID is the device ID it is bound to.
	PasswordFile, PINFile, DeviceID string
	// OpenCard connects to the YubiKey; nil opens the first PC/SC reader
	// whose card has the OATH applet.
	OpenCard func() (Card, error)
	Env      Env
}

// Query says which codes to generate.
type Query struct {
	Now  time.Time
	Next bool // time-based tokens: start one period after Now
	// Count is how many consecutive codes; 0 means 1, at most MaxCount.
	Count int
	// Counter, when set, generates HOTP codes from this counter without
	// writing anything back: a look at codes, not a use of them.
	Counter *uint64
}

// MaxCount bounds Query.Count.
const MaxCount = 1001

// Code is one generated code and the counter or time step it belongs to.
type Code struct {
	Code       string    `json:"code"`
	Counter    uint64    `json:"counter"`
	ValidFrom  time.Time `json:"valid_from,omitzero"`
	ValidUntil time.Time `json:"valid_until,omitzero"`
}

// Result is what Codes produced.
type Result struct {
	Mode      string `json:"mode"`
	Form      string `json:"form"`
	Algorithm string `json:"algorithm"`
	Digits    int    `json:"digits"`
	Period    int    `json:"period,omitempty"`
	Codes     []Code `json:"codes"`
	// NextCounter is the HOTP counter after the codes; Saved reports whether
	// it was written back to the token file.
	NextCounter *uint64 `json:"next_counter,omitempty"`
	Saved       bool    `json:"saved"`
	File        string  `json:"file,omitempty"`
}

// Token is an opened Source. It is not safe for concurrent use; separate
// processes may share a token file.
type Token struct {
	src   Source
	env   Env            // src.Env, asking each prompt once
	spec  string         // the spec, when it is not in a file
	path  string         // the token file, "~" expanded
	rsa   *securid.Token // decrypted, once loaded
	rsaRC bool           // the file is a stoken rcfile
}

// Open checks src and resolves where its token is: it reads standard input
// or the environment now, once, and finds the token file's path.
func Open(src Source) (*Token, error) {
	if err := src.check(); err != nil {
		return nil, err
	}
	t := &Token{src: src, env: src.Env.remembering()}
	if src.Mode == YubiOATH {
		return t, nil
	}
	text, err := t.secretText()
	if err != nil {
		return nil, err
	}
	path, isFile := FilePath(text)
	switch {
	case isFile && path == "":
		return nil, &UsageError{Msg: "no file name after '@' (write @FILE, e.g. @~/.config/otpgate/vpn.token)"}
	case isFile:
		t.path = t.env.Path(path)
	case text == "" && src.Mode == RSA:
		t.path = t.env.Path("~/" + stokenRC)
	case text == "":
		return nil, &UsageError{Msg: "no token secret given",
			Hint: "give --token-secret SPEC, --token-secret @FILE, --token-secret - (stdin) or set " + EnvTokenSecret}
	default:
		t.spec = text
	}
	return t, nil
}

// check refuses the options src's mode takes from the token itself.
func (src *Source) check() error {
	switch {
	case src.Digits != 0 && (src.Digits < 6 || src.Digits > 10):
		return &UsageError{Msg: "--digits must be from 6 to 10"}
	case src.Period < 0 || src.Period > 86400:
		return &UsageError{Msg: "--period must be from 1 to 86400 seconds"}
	case src.Mode.device() && (src.Digits != 0 || src.Period != 0):
		return &UsageError{Msg: fmt.Sprintf("--digits and --period come from the token itself in --token-mode %s", src.Mode)}
	}
	return nil
}

// secretText is the spec from the flag, standard input or the environment.
func (t *Token) secretText() (string, error) {
	text := t.src.Secret
	switch text {
	case "-":
		var err error
		if text, err = ReadSpec(t.env.Stdin); err != nil {
			return "", err
		}
	case "":
		text = t.env.getenv(EnvTokenSecret)
	}
	if t.src.Mode == RSA {
		text = strings.TrimSpace(text)
	}
	return text, nil
}

// FilePath returns the token file named by a spec ("@FILE" or "/abs/path"),
// "~" not yet expanded; ok is false when the spec is the secret itself.
func FilePath(secret string) (path string, ok bool) {
	switch {
	case strings.HasPrefix(secret, "@"):
		return secret[1:], true
	case strings.HasPrefix(secret, "/"):
		return secret, true
	}
	return "", false
}

// Codes returns the codes q asks for. An HOTP token file has its advanced
// counter saved first: an error means no code may be shown.
func (t *Token) Codes(q Query) (*Result, error) {
	if err := t.checkQuery(&q); err != nil {
		return nil, err
	}
	switch t.src.Mode {
	case RSA:
		return t.rsaCodes(q)
	case YubiOATH:
		return t.oathCodes(q)
	}
	return t.specCodes(q)
}

func (t *Token) checkQuery(q *Query) error {
	if q.Count <= 0 {
		q.Count = 1
	}
	switch {
	case q.Count > MaxCount:
		return &UsageError{Msg: fmt.Sprintf("--window must be from 0 to %d", MaxCount-1)}
	case q.Counter != nil && t.src.Mode.device():
		return &UsageError{Msg: fmt.Sprintf("--counter is for hotp tokens, not --token-mode %s", t.src.Mode)}
	}
	return nil
}

// Check reads and unlocks the token without generating a code or writing
// anything, so that a bad spec, file or password fails before a code is
// needed. A YubiKey is not touched.
func (t *Token) Check() error {
	switch t.src.Mode {
	case YubiOATH:
		return nil
	case RSA:
		_, err := t.SecurID()
		return err
	}
	_, err := t.readSpec()
	return err
}

// File is the token file, "" when the spec was given whole.
func (t *Token) File() string { return t.path }

func (t *Token) specOptions() tokenspec.Options {
	mode := tokenspec.ModeUnknown
	switch t.src.Mode {
	case TOTP:
		mode = tokenspec.TOTP
	case HOTP:
		mode = tokenspec.HOTP
	}
	return tokenspec.Options{Mode: mode, KeyID: t.src.KeyID, Warn: t.env.Warn, Unlock: t.env.PSKCUnlock(t.src.PSKCKeyFile, t.src.PSKCPasswordFile)}
}
