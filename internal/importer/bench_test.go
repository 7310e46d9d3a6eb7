package importer

import (
	"bytes"
	"fmt"
	"testing"
)

// usersFileOf returns a users file of n HOTP tokens.
func usersFileOf(n int) []byte {
	var b bytes.Buffer
	for i := range n {
		fmt.Fprintf(&b, "HOTP/E/6\tuser%d\t-\t%s\t%d\n", i, rfc4226Key, i)
	}
	return b.Bytes()
}

func TestParseUsersFileLarge(t *testing.T) {
	const n = 100_000
	recs, err := ParseUsersFile(bytes.NewReader(usersFileOf(n)))
	if err != nil || len(recs) != n {
		t.Fatalf("ParseUsersFile(%d lines) = %d records, %v", n, len(recs), err)
	}
	if last := recs[n-1]; last.User != fmt.Sprintf("user%d", n-1) || last.Counter != n-1 || last.Line != n {
		t.Errorf("last record = %+v", last)
	}
}

// BenchmarkParseUsersFile1M parses a users file of a million tokens.
func BenchmarkParseUsersFile1M(b *testing.B) {
	data := usersFileOf(1_000_000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseUsersFile(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParsePickle1M parses a protocol-2 pickle of a million users.
func BenchmarkParsePickle1M(b *testing.B) {
	recs := make([]Record, 1_000_000)
	for i := range recs {
		recs[i] = Record{User: fmt.Sprintf("user%d", i), Secret: []byte("12345678901234567890")}
	}
	data := pickleDictOf(recs)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParsePickle(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}
