package securid

import (
	"errors"
	"fmt"
	"strings"
)

// ParseFile decodes the contents of a token file as stoken reads them: a
// stoken rcfile (its first line that is not blank or a comment starts with
// "version" or "token"), else anything [Parse] reads (a CTF string, a URI, a
// v3 token or an sdtid XML file).
func ParseFile(data []byte) (*Token, error) {
	if IsRCFile(data) {
		return ParseRC(data)
	}
	return Parse(string(data))
}

// IsRCFile reports whether data is a stoken rcfile: it starts, after
// blank lines and comments, with an rcfile key (version or token).
func IsRCFile(data []byte) bool {
	for line := range strings.Lines(string(data)) {
		line, _, _ = strings.Cut(line, "#")
		key, _ := splitRCLine(line)
		if key != "" {
			key = strings.ToLower(key)
			return key == "version" || key == "token"
		}
	}
	return false
}

// ExportFile returns the contents of a token file holding t, which must be
// unlocked, as one v2 CTF line: `stoken --file`, `stoken --token=` (the line
// itself) and [ParseFile] read it back. The seed is encrypted under
// newPassword (empty for none) and bound to no device, so the file works on
// any machine; the serial, digits, interval, PIN mode and expiry are kept.
// A PIN saved in an rcfile is not written: a token file has no place for it.
//
// Before returning, ExportFile decodes what it wrote and checks that it
// gives back the same seed, so that a caller may discard the original.
func (t *Token) ExportFile(newPassword string) ([]byte, error) {
	ctf, err := t.EncodeV2(newPassword, "")
	if err != nil {
		return nil, err
	}
	back, err := Parse(ctf)
	if err == nil {
		err = back.Decrypt(newPassword, "")
	}
	if err != nil || !sameToken(t, back) {
		return nil, fmt.Errorf("securid: internal error: the exported token does not read back (%v)", errOrMismatch(err))
	}
	return []byte(ctf + "\n"), nil
}

// sameToken reports whether two unlocked tokens are the same token: serial,
// parameters, expiry and seed, whatever their encryption.
func sameToken(a, b *Token) bool {
	const prot = flPassProt | flSNProt
	return a.serial == b.serial && a.flags&^prot == b.flags&^prot && a.expDate == b.expDate &&
		constantTimeEqual(a.seed[:], b.seed[:])
}

func errOrMismatch(err error) error {
	if err != nil {
		return err
	}
	return errors.New("different serial, parameters or seed")
}
