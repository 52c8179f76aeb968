# `make run` and `make test` do all set-up themselves on a fresh machine.
# CI (.ci/run) calls `make test`.
PNPM_VERSION := 10.34.9

.PHONY: help install build run test lint typecheck format services services-all kafka clean \
	bench-ocr-drain bench-ocr-scale bench-search bench-sync bench-upload bench-webhook bench-bus \
	bench-ocr

# Every target with a `##` comment, as `make help` prints it.
help:
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## /\1\t/' | \
		awk -F '\t' '{ printf "  %-18s %s\n", $$1, $$2 }'

install: ## pnpm (installed when missing) and the locked dependencies
	@command -v pnpm >/dev/null 2>&1 && pnpm --version | grep -q '^10\.' || npm install -g pnpm@$(PNPM_VERSION)
	pnpm install --frozen-lockfile

build: install ## compile every package and service (tsc -b)
	pnpm run build

# PostgreSQL and RabbitMQ: started with the machine's own commands when they are down.
services: ## PostgreSQL, Redis and RabbitMQ (and the test tools; see scripts/ensure-services.sh)
	bash scripts/ensure-services.sh

# The same plus a local single-node Kafka (KRaft) resolved from Maven Central once.
services-all: ## the same plus Kafka and S3Proxy; fails when a tool the tests need is missing
	bash scripts/ensure-services.sh --kafka

run: build services ## the whole stack on this machine (pnpm start)
	pnpm start

test: install services-all ## build, lint, typecheck, format check, every test (what CI runs)
	pnpm test

lint: ## ESLint, zero warnings
	pnpm run lint

typecheck: ## tsc --noEmit over everything
	pnpm run typecheck

format: ## prettier --write
	pnpm run format

kafka: ## only the local Kafka broker
	bash scripts/kafka.sh start

# Benchmarks (README, Performance): each starts what it measures on random ports beside a
# `make run` stack, and prints its options with --help. Pass options with ARGS, e.g.
#   make bench-ocr-drain ARGS='--pages 50 --workers 1,2'
# They take minutes to hours on a 2-core machine; nothing else runs them.
bench-ocr-drain: build services ## OCR queue drain of 200 pages with 1, 2 and 4 workers (k8s resources)
	node bench/ops-ocr-drain.bench.mjs $(ARGS)

bench-ocr-scale: build services ## OCR scale-out by page and worker memory
	node bench/ocr-scale.bench.mjs $(ARGS)

bench-ocr: build ## one dense page: pipeline vs tesseract.js vs tesseract CLI, single-threaded
	node services/ocr-worker/dist/bench/ocr.bench.js $(ARGS)

bench-search: build services ## search latency on a 100 000-document corpus
	node bench/search.bench.mjs $(ARGS)

bench-sync: build services ## sync of 10 000 files, local and WebDAV, first and unchanged run
	node --expose-gc bench/sync.bench.mjs $(ARGS)

bench-upload: build services ## concurrent uploads through the gateway and document service
	node bench/upload.bench.mjs $(ARGS)

bench-webhook: build services ## webhook deliveries with 1, 10 and 100 subscriptions
	node bench/webhook.bench.mjs $(ARGS)

bench-bus: install services-all ## bus vs raw client throughput and latency, RabbitMQ and Kafka
	pnpm --filter @readur/bus bench $(ARGS)

clean: ## remove node_modules and every dist/
	rm -rf node_modules packages/*/node_modules services/*/node_modules packages/*/dist services/*/dist
