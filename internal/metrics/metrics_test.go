package metrics

import (
	"bytes"
	"os/exec"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/testpeer"
)

func sample() []byte {
	c := NewCounterVec("otpgate_logins_total", "Logins by result.", "result", "accept", "reject")
	c.Inc("accept")
	c.Inc("accept")
	c.Inc(`we"ird\`)
	h := NewHistogram("otpgate_login_seconds", "Login latency.", []time.Duration{time.Millisecond, 10 * time.Millisecond})
	h.Observe(500 * time.Microsecond)
	h.Observe(time.Millisecond)
	h.Observe(5 * time.Millisecond)
	h.Observe(time.Second)
	var b bytes.Buffer
	w := NewWriter(&b)
	c.WriteTo(w)
	h.WriteTo(w)
	w.Gauge("otpgate_up", "Whether the daemon runs.", "", map[string]uint64{"": 1})
	w.Info("otpgate_build_info", "The build.", Label{"version", "v1.0.0"}, Label{"revision", `a"b`})
	return b.Bytes()
}

func TestText(t *testing.T) {
	got := string(sample())
	want := `# HELP otpgate_logins_total Logins by result.
# TYPE otpgate_logins_total counter
otpgate_logins_total{result="accept"} 2
otpgate_logins_total{result="reject"} 0
otpgate_logins_total{result="we\"ird\\"} 1
# HELP otpgate_login_seconds Login latency.
# TYPE otpgate_login_seconds histogram
otpgate_login_seconds_bucket{le="0.001"} 2
otpgate_login_seconds_bucket{le="0.01"} 3
otpgate_login_seconds_bucket{le="+Inf"} 4
otpgate_login_seconds_sum 1.0065
otpgate_login_seconds_count 4
# HELP otpgate_up Whether the daemon runs.
# TYPE otpgate_up gauge
otpgate_up 1
# HELP otpgate_build_info The build.
# TYPE otpgate_build_info gauge
otpgate_build_info{version="v1.0.0",revision="a\"b"} 1
`
	if got != want {
		t.Errorf("exposition:\n%s\nwant:\n%s", got, want)
	}
}

// TestPromtool has Prometheus's own linter parse the output.
func TestPromtool(t *testing.T) {
	promtool := testpeer.Need(t, "promtool")[0]
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(sample())
	if out, err := cmd.CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}
