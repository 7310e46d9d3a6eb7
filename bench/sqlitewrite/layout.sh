#!/bin/sh
# layout.sh TOKENS [N]: what the replay state's layout costs a login on one
# connection (issue 20 item 1). A database of TOKENS HOTP tokens made by
# bench/engine, then bench/sqlitewrite on a copy of it per layout, N
# successes each (default 100,000), 1,024 a synchronous=FULL commit:
#   - the store's own tokens table, 4 KiB pages and SQLite's default 2 MB
#     page cache (as otpgate runs it), then with a 32 MiB cache, then
#     rebuilt with 1 KiB and 8 KiB pages;
#   - a narrow replay table holding only what a success writes (id,
#     next_counter, drift, failures, last_check, last_success, WITHOUT
#     ROWID), with 4 KiB and 1 KiB pages.
# Each layout runs twice: the CAS and the audit INSERT alone, then with the
# user's lookup (every column of the tokens table) before each. Needs
# sqlite3 (Debian package sqlite3). Run from the repository root.
set -eu
tokens=${1:?usage: bench/sqlitewrite/layout.sh TOKENS [N]}
n=${2:-100000}
command -v sqlite3 >/dev/null || { echo "layout.sh: error: sqlite3 not found (apt-get install sqlite3)" >&2; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
go build -o "$dir/engine" ./bench/engine
go build -o "$dir/sqlitewrite" ./bench/sqlitewrite
"$dir/engine" -tokens "$tokens" -db "$dir/e.db" -duration 1s >/dev/null

# copy PAGE TABLE: a fresh copy of the database rebuilt with PAGE-byte
# pages, with the narrow replay table when TABLE is replay.
copy() {
	rm -f "$dir/c.db" "$dir/c.db-wal" "$dir/c.db-shm"
	cp "$dir/e.db" "$dir/c.db"
	narrow=""
	if [ "$2" = replay ]; then
		narrow="CREATE TABLE replay (id TEXT PRIMARY KEY, next_counter INTEGER NOT NULL, drift INTEGER NOT NULL,
			failures INTEGER NOT NULL, last_check INTEGER, last_success INTEGER) WITHOUT ROWID;
			INSERT INTO replay SELECT id, next_counter, drift, failures, last_check, last_success FROM tokens;"
	fi
	sqlite3 "$dir/c.db" "PRAGMA journal_mode=DELETE; PRAGMA page_size=$1; VACUUM; $narrow PRAGMA journal_mode=WAL;" >/dev/null
}

# layout PAGE TABLE LABEL FLAG...: both passes of one layout, each on a
# fresh copy.
layout() {
	page=$1 table=$2 label=$3
	shift 3
	for lookup in false true; do
		copy "$page" "$table"
		out=$("$dir/sqlitewrite" -db "$dir/c.db" -n "$n" -table "$table" -lookup="$lookup" "$@")
		echo "$label, lookup $lookup: $(echo "$out" | sed 's/.*: //')"
	done
}

echo "$tokens tokens, $n successes a pass, load average $(cut -d' ' -f1-3 /proc/loadavg)"
layout 4096 tokens "tokens table, 4 KiB pages, 2 MB cache"
layout 4096 tokens "tokens table, 4 KiB pages, 32 MiB cache" -cache 32768
layout 1024 tokens "tokens table, 1 KiB pages"
layout 8192 tokens "tokens table, 8 KiB pages"
layout 4096 replay "narrow replay table, 4 KiB pages"
layout 1024 replay "narrow replay table, 1 KiB pages"
