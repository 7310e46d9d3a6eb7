#!/bin/sh
# Checks that `make release` is reproducible: it builds the release twice,
# from copies of the tree at two different paths, once with the usual build
# cache and once with an empty one, and compares the SHA256SUMS files byte
# for byte. Usage: scripts/reproducible.sh VERSION REVISION (make
# reproducible passes them).
set -eu
version=$1 revision=$2
tmp=$(mktemp -d)
trap 'chmod -R u+w "$tmp"; rm -rf "$tmp"' EXIT

copy() {
	mkdir -p "$1"
	git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$1"
}
copy "$tmp/a/src"
copy "$tmp/b/other/path/src"
make -s -C "$tmp/a/src" release VERSION="$version" REVISION="$revision" DIST="$tmp/a/dist"
GOCACHE="$tmp/b/gocache" make -s -C "$tmp/b/other/path/src" release VERSION="$version" REVISION="$revision" DIST="$tmp/b/dist"
if ! cmp "$tmp/a/dist/SHA256SUMS" "$tmp/b/dist/SHA256SUMS"; then
	diff "$tmp/a/dist/SHA256SUMS" "$tmp/b/dist/SHA256SUMS" >&2 || true
	echo "reproducible: the two builds differ" >&2
	exit 1
fi
echo "reproducible: two builds of $version are identical:"
cat "$tmp/a/dist/SHA256SUMS"
