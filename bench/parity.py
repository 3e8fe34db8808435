#!/usr/bin/env python3
"""Proves bench/torch_same_net.py is our network: loads the shipped weights (www/model.bpk)
into its DigitSeqNet and checks that its probabilities for shipped sample digits
(www/samples.bin) equal what `trainer predict` prints for the same sequence.

Usage: parity.py PREDICT_JSON [--weights-dir www] [--tolerance 1e-5]
(PREDICT_JSON: the output of `trainer predict --samples 0,1,...`.)

Reads burnpack by hand (no burn on the Python side): "NRUB", u16 version, u32 metadata size,
CBOR metadata (tensor name -> dtype, shape, data_offsets), tensor data from the next 256-byte
boundary. burn's Linear stores its weight [in, out], torch's [out, in]; convs agree.
"""

import argparse
import json
import os
import struct
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_same_net import SIDE, Config, DigitSeqNet  # noqa: E402


def cbor(b, i):
    """Minimal CBOR decoder, enough for burnpack metadata. Returns (value, next index)."""
    major, info = b[i] >> 5, b[i] & 31
    i += 1
    if info < 24:
        v = info
    elif info in (24, 25, 26, 27):
        size = 1 << (info - 24)
        v = int.from_bytes(b[i : i + size], "big")
        i += size
    else:
        raise ValueError(f"unsupported CBOR item {b[i - 1]:#x}")
    if major == 0:
        return v, i
    if major == 1:
        return -1 - v, i
    if major == 2:
        return b[i : i + v], i + v
    if major == 3:
        return b[i : i + v].decode(), i + v
    if major == 4:
        out = []
        for _ in range(v):
            x, i = cbor(b, i)
            out.append(x)
        return out, i
    if major == 5:
        out = {}
        for _ in range(v):
            k, i = cbor(b, i)
            out[k], i = cbor(b, i)
        return out, i
    if major == 7:
        return {20: False, 21: True, 22: None}.get(info, v), i
    raise ValueError(f"unsupported CBOR major type {major}")


def read_burnpack(path):
    b = open(path, "rb").read()
    assert b[:4] == b"NRUB", f"{path} is not a burnpack file"
    meta_size = struct.unpack("<I", b[6:10])[0]
    meta, _ = cbor(b, 10)
    start = -(-(10 + meta_size) // 256) * 256
    tensors = {}
    for name, t in meta["tensors"].items():
        assert t["dtype"] == "F32", f"{name}: {t['dtype']}"
        s, e = t["data_offsets"]
        data = np.frombuffer(b[start + s : start + e], dtype="<f4").copy()
        tensors[name] = torch.from_numpy(data).reshape(t["shape"])
    return tensors


def main():
    p = argparse.ArgumentParser()
    p.add_argument("predict_json")
    p.add_argument("--weights-dir", default="www")
    p.add_argument("--tolerance", type=float, default=1e-5)
    args = p.parse_args()

    state = {}
    manifest = json.load(open(os.path.join(args.weights_dir, "model.json")))
    weights = os.path.join(args.weights_dir, manifest["weights_file"])
    for name, v in read_burnpack(weights).items():
        if name.endswith(".weight") and v.dim() == 2:
            v = v.t().contiguous()
        state[name.replace("lstm.", "lstm.layers.")] = v
    net = DigitSeqNet(Config(), "fused").eval()
    net.load_state_dict(state, strict=True)

    samples = open(os.path.join(args.weights_dir, "samples.bin"), "rb").read()
    assert samples[:4] == b"DSQS"
    n = struct.unpack("<I", samples[4:8])[0]
    pixels = np.frombuffer(samples[8 + n :], dtype=np.uint8).reshape(n, SIDE, SIDE)
    predicted = json.load(open(args.predict_json))
    x = torch.from_numpy(pixels[predicted["samples"]].astype(np.float32) / 255.0)[None]
    with torch.inference_mode():
        ours_in_torch = torch.sigmoid(net(x))[0]
    ours = torch.tensor(predicted["probabilities"])
    diff = (ours_in_torch - ours).abs().max().item()
    print(
        f"parity: shipped weights in the PyTorch twin vs `trainer predict`, "
        f"{len(predicted['samples'])} digits x 10 probabilities: max difference {diff:.1e}",
        file=sys.stderr,
    )
    assert diff <= args.tolerance, f"the PyTorch twin differs from ours by {diff}"


if __name__ == "__main__":
    main()
