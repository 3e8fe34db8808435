#!/usr/bin/env bash
# The GPU check: our trainer on wgpu against the same network in PyTorch on CUDA, one table.
# Made for a rented Linux machine with one NVIDIA GPU, its driver and a CUDA build of PyTorch,
# but no Rust toolchain and no network, so it comes in two halves:
#
#   scripts/gpu-check.sh pack [PACK]   here: build the trainer, put it, MNIST's .gz files, the
#                                      Vulkan loader and this machine's CPU figures in PACK
#                                      (default runs/gpu-pack, < 64 MiB)
#   scripts/gpu-check.sh run [PACK]    there (in a copy of this repository): run from PACK,
#                                      print the table, write it to runs/gpu-check/table.md
#   scripts/gpu-check.sh               both, on this machine: without a GPU it runs on
#                                      lavapipe with a small budget, which proves the flow
#                                      (figures meaningless)
#
# Environment for `run`: GPU_CHECK_SEQUENCES (training sequences, default 60000; 256 on a
# software adapter), GPU_CHECK_STAGE_TIMEOUT (seconds per stage, default 200), PYTHON.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

say() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }

pack() {
    local pack="${1:-runs/gpu-pack}"
    # shellcheck source=lib.sh
    source "$ROOT/scripts/lib.sh"
    ensure_mnist
    say "building the trainer (the test profile: dependencies fully optimised)"
    cargo build -p trainer
    local target="${CARGO_TARGET_DIR:-$ROOT/target}"
    rm -rf "$pack" && mkdir -p "$pack/mnist" "$pack/lib"
    # Line tables make the binary ~120 MB; stripped and gzipped it travels in ~15.
    strip -o "$pack/trainer" "$target/debug/trainer"
    gzip -9 "$pack/trainer"
    local f
    for f in data/mnist/*-ubyte; do gzip -9 -c "$f" >"$pack/mnist/$(basename "$f").gz"; done
    say "adding Debian's Vulkan loader (used there only if the machine lacks one)"
    local debs
    debs="$(mktemp -d)" && chmod 777 "$debs"   # apt downloads as the _apt user
    (cd "$debs" && apt-get download -q libvulkan1 >/dev/null)
    dpkg-deb -x "$debs"/libvulkan1_*.deb "$debs/root"
    cp -L "$debs"/root/usr/lib/x86_64-linux-gnu/libvulkan.so.1 "$pack/lib/"
    rm -rf "$debs"
    say "this machine's CPU figures (burn flex), for the ratio"
    "$target/debug/trainer" bench --device cpu --runs 5 --infer-runs 10 \
        --json "$pack/cpu-bench.json" >/dev/null
    du -sh "$pack"
}

# The Vulkan driver and loader: the machine's own if it has them, else the pack's loader
# and the NVIDIA driver's ICD file wherever container runtimes put it.
find_vulkan() {
    local pack="$1"
    if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1 '; then
        export LD_LIBRARY_PATH="$pack/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    fi
    if [ -z "${VK_ICD_FILENAMES:-}${VK_DRIVER_FILES:-}" ]; then
        for icd in /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json \
            /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json; do
            if [ -f "$icd" ]; then export VK_DRIVER_FILES="$icd"; break; fi
        done
    fi
}

# `stage NAME CMD...`: runs CMD with the stage timeout; its output goes to OUT/NAME.log.
stage() {
    local name="$1"
    shift
    say "$name"
    local started=$SECONDS
    if timeout "$STAGE_TIMEOUT" "$@" >"$OUT/$name.log" 2>&1; then
        echo "$name: ok in $((SECONDS - started)) s"
    else
        echo "$name: failed or timed out after $((SECONDS - started)) s (last lines below)"
        tail -n 5 "$OUT/$name.log"
    fi
}

run() {
    local pack
    pack="$(cd "${1:-runs/gpu-pack}" && pwd)"
    OUT="$ROOT/runs/gpu-check"
    STAGE_TIMEOUT="${GPU_CHECK_STAGE_TIMEOUT:-200}"
    rm -rf "$OUT" && mkdir -p "$OUT"
    local trainer="$OUT/trainer"
    gunzip -c "$pack/trainer.gz" >"$trainer" && chmod +x "$trainer"
    find_vulkan "$pack"
    command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version --format=csv,noheader

    # The adapter wgpu picks, and whether it is a real GPU (sets the training budget).
    local software=0
    "$trainer" bench --device wgpu --batch 4 --length 3 --warmup 0 --runs 1 --infer-runs 1 \
        --json "$OUT/adapter.json" >/dev/null 2>"$OUT/adapter.log" || {
        cat "$OUT/adapter.log"
        echo "no wgpu adapter: see above" >&2
        exit 1
    }
    grep -q '"device": "wgpu: .*(Cpu,' "$OUT/adapter.json" && software=1
    # A software adapter only proves the flow: small counts, and time for its slow start.
    local sequences bench_args=() check_batch
    if [ $software = 1 ]; then
        sequences="${GPU_CHECK_SEQUENCES:-256}"
        check_batch=8
        bench_args=(--batch 16 --warmup 2 --runs 2 --infer-runs 3)
        STAGE_TIMEOUT="${GPU_CHECK_STAGE_TIMEOUT:-900}"
        export CUBECL_AUTOTUNE_LEVEL="${CUBECL_AUTOTUNE_LEVEL:-minimal}"
    else
        sequences="${GPU_CHECK_SEQUENCES:-60000}"
        bench_args=(--runs 20 --infer-runs 50)
        check_batch=256   # training's batch on a GPU
    fi

    stage bench-wgpu "$trainer" bench --device wgpu --count-dispatches "${bench_args[@]}" \
        --json "$OUT/wgpu.json"
    # Does the GPU train what the CPU trains? One step's loss and gradients against flex's.
    stage gradients-wgpu "$trainer" bench --device wgpu --batch "$check_batch" --length 10 \
        --warmup 0 --runs 1 --infer-runs 1 --check-gradients --json "$OUT/gradients.json"
    stage train-wgpu "$trainer" train --device wgpu --data-dir "$pack/mnist" --epochs 1 \
        --train-sequences "$sequences" --valid-sequences 256 --no-export --run-dir "$OUT/train"
    local python="${PYTHON:-python3}"
    if "$python" -c 'import torch, sys; sys.exit(not torch.cuda.is_available())' 2>/dev/null; then
        stage bench-torch-cuda "$python" bench/torch_same_net.py --device cuda --runs 20 \
            --infer-runs 50 --json "$OUT/torch-cuda.json"
    else
        echo "no CUDA PyTorch here: the PyTorch column stays empty"
    fi
    "${python}" - "$pack" "$OUT" "$sequences" <<'EOF' | tee "$OUT/table.md"
import json, os, sys
pack, out, sequences = sys.argv[1], sys.argv[2], int(sys.argv[3])
def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None
wgpu, torch, cpu = load(f"{out}/wgpu.json"), load(f"{out}/torch-cuda.json"), load(f"{pack}/cpu-bench.json")
train = load(f"{out}/train/metrics.json")
grads = load(f"{out}/gradients.json")
def cell(report, key, fmt="{:.0f}"):
    return fmt.format(report[key]) if report and report.get(key) is not None else "–"
def infer(report, n):
    if not report:
        return "–"
    return next((f"{ms:.2f}" for length, ms in report["inference_ms"] if length == n), "–")
ratio = lambda a, b, k: (f"{a[k] / b[k]:.2f}×" if a and b else "–")
print(f"| | ours, wgpu | PyTorch, CUDA | ours, CPU (pack machine) |")
print("|---|---|---|---|")
print(f"| device | {cell(wgpu, 'device', '{}')} | {cell(torch, 'device', '{}')} | {cell(cpu, 'device', '{}')} |")
print(f"| training, sequences/s (batch {wgpu['batch'] if wgpu else 64} × 10) | {cell(wgpu, 'train_sequences_per_second')} | {cell(torch, 'train_sequences_per_second')} | {cell(cpu, 'train_sequences_per_second')} |")
print(f"| ours on wgpu against it | | {ratio(wgpu, torch, 'train_sequences_per_second')} | {ratio(wgpu, cpu, 'train_sequences_per_second')} |")
for n in (3, 10, 30):
    print(f"| answer one sequence of {n}, ms | {infer(wgpu, n)} | {infer(torch, n)} | {infer(cpu, n)} |")
print(f"| kernels per training step / per answer of 10 | {cell(wgpu, 'kernels_per_step')} / {cell(wgpu, 'kernels_per_inference')} | | |")
check = grads and grads.get("gradients_against_cpu")
if check:
    num = lambda v: "∞ (NaN)" if v is None else f"{v:.2e}"
    verdict = "agree" if check["agrees"] else "**differ**"
    print(f"| one training step against the CPU (batch {grads['batch']} × 10) | {verdict}: loss "
          f"{check['loss_device']:.6f} vs {check['loss_cpu']:.6f}; worst gradient: parameter "
          f"{check['worst_parameter']} {check['worst_shape']}, {num(check['worst_excess'])} beyond "
          f"1e-3 relative (allowed {num(check['allowed'])}) | | |")
else:
    print("| one training step against the CPU | did not finish (gradients-wgpu.log) | | |")
if train:
    secs = train["train_seconds"]
    rate = f"{train['sequences_per_second']:.0f} sequences/s, {secs:.0f} s"
    test = train["test"]
    print(f"| one epoch of {sequences} sequences on wgpu | {rate}; test: digit 4 "
          f"{100 * test['digit4']['accuracy']:.2f}%, all ten {100 * test['macro_accuracy']:.2f}% | | |")
else:
    print(f"| one epoch of {sequences} sequences on wgpu | did not finish (train-wgpu.log) | | |")
EOF
}

case "${1:-}" in
    pack) pack "${2:-}" ;;
    run) run "${2:-}" ;;
    "")
        pack runs/gpu-pack
        # shellcheck source=lib.sh
        source "$ROOT/scripts/lib.sh"
        ensure_vulkan
        if ! command -v nvidia-smi >/dev/null; then
            say "no NVIDIA GPU here: running on lavapipe (flow only, figures meaningless)"
            export CUBECL_WGPU_DEFAULT_DEVICE=Cpu VK_ICD_FILENAMES="$LAVAPIPE_ICD"
        fi
        run runs/gpu-pack
        ;;
    *) echo "usage: $0 [pack [PACK] | run [PACK]]" >&2; exit 2 ;;
esac
