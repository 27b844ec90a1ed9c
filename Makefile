# It's My Life: hub and site agent.
#   make run    hub on embedded SQLite + two demo agents with synthetic data, syncing
#   make test   all tests (PostgreSQL tests skip without a server unless CI=true)
#   make lint   go vet, gofmt and golangci-lint
#   make bench  benchmarks, with figures printed as ratios to their baselines

SHELL     := bash
.SHELLFLAGS := -o pipefail -c
GO        ?= go
BIN       := bin
GOLANGCI  := github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.6.2
TESTFLAGS ?=
BENCHCOUNT ?= 1

.PHONY: all build run test lint fmt bench clean

all: build

build:
	$(GO) build -o $(BIN)/hub ./hub
	$(GO) build -o $(BIN)/agent ./agent

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
	$(GO) test -run '^$$' -bench . -benchtime 1x -count $(BENCHCOUNT) -timeout 60m ./pkg/bench/... ./agent/internal/server/... ./hub/internal/store/... | tee bench.out

clean:
	rm -rf $(BIN) .run
