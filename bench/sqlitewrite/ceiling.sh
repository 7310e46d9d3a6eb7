#!/bin/sh
# ceiling.sh TOKENS [DURATION]: bench/engine on SQLite with TOKENS HOTP
# tokens, then the ceiling (bench/sqlitewrite -lookup: one connection doing
# each login's lookup, conditional UPDATE and audit INSERT, 1,024 a
# synchronous=FULL commit) on a copy of the same database, in one run; it
# prints both rates and engine/ceiling (issue 20 item 1). Run from the
# repository root.
set -eu
tokens=${1:?usage: bench/sqlitewrite/ceiling.sh TOKENS [DURATION]}
duration=${2:-20s}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
go build -o "$dir/engine" ./bench/engine
go build -o "$dir/sqlitewrite" ./bench/sqlitewrite
"$dir/engine" -tokens "$tokens" -db "$dir/e.db" -duration 1s >/dev/null
cp "$dir/e.db" "$dir/c.db"
out=$("$dir/engine" -tokens "$tokens" -db "$dir/e.db" -reuse -duration "$duration")
echo "$out"
engine=$(echo "$out" | sed -n "s/^\([0-9.]*\) verifications\/s.*/\1/p")
out=$("$dir/sqlitewrite" -db "$dir/c.db" -lookup -n 200000)
echo "$out"
ceiling=$(echo "$out" | sed -n 's/.*: \([0-9.]*\)\/s,.*/\1/p')
echo "engine ${engine}/s, ceiling ${ceiling}/s, engine/ceiling $(awk "BEGIN {printf \"%.2f\", $engine / $ceiling}")"
