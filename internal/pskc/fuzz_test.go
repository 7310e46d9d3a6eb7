package pskc

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
)

func addSeeds(f *testing.F, add func(doc []byte)) {
	files, _ := filepath.Glob("testdata/*.pskc")
	for _, name := range files {
		doc, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		add(doc)
	}
	add([]byte(plainDoc))
	add(encryptedCounterDoc(f, uriAES128CBC, 5, true))
	add(encryptedCounterDoc(f, "http://www.w3.org/2001/04/xmlenc#kw-aes128", 5, false))
	for _, tt := range encodeTests {
		doc, err := Encode(exportKeys, tt.opts)
		if err != nil {
			f.Fatal(err)
		}
		add(doc)
	}
}

// FuzzParse checks that Parse never panics, that SetCounter on a parsed
// document changes nothing but the counter of its key, and that Encode of a
// plain container reads back the same keys.
func FuzzParse(f *testing.F) {
	addSeeds(f, func(doc []byte) { f.Add(doc) })
	f.Fuzz(func(t *testing.T, doc []byte) {
		c, err := Parse(doc)
		if err != nil {
			return
		}
		c.Select("")
		for i := range min(len(c.Keys), 4) {
			checkSetCounter(t, doc, c, i)
		}
		checkEncode(t, c)
	})
}

func checkSetCounter(t *testing.T, doc []byte, c *Container, i int) {
	const counter = 4242
	out, err := SetCounter(doc, i, counter, fig6Key)
	if err != nil {
		return // no Data, or an encrypted counter under another key
	}
	c2, err := Parse(out)
	if err != nil {
		t.Fatalf("Parse(SetCounter(doc, %d)) = %v\n%s", i, err, out)
	}
	if c2.ID != c.ID || c2.Version != c.Version || !reflect.DeepEqual(c2.enc, c.enc) || len(c2.Keys) != len(c.Keys) {
		t.Fatalf("SetCounter(doc, %d) changed the container:\n%s", i, out)
	}
	for j := range c.Keys {
		want, got := c.Keys[j], c2.Keys[j]
		if j == i {
			if s := got.sealed[itemCounter]; s == nil && (got.Counter == nil || *got.Counter != counter) {
				t.Fatalf("SetCounter(doc, %d) wrote counter %v; want %d\n%s", i, got.Counter, counter, out)
			}
			want.Counter, got.Counter = nil, nil
			want.sealed[itemCounter], got.sealed[itemCounter] = nil, nil
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("SetCounter(doc, %d) changed key %d from\n%+v\nto\n%+v", i, j, want, got)
		}
	}
}

func checkEncode(t *testing.T, c *Container) {
	if c.Encrypted() {
		return
	}
	var keys []KeyData
	for _, k := range c.Keys {
		if len(k.Secret) == 0 {
			return
		}
		if k.Digits == 0 {
			k.Encoding = "" // Encode writes Encoding only in a ResponseFormat
		}
		keys = append(keys, k.KeyData)
	}
	out, err := Encode(keys, EncodeOptions{})
	if err != nil {
		t.Fatalf("Encode(parsed keys) = %v", err)
	}
	c2, err := Parse(out)
	if err != nil {
		t.Fatalf("Parse(Encode(parsed keys)) = %v\n%s", err, out)
	}
	if got := keyData(c2); !reflect.DeepEqual(got, keys) {
		t.Fatalf("Encode round trip gives\n%+v\nwant\n%+v", got, keys)
	}
}

// FuzzDecrypt checks that decryption never panics, changes nothing when it
// fails, and leaves nothing encrypted when it succeeds.
func FuzzDecrypt(f *testing.F) {
	addSeeds(f, func(doc []byte) {
		f.Add(doc, fig6Key)
		f.Add(doc, []byte("qwerty"))
	})
	f.Fuzz(func(t *testing.T, doc, key []byte) {
		c, err := Parse(doc)
		if err != nil || c.enc.pbkdf2.iterations > 5000 {
			return // keep each run fast
		}
		for _, decrypt := range []func(*Container) error{
			func(c *Container) error { return c.Decrypt(key) },
			func(c *Container) error { return c.DecryptPassword(key) },
		} {
			c, _ := Parse(doc)
			before := slices.Clone(c.Keys)
			if err := decrypt(c); err != nil {
				if !reflect.DeepEqual(c.Keys, before) {
					t.Fatalf("failed decryption (%v) changed the keys", err)
				}
			} else if c.Encrypted() {
				t.Fatalf("successful decryption left encrypted values")
			}
		}
	})
}
