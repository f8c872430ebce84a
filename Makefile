# The two commands a newcomer needs: `make demo` (the whole pipeline end to end) and `make test`;
# `make bot` runs the DeFi bot example for 3 rounds.
NPM_BIN := node_modules/@foundry-rs
FORGE := $(NPM_BIN)/forge-linux-amd64/bin/forge
ANVIL := $(NPM_BIN)/anvil-linux-amd64/bin/anvil

.PHONY: deps build demo bot lint test test-rust test-forge fixtures bench-ezkl poseidon-vectors clean

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

# The DeFi bot: forecaster → proofs over a price feed's window → ForecastVault on an Anvil it starts.
bot: deps
	cargo run --quiet --example defi_bot -- --rounds 3

# The code's form, warnings as errors: rustfmt (rustfmt.toml), clippy on every target, rustdoc.
lint:
	cargo fmt --check
	cargo clippy --all-targets -- -D warnings
	RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --lib

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

# Same run, same models: EZKL (pip, benchmark-only, in build/ezkl-venv) against zkinfer.
EZKL_MODELS ?= $(foreach m,1l_mlp 2l_relu_fc accuracy,../shared/corpus/$(m)/network.onnx ../shared/corpus/$(m)/input.json)
bench-ezkl: build
	test -x build/ezkl-venv/bin/python || (python3 -m venv build/ezkl-venv && build/ezkl-venv/bin/pip install -q ezkl==23.0.5)
	cargo run --quiet --bin zkinfer -- example -o build/bench/example
	build/ezkl-venv/bin/python bench/compare_ezkl.py build/bench/example/model.onnx build/bench/example/input.json $(EZKL_MODELS) 2>/dev/null | grep '^|'

# The circomlibjs vectors the Poseidon known-answer test embeds (installed outside the project).
poseidon-vectors:
	mkdir -p build/circomlibjs && cd build/circomlibjs && npm install --no-fund --no-audit --no-save circomlibjs@0.1.7 >/dev/null
	cp tools/poseidon_vectors.mjs build/circomlibjs/ && node build/circomlibjs/poseidon_vectors.mjs

clean:
	rm -rf build out cache
