package securid

// Token flag bits of the v2 CTF format, named as in stoken's securid.h.
const (
	fl128Bit    = 1 << 14 // AES-128 seed (the only kind supported)
	flPassProt  = 1 << 13 // seed encrypted with a password
	flSNProt    = 1 << 12 // seed encrypted with a device ID
	flAppSeeds  = 1 << 11 // app-derived seeds
	flFeat4     = 1 << 10 // "feature 4": the token's mode
	flTimeSeeds = 1 << 9  // time-derived seeds

	fldDigitShift      = 6
	fldDigitMask       = 7 << fldDigitShift // digits - 1
	fldPINModeShift    = 3
	fldPINModeMask     = 3 << fldPINModeShift
	fldNumSecondsShift = 0
	fldNumSecondsMask  = 3 << fldNumSecondsShift // 0 = 30 s, otherwise 60 s
)

// Sizes and limits of the token formats (stoken's securid.h and common.h).
const (
	blockSize = 16 // AES block and seed size

	ctfLen        = 81 // decimal characters in a v1/v2 CTF string
	ctfSerialLen  = 12
	ctfBitsChars  = 63 // characters [13,76) carry 189 bits
	ctfBitsStart  = 1 + ctfSerialLen
	ctfChecksumAt = ctfBitsStart + ctfBitsChars // 76: five checksum characters
	serialLen     = 12

	maxPass           = 40 // longest password stoken accepts
	devIDChars        = 32 // device-ID characters hashed for v1/v2 strings
	devIDCharsPhone   = 40 // ... for smartphone URIs
	minPIN            = 4
	maxPIN            = 8
	maxDigits         = 8
	maxInput          = 256 << 10 // longest token file Parse reads
	maxExpDate        = 1<<14 - 1 // the 14-bit exp_date field
	v3Len             = 0x123     // 291 bytes of a decoded v3 token
	v3DevIDLen        = 48
	v3PBKDF2Rounds    = 1000
	v3TicksPerDay     = 337500
	sdtidKey0Rounds   = 1000
	sdtidMaxHashInput = 64 << 10 // longest serialised section stoken would hash
)

// Bit offsets inside the 189 bits of a CTF string.
const (
	bitEncSeed     = 0
	bitFlags       = 128
	bitExpDate     = 144
	bitDecSeedHash = 159
	bitDevIDHash   = 174
)

// keyHashMagic ends the input of the v2 key hash (stoken's securid.c).
var keyHashMagic = []byte{0xd8, 0xf5, 0x32, 0x53, 0x82, 0x89}

// v3 PBKDF2 input constants, selected by the derive id: 0 for the HMAC key,
// 1 for the payload encryption key.
var v3Const = [2][16]byte{
	{0xd0, 0x14, 0x43, 0x3c, 0x6d, 0x17, 0x9f, 0xeb, 0xda, 0x09, 0xab, 0xfc, 0x32, 0x49, 0x63, 0x4c},
	{0x3b, 0xaf, 0xff, 0x4d, 0x91, 0x8d, 0x89, 0xb6, 0x81, 0x60, 0xde, 0x44, 0x4e, 0x05, 0xc0, 0xdd},
}

// IVs of the SDTID CBC-MACs: the hexadecimal expansions of e, sqrt(3) and
// sqrt(2), as the sdtid format uses them.
var (
	sdtidBatchMACIV  = [blockSize]byte{0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c}
	sdtidTokenMACIV  = [blockSize]byte{0x1b, 0xb6, 0x7a, 0xe8, 0x58, 0x4c, 0xaa, 0x73, 0xb2, 0x57, 0x42, 0xd7, 0x07, 0x8b, 0x83, 0xb8}
	sdtidTokenEncIV  = [blockSize]byte{0x16, 0xa0, 0x9e, 0x66, 0x7f, 0x3b, 0xcc, 0x90, 0x8b, 0x2f, 0xb1, 0x36, 0x6e, 0xa9, 0x57, 0xd3}
	smartphonePrefix = []string{"com.rsa.securid.iphone://ctf", "com.rsa.securid://ctf", "http://127.0.0.1/securid/ctf"}
)
