# Hindsight: `make run` serves the app, `make test` runs every test. Both install what is missing.
SHELL := /bin/bash
export PATH := $(CURDIR)/target/tools/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)

.PHONY: run build test test-fast lint check-wasm e2e tools clean-db

tools:
	@.ci/ensure-tools

build: tools
	.ci/build-site release

## Serve on 127.0.0.1:3000 with SQLite at ./hindsight.db (override with HINDSIGHT_ADDR, DATABASE_URL).
run: build
	LEPTOS_SITE_ROOT=target/site target/release/hindsight serve

## Everything CI runs: formatting, lints, the WASM dependency check, the release build, and all
## tests (domain, services on SQLite and PostgreSQL when TEST_DATABASE_URL is set, browser).
test:
	@rm -f target/phases.txt
	@.ci/timed "tools" .ci/ensure-tools browser
	@.ci/timed "fmt" cargo fmt --all -- --check
	@.ci/timed "wasm dependency check" .ci/check-wasm-deps
	@.ci/timed "clippy (server)" cargo clippy --workspace --all-targets -- -D warnings
	@.ci/timed "clippy (wasm)" cargo clippy -p frontend --features hydrate --target wasm32-unknown-unknown -- -D warnings
	@.ci/timed "browser bundle + debug server" .ci/build-site test
	@HINDSIGHT_E2E_BIN=$(CURDIR)/target/debug/hindsight HINDSIGHT_E2E_SITE=$(CURDIR)/target/site \
		.ci/timed "cargo test (build + run)" cargo test --workspace --no-fail-fast; rc=$$?; \
		echo "phases, slowest first:"; sort -rn target/phases.txt; exit $$rc

## Tests without the browser build (quick loop while developing).
test-fast:
	cargo test --workspace
