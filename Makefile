GO ?= go

.PHONY: all build test deps vet unit fuzz bench clean

all: build

build:
	$(GO) build -o bin/otpgate ./cmd/otpgate

# The one command that runs every test. It installs the peers the tests drive,
# vets, and runs the whole suite with the race detector.
test: deps vet unit

deps:
	./scripts/install-test-deps.sh

vet:
	$(GO) vet ./...

unit:
	$(GO) test -race -count=1 -timeout 30m ./...

# Each fuzz target for a short while; FUZZTIME=5m for a longer campaign.
FUZZTIME ?= 20s
fuzz:
	./scripts/fuzz-all.sh $(FUZZTIME)

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf bin
