#!/bin/sh
# Runs nodes-bench on SQLite (one node) and on PostgreSQL with 1, 2 and 3
# nodes, each on a fresh database, and prints the table for
# docs/benchmarks.md. Arguments go to every run (e.g. -duration 20s -c 64).
set -eu
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/otpgate" ./cmd/otpgate
go build -o "$tmp/nodes-bench" ./bench/nodes
for run in "sqlite 1" "postgres 1" "postgres 2" "postgres 3"; do
	store=${run% *} nodes=${run#* }
	"$tmp/nodes-bench" -otpgate "$tmp/otpgate" -store "$store" -nodes "$nodes" "$@" | tee -a "$tmp/out"
done
echo
echo "| store | nodes | logins/s | p50 | p99 | rejects | timeouts | otpgate CPU per login | PostgreSQL CPU per login | load (1 min) |"
echo "|---|---|---|---|---|---|---|---|---|---|"
sed -n 's/^RESULT //p' "$tmp/out" | while read -r line; do
	eval "$line"
	echo "| $store | $nodes | $logins_per_s | $p50_ms ms | $p99_ms ms | $rejects | $timeouts | $otpgate_cpu_us µs | $postgres_cpu_us µs | $load |"
done
