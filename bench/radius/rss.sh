#!/bin/sh
# Measures the memory of `otpgate serve` (SQLite, replay-safe HOTP, no
# password check) under sustained RADIUS load: its resident set size when
# ready, every second of the load, and its peak (VmHWM), with the load's
# request rate. The figure for docs/benchmarks.md is the peak.
#
# Usage: bench/radius/rss.sh                       (from the repository root)
#        USERS=10000 DURATION=60s SENDERS=32 bench/radius/rss.sh
#        OTPGATE=/path/to/otpgate bench/radius/rss.sh   (another build, e.g. before a change)
set -eu

SENDERS=${SENDERS:-32}
DURATION=${DURATION:-60s}
USERS=${USERS:-10000}
PORT=${PORT:-18122}
SECRET=bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')

for p in radclient go; do
	command -v "$p" >/dev/null || { echo "rss.sh: error: $p not found (apt-get install freeradius-utils)" >&2; exit 1; }
done

dir=$(mktemp -d)
og=""
sampler=""
cleanup() {
	for p in $sampler $og; do kill "$p" 2>/dev/null || true; done
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM

go build -o "$dir/radius-bench" ./bench/radius
otpgate=${OTPGATE:-}
if [ -z "$otpgate" ]; then
	go build -o "$dir/otpgate" ./cmd/otpgate
	otpgate="$dir/otpgate"
fi
"$dir/radius-bench" gen -n "$USERS" -users "$dir/users.txt" -oath-users "$dir/users.oath"
"$otpgate" import --format users-file --db "$dir/otpgate.db" "$dir/users.oath" >/dev/null
(umask 077 && printf '%s\n' "$SECRET" >"$dir/nas.secret")
cat >"$dir/otpgate.toml" <<EOF
db = "$dir/otpgate.db"
[log]
level = "warn"
[http]
listen = "off"
[radius]
listen = "127.0.0.1:$PORT"
[[radius.client]]
name = "bench"
address = "127.0.0.1"
secret_file = "$dir/nas.secret"
style = "append"
rate = 1000000
burst = 1000000
EOF

rss() { awk -v k="$2:" '$1 == k { print int($2 / 1024) }' "/proc/$1/status"; }

"$otpgate" serve --config "$dir/otpgate.toml" 2>"$dir/serve.log" &
og=$!
i=0
until echo "Message-Authenticator = 0x00" | radclient -q -t 1 -r 1 "127.0.0.1:$PORT" status "$SECRET" >/dev/null 2>&1; do
	i=$((i + 1))
	[ "$i" -lt 50 ] || { cat "$dir/serve.log" >&2; echo "rss.sh: error: otpgate serve does not answer" >&2; exit 1; }
	sleep 0.2
done
ready=$(rss "$og" VmRSS)
(while sleep 1; do rss "$og" VmRSS; done >"$dir/samples") &
sampler=$!

"$dir/radius-bench" load -label otpgate-serve -server "127.0.0.1:$PORT" -secret "$SECRET" -users "$dir/users.txt" \
	-code hotp -no-password -c "$SENDERS" -d "$DURATION" >"$dir/out" || { cat "$dir/out"; exit 1; }
kill "$sampler"
sampler=""
peak=$(rss "$og" VmHWM)
final=$(rss "$og" VmRSS)
rps=$(sed -n 's/^RESULT .* rps=\([0-9]*\) .*/\1/p' "$dir/out")

cat "$dir/out"
echo "RSS MiB, one sample a second: $(tr '\n' ' ' <"$dir/samples")"
echo "RSS $USERS tokens, $SENDERS senders, $DURATION, $(nproc) CPUs: ready ${ready} MiB, peak ${peak} MiB, end ${final} MiB, ${rps} req/s"
