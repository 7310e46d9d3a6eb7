#!/bin/sh
# Benchmarks RADIUS PAP authentication on loopback, side by side:
#   - FreeRADIUS (Debian's freeradius) answering PAP from its users file,
#     with no OTP;
#   - otpgate serve, the real daemon, on its SQLite store: replay-safe
#     HOTP verification with every success committed; it checks no
#     password (auth.primary = "none"), so the load sends the code alone;
#   - otpgate's RADIUS server with an in-memory login service doing
#     replay-safe HOTP verification (password + code), and once more with
#     the password alone: the RADIUS layer's own ceiling.
# All three take the same load from radius-bench: $SENDERS concurrent
# senders, one request outstanding each, for $DURATION. Then FreeRADIUS and
# otpgate serve run once more with $HOG CPU hogs beside them (busy loops at
# the servers' priority, as other work on a shared machine would be), so
# that the ratio is also measured on a busy machine; HOG=0 skips that pass.
#
# Usage: bench/radius/run.sh            (from the repository root)
#        SENDERS=64 DURATION=20s USERS=50000 HOG=2 bench/radius/run.sh
set -eu

SENDERS=${SENDERS:-32}
DURATION=${DURATION:-10s}
USERS=${USERS:-20000}
HOG=${HOG:-4}
FR_PORT=${FR_PORT:-18121}
OTPGATE_PORT=${OTPGATE_PORT:-18120}
SECRET=bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')

for p in freeradius radclient go; do
	command -v "$p" >/dev/null || { echo "run.sh: error: $p not found (apt-get install freeradius freeradius-utils)" >&2; exit 1; }
done

dir=$(mktemp -d)
pids=""
hogs=""
cleanup() {
	for p in $pids $hogs; do kill "$p" 2>/dev/null || true; done
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM

go build -o "$dir/radius-bench" ./bench/radius
bench="$dir/radius-bench"
"$bench" gen -n "$USERS" -users "$dir/users.txt" -freeradius-users "$dir/users" -oath-users "$dir/users.oath"
go build -o "$dir/otpgate" ./cmd/otpgate
"$dir/otpgate" import --format users-file --db "$dir/otpgate.db" "$dir/users.oath" >/dev/null
cp "$dir/otpgate.db" "$dir/otpgate.db.enrolled"
(umask 077 && printf '%s\n' "$SECRET" >"$dir/nas.secret")
cat >"$dir/otpgate.toml" <<EOF
db = "$dir/otpgate.db"
[log]
level = "warn"
[http]
listen = "off"
[radius]
listen = "127.0.0.1:$OTPGATE_PORT"
[[radius.client]]
name = "bench"
address = "127.0.0.1"
secret_file = "$dir/nas.secret"
style = "append"
rate = 1000000
burst = 1000000
EOF

# A minimal FreeRADIUS: one client, the files and pap modules, no logging
# of requests, no reject delay.
cat >"$dir/radiusd.conf" <<EOF
prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = /var
sbindir = /usr/sbin
logdir = $dir
raddbdir = $dir
radacctdir = $dir
name = freeradius
confdir = $dir
modconfdir = $dir
certdir = $dir
cadir = $dir
run_dir = $dir
db_dir = $dir
libdir = /usr/lib/freeradius
pidfile = $dir/radiusd.pid
max_request_time = 30
cleanup_delay = 5
max_requests = 262144
hostname_lookups = no
log {
	destination = stderr
	auth = no
}
security {
	allow_core_dumps = no
	max_attributes = 200
	reject_delay = 0
	status_server = yes
}
thread pool {
	start_servers = 16
	max_servers = 32
	min_spare_servers = 4
	max_spare_servers = 16
	max_requests_per_server = 0
}
client bench {
	ipaddr = 127.0.0.1
	secret = $SECRET
	require_message_authenticator = yes
}
modules {
	pap {
	}
	files {
		filename = $dir/users
	}
}
server default {
	listen {
		type = auth
		ipaddr = 127.0.0.1
		port = $FR_PORT
	}
	authorize {
		files
		pap
	}
	authenticate {
		Auth-Type PAP {
			pap
		}
	}
}
EOF

# wait_ready PORT: until a Status-Server is answered.
wait_ready() {
	i=0
	until echo "Message-Authenticator = 0x00" | radclient -q -t 1 -r 1 "127.0.0.1:$1" status "$SECRET" >/dev/null 2>&1; do
		i=$((i + 1))
		[ "$i" -lt 30 ] || { echo "run.sh: error: nothing answers on port $1" >&2; exit 1; }
		sleep 0.2
	done
}

stop() {
	kill "$1"
	wait "$1" 2>/dev/null || true
}

# ticks PID: the user + system CPU time PID has used, in clock ticks.
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

# load LABEL PORT CODE PID [FLAG...]: one measured run against the server
# PID, and the server's CPU time per answered request during it. A refused
# login fails the script: the figures would measure refusals.
load() {
	label=$1 port=$2 code=$3 server=$4
	shift 4
	t0=$(ticks "$server")
	"$bench" load -label "$label" -server "127.0.0.1:$port" -secret "$SECRET" -users "$dir/users.txt" \
		-code "$code" -c "$SENDERS" -d "$DURATION" "$@" >"$dir/out" || { cat "$dir/out"; exit 1; }
	t1=$(ticks "$server")
	answered=$(sed -n 's/.* accepts=\([0-9]*\) .*/\1/p' "$dir/out")
	cpu=-
	[ "${answered:-0}" -eq 0 ] || cpu=$(((t1 - t0) * 1000000 / hz / answered))
	sed "s/^RESULT .*/& cpu_us=$cpu/" "$dir/out" >>"$dir/results"
	cat "$dir/out"
}

# freeradius_run LABEL and serve_run LABEL: one measured run of each
# server, started for it and stopped after it. Each daemon run starts from
# the store as enrolled, since each load sends every user's codes from
# counter 0.
freeradius_run() {
	echo "== $1: FreeRADIUS $(freeradius -v 2>/dev/null | head -1 | sed 's/.*Version //; s/,.*//'), PAP from the users file" >&2
	freeradius -f -d "$dir" 2>>"$dir/freeradius.log" &
	fr=$!
	pids="$pids $fr"
	wait_ready "$FR_PORT"
	load "$1" "$FR_PORT" none "$fr"
	stop "$fr"
}
serve_run() {
	echo "== $1: otpgate serve, SQLite store, replay-safe HOTP" >&2
	rm -f "$dir/otpgate.db-wal" "$dir/otpgate.db-shm"
	cp "$dir/otpgate.db.enrolled" "$dir/otpgate.db"
	"$dir/otpgate" serve --config "$dir/otpgate.toml" 2>>"$dir/serve.log" &
	og=$!
	pids="$pids $og"
	wait_ready "$OTPGATE_PORT"
	load "$1" "$OTPGATE_PORT" hotp "$og" -no-password
	stop "$og"
}

freeradius_run freeradius
serve_run otpgate-serve

echo "== otpgate RADIUS layer, in-memory service, PAP + replay-safe HOTP" >&2
"$bench" serve -listen "127.0.0.1:$OTPGATE_PORT" -secret "$SECRET" -users "$dir/users.txt" -code hotp 2>"$dir/otpgate.log" &
og=$!
pids="$pids $og"
wait_ready "$OTPGATE_PORT"
load otpgate-hotp "$OTPGATE_PORT" hotp "$og"
stop "$og"

echo "== otpgate, PAP alone" >&2
"$bench" serve -listen "127.0.0.1:$OTPGATE_PORT" -secret "$SECRET" -users "$dir/users.txt" -code none 2>>"$dir/otpgate.log" &
og=$!
pids="$pids $og"
wait_ready "$OTPGATE_PORT"
load otpgate-pap "$OTPGATE_PORT" none "$og"
stop "$og"

if [ "$HOG" -gt 0 ]; then
	echo "== $HOG CPU hogs started" >&2
	for _ in $(seq "$HOG"); do
		sh -c 'while :; do :; done' &
		hogs="$hogs $!"
	done
	freeradius_run freeradius+hog
	serve_run otpgate-serve+hog
	for p in $hogs; do kill "$p"; done
	hogs=""
fi

echo
echo "Loopback, $SENDERS senders, $DURATION each, $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg):"
printf '%-18s %10s %10s %10s %9s %12s\n' server "req/s" "p50 ms" "p99 ms" timeouts "CPU µs/req"
grep '^RESULT' "$dir/results" | sed 's/[a-z0-9_]*=//g' |
	awk '{ printf "%-18s %10s %10s %10s %9s %12s\n", $2, $3, $4, $5, $8, $10 }'
