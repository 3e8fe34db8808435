#!/usr/bin/env bash
# Sets up what the tests need (once) and runs every test: native, wasm in headless
# Chromium, and end to end with playwright-core against the page as trunk builds it.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

ensure_web_toolchain
ensure_browser
ensure_node_deps
ensure_mnist
ensure_vulkan

say "native tests (cargo test --workspace)"
cargo test --workspace

say "tests on real MNIST and the shipped weights"
cargo test -p trainer --test real_data -- --include-ignored

say "kill-safety: a real training run killed ten times and resumed"
cargo test -p trainer --test kill -- --include-ignored --nocapture

say "the GPU path on a Vulkan device (lavapipe: correct, slow; figures meaningless)"
# One test at a time: they share the process's wgpu runtime, and run side by side on lavapipe
# the one-step test's gradients disagreed with flex (docs/gpu.md, "Open").
on_lavapipe cargo test --workspace --tests -- --ignored wgpu --test-threads=1

say "wasm tests in headless Chromium (CPU and WebGPU)"
# --profile web-release: the page's own profile (index.html), so the page's build below
# reuses these compiled dependencies. SwiftShader WebGPU is slow, hence the generous
# per-test timeout.
CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_TEST_TIMEOUT=600 \
    cargo test -p web --target wasm32-unknown-unknown --profile web-release --test wasm

say "building the page (trunk build --release)"
trunk build --release

say "end-to-end tests (playwright-core + Chromium, both backends)"
(cd tests/e2e && npm test)
