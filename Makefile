# Elder Sync: the two commands a newcomer needs are `make run` and `make test`.
# Both build what they need themselves, the wasm toolchain included.

SHELL := /bin/bash
export ELDER_TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/test

.PHONY: all wasm build run test lint fmt bench readme clean-wasm

all: build

## wasm: build every connector (and test guest) to a WebAssembly component
wasm:
	@bash scripts/build-wasm.sh

## build: the components and the host (release)
build: wasm
	@echo "==> building the host (cargo build --release -p elder-sync)"
	@cargo build --release -p elder-sync
	@bash scripts/split-debuginfo.sh target/release/elder-sync

## run: start the service with its embedded default (SQLite in ./data, all five connectors)
run: build
	@bash scripts/run.sh

## test: build the components, then run the whole test suite (SQLite and PostgreSQL)
test: wasm
	@bash scripts/test.sh

## lint: formatting and clippy, as CI would want them
lint:
	@cargo fmt --all -- --check
	@cargo clippy --workspace --all-targets -- -D warnings

## readme: regenerate README's feature table (connectors' describe + tests/e2e/proofs.toml)
readme: wasm
	@if command -v cargo-nextest >/dev/null; then \
		ELDER_UPDATE_README=1 cargo nextest run --workspace --test feature_table; \
	else \
		ELDER_UPDATE_README=1 cargo test --workspace --test feature_table; \
	fi

## bench: run the benchmarks and print their figures (docs/benchmarks.md records them)
bench: wasm
	@echo "==> runtime: load, instantiate from InstancePre, one guest call with one host call"
	@cargo bench -p elder-sync-runtime --bench calls
	@echo "==> GitHub mapping of 1,000 issues: wasm (per call, batched) vs native"
	@cargo bench -p elder-sync-e2e --bench github_mapping
	@echo "==> elder-sync serve: start to /healthz (cold and warm cache), idle RSS, binary size"
	@cargo bench -p elder-sync --bench startup
	@echo "==> API read/write load on SQLite and PostgreSQL"
	@cargo bench -p elder-sync-api --bench api_load
	@echo "==> webhook ingest and inbox-to-applied throughput on SQLite and PostgreSQL"
	@cargo bench -p elder-sync-e2e --bench sync_ingest
	@echo "==> applied webhook events/s with 1, 2 and 3 serve replicas on one PostgreSQL"
	@cargo bench -p elder-sync --bench replicas
	@echo "==> first import of 100,000 GitHub issues: list only vs backfill, peak RSS, both engines"
	@cargo bench -p elder-sync-e2e --bench backfill
	@echo "==> scheduler ticks and RSS with 100, 500 and 1,000 configs, both engines"
	@cargo bench -p elder-sync-e2e --bench scheduler
	@echo "==> first import of 100,000 issues from the GitHub simulator: items/s and peak RSS, SQLite and PostgreSQL"
	@cargo bench -p elder-sync-e2e --bench backfill
	@echo "==> scheduler ticks and RSS with 100, 500 and 1,000 configs"
	@cargo bench -p elder-sync-e2e --bench scheduler

clean-wasm:
	@rm -rf target/connectors target/test-guests target/wasm-rustup target/wasm-debian
