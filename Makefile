# `make run` and `make test` do all set-up themselves on a fresh machine.
# CI (.ci/run) calls `make test`.
PNPM_VERSION := 10.34.9

.PHONY: install build run test lint typecheck format services services-all kafka bench-bus bench-ocr clean

install:
	@command -v pnpm >/dev/null 2>&1 && pnpm --version | grep -q '^10\.' || npm install -g pnpm@$(PNPM_VERSION)
	pnpm install --frozen-lockfile

build: install
	pnpm run build

# PostgreSQL and RabbitMQ: started with the machine's own commands when they are down.
services:
	bash scripts/ensure-services.sh

# The same plus a local single-node Kafka (KRaft) resolved from Maven Central once.
services-all:
	bash scripts/ensure-services.sh --kafka

run: build services
	pnpm start

test: install services-all
	pnpm test

lint:
	pnpm run lint

typecheck:
	pnpm run typecheck

format:
	pnpm run format

kafka:
	bash scripts/kafka.sh start

clean:
	rm -rf node_modules packages/*/node_modules services/*/node_modules packages/*/dist services/*/dist
