package yubiotp

// CRC16 returns the CRC-16 of ISO/IEC 13239 (X.25 polynomial, reflected,
// initial value 0xffff, no final XOR) that YubiKeys use. A block ends with
// the ones' complement of the CRC of the bytes before it, little-endian, so
// that the CRC of the whole block is [CRCOKResidue].
func CRC16(b []byte) uint16 {
	crc := uint16(0xffff)
	for _, c := range b {
		crc ^= uint16(c)
		for range 8 {
			lsb := crc & 1
			crc >>= 1
			if lsb != 0 {
				crc ^= 0x8408
			}
		}
	}
	return crc
}
