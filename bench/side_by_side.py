#!/usr/bin/env python3
"""Markdown table from `trainer bench --json` and bench/torch_same_net.py reports (scripts/bench.sh).

Usage: side_by_side.py [--mode M] [--load L] [--cpu C] [--rounds R] DIR

DIR holds, for each round n = 1..R (ours and PyTorch measured in turn), ours-n.json,
torch-fused-n.json and torch-nn-n.json. Each figure in the table is its median over the
rounds; the paired ratios (ours ÷ PyTorch within each round) are listed below it.
"""

import argparse
import datetime
import json
import os
import statistics


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--mode", default="full")
    p.add_argument("--load", default="?")
    p.add_argument("--cpu", default="?")
    p.add_argument("--rounds", type=int, default=1)
    p.add_argument("dir")
    args = p.parse_args()

    def rounds(kind):
        return [json.load(open(os.path.join(args.dir, f"{kind}-{n}.json"))) for n in range(1, args.rounds + 1)]

    def median_report(reports):
        """The first report with each timing replaced by its median over the rounds."""
        merged = dict(reports[0])
        for key in ("train_sequences_per_second", "step_ms", "cnn_ms", "lstm_ms"):
            values = [r[key] for r in reports if r.get(key) is not None]
            merged[key] = statistics.median(values) if values else None
        merged["inference_ms"] = [
            [n, statistics.median(dict(r["inference_ms"])[n] for r in reports)]
            for n, _ in reports[0]["inference_ms"]
        ]
        return merged

    ours_rounds = rounds("ours")
    others_rounds = [rounds("torch-fused"), rounds("torch-nn")]
    ours = median_report(ours_rounds)
    others = [median_report(r) for r in others_rounds]

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
        f"{ours['warmup']} untimed) and of {ours['infer_runs']} inference runs per length, "
        f"then the median over {args.rounds} round(s) of ours and both PyTorch variants in turn. "
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
    per_round, ratios = [], [[], []]
    for n, o in enumerate(ours_rounds):
        mine = o["train_sequences_per_second"]
        theirs = [r[n]["train_sequences_per_second"] for r in others_rounds]
        for kind, other in enumerate(theirs):
            ratios[kind].append(mine / other)
        per_round.append(
            f"round {n + 1}: {mine:.0f} vs {theirs[0]:.0f} / {theirs[1]:.0f} sequences/s "
            f"({mine / theirs[0]:.2f}× / {mine / theirs[1]:.2f}×)"
        )
    out += [
        "",
        "Training throughput round by round, ours vs PyTorch (our LSTM layout / nn.LSTM): "
        + "; ".join(per_round)
        + f". Median of the paired ratios: {statistics.median(ratios[0]):.2f}× / "
        f"{statistics.median(ratios[1]):.2f}×.",
    ]
    out += [
        "",
        "\"ours ÷ it\" is our speed relative to that PyTorch column (throughput ratio, or the "
        "inverse latency ratio): below 1× we are slower. Training: Adam lr 1e-3 with every "
        "gradient tensor clipped to norm 1, BCE-with-logits on the last step, random inputs "
        "drawn once before the timing on both sides. Inference: a fresh network, one sequence, "
        "every prefix's answer (PyTorch under `torch.inference_mode()`).",
    ]
    print("\n".join(out))


if __name__ == "__main__":
    main()
