# It's My Life: hub and site agent.
#   make run    hub on embedded SQLite + two demo agents with synthetic data, syncing
#   make test   all tests (PostgreSQL tests skip without a server unless CI=true)
#   make lint   go vet, gofmt and golangci-lint
#   make bench  benchmarks, with figures printed as ratios to their baselines
#   make fuzz   every fuzz target for FUZZTIME each (10m), keeping what it found

SHELL     := bash
.SHELLFLAGS := -o pipefail -c
GO        ?= go
BIN       := bin
GOLANGCI  := github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.6.2
TESTFLAGS ?=
BENCHCOUNT ?= 1

.PHONY: all build run test lint fmt bench fuzz clean

all: build

# -trimpath: the binaries (and the source locations some log lines carry)
# name the module's paths, not the machine's they were built on.
build:
	$(GO) build -trimpath -o $(BIN)/hub ./hub
	$(GO) build -trimpath -o $(BIN)/agent ./agent

run: build
	$(GO) run ./deploy/demo -bin $(BIN)

test:
	$(GO) test -count=1 -timeout 30m $(TESTFLAGS) ./...

lint:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) run $(GOLANGCI) run ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

bench:
	$(GO) test -run '^$$' -bench . -benchtime 1x -count $(BENCHCOUNT) -timeout 60m ./pkg/bench/... ./agent/internal/server/... ./hub/internal/suppress/... | tee bench.out

# Fuzz targets as package:Name. Inputs a run finds interesting are copied
# into the package's testdata/fuzz, so make test replays them from then on.
FUZZTIME ?= 10m
FUZZ_TARGETS := \
	./pkg/contract:FuzzDecodePushRequest \
	./pkg/contract:FuzzParsePayload \
	./agent/internal/store:FuzzImportParticipants \
	./pkg/textx:FuzzFormGuard \
	./agent/internal/web:FuzzParseCents

fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "== $$name ($$pkg) for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) $$pkg 2>&1 | tail -n 4; \
		cache="$$($(GO) env GOCACHE)/fuzz/$$($(GO) list $$pkg)/$$name"; \
		if [ -d "$$cache" ]; then mkdir -p "$$pkg/testdata/fuzz/$$name"; cp -n "$$cache"/* "$$pkg/testdata/fuzz/$$name/"; \
			echo "   corpus kept: $$(ls "$$pkg/testdata/fuzz/$$name" | wc -l) inputs"; fi; \
	done

clean:
	rm -rf $(BIN) .run
