GO ?= go
BIN ?= bin
DIST ?= dist
ARCHES ?= amd64 arm64

# A release's identity, from git: the tag (v1.2.3) when HEAD has one, else a
# Go pseudo-version of the commit, with +dirty for uncommitted changes. Both
# can be given instead (make release VERSION=v1.2.3 REVISION=...), e.g. when
# building from a tarball without .git.
REVISION ?= $(shell git rev-parse HEAD 2>/dev/null)
VERSION ?= $(shell ./scripts/version.sh)
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
export SOURCE_DATE_EPOCH

BUILDINFO := otpgate.dev/otpgate/internal/buildinfo
LDFLAGS := -X $(BUILDINFO).version=$(VERSION) -X $(BUILDINFO).revision=$(REVISION)
# Reproducible: no cgo, no paths, no VCS stamp (the -X values say it), no
# symbol tables; PIE for ASLR and immediate binding for a read-only GOT.
# docs/install.md says what kind of ELF it is.
RELEASE_FLAGS := -trimpath -buildvcs=false -buildmode=pie -ldflags "-s -w -bindnow $(LDFLAGS)"

.PHONY: all build test deps vet unit fuzz bench release reproducible deb clean

all: build

# The main job: bin/otpgate, the full product, built without cgo.
build:
	CGO_ENABLED=0 $(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/otpgate ./cmd/otpgate

# The one command that runs every test. It installs the peers the tests drive,
# vets, and runs the whole suite with the race detector.
test: deps vet unit

deps:
	./scripts/install-test-deps.sh

vet:
	$(GO) vet ./...

# packaging's tests install the .deb on this machine (/etc/otpgate,
# /var/lib/otpgate, /usr/bin/otpgate), which every otpgate started meanwhile
# would read; so they run alone, after the rest.
unit:
	$(GO) test -race -count=1 -timeout 30m $$($(GO) list ./... | grep -v '/packaging$$')
	$(GO) test -race -count=1 -timeout 30m ./packaging

# Each fuzz target for a short while; FUZZTIME=5m for a longer campaign.
FUZZTIME ?= 20s
fuzz:
	./scripts/fuzz-all.sh $(FUZZTIME)

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# dist/otpgate-VERSION-linux-ARCH for each of ARCHES, and dist/SHA256SUMS.
release:
	mkdir -p $(DIST)
	rm -f $(DIST)/otpgate-*-linux-* $(DIST)/SHA256SUMS
	for a in $(ARCHES); do \
		CGO_ENABLED=0 GOOS=linux GOARCH=$$a $(GO) build $(RELEASE_FLAGS) -o $(DIST)/otpgate-$(VERSION)-linux-$$a ./cmd/otpgate || exit 1; \
	done
	cd $(DIST) && sha256sum otpgate-$(VERSION)-linux-* > SHA256SUMS

# Builds the release twice, from two copies of the tree with two empty
# build caches, and compares the checksums.
reproducible:
	./scripts/reproducible.sh "$(VERSION)" "$(REVISION)"

# dist/otpgate_VERSION_ARCH.deb for each of ARCHES (docs/install.md).
deb: release build
	$(GO) run ./packaging -version $(VERSION) -revision "$(REVISION)" -dist $(DIST) \
		-arch $(shell echo $(ARCHES) | tr ' ' ,) -docs-bin $(BIN)/otpgate

clean:
	rm -rf $(BIN) $(DIST)
