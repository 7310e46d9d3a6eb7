package sqlstore

import (
	"bytes"
	"testing"
	"time"
)

func TestSendTimesRoundTrip(t *testing.T) {
	in := []time.Time{time.Unix(0, 1).UTC(), time.Date(2026, 3, 14, 15, 9, 26, 535897932, time.UTC)}
	out, err := DecodeSendTimes(EncodeSendTimes(in))
	if err != nil || len(out) != len(in) || !out[0].Equal(in[0]) || !out[1].Equal(in[1]) {
		t.Errorf("DecodeSendTimes(EncodeSendTimes(%v)) = %v, %v", in, out, err)
	}
	for _, n := range []int{1, 7, 9, 8*1000 + 8} {
		if _, err := DecodeSendTimes(make([]byte, n)); err == nil {
			t.Errorf("DecodeSendTimes(%d bytes) = nil error; want an error", n)
		}
	}
}

// FuzzDecodeSendTimes: a column of any bytes is refused or read back to the
// same bytes.
func FuzzDecodeSendTimes(f *testing.F) {
	f.Add(EncodeSendTimes([]time.Time{time.Unix(1, 2)}))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		ts, err := DecodeSendTimes(b)
		if err != nil {
			return
		}
		if got := EncodeSendTimes(ts); !bytes.Equal(got, b) && !clamped(b) {
			t.Errorf("EncodeSendTimes(DecodeSendTimes(%x)) = %x", b, got)
		}
	})
}

// clamped reports whether b holds a value that Nanos clamps: the smallest
// int64, which no stored time has.
func clamped(b []byte) bool {
	for i := 0; i < len(b); i += 8 {
		if bytes.Equal(b[i:i+8], []byte{0x80, 0, 0, 0, 0, 0, 0, 0}) {
			return true
		}
	}
	return false
}
