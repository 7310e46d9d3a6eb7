package secretbox

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
)

func writeFile(t *testing.T, path string, data []byte, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, data, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // past the umask
		t.Fatal(err)
	}
}

func TestLoadRefusesLooseModes(t *testing.T) {
	for _, tt := range []struct {
		mode os.FileMode
		ok   bool
	}{
		{0o600, true},
		{0o400, true},
		{0o640, false},
		{0o644, false},
		{0o660, false},
		{0o604, false},
		{0o602, false},
		{0o666, false},
	} {
		path := filepath.Join(t.TempDir(), "master.key")
		writeFile(t, path, testKey(), tt.mode)
		b, err := Load(path)
		if tt.ok {
			if err != nil || b.Fingerprint() != "67689fd2b757de5b" {
				t.Errorf("Load(mode %04o) = %v; want the key", tt.mode, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), "chmod 600") {
			t.Errorf("Load(mode %04o) = %v; want a refusal with the chmod hint", tt.mode, err)
		}
	}
}

func TestLoadRefusesWrongSize(t *testing.T) {
	for _, n := range []int{0, 16, 31, 33, 64, 4096} {
		path := filepath.Join(t.TempDir(), "master.key")
		writeFile(t, path, bytes.Repeat([]byte{7}, n), 0o600)
		if _, err := Load(path); err == nil {
			t.Errorf("Load(%d-byte file) = nil error; want a refusal", n)
		}
	}
	if _, err := Load(t.TempDir()); err == nil {
		t.Errorf("Load(a directory) = nil error; want a refusal")
	}
	if _, err := Load(filepath.Join(t.TempDir(), "none")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load(missing) = %v; want fs.ErrNotExist", err)
	}
}

func TestLoadOrCreate(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "otpgate")
	path := filepath.Join(dir, "master.key")
	b, err := LoadOrCreate(path)
	if err != nil {
		t.Fatalf("LoadOrCreate = %v", err)
	}
	for _, tt := range []struct {
		path string
		want os.FileMode
	}{{dir, 0o700 | os.ModeDir}, {path, 0o600}} {
		if fi, err := os.Stat(tt.path); err != nil || fi.Mode() != tt.want {
			t.Errorf("mode of %s = %v, %v; want %v", tt.path, fi.Mode(), err, tt.want)
		}
	}
	if fi, _ := os.Stat(path); fi.Size() != KeySize {
		t.Errorf("key file size = %d; want %d", fi.Size(), KeySize)
	}
	sealed := b.Seal([]byte("seed"), nil)
	again, err := LoadOrCreate(path)
	if err != nil || again.Fingerprint() != b.Fingerprint() {
		t.Fatalf("LoadOrCreate again = %v; want the same key", err)
	}
	if got, err := again.Open(sealed, nil); err != nil || string(got) != "seed" {
		t.Errorf("Open after reloading = %q, %v", got, err)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".master.key.tmp-*")); len(leftovers) != 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}

// TestLoadOrCreateRace: processes starting together agree on one key.
func TestLoadOrCreateRace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "master.key")
	var (
		wg  sync.WaitGroup
		mu  sync.Mutex
		fps = map[string]bool{}
	)
	for range 16 {
		wg.Go(func() {
			b, err := LoadOrCreate(path)
			if err != nil {
				t.Errorf("LoadOrCreate = %v", err)
				return
			}
			mu.Lock()
			fps[b.Fingerprint()] = true
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(fps) != 1 {
		t.Errorf("16 racing LoadOrCreate produced %d keys; want 1", len(fps))
	}
}

func TestRekey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "master.key")
	first, err := LoadOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	aad := AAD("tok", "secret")
	sealedOld := first.Seal([]byte("seed"), aad)
	// A read-only key stays read-only: the new file takes the old one's mode.
	if err := os.Chmod(path, 0o400); err != nil {
		t.Fatal(err)
	}

	rot, err := Rekey(path)
	if err != nil {
		t.Fatalf("Rekey = %v", err)
	}
	if rot.Fingerprint() == first.Fingerprint() || !rot.Rotating() {
		t.Fatalf("Rekey gave fingerprint %s, rotating %v; want a new key with the old one kept", rot.Fingerprint(), rot.Rotating())
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o400 {
		t.Errorf("new key file mode = %v, %v; want the old key's 0400", fi.Mode(), err)
	}
	if _, err := Rekey(path); !errors.Is(err, ErrRekeyPending) {
		t.Errorf("Rekey during a rotation = %v; want ErrRekeyPending", err)
	}

	// A process starting mid-rotation opens both generations.
	mid, err := Load(path)
	if err != nil || mid.Fingerprint() != rot.Fingerprint() || !mid.Rotating() {
		t.Fatalf("Load mid-rotation = %v; want the new key, rotating", err)
	}
	resealed, err := mid.Reseal(sealedOld, aad)
	if err != nil {
		t.Fatalf("Reseal = %v", err)
	}
	if fp, _ := KeyOf(resealed); fp != rot.Fingerprint() {
		t.Errorf("KeyOf(resealed) = %s; want the new key %s", fp, rot.Fingerprint())
	}

	if err := FinishRekey(path); err != nil {
		t.Fatalf("FinishRekey = %v", err)
	}
	if err := FinishRekey(path); err != nil {
		t.Errorf("FinishRekey again = %v; want nil", err)
	}
	done, err := Load(path)
	if err != nil || done.Rotating() {
		t.Fatalf("Load after FinishRekey = %v, rotating %v; want the new key alone", err, done.Rotating())
	}
	if got, err := done.Open(resealed, aad); err != nil || string(got) != "seed" {
		t.Errorf("Open(resealed) = %q, %v; want seed", got, err)
	}
	if _, err := done.Open(sealedOld, aad); !errors.Is(err, ErrWrongKey) {
		t.Errorf("Open(sealed under the retired key) = %v; want ErrWrongKey", err)
	}
}

func TestLoadRefusesLooseOldKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "master.key")
	if _, err := LoadOrCreate(path); err != nil {
		t.Fatal(err)
	}
	if _, err := Rekey(path); err != nil {
		t.Fatal(err)
	}
	os.Chmod(path+OldSuffix, 0o644)
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("Load with a world-readable %s = %v; want a refusal", OldSuffix, err)
	}
}

// FuzzParseKey: a key file is taken only when it holds exactly one raw key,
// and a refusal never quotes the file's contents.
func FuzzParseKey(f *testing.F) {
	f.Add(testKey())
	f.Add([]byte("not a key!!\n"))
	f.Add(bytes.Repeat([]byte{'k'}, KeySize+1))
	f.Fuzz(func(t *testing.T, data []byte) {
		in := bytes.Clone(data)
		key, err := parseKey("master.key", data)
		switch {
		case len(in) == KeySize && (err != nil || !bytes.Equal(key, in)):
			t.Fatalf("parseKey(%d bytes) = %v; want the key", len(in), err)
		case len(in) != KeySize && err == nil:
			t.Fatalf("parseKey(%d bytes) took it as a key", len(in))
		case err != nil && len(in) >= 4 && strings.Contains(err.Error(), string(in)):
			t.Fatalf("parseKey error %q quotes the file", err)
		}
	})
}
