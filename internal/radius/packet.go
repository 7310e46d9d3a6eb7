package radius

import (
	"encoding/binary"
	"errors"
	"fmt"

	layeh "layeh.com/radius"
)

// header is the fixed part of a packet (RFC 2865 section 3).
type header struct {
	code   layeh.Code
	length int
}

// parseHeader checks the fixed header of a datagram and returns it. Octets
// past the Length field are padding and are ignored (RFC 2865 section 3).
func parseHeader(b []byte) (header, error) {
	if len(b) < HeaderLength {
		return header{}, fmt.Errorf("radius: packet of %d octets is shorter than the %d-octet header", len(b), HeaderLength)
	}
	n := int(binary.BigEndian.Uint16(b[2:4]))
	if n < HeaderLength || n > MaxPacketLength || n > len(b) {
		return header{}, fmt.Errorf("radius: length field %d is outside %d..%d or past the %d octets received", n, HeaderLength, MaxPacketLength, len(b))
	}
	return header{code: layeh.Code(b[0]), length: n}, nil
}

// scan is what a walk over a request's attributes finds before any of them
// is decoded.
type scan struct {
	count         int
	maOffset      int // offset of the Message-Authenticator value; 0 if absent
	hasCHAP       bool
	hasEAP        bool
	hasMSCHAP     bool
	hasProxyState bool
}

// errTooManyAttributes marks an attribute bomb.
var errTooManyAttributes = fmt.Errorf("radius: more than %d attributes", MaxAttributes)

// scanAttributes walks the attributes of packet (already cut to its Length)
// and checks their framing, their number and the attributes that may
// appear at most once (RFC 2865 section 5.44, RFC 3579 section 3.2).
func scanAttributes(packet []byte) (scan, error) {
	var s scan
	var seen [256]uint8 // how often each single attribute appeared
	for off := HeaderLength; off < len(packet); {
		if len(packet)-off < 2 {
			return s, errors.New("radius: attribute header cut short")
		}
		typ, n := packet[off], int(packet[off+1])
		if n < 2 || off+n > len(packet) {
			return s, fmt.Errorf("radius: attribute %d at offset %d has length %d; want 2..%d", typ, off, n, len(packet)-off)
		}
		if s.count++; s.count > MaxAttributes {
			return s, errTooManyAttributes
		}
		if err := s.note(typ, packet[off:off+n], off, &seen); err != nil {
			return s, err
		}
		off += n
	}
	return s, nil
}

// note records one attribute.
func (s *scan) note(typ byte, attr []byte, off int, seen *[256]uint8) error {
	switch typ {
	case typeUserName, typeUserPassword, typeCHAPPassword, typeState, typeMessageAuthenticator:
		if seen[typ]++; seen[typ] > 1 {
			return fmt.Errorf("radius: attribute %d appears more than once", typ)
		}
	}
	switch typ {
	case typeMessageAuthenticator:
		if len(attr) != MessageAuthenticatorLength {
			return fmt.Errorf("radius: Message-Authenticator of length %d; want %d", len(attr), MessageAuthenticatorLength)
		}
		s.maOffset = off + 2
	case typeCHAPPassword:
		s.hasCHAP = true
	case typeProxyState:
		s.hasProxyState = true
	case typeEAPMessage:
		s.hasEAP = true
	case typeVendorSpecific:
		s.hasMSCHAP = s.hasMSCHAP || isMSCHAP(attr)
	}
	return nil
}

// isMSCHAP reports whether a Vendor-Specific attribute (type and length
// included) carries one of Microsoft's MS-CHAP attributes.
func isMSCHAP(attr []byte) bool {
	v := attr[2:]
	if len(v) < vendorSpecificHeader || binary.BigEndian.Uint32(v) != vendorMicrosoft {
		return false
	}
	switch v[4] {
	case msCHAPResponse, msCHAPChallenge, msCHAP2Response:
		return true
	}
	return false
}
