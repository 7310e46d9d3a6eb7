package pskc

import (
	"bytes"
	"crypto/aes"
	"errors"
	"testing"
)

// Key wrap vectors of RFC 3394 section 4.1 and 4.6 and RFC 5649 section 6.
var keyWrapTests = []struct {
	kek, plain, wrapped string
}{
	{"000102030405060708090A0B0C0D0E0F", "00112233445566778899AABBCCDDEEFF",
		"1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5"},
	{"000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F",
		"00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F",
		"28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326CBC7F0E71A99F43BFB988B9B7A02DD21"},
	{"5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8", "c37b7e6492584340bed12207808941155068f738",
		"138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a"},
	{"5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8", "466f7250617369",
		"afbeb0f07dfbf5419200f2ccb50bb24f"},
}

func TestKeyWrap(t *testing.T) {
	for i, tt := range keyWrapTests {
		b, err := aes.NewCipher(unhex(tt.kek))
		if err != nil {
			t.Fatal(err)
		}
		plain, wrapped := unhex(tt.plain), unhex(tt.wrapped)
		if got := wrap(b, plain); !bytes.Equal(got, wrapped) {
			t.Errorf("#%d: wrap(%s) = %x; want %s", i, tt.plain, got, tt.wrapped)
		}
		if got, err := unwrap(b, wrapped); err != nil || !bytes.Equal(got, plain) {
			t.Errorf("#%d: unwrap(%s) = %x, %v; want %s", i, tt.wrapped, got, err, tt.plain)
		}
		wrapped[len(wrapped)-1] ^= 1
		if _, err := unwrap(b, wrapped); !errors.Is(err, ErrWrongKey) {
			t.Errorf("#%d: unwrap(corrupted) = %v; want ErrWrongKey", i, err)
		}
	}
}

func TestSealOpen(t *testing.T) {
	for _, alg := range []string{"aes128-cbc", "aes192-cbc", "aes256-cbc", "kw-aes128", "kw-aes192", "kw-aes256"} {
		uri := "http://www.w3.org/2001/04/xmlenc#" + alg
		n, _ := cipherKeyLen(uri)
		key := bytes.Repeat([]byte{7}, n)
		for _, plain := range [][]byte{{1}, []byte("12345678"), rfcSecret, bytes.Repeat([]byte{9}, 64)} {
			data, err := seal(uri, key, plain)
			if err != nil {
				t.Fatalf("seal(%s): %v", alg, err)
			}
			if got, err := decrypt(uri, key, data); err != nil || !bytes.Equal(got, plain) {
				t.Errorf("decrypt(%s, seal(%x)) = %x, %v", alg, plain, got, err)
			}
		}
	}
}

func TestCBCFreshIV(t *testing.T) {
	a, _ := seal(uriAES128CBC, fig6Key, rfcSecret)
	b, _ := seal(uriAES128CBC, fig6Key, rfcSecret)
	if bytes.Equal(a[:aes.BlockSize], b[:aes.BlockSize]) {
		t.Errorf("two seals used the same IV %x", a[:aes.BlockSize])
	}
}

func TestDecryptErrors(t *testing.T) {
	for _, tt := range []struct {
		alg  string
		key  []byte
		data []byte
	}{
		{"http://www.w3.org/2001/04/xmlenc#tripledes-cbc", fig6Key, make([]byte, 32)},
		{uriAES128CBC, fig6Key[:8], make([]byte, 32)},
		{uriAES128CBC, fig6Key, make([]byte, 16)},
		{uriAES128CBC, fig6Key, make([]byte, 33)},
		{"http://www.w3.org/2001/04/xmlenc#kw-aes128", fig6Key, make([]byte, 12)},
	} {
		if _, err := decrypt(tt.alg, tt.key, tt.data); err == nil || errors.Is(err, ErrWrongKey) {
			t.Errorf("decrypt(%s, %d-byte key, %d bytes) = %v; want a format error", fragment(tt.alg), len(tt.key), len(tt.data), err)
		}
	}
}
