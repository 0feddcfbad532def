# Hindsight: `make run` serves the app, `make test` runs every test. Both install what is missing.
SHELL := /bin/bash
export PATH := $(CURDIR)/target/tools/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)

.PHONY: run build test test-fast lint check-wasm e2e tools clean-db

tools:
	@.ci/ensure-tools

build: tools
	cargo leptos build --release

## Serve on 127.0.0.1:3000 with SQLite at ./hindsight.db (override with HINDSIGHT_ADDR, DATABASE_URL).
run: build
	LEPTOS_SITE_ROOT=target/site target/release/hindsight serve

## Everything CI runs: formatting, lints, the WASM dependency check, the release build, and all
## tests (domain, services on SQLite and PostgreSQL when TEST_DATABASE_URL is set, browser).
test:
	@.ci/ensure-tools browser
	cargo fmt --all -- --check
	.ci/check-wasm-deps
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy -p frontend --features hydrate --target wasm32-unknown-unknown -- -D warnings
	cargo leptos build --release
	HINDSIGHT_E2E_BIN=$(CURDIR)/target/release/hindsight HINDSIGHT_E2E_SITE=$(CURDIR)/target/site \
		cargo test --workspace --no-fail-fast

## Tests without the browser build (quick loop while developing).
test-fast:
	cargo test --workspace
