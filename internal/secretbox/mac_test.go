package secretbox

import (
	"bytes"
	"testing"
)

func TestMAC(t *testing.T) {
	oldKey, newKey := bytes.Repeat([]byte{1}, KeySize), bytes.Repeat([]byte{2}, KeySize)
	old, _ := New(oldKey)
	rotating, _ := New(newKey, oldKey)
	done, _ := New(newKey)
	msg := []byte("alice\x00123456")
	m := old.MAC("test v1", msg)
	for _, tt := range []struct {
		name    string
		box     *Box
		purpose string
		msg     []byte
		want    bool
	}{
		{"same key", old, "test v1", msg, true},
		{"during a rotation", rotating, "test v1", msg, true},
		{"after the rotation", done, "test v1", msg, false},
		{"another purpose", old, "test v2", msg, false},
		{"another message", old, "test v1", []byte("alice\x00123457"), false},
	} {
		if got := tt.box.CheckMAC(tt.purpose, tt.msg, m); got != tt.want {
			t.Errorf("CheckMAC(%s) = %v; want %v", tt.name, got, tt.want)
		}
	}
	if bytes.Equal(rotating.MAC("test v1", msg), m) {
		t.Errorf("MAC during a rotation uses the old key; want the new one")
	}
	if len(m) != 32 || bytes.Contains(m, msg) {
		t.Errorf("MAC = %x; want 32 bytes that do not hold the message", m)
	}
}
