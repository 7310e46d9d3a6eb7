package pskc

import (
	"crypto/cipher"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
)

// Initial values of the AES key wrap (RFC 3394 section 2.2.3.1) and of its
// padded variant (RFC 5649 section 3, followed by the 32-bit length).
var (
	kwIV  = []byte{0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6}
	kwAIV = []byte{0xa6, 0x59, 0x59, 0xa6}
)

// unwrap undoes an AES key wrap, with or without RFC 5649 padding, which
// python-pskc uses under the plain kw-aes URIs when the value is not a
// multiple of 8 bytes. A failed integrity check is ErrWrongKey.
func unwrap(b cipher.Block, data []byte) ([]byte, error) {
	if len(data) < 16 || len(data)%8 != 0 {
		return nil, fmt.Errorf("key wrap CipherValue of %d bytes is not 2 or more 8-byte blocks", len(data))
	}
	n := len(data)/8 - 1
	var a [8]byte
	r := make([]byte, 8*n)
	if n == 1 {
		var blk [16]byte
		b.Decrypt(blk[:], data)
		copy(a[:], blk[:8])
		copy(r, blk[8:])
	} else {
		copy(a[:], data[:8])
		copy(r, data[8:])
		var blk [16]byte
		for j := 5; j >= 0; j-- {
			for i := n; i >= 1; i-- {
				binary.BigEndian.PutUint64(a[:], binary.BigEndian.Uint64(a[:])^uint64(n*j+i))
				copy(blk[:8], a[:])
				copy(blk[8:], r[8*(i-1):8*i])
				b.Decrypt(blk[:], blk[:])
				copy(a[:], blk[:8])
				copy(r[8*(i-1):], blk[8:])
			}
		}
	}
	return checkUnwrapped(a[:], r)
}

// checkUnwrapped verifies the recovered initial value and strips padding.
func checkUnwrapped(a, r []byte) ([]byte, error) {
	if subtle.ConstantTimeCompare(a, kwIV) == 1 {
		return r, nil
	}
	if subtle.ConstantTimeCompare(a[:4], kwAIV) != 1 {
		return nil, ErrWrongKey
	}
	mli := int(binary.BigEndian.Uint32(a[4:]))
	if mli <= len(r)-8 || mli > len(r) {
		return nil, ErrWrongKey
	}
	for _, c := range r[mli:] {
		if c != 0 {
			return nil, ErrWrongKey
		}
	}
	return r[:mli], nil
}

// wrap applies the AES key wrap: RFC 3394 when plaintext is 16 bytes or more
// in whole 8-byte blocks, RFC 5649 with padding otherwise.
func wrap(b cipher.Block, plaintext []byte) []byte {
	var a [8]byte
	r := append([]byte(nil), plaintext...)
	if len(r) >= 16 && len(r)%8 == 0 {
		copy(a[:], kwIV)
	} else {
		copy(a[:], kwAIV)
		binary.BigEndian.PutUint32(a[4:], uint32(len(r)))
		r = append(r, make([]byte, (8-len(r)%8)%8)...)
	}
	n := len(r) / 8
	var blk [16]byte
	if n == 1 {
		copy(blk[:8], a[:])
		copy(blk[8:], r)
		b.Encrypt(blk[:], blk[:])
		return blk[:]
	}
	for j := range 6 {
		for i := 1; i <= n; i++ {
			copy(blk[:8], a[:])
			copy(blk[8:], r[8*(i-1):8*i])
			b.Encrypt(blk[:], blk[:])
			binary.BigEndian.PutUint64(a[:], binary.BigEndian.Uint64(blk[:8])^uint64(n*j+i))
			copy(r[8*(i-1):], blk[8:])
		}
	}
	return append(a[:], r...)
}
