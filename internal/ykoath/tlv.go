package ykoath

import (
	"errors"
	"fmt"
)

// tlv is one decoded tag-length-value item. YKOATH tags are one byte.
type tlv struct {
	tag   byte
	value []byte
}

// errTruncated is returned when a length runs past the end of its input.
var errTruncated = errors.New("truncated TLV")

// ReadTLV decodes the first TLV of b: a one-byte tag, a BER length (one
// byte below 0x80, or 0x81 n, or 0x82 n n) and the value. It returns the
// value as a sub-slice of b and the bytes that follow it. Its errors carry no
// package prefix: the callers add one with the operation that failed.
func ReadTLV(b []byte) (tag byte, value, rest []byte, err error) {
	if len(b) < 2 {
		return 0, nil, nil, errTruncated
	}
	tag, n, hdr := b[0], int(b[1]), 2
	switch {
	case n < 0x80:
	case n == 0x81 && len(b) >= 3:
		n, hdr = int(b[2]), 3
	case n == 0x82 && len(b) >= 4:
		n, hdr = int(b[2])<<8|int(b[3]), 4
	case n == 0x81 || n == 0x82:
		return 0, nil, nil, errTruncated
	default:
		return 0, nil, nil, fmt.Errorf("TLV tag %02x: length byte %02x not supported (accepted: 00-7f, 81, 82)", tag, n)
	}
	if len(b)-hdr < n {
		return 0, nil, nil, errTruncated
	}
	return tag, b[hdr : hdr+n], b[hdr+n:], nil
}

// AppendTLV appends tag, the shortest BER length of value, and value to b.
// Values longer than 65535 bytes cannot be encoded and panic: no YKOATH
// field comes near that size.
func AppendTLV(b []byte, tag byte, value []byte) []byte {
	n := len(value)
	switch {
	case n < 0x80:
		b = append(b, tag, byte(n))
	case n <= 0xff:
		b = append(b, tag, 0x81, byte(n))
	case n <= 0xffff:
		b = append(b, tag, 0x82, byte(n>>8), byte(n))
	default:
		panic("ykoath: TLV value longer than 65535 bytes")
	}
	return append(b, value...)
}

// parseTLVs decodes a whole response made of consecutive TLVs.
func parseTLVs(b []byte) ([]tlv, error) {
	var out []tlv
	for len(b) > 0 {
		tag, v, rest, err := ReadTLV(b)
		if err != nil {
			return nil, err
		}
		out = append(out, tlv{tag, v})
		b = rest
	}
	return out, nil
}

// expectTLV decodes a response that must be exactly one TLV with tag want.
func expectTLV(b []byte, want byte) ([]byte, error) {
	tag, v, rest, err := ReadTLV(b)
	switch {
	case err != nil:
		return nil, err
	case tag != want:
		return nil, fmt.Errorf("response tag %02x, want %02x", tag, want)
	case len(rest) != 0:
		return nil, fmt.Errorf("%d unexpected bytes after tag %02x", len(rest), want)
	}
	return v, nil
}
