package pskc

import (
	"fmt"
	"strings"
)

// Select returns the key whose Id, or else whose DeviceInfo SerialNo, is id.
// With id empty it returns the only key of a one-key container. When the
// choice is missing or ambiguous, the error lists the keys to choose from.
func (c *Container) Select(id string) (*Key, error) {
	i, err := c.Index(id)
	if err != nil {
		return nil, err
	}
	return &c.Keys[i], nil
}

// Index is Select returning the position in Keys, which SetCounter takes.
func (c *Container) Index(id string) (int, error) {
	if len(c.Keys) == 0 {
		return -1, fmt.Errorf("pskc: the container holds no keys")
	}
	if id == "" {
		if len(c.Keys) == 1 {
			return 0, nil
		}
		return -1, fmt.Errorf("pskc: the container holds %d keys; choose one by Id or SerialNo: %s", len(c.Keys), c.list())
	}
	for _, match := range []func(*Key) bool{
		func(k *Key) bool { return k.ID == id },
		func(k *Key) bool { return k.SerialNo == id },
	} {
		var found []int
		for i := range c.Keys {
			if match(&c.Keys[i]) {
				found = append(found, i)
			}
		}
		switch {
		case len(found) == 1:
			return found[0], nil
		case len(found) > 1:
			return -1, fmt.Errorf("pskc: %d keys match %q; the container holds: %s", len(found), id, c.list())
		}
	}
	return -1, fmt.Errorf("pskc: no key has Id or SerialNo %q; the container holds: %s", id, c.list())
}

// list describes the keys as "Id (serial S)" for error messages. Ids and
// serial numbers are labels, not secrets.
func (c *Container) list() string {
	var b strings.Builder
	for i, k := range c.Keys {
		if i > 0 {
			b.WriteString(", ")
		}
		switch {
		case k.ID != "":
			fmt.Fprintf(&b, "%q", k.ID)
		default:
			fmt.Fprintf(&b, "key %d without Id", i)
		}
		if k.SerialNo != "" {
			fmt.Fprintf(&b, " (serial %q)", k.SerialNo)
		}
	}
	return b.String()
}
