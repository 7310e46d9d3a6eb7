package radius

import (
	"time"

	layeh "layeh.com/radius"
)

// Wire limits and attribute numbers, named as in the RFCs.
const (
	// HeaderLength is Code, Identifier, Length and Authenticator (RFC 2865 section 3).
	HeaderLength = 20
	// MaxPacketLength is the largest RADIUS packet (RFC 2865 section 3).
	MaxPacketLength = layeh.MaxPacketLength
	// AuthenticatorLength is the length of the Request and Response Authenticators.
	AuthenticatorLength = 16
	// MessageAuthenticatorLength is the length of a whole Message-Authenticator
	// attribute: type, length and a 16-octet HMAC-MD5 (RFC 3579 section 3.2).
	MessageAuthenticatorLength = 2 + 16
	// MaxAttributes is the most attributes a request may carry; more is an
	// attribute bomb. FreeRADIUS's max_attributes defaults to the same.
	MaxAttributes = 200
	// maxStringLength is the longest value of one attribute.
	maxStringLength = 253
)

// Attribute types used here (RFC 2865 section 5, RFC 2869 section 5, RFC 3579).
const (
	typeUserName             = 1
	typeUserPassword         = 2
	typeCHAPPassword         = 3
	typeFramedIPAddress      = 8
	typeReplyMessage         = 18
	typeState                = 24
	typeVendorSpecific       = 26
	typeSessionTimeout       = 27
	typeCallingStationID     = 31
	typeProxyState           = 33
	typePrompt               = 76
	typeEAPMessage           = 79
	typeMessageAuthenticator = 80
)

// Microsoft vendor attributes that mark an MS-CHAP login (RFC 2548 section 2).
const (
	vendorMicrosoft      = 311
	msCHAPResponse       = 1
	msCHAPChallenge      = 11
	msCHAP2Response      = 25
	vendorSpecificHeader = 4 + 2 // Vendor-Id, then Vendor-Type and Vendor-Length
)

// Prompt attribute values (RFC 2869 section 5.10).
const (
	promptNoEcho = 0
	promptEcho   = 1
)

// Defaults for a zero [Config] and a zero [RateLimit]. A worker spends most
// of a login waiting for the store to make the used counter durable, and
// the store batches the writes that wait together into one commit: with 16
// workers a SQLite store answered about 6,000 logins/s on two CPUs while
// they were half idle, with 128 about 9,800/s (docs/benchmarks.md).
//
// The reply cache's budget holds a reply of 38 octets (an Access-Accept or
// Access-Reject) and its bookkeeping about 100,000 times: ReplyTTL at 3,300
// requests/s; above that, retransmissions are recognised for a shorter
// time (Snapshot.Evictions counts it). A NAS without Message-Authenticator
// is unusual and slow; its forgeable requests get a budget of their own.
const (
	DefaultWorkers                      = 128
	DefaultQueueSize                    = 1024
	DefaultReplyTTL                     = 30 * time.Second
	DefaultReplyCacheBytes              = 16 << 20
	DefaultRequestTimeout               = 10 * time.Second
	DefaultRatePerSecond                = 500
	DefaultBurst                        = 1000
	DefaultUnauthenticatedRatePerSecond = 50
	DefaultUnauthenticatedBurst         = 100
)
