# The two commands a newcomer needs: `make demo` (the whole pipeline end to end) and `make test`.
NPM_BIN := node_modules/@foundry-rs
FORGE := $(NPM_BIN)/forge-linux-amd64/bin/forge
ANVIL := $(NPM_BIN)/anvil-linux-amd64/bin/anvil

.PHONY: deps build demo test test-rust test-forge fixtures clean

deps: node_modules/.installed
# `npm install`, not `npm ci`: Foundry's per-platform optional packages leave the lockfile
# incomplete for other platforms, which `npm ci` refuses; versions are pinned in package.json.
node_modules/.installed: package.json package-lock.json
	npm install --no-fund --no-audit
	@test -x $(FORGE) && test -x $(ANVIL) || (echo "Foundry binaries missing from node_modules (expected $(FORGE))" && false)
	touch $@

build:
	cargo build --bin zkinfer

demo: deps build
	cargo run --quiet --bin zkinfer -- demo

test: deps
	cargo test -- --test-threads=2
	$(FORGE) test

test-rust:
	cargo test

test-forge: deps
	$(FORGE) test

# Regenerates test/fixtures (verifiers + proofs used by the forge tests).
fixtures: deps
	cargo run --quiet --example fixtures

clean:
	rm -rf build out cache
