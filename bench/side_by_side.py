#!/usr/bin/env python3
"""Markdown table from `trainer bench --json` and bench/torch_same_net.py reports (scripts/bench.sh).

Usage: side_by_side.py [--mode M] [--load L] [--cpu C] OURS.json TORCH.json [TORCH.json ...]
"""

import argparse
import datetime
import json


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--mode", default="full")
    p.add_argument("--load", default="?")
    p.add_argument("--cpu", default="?")
    p.add_argument("ours")
    p.add_argument("torch", nargs="+")
    args = p.parse_args()
    load = lambda path: json.load(open(path))  # noqa: E731
    ours = load(args.ours)
    others = [load(path) for path in args.torch]

    def speed_ratio(a, b, higher_is_faster):
        """How fast ours is relative to PyTorch: < 1 means slower."""
        if a is None or b is None or a == 0 or b == 0:
            return "–"
        return f"{(a / b if higher_is_faster else b / a):.2f}×"

    rows = [
        ("training, sequences/s", lambda r: r["train_sequences_per_second"], True, "{:.0f}"),
        ("training step, ms", lambda r: r["step_ms"], False, "{:.1f}"),
        ("  CNN forward + backward, ms", lambda r: r.get("cnn_ms"), False, "{:.1f}"),
        ("  LSTM forward + backward, ms", lambda r: r.get("lstm_ms"), False, "{:.1f}"),
    ]
    for n, _ in ours["inference_ms"]:
        rows.append(
            (
                f"inference, one sequence of {n}, ms",
                lambda r, n=n: dict((k, v) for k, v in r["inference_ms"]).get(n),
                False,
                "{:.2f}",
            )
        )

    def fmt(f, v):
        return "–" if v is None else f.format(v)

    names = [
        "PyTorch, our LSTM layout" if o.get("lstm") == "fused" else "PyTorch, nn.LSTM" for o in others
    ]
    header = "| | ours (burn `flex`) | " + " | ".join(f"{n} | ours ÷ it" for n in names) + " |"
    out = []
    if args.mode == "quick":
        out += ["**SMOKE TEST (`--quick`): tiny iteration counts, the figures mean nothing.**", ""]
    out += [
        f"Side-by-side speed, {datetime.datetime.now().strftime('%Y-%m-%d %H:%M')}: {args.cpu}, "
        f"{ours['threads']} threads on both sides, batch {ours['batch']}, length "
        f"{ours['length']}; median of {ours['runs']} timed training steps (after "
        f"{ours['warmup']} untimed) and of {ours['infer_runs']} inference runs per length. "
        f"Ours: {ours['implementation']}, {ours['device']}; PyTorch {others[0]['torch']}. "
        f"Load average before → after: {args.load}.",
        "",
        header,
        "|---|---|" + "---|---|" * len(others),
    ]
    for label, get, higher, f in rows:
        cells = [fmt(f, get(ours))]
        for o in others:
            cells += [fmt(f, get(o)), speed_ratio(get(ours), get(o), higher)]
        out.append(f"| {label} | " + " | ".join(cells) + " |")
    cells = [f"{ours['parameters']:,}"]
    for o in others:
        cells += [f"{o['parameters']:,}", "="]
    out.append("| trainable parameters | " + " | ".join(cells) + " |")
    out += [
        "",
        "\"ours ÷ it\" is our speed relative to that PyTorch column (throughput ratio, or the "
        "inverse latency ratio): below 1× we are slower. Training: Adam lr 1e-3 with every "
        "gradient tensor clipped to norm 1, BCE-with-logits on the last step, random inputs "
        "drawn inside the timed step on both sides. Inference: a fresh network, one sequence, "
        "every prefix's answer (PyTorch under `torch.inference_mode()`).",
    ]
    print("\n".join(out))


if __name__ == "__main__":
    main()
