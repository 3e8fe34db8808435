#!/usr/bin/env python3
"""PyTorch twin of digitseq's DigitSeqNet, timed the way `trainer bench` times ours.

The network is model/src/{network,lstm}.rs layer for layer (default DigitSeqConfig):

    standardise (x - 0.1307) / 0.3081, per digit [1, 28, 28]
    conv 3x3 1->16, relu, max-pool 2x2      28 -> 26 -> 13
    conv 3x3 16->32, relu, max-pool 2x2     13 -> 11 -> 5
    conv 3x3 32->64, relu                    5 -> 3            (64*3*3 = 576 features)
    linear 576->128, relu                   per-digit embedding
    2-layer LSTM, hidden 64, PyTorch's gate equations, gate order i, f, g, o
    linear 64->10 after every step          "has digit d appeared so far?"

The training step is ours (trainer/src/training.rs): batch 64 of length-10 sequences, mean
binary cross-entropy with logits of the LAST step against 10 binary labels, Adam (lr 1e-3,
betas 0.9/0.999, eps 1e-5 = burn's default, not torch's 1e-8), and burn's gradient clipping
`Norm(1.0)`, which burn applies to EACH parameter tensor separately (not one global norm), so
it is done per tensor here too. Inputs are random, drawn once before the timing on both
sides (the arithmetic does not depend on the pixels, and MNIST is not needed): the step is
timed, not the two libraries' random number generators.

Parameter count. Our LSTM layer (`FusedLstm`) is an input Linear(d_in, 4h) WITH bias, applied
to all steps at once, plus a recurrent Linear(h, 4h) WITHOUT bias applied each step: one bias
vector of 4h per layer. torch.nn.LSTM has two (bias_ih and bias_hh), i.e. 4 x 64 = 256 more
per layer, 512 in all (180,746 instead of 180,234). Two variants, both with exactly our
trainable parameter count:

  --lstm fused (default)  our layout literally: nn.Linear over all steps + a bias-free
                          nn.Linear per step in a Python loop. Same operations as ours.
  --lstm nn               torch.nn.LSTM(num_layers=2) (its fused C++ kernel) with bias_hh
                          zeroed and frozen (requires_grad=False): mathematically our layer,
                          bias_ih playing our single bias. The frozen 512 are counted as
                          `frozen_parameters` and excluded from the trainable count, Adam and
                          clipping (the kernel still adds the zeros each step: noise). This
                          is what idiomatic PyTorch code would run.

The trainable count is asserted equal to the count computed from the config (180,234 by
default) and, with --ours, to the `parameters` field of our `trainer bench --json` report.

Medians are taken as ours are: the upper median, sorted[n // 2].
"""

import argparse
import json
import os
import platform
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

MNIST_MEAN = 0.1307
MNIST_STD = 0.3081
SIDE = 28
CONV_OUT_SIDE = 3  # 28 -conv-> 26 -pool-> 13 -conv-> 11 -pool-> 5 -conv-> 3


class Config:
    """model/src/config.rs, defaults."""

    conv1_channels = 16
    conv2_channels = 32
    conv3_channels = 64
    embed_dim = 128
    lstm_hidden = 64
    lstm_layers = 2
    num_digits = 10

    def conv_features(self):
        return self.conv3_channels * CONV_OUT_SIDE * CONV_OUT_SIDE


def expected_params(c):
    """Our parameter count, from the config alone (independently of either implementation)."""
    conv = lambda i, o: i * o * 9 + o  # noqa: E731
    linear = lambda i, o, bias=True: i * o + (o if bias else 0)  # noqa: E731
    n = conv(1, c.conv1_channels) + conv(c.conv1_channels, c.conv2_channels)
    n += conv(c.conv2_channels, c.conv3_channels)
    n += linear(c.conv_features(), c.embed_dim)
    for layer in range(c.lstm_layers):
        d_in = c.embed_dim if layer == 0 else c.lstm_hidden
        n += linear(d_in, 4 * c.lstm_hidden) + linear(c.lstm_hidden, 4 * c.lstm_hidden, False)
    return n + linear(c.lstm_hidden, c.num_digits)


class FusedLstm(nn.Module):
    """model/src/lstm.rs: input projection of all four gates over every step in one matmul
    (with the gate biases, forget gate's at 1), then one bias-free [b, h] x [h, 4h] per step."""

    def __init__(self, d_input, hidden):
        super().__init__()
        self.hidden = hidden
        self.input = nn.Linear(d_input, 4 * hidden)
        self.recurrent = nn.Linear(hidden, 4 * hidden, bias=False)
        with torch.no_grad():
            self.input.bias.zero_()
            self.input.bias[hidden : 2 * hidden] = 1.0

    def forward(self, x):
        batch, steps, _ = x.shape
        gates_in = self.input(x)
        cell = x.new_zeros(batch, self.hidden)
        hidden = x.new_zeros(batch, self.hidden)
        outputs = []
        for t in range(steps):
            gates = gates_in[:, t] + self.recurrent(hidden)
            i, f, g, o = gates.chunk(4, 1)
            i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
            cell = f * cell + i * g
            hidden = o * torch.tanh(cell)
            outputs.append(hidden)
        return torch.stack(outputs, 1)


class FusedStack(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layers = nn.ModuleList(
            FusedLstm(c.embed_dim if layer == 0 else c.lstm_hidden, c.lstm_hidden)
            for layer in range(c.lstm_layers)
        )

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


class TorchLstm(nn.Module):
    """torch.nn.LSTM with bias_hh zeroed and frozen: see the module docstring."""

    def __init__(self, c):
        super().__init__()
        h = c.lstm_hidden
        self.lstm = nn.LSTM(c.embed_dim, h, num_layers=c.lstm_layers, batch_first=True)
        with torch.no_grad():
            for layer in range(c.lstm_layers):
                bias_ih = getattr(self.lstm, f"bias_ih_l{layer}")
                bias_hh = getattr(self.lstm, f"bias_hh_l{layer}")
                bias_ih.zero_()
                bias_ih[h : 2 * h] = 1.0
                bias_hh.zero_()
                bias_hh.requires_grad_(False)

    def forward(self, x):
        return self.lstm(x)[0]


class DigitSeqNet(nn.Module):
    """model/src/network.rs."""

    def __init__(self, c, lstm="fused"):
        super().__init__()
        self.conv1 = nn.Conv2d(1, c.conv1_channels, 3)
        self.conv2 = nn.Conv2d(c.conv1_channels, c.conv2_channels, 3)
        self.conv3 = nn.Conv2d(c.conv2_channels, c.conv3_channels, 3)
        self.embed = nn.Linear(c.conv_features(), c.embed_dim)
        self.lstm = FusedStack(c) if lstm == "fused" else TorchLstm(c)
        self.head = nn.Linear(c.lstm_hidden, c.num_digits)

    def digit_features(self, digits):
        """[n, 28, 28] in [0, 1] -> [n, embed_dim]."""
        n = digits.shape[0]
        x = ((digits - MNIST_MEAN) / MNIST_STD).reshape(n, 1, SIDE, SIDE)
        x = F.max_pool2d(F.relu(self.conv1(x)), 2, 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2, 2)
        x = F.relu(self.conv3(x))
        return F.relu(self.embed(x.flatten(1)))

    def read(self, features):
        """[batch, steps, embed_dim] -> logits [batch, steps, num_digits]."""
        return self.head(self.lstm(features))

    def forward(self, sequences):
        batch, steps = sequences.shape[:2]
        features = self.digit_features(sequences.reshape(batch * steps, SIDE, SIDE))
        return self.read(features.reshape(batch, steps, -1))


def median(samples):
    return sorted(samples)[len(samples) // 2]


def time_ms(warmup, runs, f, sync=lambda: None):
    """Median ms of f(); `sync` waits for queued GPU work, so each run is timed to its end."""
    for _ in range(warmup):
        f()
    sync()
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        f()
        sync()
        samples.append((time.perf_counter() - t) * 1e3)
    return median(samples), samples


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--length", type=int, default=10)
    p.add_argument("--warmup", type=int, default=2, help="untimed training steps first")
    p.add_argument("--runs", type=int, default=10, help="timed training steps")
    p.add_argument("--infer-warmup", type=int, default=3)
    p.add_argument("--infer-runs", type=int, default=20)
    p.add_argument("--lengths", default="3,10,30", help="inference sequence lengths")
    p.add_argument("--lstm", choices=["fused", "nn"], default="fused")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--no-breakdown", action="store_true", help="skip the CNN/LSTM split")
    p.add_argument("--ours", help="our `trainer bench --json` report: its parameter count must match")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", help="write the report here (default: stdout)")
    args = p.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    dev = torch.device(args.device)
    sync = torch.cuda.synchronize if args.device == "cuda" else (lambda: None)
    c = Config()
    batch, length = args.batch, args.length

    net = DigitSeqNet(c, args.lstm).to(dev)
    params = [q for q in net.parameters() if q.requires_grad]
    trainable = sum(q.numel() for q in params)
    frozen = sum(q.numel() for q in net.parameters() if not q.requires_grad)
    expected = expected_params(c)
    ours = None
    if args.ours:
        with open(args.ours) as f:
            ours = json.load(f)["parameters"]
    print(
        f"parameters: torch ({args.lstm}) {trainable:,} trainable"
        + (f" + {frozen:,} frozen nn.LSTM bias_hh" if frozen else "")
        + f"; ours from the config {expected:,}"
        + (f"; ours from trainer bench {ours:,}" if ours is not None else ""),
        file=sys.stderr,
    )
    assert trainable == expected, f"torch net has {trainable} parameters, ours {expected}"
    assert ours is None or ours == expected, f"trainer bench reports {ours}, config says {expected}"

    optim = torch.optim.Adam(params, lr=args.lr, betas=(0.9, 0.999), eps=1e-5)
    targets = torch.randint(0, 2, (batch, c.num_digits), device=dev)
    images = torch.rand(batch, length, SIDE, SIDE, device=dev)
    digits = torch.rand(batch * length, SIDE, SIDE, device=dev)
    features = torch.rand(batch, length, c.embed_dim, device=dev)

    def train_step():
        logits = net(images)[:, -1]
        loss = F.binary_cross_entropy_with_logits(logits, targets.float())
        optim.zero_grad(set_to_none=True)
        loss.backward()
        for q in params:  # burn's GradientClippingConfig::Norm(1.0): per tensor
            torch.nn.utils.clip_grad_norm_(q, 1.0)
        optim.step()

    net.train()
    step_ms, step_samples = time_ms(args.warmup, args.runs, train_step, sync)

    cnn_ms = lstm_ms = None
    if not args.no_breakdown:

        def cnn():
            optim.zero_grad(set_to_none=True)
            net.digit_features(digits).sum().backward()

        def lstm():
            optim.zero_grad(set_to_none=True)
            logits = net.read(features)[:, -1]
            F.binary_cross_entropy_with_logits(logits, targets.float()).backward()

        cnn_ms = time_ms(args.warmup, args.runs, cnn, sync)[0]
        lstm_ms = time_ms(args.warmup, args.runs, lstm, sync)[0]

    # Inference: a fresh network, as ours, one sequence, every prefix's answer.
    inference_net = DigitSeqNet(c, args.lstm).to(dev).eval()
    inference_ms = []
    with torch.inference_mode():
        for n in [int(s) for s in args.lengths.split(",")]:
            sequence = torch.rand(1, n, SIDE, SIDE, device=dev)

            def infer():
                inference_net(sequence).tolist()

            inference_ms.append([n, time_ms(args.infer_warmup, args.infer_runs, infer)[0]])

    report = {
        "implementation": f"pytorch {torch.__version__}, "
        + ("our fused LSTM layout" if args.lstm == "fused" else "torch.nn.LSTM"),
        "device": (
            f"cuda ({torch.cuda.get_device_name()})"
            if args.device == "cuda"
            else f"cpu ({torch.get_num_threads()} threads)"
        ),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "lstm": args.lstm,
        "threads": torch.get_num_threads(),
        "parameters": trainable,
        "frozen_parameters": frozen,
        "batch": batch,
        "length": length,
        "warmup": args.warmup,
        "runs": args.runs,
        "infer_runs": args.infer_runs,
        "train_sequences_per_second": batch / (step_ms / 1e3),
        "step_ms": step_ms,
        "step_ms_samples": step_samples,
        "cnn_ms": cnn_ms,
        "lstm_ms": lstm_ms,
        "inference_ms": inference_ms,
    }
    text = json.dumps(report, indent=2)
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            f.write(text + "\n")
    else:
        print(text)


if __name__ == "__main__":
    main()
