#!/bin/sh
# Runs every fuzz target in the module for the given time each (default
# 20s). The targets are found, not listed: every package whose test files
# mention a Fuzz function is asked for its targets with `go test -list`,
# so that build tags are honoured and a target added anywhere is run. A
# failing target does not stop the others; the script reports every
# failure at the end and exits 1 if there was one, or if no target was
# found.
#
# Usage: scripts/fuzz-all.sh [FUZZTIME [PATTERN]]   (from the repository root)
#        scripts/fuzz-all.sh -list [PATTERN]        (print the targets, run none)
# PATTERN (grep -E) keeps the "PACKAGE TARGET" lines it matches.
set -eu
t=${1:-20s}
pattern=${2:-.}

# targets prints "PACKAGE TARGET" for every fuzz target.
targets() {
	go list -f '{{.ImportPath}} {{.Dir}}' ./... | while read -r pkg dir; do
		grep -qs 'func Fuzz' "$dir"/*_test.go || continue
		go test -list '^Fuzz' "$pkg" | grep '^Fuzz' | sed "s|^|$pkg |"
	done
}

list=$(targets | grep -E -- "$pattern" || true)
n=$(printf '%s\n' "$list" | grep -c . || true)
if [ "$n" -eq 0 ]; then
	echo "fuzz-all.sh: error: no fuzz target found" >&2
	exit 1
fi
if [ "$t" = "-list" ]; then
	printf '%s\n' "$list"
	exit 0
fi

out=$(mktemp)
trap 'rm -f "$out"' EXIT

# fuzz PKG TARGET runs one target. Go 1.26's fuzzing coordinator may end a
# run that found nothing with "context deadline exceeded" when -fuzztime
# runs out while a worker is busy (golang/go#75804, fixed in Go 1.27):
# that is reported as such, not as a failure. A failure writes its input.
fuzz() {
	if go test -run '^$' -fuzz "^$2\$" -fuzztime "$t" "$1" >"$out" 2>&1; then
		cat "$out"
		return 0
	fi
	cat "$out"
	if grep -q 'context deadline exceeded' "$out" && ! grep -q 'Failing input written' "$out"; then
		echo "fuzz-all.sh: warning: $1 $2 stopped by Go's fuzztime race (golang/go#75804), with no failing input" >&2
		return 0
	fi
	return 1
}

failed=""
i=0
while read -r pkg target; do
	i=$((i + 1))
	echo "== [$i/$n] $pkg $target" >&2
	fuzz "$pkg" "$target" || failed="$failed
    $pkg $target"
done <<EOF
$list
EOF

if [ -n "$failed" ]; then
	echo "fuzz-all.sh: error: these fuzz targets failed (their inputs are in the packages' testdata/fuzz):$failed" >&2
	exit 1
fi
echo "fuzz-all.sh: $n fuzz targets ran for $t each, none failed" >&2
