# The two commands a newcomer needs:
#   make run    set up what is missing, build, serve on SQLite at http://127.0.0.1:3000
#   make test   the whole suite: fmt, clippy, wasm32 client build, tests on SQLite and PostgreSQL, browser tests,
#               60 s of fuzzing per target, schemathesis against the OpenAPI document, the first-load bundle budget
SHELL := /usr/bin/env bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

CARGO_LEPTOS_VERSION := 0.3.10
# The wasm-bindgen CLI must match the library version in Cargo.lock exactly.
WASM_BINDGEN_VERSION := $(shell sed -n '/^name = "wasm-bindgen"$$/{n;s/^version = "\(.*\)"/\1/p;q;}' Cargo.lock)

# Tools installed by `cargo install` and npm (binaryen's wasm-opt for release builds).
export PATH := $(HOME)/.cargo/bin:$(CURDIR)/end2end/node_modules/.bin:$(PATH)
# Test databases: the local PostgreSQL server (trust auth); each test creates and drops its own.
export IMGIGO_TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/test

# wasm-bindgen-cli is installed without --locked: its published lock file pins a yanked crate.
# The segmentation weights: IMG.LY's npm package, rebuilt, checked and converted once, cached outside git.
MODEL_PACKAGE := @imgly/background-removal-data
MODEL_VERSION := 1.4.5
export IMGIGO_MODEL_DIR ?= $(HOME)/.cache/imgigo/models
export IMGIGO_MODEL_FILE ?= $(IMGIGO_MODEL_DIR)/isnet-dis-imgly-$(MODEL_VERSION).bpk

# The mail tests' SMTP server (aiosmtpd, from PyPI) lives in a virtual environment outside git.
AIOSMTPD_VERSION := 1.4.6
# dkimpy verifies the DKIM signatures of the mail tests (with the test's own key, no DNS).
DKIMPY_VERSION := 1.1.8
# prometheus-client's OpenMetrics parser checks what /metrics serves (the metrics test); same venv.
PROMETHEUS_CLIENT_VERSION := 0.26.0
# The billing tests' Stripe: localstripe (PyPI) behind scripts/stripe_fake.py, which adds Checkout
# Sessions and the billing portal; same venv.
LOCALSTRIPE_VERSION := 1.15.10
IMGIGO_VENV ?= $(HOME)/.cache/imgigo/venv
export IMGIGO_PYTHON ?= $(IMGIGO_VENV)/bin/python

# The proofs of issue 13 (see README, "Proof"): schemathesis against the OpenAPI document and Pillow
# for the overload script's photo, in the same venv; cargo-fuzz for the fuzz targets in fuzz/.
SCHEMATHESIS_VERSION := 4.32.5
PILLOW_VERSION := 13.0.0
CARGO_FUZZ_VERSION := 0.13.2
# The fuzz build and the corpus it grows live outside the clone, so a fresh clone (CI) reuses them.
IMGIGO_FUZZ_TARGET_DIR ?= $(HOME)/.cache/imgigo/fuzz-target
IMGIGO_FUZZ_CORPUS ?= $(HOME)/.cache/imgigo/fuzz-corpus
FUZZ_TARGETS := upload_decode form_reader
# Stable Rust: `-s none` leaves out AddressSanitizer, the one cargo-fuzz option that passes a
# nightly-only flag (-Zsanitizer); the coverage instrumentation (-Cpasses=sancov-module and
# -Cllvm-args=-sanitizer-coverage-*) is stable, so neither nightly nor RUSTC_BOOTSTRAP is needed.
# What is fuzzed is safe Rust (unsafe_code is denied), so panics, overflows (-a: debug assertions
# and overflow checks), hangs and allocations past libFuzzer's limits are what there is to find.
FUZZ_BUILD_FLAGS := -O -a -s none --codegen-units 16 --fuzz-dir fuzz --target-dir $(IMGIGO_FUZZ_TARGET_DIR)
# Seeds per target: the grown corpus first (new inputs go there), then the committed seeds, the
# crashes found so far (always replayed) and, for uploads, the decoder tests' corpus.
FUZZ_SEEDS_upload_decode := fuzz/seeds/upload_decode fuzz/regressions/upload_decode services/tests/corpus
FUZZ_SEEDS_form_reader := fuzz/seeds/form_reader fuzz/regressions/form_reader
FUZZ_ARGS_upload_decode := -max_len=16384 -timeout=20 -rss_limit_mb=1024
FUZZ_ARGS_form_reader := -max_len=8192 -timeout=20 -rss_limit_mb=1024 -dict=fuzz/form_reader.dict

# Build tools compile faster without LTO; they only ever see this project's small inputs.
TOOL_BUILD_ENV := CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=256 CARGO_PROFILE_RELEASE_OPT_LEVEL=0 CARGO_PROFILE_RELEASE_DEBUG=false CARGO_PROFILE_RELEASE_INCREMENTAL=false

.PHONY: site test-build tests-beside-fuzz-build help setup toolchain npm weights smtp-sink stripe-fake proof-venv cargo-fuzz fuzz-build fuzz-short fuzz-long schemathesis overload run build build-release bundle-size bundle-bench bench-analytics bench-pipeline bench-edges bench-edges-eval eval-venv site-release test fmt-check clippy wasm-check gpu-check gpu-bench-build unit-sqlite unit-postgres reference e2e clean

help:
	@echo "make run    build and serve imgigo at http://127.0.0.1:3000 (SQLite in ./data)"
	@echo "make test   run the whole test suite"

## Set-up: only what is missing is installed; a second run does nothing.
setup: toolchain npm weights smtp-sink stripe-fake

toolchain:
	@rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
	@rustup component list --installed | grep -q '^clippy' || rustup component add clippy
	@rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt
	@if [ "$$(cargo leptos --version 2>/dev/null)" != "cargo-leptos $(CARGO_LEPTOS_VERSION)" ]; then \
		echo "installing cargo-leptos $(CARGO_LEPTOS_VERSION)"; \
		$(TOOL_BUILD_ENV) cargo install --locked --force cargo-leptos --version $(CARGO_LEPTOS_VERSION) --features no_downloads; \
	fi
	@if [ "$$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $(WASM_BINDGEN_VERSION)" ]; then \
		echo "installing wasm-bindgen-cli $(WASM_BINDGEN_VERSION)"; \
		$(TOOL_BUILD_ENV) cargo install --force wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION); \
	fi

npm: end2end/node_modules/.package-lock.json

end2end/node_modules/.package-lock.json: end2end/package.json end2end/package-lock.json
	cd end2end && npm ci --no-audit --no-fund
	@touch $@

smtp-sink: $(IMGIGO_VENV)/.aiosmtpd-$(AIOSMTPD_VERSION) $(IMGIGO_VENV)/.dkimpy-$(DKIMPY_VERSION) $(IMGIGO_VENV)/.prometheus-client-$(PROMETHEUS_CLIENT_VERSION)

$(IMGIGO_VENV)/.prometheus-client-$(PROMETHEUS_CLIENT_VERSION): $(IMGIGO_VENV)/.aiosmtpd-$(AIOSMTPD_VERSION)
	"$(IMGIGO_VENV)/bin/pip" install --quiet --disable-pip-version-check "prometheus-client==$(PROMETHEUS_CLIENT_VERSION)"
	@touch $@

$(IMGIGO_VENV)/.dkimpy-$(DKIMPY_VERSION): $(IMGIGO_VENV)/.aiosmtpd-$(AIOSMTPD_VERSION)
	"$(IMGIGO_VENV)/bin/pip" install --quiet --disable-pip-version-check "dkimpy==$(DKIMPY_VERSION)"
	@touch $@

$(IMGIGO_VENV)/.aiosmtpd-$(AIOSMTPD_VERSION):
	python3 -m venv "$(IMGIGO_VENV)"
	"$(IMGIGO_VENV)/bin/pip" install --quiet --disable-pip-version-check "aiosmtpd==$(AIOSMTPD_VERSION)"
	@touch $@

stripe-fake: $(IMGIGO_VENV)/.localstripe-$(LOCALSTRIPE_VERSION)

$(IMGIGO_VENV)/.localstripe-$(LOCALSTRIPE_VERSION): $(IMGIGO_VENV)/.aiosmtpd-$(AIOSMTPD_VERSION)
	"$(IMGIGO_VENV)/bin/pip" install --quiet --disable-pip-version-check "localstripe==$(LOCALSTRIPE_VERSION)"
	@touch $@

proof-venv: $(IMGIGO_VENV)/.schemathesis-$(SCHEMATHESIS_VERSION)-pillow-$(PILLOW_VERSION)

$(IMGIGO_VENV)/.schemathesis-$(SCHEMATHESIS_VERSION)-pillow-$(PILLOW_VERSION): $(IMGIGO_VENV)/.aiosmtpd-$(AIOSMTPD_VERSION)
	"$(IMGIGO_VENV)/bin/pip" install --quiet --disable-pip-version-check \
		"schemathesis==$(SCHEMATHESIS_VERSION)" "pillow==$(PILLOW_VERSION)"
	@touch $@

cargo-fuzz:
	@if [ "$$(cargo fuzz --version 2>/dev/null)" != "cargo-fuzz $(CARGO_FUZZ_VERSION)" ]; then \
		echo "installing cargo-fuzz $(CARGO_FUZZ_VERSION)"; \
		$(TOOL_BUILD_ENV) cargo install --locked --force cargo-fuzz --version $(CARGO_FUZZ_VERSION); \
	fi

weights: $(IMGIGO_MODEL_FILE)

$(IMGIGO_MODEL_FILE):
	@echo "fetching the segmentation weights ($(MODEL_PACKAGE)@$(MODEL_VERSION), about 136 MB)"
	rm -rf "$(IMGIGO_MODEL_DIR)/npm" && mkdir -p "$(IMGIGO_MODEL_DIR)/npm"
	cd "$(IMGIGO_MODEL_DIR)/npm" && npm pack --silent "$(MODEL_PACKAGE)@$(MODEL_VERSION)" >/dev/null \
		&& tar xzf imgly-background-removal-data-$(MODEL_VERSION).tgz
	$(WEIGHTS_BUILD)
	$(WEIGHTS_BIN) weights --package "$(IMGIGO_MODEL_DIR)/npm/package" --out "$@.partial"
	mv "$@.partial" "$@"
	rm -rf "$(IMGIGO_MODEL_DIR)/npm"

## Run
# The release binary converts the weights itself, so a first run builds nothing else.
run: toolchain npm build-release
	@$(MAKE) --no-print-directory weights WEIGHTS_BUILD=: WEIGHTS_BIN=target/release/imgigo
	./target/release/imgigo serve

# `--split`: the pages other than the editor are lazy routes (app/src/lib.rs), each in a wasm chunk
# the browser fetches when the page is visited; every client build must split (the chunks' loader
# module exists only then).
build-release: toolchain npm
	cargo leptos build --release --split

build: toolchain npm
	cargo leptos build --split

# The browser side alone (wasm, its JS glue, CSS, assets under target/site): the browser tests run it
# with the server binary of the test build, so CI compiles the server's dependency tree once.
site: toolchain npm
	cargo leptos build --frontend-only --split

# The client as production serves it (wasm-release profile, wasm-opt), without the server's release build.
site-release: toolchain npm
	cargo leptos build --release --frontend-only --split

## Test
test: setup fmt-check clippy wasm-check gpu-check
	@$(MAKE) --no-print-directory tests-beside-fuzz-build
	@$(MAKE) --no-print-directory fuzz-short
	@echo "make test: all checks passed"

# The fuzz build (its own workspace and flags: ~12 minutes on 2 cores before its cache is warm) runs
# at the lowest CPU priority beside the tests, which leave the processor idle much of the time
# (the browser tests wait on Chromium, the database tests on PostgreSQL); the tests go first.
FUZZ_BUILD_LOG := $(IMGIGO_FUZZ_TARGET_DIR)/fuzz-build.log
tests-beside-fuzz-build:
	@mkdir -p "$(IMGIGO_FUZZ_TARGET_DIR)"
	@echo "building the fuzz targets in the background (log: $(FUZZ_BUILD_LOG))"
	@setsid nice -n 19 $(MAKE) --no-print-directory fuzz-build >"$(FUZZ_BUILD_LOG)" 2>&1 & fuzz=$$!; \
	trap 'kill -- -$$fuzz 2>/dev/null || kill $$fuzz 2>/dev/null' EXIT; \
	$(MAKE) --no-print-directory unit-sqlite unit-postgres reference e2e schemathesis bundle-size; \
	echo "waiting for the fuzz build"; \
	if ! wait $$fuzz; then tail -40 "$(FUZZ_BUILD_LOG)"; echo "the fuzz build failed"; exit 1; fi; \
	trap - EXIT; tail -1 "$(FUZZ_BUILD_LOG)"

fmt-check:
	cargo fmt --all --check

# The server side (app compiled with `ssr`), tests included.
clippy:
	cargo clippy --locked --workspace --exclude frontend --all-targets -- -D warnings

# The browser side on its own: a server-only crate leaking into the client fails here.
wasm-check:
	cargo clippy --locked -p frontend --target wasm32-unknown-unknown -- -D warnings

# The GPU (wgpu) inference path compiles and lints; running it needs a GPU (see segmentation/bench).
gpu-check:
	cargo clippy --locked -p segmentation --features wgpu --all-targets -- -D warnings

# The GPU benchmark for a GPU machine without a cargo registry (segmentation/bench/README.md): the
# stripped binary, gzipped (91 MB → 21 MB: it must travel in 64 MiB), and a Vulkan loader (Debian's
# libvulkan1, for machines whose driver set-up lacks one) under target/gpu-bench/. Carry
# target/gpu-bench/imgigo-bench.gz and target/gpu-bench/vulkan there and run
# segmentation/bench/gpu.sh.
GPU_BENCH_DIR := target/gpu-bench
gpu-bench-build:
	cargo build --locked --profile gpu-bench -p segmentation --features wgpu --bin imgigo-bench
	gzip -9 -c $(GPU_BENCH_DIR)/imgigo-bench > $(GPU_BENCH_DIR)/imgigo-bench.gz
	@if [ ! -f $(GPU_BENCH_DIR)/vulkan/libvulkan.so.1 ]; then \
		tmp=$$(mktemp -d) && (cd $$tmp && apt-get download libvulkan1) && \
		dpkg-deb -x $$tmp/libvulkan1_*.deb $$tmp/root && mkdir -p $(GPU_BENCH_DIR)/vulkan && \
		cp -L $$tmp/root/usr/lib/x86_64-linux-gnu/libvulkan.so.1 $(GPU_BENCH_DIR)/vulkan/ && \
		cp $$tmp/root/usr/share/doc/libvulkan1/copyright $(GPU_BENCH_DIR)/vulkan/ && rm -rf $$tmp; \
	fi
	@size=$$(du -cb $(GPU_BENCH_DIR)/imgigo-bench.gz $(GPU_BENCH_DIR)/vulkan | tail -1 | cut -f1); \
	glibc=$$(objdump -T $(GPU_BENCH_DIR)/imgigo-bench | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1); \
	echo "$(GPU_BENCH_DIR): imgigo-bench.gz and vulkan/, $$((size / 1048576)) MiB to carry; the binary needs $$glibc or newer"; \
	[ $$size -le 67108864 ] || { echo "over the 64 MiB a GPU run may carry"; exit 1; }

# Every server-side build in `make test` (the unit tests, the browser tests' server, schemathesis's
# fake-engine server) is this one cargo invocation: one feature set, so one compile of each crate.
TEST_BUILD := cargo test --locked --workspace --exclude frontend
# `make weights` converts with `imgigo weights` from the test build (`make run`: the release build).
WEIGHTS_BUILD ?= $(TEST_BUILD) --no-run
WEIGHTS_BIN ?= target/debug/imgigo

test-build:
	$(TEST_BUILD) --no-run

unit-sqlite: smtp-sink stripe-fake
	IMGIGO_TEST_DATABASE=sqlite $(TEST_BUILD)

unit-postgres: smtp-sink stripe-fake
	@pg_isready -q -d "$(IMGIGO_TEST_POSTGRES_URL)" || { echo "PostgreSQL is not answering at $(IMGIGO_TEST_POSTGRES_URL); start it or set IMGIGO_TEST_POSTGRES_URL"; exit 1; }
	IMGIGO_TEST_DATABASE=postgres $(TEST_BUILD)

# The real model against onnxruntime's reference masks, in the test build (the model's arithmetic is
# optimised even there, see Cargo.toml: same code, same results as a release build).
reference: weights
	$(TEST_BUILD) --test reference -- --ignored --nocapture

# The editor's tests run the real model in the debug server (its arithmetic is optimised even there,
# see Cargo.toml), so they need the weights. The server is the test build's `imgigo` binary.
e2e: test-build site weights smtp-sink stripe-fake
	cd end2end && IMGIGO_BIN=$(CURDIR)/target/debug/imgigo IMGIGO_SITE_ROOT=$(CURDIR)/target/site npm test

# Fuzzing (fuzz/README.md): each target for 60 s; a crash fails the make and leaves its input in
# fuzz/artifacts/<target>/ (turn it into fuzz/regressions/<target>/ and a regression test).
fuzz-build: cargo-fuzz
	cargo fuzz build $(FUZZ_BUILD_FLAGS)

fuzz-short: fuzz-build
	@for target in $(FUZZ_TARGETS); do $(MAKE) --no-print-directory fuzz-run-$$target FUZZ_LIMIT=-max_total_time=60; done

# The long run (not in `make test`): 10 million executions each, one after the other.
fuzz-long: fuzz-build
	@for target in $(FUZZ_TARGETS); do $(MAKE) --no-print-directory fuzz-run-$$target FUZZ_LIMIT=-runs=10000000; done

fuzz-run-%:
	@mkdir -p "$(IMGIGO_FUZZ_CORPUS)/$*"
	@echo "fuzzing $* ($(FUZZ_LIMIT))"
	cargo fuzz run $(FUZZ_BUILD_FLAGS) $* "$(IMGIGO_FUZZ_CORPUS)/$*" $(FUZZ_SEEDS_$*) -- \
		$(FUZZ_LIMIT) $(FUZZ_ARGS_$*) -print_final_stats=1 2>&1 \
		| grep --line-buffered -v -e '^#[0-9]*\s*\(NEW\|REDUCE\|pulse\)' -e 'NEW_FUNC' -e '" # Uses: [0-9]*$$' \
		|| { echo "fuzz target $* failed (crash input in fuzz/artifacts/$*/)"; exit 1; }

# The OpenAPI document against the running server (fake engine): no server error, no response
# outside the schema, for every operation.
schemathesis: proof-venv test-build
	IMGIGO_FAKE_BIN=$(CURDIR)/target/debug/imgigo-fake scripts/schemathesis.sh

# A burst of 3x the queue of 12 MP uploads against the fake engine (not a timed test; see scripts/README.md).
overload: proof-venv test-build
	"$(IMGIGO_PYTHON)" scripts/overload.py --server target/debug/imgigo-fake

# The hydrate bundle as served (release build, wasm-opt): bytes per file, raw and gzip -9, and the
# first load against the budget in scripts/bundle-budget.txt (fails above it).
bundle-size: site-release
	scripts/bundle-size.sh

# A first visit of the editor on a phone profile (CPU 4x slower, fast 4G) against the same unthrottled,
# in one run: time until the drop zone works and bytes transferred (end2end/bench/first-load.js).
bundle-bench: site-release test-build
	cd end2end && IMGIGO_BIN=$(CURDIR)/target/debug/imgigo IMGIGO_SITE_ROOT=$(CURDIR)/target/site node bench/first-load.js

# Issue 16's check of the per-request path around the network at 12 MP (prints, asserts nothing):
# services/src/bin/imgigo-pipeline-bench.rs, built optimised; flags in BENCH_ARGS (e.g. --runs 5).
# Issue 20: what counting page views costs, counted against DNT requests on one release server.
bench-analytics: build-release
	IMGIGO_SITE_ROOT=target/site bash scripts/analytics-overhead.sh target/release/imgigo

bench-pipeline: weights
	cargo run --locked --profile reference -p services --bin imgigo-pipeline-bench -- $(BENCH_ARGS)

# Issue 17's cost check of the edge steps (foreground colours, background blur) at 12 MP against a
# 1024² inference in the same process (prints, asserts nothing): services/src/bin/imgigo-edges-bench.rs.
bench-edges:
	cargo run --locked --profile reference -p services --bin imgigo-edges-bench -- $(BENCH_ARGS)

# Issue 17's edge evaluation against rembg (scripts/edge_eval.py): rembg, onnxruntime and pymatting
# from PyPI in a virtual environment of its own, rembg given the ONNX file of the same npm package
# imgigo's weights come from (rembg reads custom models only under U2NET_HOME). Prints the table;
# the images stay under target/edge-eval/. EVAL_ARGS=--reuse keeps the masks and the peers' results
# of the last run (seconds instead of minutes, to try a change to the edge steps).
EVAL_VENV := $(HOME)/.cache/imgigo/eval-venv
EVAL_ONNX := $(IMGIGO_MODEL_DIR)/isnet-imgly-$(MODEL_VERSION).onnx
CARGO_TARGET_DIR_OR_TARGET := $(or $(CARGO_TARGET_DIR),target)
bench-edges-eval: weights eval-venv $(EVAL_ONNX)
	cargo build --locked --profile reference -p services --bin imgigo-edges-eval
	U2NET_HOME="$(IMGIGO_MODEL_DIR)" $(EVAL_VENV)/bin/python scripts/edge_eval.py --eval-bin $(CARGO_TARGET_DIR_OR_TARGET)/reference/imgigo-edges-eval --onnx $(EVAL_ONNX) $(EVAL_ARGS)

eval-venv:
	@test -x $(EVAL_VENV)/bin/python || python3 -m venv $(EVAL_VENV)
	@$(EVAL_VENV)/bin/python -c 'import rembg, pymatting, scipy, skimage' 2>/dev/null \
		|| $(EVAL_VENV)/bin/pip install -q "rembg[cpu]==2.0.86" "pillow>=10" "scikit-image==0.26.0"

$(EVAL_ONNX): | eval-venv
	rm -rf "$(IMGIGO_MODEL_DIR)/npm-eval" && mkdir -p "$(IMGIGO_MODEL_DIR)/npm-eval"
	cd "$(IMGIGO_MODEL_DIR)/npm-eval" && npm pack --silent "$(MODEL_PACKAGE)@$(MODEL_VERSION)" >/dev/null \
		&& tar xzf imgly-background-removal-data-$(MODEL_VERSION).tgz
	$(EVAL_VENV)/bin/python scripts/edge_eval.py assemble "$(IMGIGO_MODEL_DIR)/npm-eval/package" "$@"
	rm -rf "$(IMGIGO_MODEL_DIR)/npm-eval"

clean:
	cargo clean
	rm -rf end2end/node_modules
