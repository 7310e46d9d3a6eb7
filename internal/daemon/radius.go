package daemon

import (
	"bytes"
	"fmt"

	"otpgate.dev/otpgate/internal/atomicfile"
	"otpgate.dev/otpgate/internal/auth"
	"otpgate.dev/otpgate/internal/config"
	"otpgate.dev/otpgate/internal/metrics"
	"otpgate.dev/otpgate/internal/radius"
)

// maxSecretFile bounds a shared-secret file.
const maxSecretFile = 4096

// radiusClients reads the clients c lists, with their secret files.
func radiusClients(c *config.Config) (*radius.Clients, error) {
	list := make([]radius.Client, 0, len(c.RADIUS.Clients))
	for i, cc := range c.RADIUS.Clients {
		cl, err := radiusClient(cc)
		if err != nil {
			return nil, fmt.Errorf("radius client %s: %w", clientName(cc, i), err)
		}
		list = append(list, cl)
	}
	return radius.NewClients(list)
}

// clientName names the i-th client in messages.
func clientName(cc config.RADIUSClient, i int) string {
	if cc.Name != "" {
		return cc.Name
	}
	return fmt.Sprintf("#%d", i+1)
}

func radiusClient(cc config.RADIUSClient) (radius.Client, error) {
	prefix, err := radius.ParsePrefix(cc.Address)
	if err != nil {
		return radius.Client{}, err
	}
	secret := []byte(cc.Secret)
	if cc.SecretFile != "" {
		if secret, err = readSecretFile("secret_file", cc.SecretFile); err != nil {
			return radius.Client{}, err
		}
	}
	style := auth.Appended
	if cc.Style != "" {
		if style, err = auth.ParseStyle(cc.Style); err != nil {
			return radius.Client{}, err
		}
	}
	rate := radius.RateLimit{PerSecond: cc.RatePerSecond, Burst: cc.Burst}
	if rate.PerSecond == 0 {
		rate.PerSecond = radius.DefaultRatePerSecond
	}
	if rate.Burst == 0 {
		rate.Burst = radius.DefaultBurst
	}
	return radius.Client{
		Name: cc.Name, Prefix: prefix, Secret: secret, Style: style, Rate: rate,
		AllowMissingMessageAuthenticator: cc.AllowMissingMessageAuthenticator,
		Unauthenticated:                  radius.RateLimit{PerSecond: cc.UnauthenticatedRate, Burst: cc.UnauthenticatedBurst},
	}, nil
}

// readSecretFile returns the first line of path, the file the setting key
// names, under atomicfile's rule for a service's secret files (the owning
// group may read it, nobody else).
func readSecretFile(key, path string) ([]byte, error) {
	b, err := atomicfile.GroupRead.Read(path, maxSecretFile)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	defer clear(b)
	line, _, _ := bytes.Cut(b, []byte("\n"))
	line = bytes.TrimRight(line, "\r")
	if len(line) == 0 {
		return nil, fmt.Errorf("%s %s is empty", key, path)
	}
	return bytes.Clone(line), nil
}

// writeRADIUS exports the RADIUS server's counters.
func writeRADIUS(w *metrics.Writer, s radius.Snapshot) {
	w.Counter("otpgate_radius_requests_total", "RADIUS datagrams received, by packet code.", "code", s.Requests)
	w.Counter("otpgate_radius_replies_total", "RADIUS replies sent, by kind.", "kind", map[string]uint64{
		"accept": s.Accepts, "reject": s.Rejects, "challenge": s.Challenges,
		"status": s.StatusReply, "retransmit": s.Retransmits,
	})
	w.Counter("otpgate_radius_dropped_total", "RADIUS datagrams left unanswered, by reason.", "reason", s.Drops)
	w.Counter("otpgate_radius_cache_evictions_total", "Replies evicted from a full retransmit cache.", "", map[string]uint64{"": s.Evictions})
	h := s.Latency
	w.Histogram("otpgate_radius_request_duration_seconds", "Time from receipt to reply of a RADIUS request.", h.Bounds, h.Counts, h.Count, h.Sum)
}
