package securid

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"strconv"
)

// aesEncrypt returns AES-128-ECB encryption of one block under key.
func aesEncrypt(key, block []byte) [blockSize]byte {
	var out [blockSize]byte
	newAES(key).Encrypt(out[:], block)
	return out
}

// aesDecrypt returns AES-128-ECB decryption of one block under key.
func aesDecrypt(key, block []byte) [blockSize]byte {
	var out [blockSize]byte
	newAES(key).Decrypt(out[:], block)
	return out
}

// newAES returns an AES cipher for a 16- or 32-byte key, which every caller
// in this package guarantees by construction.
func newAES(key []byte) cipher.Block {
	c, err := aes.NewCipher(key)
	if err != nil {
		panic("securid: internal error: AES key of length " + strconv.Itoa(len(key)))
	}
	return c
}

// xorBlock sets dst[i] ^= src[i] over one block.
func xorBlock(dst, src []byte) {
	for i := range blockSize {
		dst[i] ^= src[i]
	}
}

// securidMAC is stoken's securid_mac: an AES-based hash in which each
// message block is the key that encrypts the running state.
func securidMAC(msg []byte) [blockSize]byte {
	var w [blockSize]byte
	for i := range w {
		w[i] = 0xff
	}
	step := func(key []byte) {
		e := aesEncrypt(key, w[:])
		xorBlock(w[:], e[:])
	}
	full := 0
	rest := msg
	for ; len(rest) > blockSize; rest = rest[blockSize:] {
		step(rest[:blockSize])
		full++
	}
	var last [blockSize]byte
	copy(last[:], rest)
	step(last[:])
	if full%2 == 1 {
		var zero [blockSize]byte
		step(zero[:])
	}
	var pad [blockSize]byte
	binary.BigEndian.PutUint64(pad[8:], uint64(len(msg))*8)
	step(pad[:])
	e := aesEncrypt(w[:], w[:])
	xorBlock(w[:], e[:])
	return w
}

// shortMAC is the 15-bit digest of securidMAC used for checksums and the
// seed and device-ID hashes.
func shortMAC(msg []byte) uint16 {
	h := securidMAC(msg)
	return uint16(h[0])<<7 | uint16(h[1])>>1
}

// cbcMAC is AES-CBC over data under key and iv, keeping only the last
// ciphertext block; a partial final block is zero-padded.
func cbcMAC(key, iv, data []byte) [blockSize]byte {
	c := newAES(key)
	var state [blockSize]byte
	copy(state[:], iv)
	for len(data) > 0 {
		var blk [blockSize]byte
		n := copy(blk[:], data)
		data = data[n:]
		xorBlock(state[:], blk[:])
		c.Encrypt(state[:], state[:])
	}
	return state
}
