#!/bin/sh
# Benchmarks POST /api/v1/verify over keep-alive HTTPS beside RADIUS, on one
# otpgate serve and one SQLite store: replay-safe HOTP verification with
# every success committed (synchronous=FULL), no password check
# (auth.primary = "none"), rate limits off. RADIUS logins (radius-bench,
# PAP, the code alone) and HTTPS logins (http-bench, JSON, TLS 1.3 with
# connections kept alive) each use their own users, $WORKERS at a time with
# one request outstanding each, for $DURATION.
#
# Usage: bench/http/run.sh            (from the repository root)
#        WORKERS=64 DURATION=20s USERS=50000 bench/http/run.sh
set -eu

WORKERS=${WORKERS:-32}
DURATION=${DURATION:-10s}
USERS=${USERS:-20000}
RADIUS_PORT=${RADIUS_PORT:-18130}
WEB_PORT=${WEB_PORT:-18443}
SECRET=bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')

for p in radclient openssl curl go; do
	command -v "$p" >/dev/null || { echo "run.sh: error: $p not found (apt-get install freeradius-utils openssl curl)" >&2; exit 1; }
done

dir=$(mktemp -d)
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM

CGO_ENABLED=0 go build -o "$dir/otpgate" ./cmd/otpgate
CGO_ENABLED=0 go build -o "$dir/radius-bench" ./bench/radius
CGO_ENABLED=0 go build -o "$dir/http-bench" ./bench/http
"$dir/radius-bench" gen -n "$USERS" -users "$dir/radius.txt" -oath-users "$dir/radius.oath"
"$dir/http-bench" gen -n "$USERS" -users "$dir/web.oath"
for f in radius web; do
	"$dir/otpgate" import --format users-file --db "$dir/otpgate.db" "$dir/$f.oath" >/dev/null
done
"$dir/otpgate" apikey create --scope verify --db "$dir/otpgate.db" 2>/dev/null | sed -n 's/^key: *//p' >"$dir/api.key"
(umask 077 && printf '%s\n' "$SECRET" >"$dir/nas.secret")

# A test CA and a certificate for 127.0.0.1, P-256 as most servers use.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=bench-ca \
	-keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=127.0.0.1 \
	-keyout "$dir/key.pem" -out "$dir/cert.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' >"$dir/san.ext"
openssl x509 -req -in "$dir/cert.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial -days 1 \
	-extfile "$dir/san.ext" -out "$dir/cert.pem" 2>/dev/null

cat >"$dir/otpgate.toml" <<EOF2
db = "$dir/otpgate.db"
[log]
level = "warn"
[http]
listen = "off"
[radius]
listen = "127.0.0.1:$RADIUS_PORT"
[[radius.client]]
name = "bench"
address = "127.0.0.1"
secret_file = "$dir/nas.secret"
style = "code"
rate = 1000000
burst = 1000000
[web]
listen = "127.0.0.1:$WEB_PORT"
cert_file = "$dir/cert.pem"
key_file = "$dir/key.pem"
rate_per_source = 0
rate_per_key = 0
EOF2

"$dir/otpgate" serve --config "$dir/otpgate.toml" 2>"$dir/serve.log" &
og=$!
pids="$og"
i=0
until curl -s --cacert "$dir/ca.pem" "https://127.0.0.1:$WEB_PORT/api/v1/openapi.yaml" >/dev/null 2>&1; do
	i=$((i + 1))
	[ "$i" -lt 50 ] || { echo "run.sh: error: otpgate serve did not start:" >&2; cat "$dir/serve.log" >&2; exit 1; }
	sleep 0.2
done

echo "== RADIUS: PAP, the code alone" >&2
"$dir/radius-bench" load -label radius -server "127.0.0.1:$RADIUS_PORT" -secret "$SECRET" -users "$dir/radius.txt" \
	-code hotp -no-password -c "$WORKERS" -d "$DURATION" | tee -a "$dir/results"
echo "== HTTPS: POST /api/v1/verify, keep-alive" >&2
"$dir/http-bench" load -label https -url "https://127.0.0.1:$WEB_PORT" -key-file "$dir/api.key" -cacert "$dir/ca.pem" \
	-users "$dir/web.oath" -c "$WORKERS" -d "$DURATION" | tee -a "$dir/results"

echo
echo "otpgate serve, SQLite store, loopback, $WORKERS workers, $DURATION each, $(nproc) CPUs:"
printf '%-8s %10s %10s %10s %9s\n' front "req/s" "p50 ms" "p99 ms" errors
grep '^RESULT' "$dir/results" | sed 's/[a-z0-9_]*=//g' |
	awk '{ printf "%-8s %10s %10s %10s %9s\n", $2, $3, $4, $5, $8 }'
