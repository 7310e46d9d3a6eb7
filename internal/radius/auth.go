package radius

import (
	"crypto/hmac"
	"crypto/md5"
	"errors"
)

// messageAuthenticator returns HMAC-MD5(secret, packet) where packet is the
// whole packet with the Message-Authenticator value at valueOffset taken as
// sixteen zero octets (RFC 3579 section 3.2). packet itself is not changed.
func messageAuthenticator(packet, secret []byte, valueOffset int) [16]byte {
	m := hmac.New(md5.New, secret)
	var zero [16]byte
	m.Write(packet[:valueOffset])
	m.Write(zero[:])
	m.Write(packet[valueOffset+16:])
	var sum [16]byte
	m.Sum(sum[:0])
	return sum
}

// verifyMessageAuthenticator reports, in constant time, whether the
// Message-Authenticator value at valueOffset of a request is right.
// Requests carry their own Request Authenticator in the header, so the
// packet is hashed as received.
func verifyMessageAuthenticator(packet, secret []byte, valueOffset int) bool {
	want := messageAuthenticator(packet, secret, valueOffset)
	return hmac.Equal(want[:], packet[valueOffset:valueOffset+16])
}

// signResponse fills in the two authenticators of an encoded response whose
// first attribute is a Message-Authenticator of zeros and whose header holds
// the Request Authenticator. First the Message-Authenticator, over the packet
// with the Request Authenticator (RFC 3579 section 3.2); then the Response
// Authenticator, MD5(Code+ID+Length+RequestAuth+Attributes+Secret), over the
// packet that now includes it (RFC 2865 section 3). Putting the
// Message-Authenticator first is the BlastRADIUS mitigation: a chosen-prefix
// MD5 collision can no longer be built in front of it.
func signResponse(b, secret []byte) error {
	const valueOffset = HeaderLength + 2
	if len(b) < HeaderLength+MessageAuthenticatorLength || b[HeaderLength] != typeMessageAuthenticator || b[HeaderLength+1] != MessageAuthenticatorLength {
		return errors.New("radius: response does not start with a Message-Authenticator")
	}
	mac := messageAuthenticator(b, secret, valueOffset)
	copy(b[valueOffset:], mac[:])
	setResponseAuthenticator(b, secret)
	return nil
}

// setResponseAuthenticator replaces the Request Authenticator in the header
// of an encoded response with the Response Authenticator (RFC 2865 section 3).
func setResponseAuthenticator(b, secret []byte) {
	h := md5.New()
	h.Write(b)
	h.Write(secret)
	h.Sum(b[4:4])
}
