package otp

import (
	"crypto/hmac"
	"testing"
)

func BenchmarkHMAC(b *testing.B) {
	for _, a := range []Algorithm{SHA1, SHA256, SHA512} {
		b.Run(a.String(), func(b *testing.B) {
			key := rfc6238Keys[a]
			msg := make([]byte, 8)
			b.ReportAllocs()
			for b.Loop() {
				m := hmac.New(a.hash(), key)
				m.Write(msg)
				m.Sum(nil)
			}
		})
	}
}

func BenchmarkGenerate(b *testing.B) {
	for _, a := range []Algorithm{SHA1, SHA256, SHA512} {
		b.Run(a.String(), func(b *testing.B) {
			p := Params{Algorithm: a, Digits: 6, Period: DefaultPeriod}
			key := rfc6238Keys[a]
			b.ReportAllocs()
			var c uint64
			for b.Loop() {
				Generate(key, c, p)
				c++
			}
		})
	}
}

// BenchmarkVerifyWindow measures a miss over the default HOTP look-ahead of
// ten counters and the TOTP window of three steps: a miss costs the most,
// since every counter is computed.
func BenchmarkVerifyWindow(b *testing.B) {
	for _, a := range []Algorithm{SHA1, SHA256, SHA512} {
		for _, w := range []uint64{3, 10} {
			b.Run(a.String()+"/"+map[uint64]string{3: "totp3", 10: "hotp10"}[w], func(b *testing.B) {
				p := Params{Algorithm: a, Digits: 6, Period: DefaultPeriod}
				key := rfc6238Keys[a]
				b.ReportAllocs()
				for b.Loop() {
					Verify(key, "000000", 1000, 1000+w-1, p)
				}
			})
		}
	}
}
