# Shared set-up steps for demo.sh and test.sh. Each installs only what is missing and says
# what it is doing. Everything comes from crates.io, Debian or npm: nothing downloads a
# browser or a prebuilt binary from elsewhere.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$PATH"
TRUNK_VERSION="0.21.14"

say() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }

need_root_apt() {
    local missing=()
    for pkg in "$@"; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    say "installing Debian packages: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

ensure_wasm_target() {
    if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
        say "adding the wasm32-unknown-unknown Rust target"
        rustup target add wasm32-unknown-unknown
    fi
}

ensure_trunk() {
    # trunk 0.22 needs a newer rustc than this project's 1.95; 0.21 is the newest that builds.
    if ! trunk --version 2>/dev/null | grep -q "trunk 0.21"; then
        say "installing trunk $TRUNK_VERSION (cargo install, ~15 minutes once)"
        cargo install trunk --version "=$TRUNK_VERSION" --locked
    fi
}

wasm_bindgen_version() {
    awk '/^name = "wasm-bindgen"$/ {getline; gsub(/"/, "", $3); print $3; exit}' "$ROOT/Cargo.lock"
}

ensure_wasm_bindgen() {
    # The CLI must equal the wasm-bindgen crate in Cargo.lock exactly. Its --locked install
    # fails with this toolchain, so it resolves its own dependencies.
    local want
    want="$(wasm_bindgen_version)"
    if ! wasm-bindgen --version 2>/dev/null | grep -q " $want\$\| $want "; then
        say "installing wasm-bindgen-cli $want (matches Cargo.lock)"
        cargo install wasm-bindgen-cli --version "=$want"
    fi
}

ensure_binaryen() {
    command -v wasm-opt >/dev/null 2>&1 || need_root_apt binaryen
}

ensure_web_toolchain() {
    ensure_wasm_target
    ensure_binaryen
    ensure_trunk
    ensure_wasm_bindgen
}

ensure_browser() {
    need_root_apt chromium chromium-driver
}

# lavapipe: Mesa's Vulkan driver on the CPU, the wgpu adapter the GPU-path tests run on
# where there is no GPU (burn's and cubecl's own CI do the same). Correct and slow.
LAVAPIPE_ICD=/usr/share/vulkan/icd.d/lvp_icd.x86_64.json
ensure_vulkan() {
    need_root_apt mesa-vulkan-drivers libvulkan1
}

# Runs "$@" on lavapipe whatever other Vulkan devices exist: cubecl picks the adapter by
# type (it ignores WGPU_BACKEND / WGPU_ADAPTER_NAME), the loader is pinned to the driver.
on_lavapipe() {
    # Mesa's window-system layer prints an error on every probe without a runtime dir.
    [ -n "${XDG_RUNTIME_DIR:-}" ] || export XDG_RUNTIME_DIR="${TMPDIR:-/tmp}/digitseq-xdg-$(id -u)"
    mkdir -p -m 700 "$XDG_RUNTIME_DIR"
    CUBECL_WGPU_DEFAULT_DEVICE=Cpu VK_ICD_FILENAMES="$LAVAPIPE_ICD" "$@"
}

ensure_node_deps() {
    command -v npm >/dev/null 2>&1 || need_root_apt nodejs npm
    if [ ! -d "$ROOT/tests/e2e/node_modules/playwright-core" ]; then
        say "installing playwright-core (npm; it uses Debian's Chromium, downloads no browser)"
        (cd "$ROOT/tests/e2e" && npm ci --no-audit --no-fund --loglevel=error)
    fi
}

ensure_mnist() {
    say "checking MNIST in data/mnist"
    (cd "$ROOT" && cargo run --quiet -p trainer -- fetch --data-dir data/mnist)
}
