package config

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
)

// maxFileSize bounds the configuration file; a real one is a few kB.
const maxFileSize = 1 << 20

// Load reads and validates the configuration file at path. Keys absent from
// the file keep their [Default]. The file must not be writable by group or
// others, and must not be readable by them when it holds a RADIUS secret
// inline.
func Load(path string) (*Config, error) {
	data, mode, err := readFile(path)
	if err != nil {
		return nil, err
	}
	c, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("config: %s%w", path, err)
	}
	if mode&0o022 != 0 {
		return nil, fmt.Errorf("config: %s is writable by group or others (mode %04o); chmod go-w it", path, mode)
	}
	if mode&0o044 != 0 && c.hasInlineSecret() {
		return nil, fmt.Errorf("config: %s holds a RADIUS secret and is readable by group or others (mode %04o); chmod 600 it, or use secret_file", path, mode)
	}
	return c, nil
}

func readFile(path string) ([]byte, os.FileMode, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, 0, fmt.Errorf("config: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, 0, fmt.Errorf("config: %s is not a regular file", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, 0, fmt.Errorf("config: %s: %w", path, err)
	}
	if len(data) > maxFileSize {
		return nil, 0, fmt.Errorf("config: %s is larger than %d bytes", path, maxFileSize)
	}
	return data, fi.Mode().Perm(), nil
}

// Parse decodes and validates a configuration. Its errors start with
// ":LINE: " when they concern one line, so that a caller can put the file
// name in front.
func Parse(data []byte) (*Config, error) {
	c := Default()
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(c)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf(":%d: %s", pe.Position.Line, pe.Message)
		}
		return nil, fmt.Errorf(": %w", err)
	}
	if un := md.Undecoded(); len(un) > 0 {
		return nil, unknownKey(data, un[0])
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf(": %w", err)
	}
	return c, nil
}

// unknownKey describes key, which no field of Config takes, with its line
// and the keys its table does accept.
func unknownKey(data []byte, key toml.Key) error {
	table := key[:len(key)-1]
	known := knownKeys(reflect.TypeFor[Config](), table)
	hint := ""
	if len(known) > 0 {
		where := "at the top level"
		if len(table) > 0 {
			where = "in [" + table.String() + "]"
		}
		hint = fmt.Sprintf(" (accepted %s: %s)", where, strings.Join(known, ", "))
	}
	if line := keyLine(data, key); line > 0 {
		return fmt.Errorf(":%d: unknown key %q%s", line, key.String(), hint)
	}
	return fmt.Errorf(": unknown key %q%s", key.String(), hint)
}

// knownKeys lists the TOML keys of the struct that table names in t.
func knownKeys(t reflect.Type, table toml.Key) []string {
	for _, part := range table {
		for t.Kind() == reflect.Slice || t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return nil
		}
		f, ok := fieldByTag(t, part)
		if !ok {
			return nil
		}
		t = f.Type
	}
	for t.Kind() == reflect.Slice || t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	var keys []string
	for f := range t.Fields() {
		if tag := f.Tag.Get("toml"); tag != "" {
			keys = append(keys, tag)
		}
	}
	slices.Sort(keys)
	return keys
}

func fieldByTag(t reflect.Type, tag string) (reflect.StructField, bool) {
	for f := range t.Fields() {
		if f.Tag.Get("toml") == tag {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// keyLine finds the line that defines key: a "name = ..." line under the
// table header of key's table, or a header naming key itself. It returns 0
// when it cannot tell (dotted keys, inline tables).
func keyLine(data []byte, key toml.Key) int {
	want := key.String()
	table := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), maxFileSize)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if h, ok := header(line); ok {
			if h == want {
				return n
			}
			table = h
			continue
		}
		name, _, ok := strings.Cut(line, "=")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		full := strings.Trim(strings.TrimSpace(name), `"'`)
		if table != "" {
			full = table + "." + full
		}
		if full == want {
			return n
		}
	}
	return 0
}

// header returns the table a "[a.b]" or "[[a.b]]" line opens.
func header(line string) (string, bool) {
	if !strings.HasPrefix(line, "[") {
		return "", false
	}
	end := strings.LastIndex(line, "]")
	if end < 0 {
		return "", false
	}
	h := strings.Trim(line[:end+1], "[]")
	return strings.TrimSpace(h), true
}

func (c *Config) hasInlineSecret() bool {
	for _, cl := range c.RADIUS.Clients {
		if cl.Secret != "" {
			return true
		}
	}
	return false
}
