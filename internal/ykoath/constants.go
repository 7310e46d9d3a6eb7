package ykoath

// AID is the application identifier of the OATH applet, selected with
// SELECT (ISO 7816-4, P1 = 04) before any other command.
var AID = []byte{0xa0, 0x00, 0x00, 0x05, 0x27, 0x21, 0x01}

// Instruction bytes (INS) of the YKOATH protocol.
const (
	InsSelect        byte = 0xa4 // ISO 7816-4 SELECT
	InsPut           byte = 0x01
	InsDelete        byte = 0x02
	InsSetCode       byte = 0x03
	InsReset         byte = 0x04 // with P1 P2 = DE AD
	InsList          byte = 0xa1
	InsCalculate     byte = 0xa2
	InsValidate      byte = 0xa3
	InsCalculateAll  byte = 0xa4
	InsSendRemaining byte = 0xa5
)

// TLV tags of the YKOATH protocol.
const (
	TagName      byte = 0x71
	TagNameList  byte = 0x72
	TagKey       byte = 0x73
	TagChallenge byte = 0x74
	TagResponse  byte = 0x75 // full HMAC
	TagTruncated byte = 0x76 // dynamic truncation, top bit masked
	TagHOTP      byte = 0x77 // CALCULATE ALL entry of an HOTP credential
	TagProperty  byte = 0x78 // sent with no length byte
	TagVersion   byte = 0x79
	TagIMF       byte = 0x7a // initial moving factor (HOTP counter)
	TagAlgorithm byte = 0x7b // SELECT: algorithm of the access key
	TagTouch     byte = 0x7c // CALCULATE ALL entry that needs touch
)

// Property bits of the PROPERTY tag.
const (
	PropIncreasing   byte = 0x01 // only increasing challenges
	PropRequireTouch byte = 0x02
)

// Status words (SW1 SW2) returned by the applet.
const (
	SWSuccess          uint16 = 0x9000
	SWMoreData         uint16 = 0x6100 // SW1 = 61, SW2 = bytes remaining (00: 256 or more)
	SWWrongLength      uint16 = 0x6700
	SWMemoryFailure    uint16 = 0x6581
	SWAuthRequired     uint16 = 0x6982 // security status not satisfied
	SWNoSuchObject     uint16 = 0x6984 // data invalid
	SWWrongSyntax      uint16 = 0x6a80 // wrong data
	SWAppletNotFound   uint16 = 0x6a82 // file not found
	SWNoSpace          uint16 = 0x6a84
	SWWrongP1P2        uint16 = 0x6b00
	SWInsNotSupported  uint16 = 0x6d00
	SWClaNotSupported  uint16 = 0x6e00
	SWChainUnsupported uint16 = 0x6884
	SWUnknown          uint16 = 0x6f00
)

const (
	challengeLen = 8  // VALIDATE, SET CODE and TOTP challenges
	accessKeyLen = 16 // PBKDF2 output, also the SET CODE key length
	pbkdf2Iter   = 1000
	maxIDLen     = 64 // longest credential ID the applet stores
	minKeyLen    = 14 // ykman pads shorter keys with zeros (HMAC-equivalent)
)
