#!/bin/sh
# Runs every fuzz target in the module for the given time each (default 20s).
set -eu
t=${1:-20s}
for pkg in $(go list ./...); do
	dir=$(go list -f '{{.Dir}}' "$pkg")
	for f in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //'); do
		echo "== $pkg $f" >&2
		go test -run '^$' -fuzz "^$f\$" -fuzztime "$t" "$pkg"
	done
done
