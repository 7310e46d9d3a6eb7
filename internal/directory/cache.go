package directory

import (
	"container/list"
	"slices"
	"sync"
	"time"
)

// cache keeps search results (an entry, its groups and state; never a
// password) for ttl, at most size of them, the least recently used going
// first. A password is checked by a bind at every login; what the cache
// delays by up to ttl is a change of groups, attributes or account state.
type cache struct {
	ttl  time.Duration // negative: off
	size int
	now  func() time.Time

	mu    sync.Mutex
	items map[string]*list.Element // of *cached, by account name
	order *list.List               // front: most recently used
}

type cached struct {
	account string
	user    *User
	expires time.Time
}

func newCache(ttl time.Duration, size int, now func() time.Time) *cache {
	return &cache{ttl: ttl, size: size, now: now, items: map[string]*list.Element{}, order: list.New()}
}

// get returns a copy of the cached user of n's account, named as n, or nil.
func (c *cache) get(n Name) *User {
	if c.ttl < 0 {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[n.Account]
	if !ok {
		return nil
	}
	e := el.Value.(*cached)
	if !c.now().Before(e.expires) {
		c.order.Remove(el)
		delete(c.items, n.Account)
		return nil
	}
	c.order.MoveToFront(el)
	u := *e.user
	u.Name, u.Groups = n, slices.Clone(u.Groups)
	return &u
}

func (c *cache) put(u *User) {
	if c.ttl < 0 {
		return
	}
	cp := *u
	cp.Groups = slices.Clone(u.Groups)
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[u.Account]; ok {
		c.order.Remove(el)
	}
	c.items[u.Account] = c.order.PushFront(&cached{account: u.Account, user: &cp, expires: c.now().Add(c.ttl)})
	for c.order.Len() > c.size {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.items, last.Value.(*cached).account)
	}
}
