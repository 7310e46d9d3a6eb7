package recovery

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are Argon2id's costs (RFC 9106 section 3.1).
type Params struct {
	Time      uint32 // passes
	MemoryKiB uint32
	Threads   uint8
}

// DefaultParams are OWASP's minimum for Argon2id (19 MiB, 2 passes, 1
// thread): the codes are random, not chosen by people, so the hash only has
// to make an offline search of a stolen database slow, and a RADIUS server
// may check several at once.
var DefaultParams = Params{Time: 2, MemoryKiB: 19 * 1024, Threads: 1}

// Bounds on stored parameters, so that a tampered row cannot make a check
// take all memory or forever.
const (
	saltLength   = 16
	sumLength    = 32
	maxMemoryKiB = 256 * 1024
	maxTime      = 16
	maxPHCLength = 200
	// hashSlots is how many hashes run at once; the rest wait, so that a
	// burst of recovery attempts cannot take more than hashSlots times
	// MemoryKiB.
	hashSlots = 4
)

var slots = make(chan struct{}, hashSlots)

// sum hashes code with salt, waiting for a slot until ctx ends.
func (p Params) sum(ctx context.Context, code string, salt []byte) ([]byte, error) {
	select {
	case slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ErrBusy
	}
	defer func() { <-slots }()
	return argon2.IDKey([]byte(code), salt, p.Time, p.MemoryKiB, p.Threads, sumLength), nil
}

func (p Params) String() string {
	return fmt.Sprintf("m=%d,t=%d,p=%d", p.MemoryKiB, p.Time, p.Threads)
}

// phc is a parsed PHC string.
type phc struct {
	params    Params
	salt, sum []byte
}

func (p Params) hash(code string, salt []byte) phc {
	return phc{params: p, salt: salt, sum: argon2.IDKey([]byte(code), salt, p.Time, p.MemoryKiB, p.Threads, sumLength)}
}

// String writes the PHC string format as the Argon2 reference
// implementation does: $argon2id$v=19$m=M,t=T,p=P$SALT$HASH, the last two in
// unpadded standard base64.
func (h phc) String() string {
	enc := base64.RawStdEncoding
	return "$argon2id$v=19$" + h.params.String() + "$" + enc.EncodeToString(h.salt) + "$" + enc.EncodeToString(h.sum)
}

var errPHC = errors.New("not an argon2id PHC string ($argon2id$v=19$m=M,t=T,p=P$SALT$HASH)")

// parsePHC reads what String writes, and refuses parameters outside the
// bounds above.
func parsePHC(s string) (phc, error) {
	if len(s) > maxPHCLength {
		return phc{}, errPHC
	}
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != "v=19" {
		return phc{}, errPHC
	}
	p, err := parseParams(parts[3])
	if err != nil {
		return phc{}, err
	}
	enc := base64.RawStdEncoding.Strict()
	salt, err1 := enc.DecodeString(parts[4])
	sum, err2 := enc.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(sum) != sumLength {
		return phc{}, errPHC
	}
	return phc{params: p, salt: salt, sum: sum}, nil
}

// parseParams reads "m=19456,t=2,p=1".
func parseParams(s string) (Params, error) {
	fields := strings.Split(s, ",")
	if len(fields) != 3 {
		return Params{}, errPHC
	}
	var v [3]uint64
	for i, key := range []string{"m=", "t=", "p="} {
		num, ok := strings.CutPrefix(fields[i], key)
		n, err := strconv.ParseUint(num, 10, 32)
		if !ok || err != nil {
			return Params{}, errPHC
		}
		v[i] = n
	}
	p := Params{MemoryKiB: uint32(v[0]), Time: uint32(v[1]), Threads: uint8(min(v[2], 255))}
	if p.MemoryKiB < 8*uint32(p.Threads) || p.MemoryKiB > maxMemoryKiB || p.Time < 1 || p.Time > maxTime || v[2] < 1 || v[2] > 16 {
		return Params{}, fmt.Errorf("argon2id parameters %s are outside m=8p..%d, t=1..%d, p=1..16", p, maxMemoryKiB, maxTime)
	}
	return p, nil
}
