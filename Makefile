# Every target installs what it needs; `make test` is what CI runs.
.PHONY: install build test run lint typecheck services kafka bench

install:
	pnpm install --frozen-lockfile

build: install
	pnpm run build

services:
	bash scripts/ensure-services.sh

test: install services
	pnpm test

lint:
	pnpm run lint

typecheck:
	pnpm run typecheck

run: install services
	pnpm run build
	pnpm start
