# The two commands a newcomer needs: `make demo` (the whole pipeline end to end) and `make test`;
# `make bot` runs the DeFi bot example for 3 rounds.
NPM_BIN := node_modules/@foundry-rs
FORGE := $(NPM_BIN)/forge-linux-amd64/bin/forge
ANVIL := $(NPM_BIN)/anvil-linux-amd64/bin/anvil

.PHONY: deps build demo bot lint test test-rust test-forge fixtures bench scaling poseidon-vectors fuzz clean

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

# Fuzzing (docs/fuzzing.md): each cargo-fuzz target in turn for FUZZ_SECONDS, one at a time,
# nightly from fuzz/rust-toolchain.toml (`cargo install cargo-fuzz --locked` first). libFuzzer runs
# in fork mode with one job, so a crash, timeout or OOM is saved (fuzz/artifacts/TARGET/) and the
# run goes on for the whole budget; the failing targets are named at the end.
FUZZ_SECONDS ?= 600
FUZZ_TARGETS ?= input_json proof_json calldata build_dir onnx_bytes onnx_mutate
FUZZ_MODELS ?= $(abspath ../shared/corpus)
FUZZ_FLAGS = -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1
fuzz:
	cd fuzz && CARGO_BUILD_JOBS=2 cargo fuzz build -O -s none
	@mkdir -p fuzz/logs; fail=; for t in $(FUZZ_TARGETS); do \
	  mkdir -p fuzz/corpus/$$t; seeds=; \
	  if test -d fuzz/seeds/$$t; then seeds=seeds/$$t; fi; \
	  if test $$t = onnx_bytes; then seeds="$$seeds $(FUZZ_MODELS)"; fi; \
	  echo "== $$t: $(FUZZ_SECONDS) s, log fuzz/logs/$$t.log"; \
	  (cd fuzz && ZKINFER_FUZZ_MODELS=$(FUZZ_MODELS) cargo fuzz run -O -s none $$t corpus/$$t $$seeds -- $(FUZZ_FLAGS)) \
	    > fuzz/logs/$$t.log 2>&1 || fail="$$fail $$t"; \
	  rm -rf /dev/shm/zkinfer-fuzz-*; \
	  grep -E '^#[0-9]+: cov' fuzz/logs/$$t.log | tail -n 1; \
	  n=$$(ls fuzz/artifacts/$$t 2>/dev/null | wc -l); test $$n = 0 || fail="$$fail $$t($$n)"; \
	done; test -z "$$fail" || (echo "crashed:$$fail (inputs in fuzz/artifacts/)"; false)

# Regenerates test/fixtures (verifiers + proofs used by the forge tests).
fixtures: deps
	cargo run --quiet --example fixtures

# zkinfer against EZKL (pip, benchmark-only, in build/ezkl-venv with matplotlib for the plot),
# model by model in one run: bench/run.py (BENCH_ARGS, e.g. --models 1l_mlp,lenet_5 --runs 3).
BENCH_ARGS ?=
bench: deps
	cargo build --release --bin zkinfer
	test -x build/ezkl-venv/bin/python || python3 -m venv build/ezkl-venv
	build/ezkl-venv/bin/python -c 'import ezkl, matplotlib' 2>/dev/null || build/ezkl-venv/bin/pip install -q ezkl==23.0.5 matplotlib
	build/ezkl-venv/bin/python bench/run.py $(BENCH_ARGS)

# The scaling study (docs/performance.md): MLPs and conv nets of 2^12 … 2^20 multiply-adds,
# zkinfer then EZKL, prove time, peak memory and the fitted growth exponents (SCALING_ARGS).
SCALING_ARGS ?=
scaling: deps
	cargo build --release --bin zkinfer --example scaling_models
	test -x build/ezkl-venv/bin/python || python3 -m venv build/ezkl-venv
	build/ezkl-venv/bin/python -c 'import ezkl' 2>/dev/null || build/ezkl-venv/bin/pip install -q ezkl==23.0.5 matplotlib
	target/release/examples/scaling_models build/scaling/models
	build/ezkl-venv/bin/python bench/scaling.py $(SCALING_ARGS)

# The circomlibjs vectors the Poseidon known-answer test embeds (installed outside the project).
poseidon-vectors:
	mkdir -p build/circomlibjs && cd build/circomlibjs && npm install --no-fund --no-audit --no-save circomlibjs@0.1.7 >/dev/null
	cp tools/poseidon_vectors.mjs build/circomlibjs/ && node build/circomlibjs/poseidon_vectors.mjs

clean:
	rm -rf build out cache
