#!/usr/bin/env bash
# Side-by-side speed of our trainer (burn `flex`, CPU) and PyTorch running the same network
# (bench/torch_same_net.py), same machine, same thread count, one run, back to back.
#
#   scripts/bench.sh                 the measurement; table in runs/bench/side-by-side.md
#   scripts/bench.sh --quick         smoke test: tiny iteration counts, figures meaningless
#   scripts/bench.sh --install-only  only set up the PyTorch venv (do it before a quiet window)
#
# Environment: BENCH_THREADS (default 2), DIGITSEQ_CACHE (default ~/.cache/digitseq; the venv
# is $DIGITSEQ_CACHE/torch-venv), BENCH_RUNS / BENCH_INFER_RUNS / BENCH_WARMUP to override the
# counts, BENCH_ROUNDS (default 3): ours and both PyTorch variants run in turn that many times
# and the table takes each figure's median over the rounds (this VM's speed drifts by ±10%
# within minutes, so one measurement of each side would compare two different machines). No MNIST needed: both sides time random inputs (the arithmetic does not depend on
# the pixels). Before timing, bench/parity.py checks that the PyTorch twin, given the shipped
# weights (www/), answers exactly as `trainer predict` does.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MODE=full
case "${1:-}" in
    "") ;;
    --quick) MODE=quick ;;
    --install-only) MODE=install ;;
    *) echo "usage: $0 [--quick | --install-only]" >&2; exit 2 ;;
esac

THREADS="${BENCH_THREADS:-2}"
CACHE="${DIGITSEQ_CACHE:-$HOME/.cache/digitseq}"
VENV="$CACHE/torch-venv"
OUT="$ROOT/runs/bench"
if [ "$MODE" = quick ]; then
    RUNS="${BENCH_RUNS:-2}" INFER_RUNS="${BENCH_INFER_RUNS:-3}" WARMUP="${BENCH_WARMUP:-1}"
    ROUNDS="${BENCH_ROUNDS:-1}"
else
    RUNS="${BENCH_RUNS:-20}" INFER_RUNS="${BENCH_INFER_RUNS:-50}" WARMUP="${BENCH_WARMUP:-3}"
    ROUNDS="${BENCH_ROUNDS:-3}"
fi

# Free space under $1 in GiB.
free_gib() { df -Pk "$1" | awk 'NR == 2 { printf "%d", $4 / 1048576 }'; }

ensure_torch() {
    if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "import torch, numpy" 2>/dev/null; then
        return 0
    fi
    mkdir -p "$CACHE"
    if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "" 2>/dev/null; then
        say "creating the PyTorch venv in $VENV"
        rm -rf "$VENV"
        python3 -m venv "$VENV"
    fi
    local start=$SECONDS
    # numpy only keeps torch from warning at import. The CPU-only wheel (~200 MB) lives on download.pytorch.org; plain PyPI's Linux wheel
    # also pulls the CUDA libraries (several GB), which the benchmark never uses.
    if curl -fsS --max-time 10 -o /dev/null https://download.pytorch.org/whl/cpu/torch/ 2>/dev/null; then
        [ "$(free_gib "$CACHE")" -ge 3 ] || { echo "need ≥ 3 GiB free under $CACHE" >&2; exit 1; }
        say "installing the CPU-only torch wheel from download.pytorch.org"
        "$VENV/bin/pip" install --no-cache-dir --timeout 30 \
            --index-url https://download.pytorch.org/whl/cpu torch numpy
    else
        [ "$(free_gib "$CACHE")" -ge 12 ] || { echo "need ≥ 12 GiB free under $CACHE" >&2; exit 1; }
        say "download.pytorch.org unreachable: installing torch from PyPI (pulls the CUDA" \
            "libraries, several GB, unused here)"
        "$VENV/bin/pip" install --no-cache-dir torch numpy
    fi
    say "torch $("$VENV/bin/python" -c 'import torch; print(torch.__version__)') installed in" \
        "$((SECONDS - start)) s, venv $(du -sh "$VENV" | cut -f1)"
}

ensure_torch
[ "$MODE" = install ] && exit 0

# Both sides get the same threads: rayon's pool for burn `flex` (its matmuls and convs run
# there), torch.set_num_threads for PyTorch; the OpenMP/MKL variables pin what torch's
# libraries would otherwise size themselves.
export RAYON_NUM_THREADS="$THREADS" OMP_NUM_THREADS="$THREADS" MKL_NUM_THREADS="$THREADS"
mkdir -p "$OUT"
rm -f "$OUT"/ours*.json "$OUT"/torch-*.json "$OUT"/predict.json "$OUT"/side-by-side.md

say "building the trainer (only our crates if burn is already built)"
(cd "$ROOT" && cargo build --quiet -p trainer)

say "parity: the shipped weights give the same answers in the PyTorch twin as in ours"
(cd "$ROOT" && cargo run --quiet -p trainer -- predict --weights-dir www \
    --samples 0,1,2,3,4,5,6,7,8,9,10,11 >"$OUT/predict.json")
"$VENV/bin/python" "$ROOT/bench/parity.py" --weights-dir "$ROOT/www" "$OUT/predict.json"

load() { cut -d' ' -f1-3 /proc/loadavg; }
LOAD_BEFORE="$(load)"
if awk -v l="${LOAD_BEFORE%% *}" 'BEGIN { exit !(l > 0.5) }'; then
    say "warning: load average $LOAD_BEFORE: something else is running, figures will suffer"
fi

for round in $(seq 1 "$ROUNDS"); do
    say "round $round/$ROUNDS, ours: trainer bench ($MODE, $THREADS threads, $RUNS timed steps," \
        "$INFER_RUNS inference runs)"
    (cd "$ROOT" && cargo run --quiet -p trainer -- bench --device cpu --batch 64 --length 10 \
        --warmup "$WARMUP" --runs "$RUNS" --infer-runs "$INFER_RUNS" --json "$OUT/ours-$round.json" >/dev/null)
    for lstm in fused nn; do
        say "round $round/$ROUNDS, PyTorch, LSTM $lstm: bench/torch_same_net.py"
        "$VENV/bin/python" "$ROOT/bench/torch_same_net.py" --threads "$THREADS" --batch 64 --length 10 \
            --warmup "$WARMUP" --runs "$RUNS" --infer-runs "$INFER_RUNS" --lstm "$lstm" \
            --ours "$OUT/ours-$round.json" --json "$OUT/torch-$lstm-$round.json"
    done
done

"$VENV/bin/python" "$ROOT/bench/side_by_side.py" --mode "$MODE" \
    --load "$LOAD_BEFORE → $(load)" --cpu "$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)" \
    --rounds "$ROUNDS" "$OUT" >"$OUT/side-by-side.md"
cat "$OUT/side-by-side.md"
say "written: $OUT/side-by-side.md (raw reports: ours-N.json, torch-fused-N.json, torch-nn-N.json)"
