#!/bin/sh
# Prints the version `make release` stamps into otpgate: the v* tag at HEAD,
# else a Go pseudo-version of HEAD (v0.0.0-YYYYMMDDHHMMSS-COMMIT12, the form
# `go install module@COMMIT` reports), with +dirty if the tree has changes.
set -eu
if ! git rev-parse HEAD >/dev/null 2>&1; then
	echo "version.sh: not a git checkout; run make with VERSION=v1.2.3 REVISION=COMMIT" >&2
	exit 1
fi
v=$(git describe --tags --exact-match --match 'v[0-9]*' 2>/dev/null) ||
	v=v0.0.0-$(TZ=UTC git log -1 --format=%cd --date=format-local:%Y%m%d%H%M%S)-$(git rev-parse --short=12 HEAD)
if ! git diff --quiet HEAD -- 2>/dev/null; then
	v=$v+dirty
fi
echo "$v"
