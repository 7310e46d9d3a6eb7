#!/bin/sh
# Benchmarks RADIUS logins (PAP, password + replay-safe HOTP code) through
# `otpgate serve` on its SQLite store, with the first factor checked
#   - by an htpasswd file (bcrypt, cost 5 as `htpasswd -B` writes), and
#   - by Debian's slapd on loopback (auth.primary = "ldap": search as a
#     service account, group check, bind as the user), with pool sizes
#     1, 4 (the default) and 16, and once with the search cache off.
# Every row gets a fresh store (HOTP counters start at 0) and the same load
# from radius-bench: $SENDERS senders, one request outstanding each, for
# $DURATION. A refused login fails the script.
#
# Usage: bench/ldap/run.sh              (from the repository root)
#        SENDERS=64 DURATION=20s USERS=50000 bench/ldap/run.sh
set -eu

SENDERS=${SENDERS:-32}
DURATION=${DURATION:-10s}
USERS=${USERS:-20000}
POOLS=${POOLS:-1 4 16}
# Ports picked at random, so that another benchmark on the machine is
# never measured by mistake; otpgate serve binds a free one and says which.
LDAP_PORT=${LDAP_PORT:-$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 20000))}
# The product as shipped: no cgo.
export CGO_ENABLED=0
SECRET=bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')

for p in /usr/sbin/slapd slapadd radclient go; do
	command -v "$p" >/dev/null || { echo "run.sh: error: $p not found (apt-get install slapd ldap-utils freeradius-utils)" >&2; exit 1; }
done

dir=$(mktemp -d)
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM

go build -o "$dir/radius-bench" ./bench/radius
go build -o "$dir/ldap-bench" ./bench/ldap
go build -o "$dir/otpgate" ./cmd/otpgate
bench="$dir/radius-bench"
"$bench" gen -n "$USERS" -users "$dir/users.txt" -oath-users "$dir/users.oath"
"$dir/ldap-bench" -users "$dir/users.txt" -ldif "$dir/users.ldif" -htpasswd "$dir/users.htpasswd"
(umask 077 && printf '%s\n' "$SECRET" >"$dir/nas.secret" && printf 'service-pw\n' >"$dir/ldap.pw")

mkdir -m 700 "$dir/ldap"
cat >"$dir/slapd.conf" <<EOF2
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile $dir/slapd.pid
database mdb
maxsize 1073741824
suffix "dc=bench,dc=example"
rootdn "cn=admin,dc=bench,dc=example"
directory $dir/ldap
index objectClass,uid,member eq
access to attrs=userPassword by self =xw by anonymous auth by * none
access to * by users read by * none
EOF2
slapadd -q -f "$dir/slapd.conf" -l "$dir/users.ldif"
/usr/sbin/slapd -f "$dir/slapd.conf" -h "ldap://127.0.0.1:$LDAP_PORT/" -d 0 2>"$dir/slapd.log" &
pids="$!"

# config PRIMARY [LDAP-LINES]: the daemon's configuration for one row.
config() {
	cat >"$dir/otpgate.toml" <<EOF2
db = "$dir/row.db"
[log]
level = "info"
[http]
listen = "off"
[radius]
listen = "127.0.0.1:0"
[[radius.client]]
name = "bench"
address = "127.0.0.1"
secret_file = "$dir/nas.secret"
style = "append"
rate = 1000000
burst = 1000000
[auth]
primary = "$1"
EOF2
	[ $# -lt 2 ] || printf '%s\n' "$2" >>"$dir/otpgate.toml"
}

ldap_table() {
	cat <<EOF2
[ldap]
urls = ["ldap://127.0.0.1:$LDAP_PORT"]
bind_dn = "cn=otpgate,dc=bench,dc=example"
bind_password_file = "$dir/ldap.pw"
base_dn = "ou=people,dc=bench,dc=example"
group_base_dn = "dc=bench,dc=example"
require_group = ["vpn"]
pool_size = $1
$2
EOF2
}

# wait_ready: until otpgate serve says where it listens; sets addr.
wait_ready() {
	i=0
	until addr=$(sed -n 's/.*"msg":"otpgate serve: ready".*"radius":"\([^"]*\)".*/\1/p' "$dir/serve.log") && [ -n "$addr" ]; do
		i=$((i + 1))
		[ "$i" -lt 150 ] || { echo "run.sh: error: otpgate serve is not ready" >&2; cat "$dir/serve.log" >&2; exit 1; }
		sleep 0.2
	done
}

# row LABEL: a fresh store, otpgate serve with otpgate.toml, one measured load.
row() {
	rm -f "$dir/row.db" "$dir/row.db-wal" "$dir/row.db-shm" "$dir/master.key" "$dir/serve.log"
	"$dir/otpgate" import --format users-file --db "$dir/row.db" "$dir/users.oath" >/dev/null
	"$dir/otpgate" serve --config "$dir/otpgate.toml" --log-format json 2>"$dir/serve.log" &
	og=$!
	pids="$pids $og"
	wait_ready
	"$bench" load -label "$1" -server "$addr" -secret "$SECRET" -users "$dir/users.txt" \
		-code hotp -c "$SENDERS" -d "$DURATION" >"$dir/out" || { cat "$dir/out" "$dir/serve.log"; exit 1; }
	kill "$og"
	wait "$og" 2>/dev/null || true
	cat "$dir/out" >>"$dir/results"
	cat "$dir/out"
}

echo "== htpasswd (bcrypt cost 5)" >&2
config "htpasswd:$dir/users.htpasswd"
row htpasswd
for pool in $POOLS; do
	echo "== ldap, pool $pool, cache 30s" >&2
	config ldap "$(ldap_table "$pool" "")"
	row "ldap-pool$pool"
done
echo "== ldap, pool 4, no cache" >&2
config ldap "$(ldap_table 4 'cache_ttl = "0s"')"
row ldap-pool4-nocache

echo
echo "Loopback, $SENDERS senders, $DURATION each, $USERS users, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg):"
printf '%-20s %10s %10s %10s %9s\n' primary "req/s" "p50 ms" "p99 ms" timeouts
grep '^RESULT' "$dir/results" | sed 's/[a-z0-9_]*=//g' |
	awk '{ printf "%-20s %10s %10s %10s %9s\n", $2, $3, $4, $5, $8 }'
