#!/usr/bin/env python
"""Generate tests/data/golden_torch.jsonl from real PyTorch.

Run with an interpreter that has torch installed (not run by CI):

    python tools/gen_golden_torch.py [--out PATH]

Deterministic: fixed seeds per op/ndim. First line is a header object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import torch  # noqa: E402

from tests.oracles.torch_oracle import OPS, call_string, random_cases, run_case  # noqa: E402

N_RANDOM = {
    "conv": 300,
    "conv_transpose": 300,
    "max_pool": 300,
    "avg_pool": 300,
    "adaptive_avg_pool": 100,
    "adaptive_max_pool": 100,
}
BASE_SEED = 20240611


def seed_for(op: str, ndim: int) -> int:
    return BASE_SEED + 1000 * OPS.index(op) + ndim


# --------------------------------------------------------------------------
# hand-written edge cases
# --------------------------------------------------------------------------


def _conv_layer(k, s=1, p=0, d=1, g=1, cin=2, cout=3):
    return {
        "in_channels": cin,
        "out_channels": cout,
        "kernel_size": k,
        "stride": s,
        "padding": p,
        "dilation": d,
        "groups": g,
    }


def _convt_layer(k, s=1, p=0, op=0, d=1, g=1, cin=2, cout=3):
    return {
        "in_channels": cin,
        "out_channels": cout,
        "kernel_size": k,
        "stride": s,
        "padding": p,
        "output_padding": op,
        "groups": g,
        "dilation": d,
    }


def _maxpool_layer(k, s=None, p=0, d=1, ceil=False):
    return {"kernel_size": k, "stride": s, "padding": p, "dilation": d, "ceil_mode": ceil}


def _avgpool_layer(k, s=None, p=0, ceil=False, cip=True):
    return {"kernel_size": k, "stride": s, "padding": p, "ceil_mode": ceil, "count_include_pad": cip}


def _sp(v, ndim):
    """int -> [v]*ndim; list -> itself (must have length ndim)."""
    return list(v) if isinstance(v, list) else [v] * ndim


# Dumoulin & Visin, "A guide to convolution arithmetic for deep learning"
DUMOULIN = [  # (i, k, s, p, d)
    (4, 3, 1, 0, 1),
    (5, 4, 1, 2, 1),
    (5, 3, 1, 1, 1),
    (5, 3, 1, 2, 1),
    (5, 3, 2, 0, 1),
    (5, 3, 2, 1, 1),
    (6, 3, 2, 1, 1),
    (7, 3, 1, 0, 2),
]


def _conv_out(i, k, s, p, d):
    return (i + 2 * p - d * (k - 1) - 1) // s + 1


def edge_cases(ndim: int) -> list[dict]:
    """(op, layer, input, output_size) tuples turned into cases."""
    E = []

    def add(op, layer, spatial, n=1, c=None, output_size=None):
        if c is None:
            c = layer.get("in_channels", 3)
        E.append((op, layer, [n, c] + _sp(spatial, ndim), output_size))

    # ---- Dumoulin & Visin, conv and transpose ------------------------------
    for i, k, s, p, d in DUMOULIN:
        add("conv", _conv_layer(k, s, p, d), i)
        o = _conv_out(i, k, s, p, d)
        add("conv_transpose", _convt_layer(k, s, p, 0, d), o)
        rem = (i + 2 * p - d * (k - 1) - 1) % s
        if rem:
            # output_padding / output_size recovering the original input size
            add("conv_transpose", _convt_layer(k, s, p, rem, d), o)
            add("conv_transpose", _convt_layer(k, s, p, 0, d), o, output_size=_sp(i, ndim))

    # ---- classic networks ---------------------------------------------------
    big = {1: 224, 2: 224, 3: 224}[ndim]
    add("conv", _conv_layer(3, 2, 1, cin=1, cout=1), big)
    add("conv", _conv_layer(7, 2, 3, cin=1, cout=1), big)
    add("conv", _conv_layer(11, 4, 0, cin=1, cout=1), big + 3)  # AlexNet conv1 227
    add("conv", _conv_layer(11, 4, 2, cin=1, cout=1), 224)  # AlexNet (torchvision) 224 p2
    add("max_pool", _maxpool_layer(3, 2), 55)
    add("max_pool", _maxpool_layer(3, 2, 1), 112)  # ResNet stem pool
    add("avg_pool", _avgpool_layer(3, 2), 55)

    # ---- pooling in=5 k=2 s=2 p=1 and friends (ceil_mode drop-last rule) ---
    for ceil in (False, True):
        add("max_pool", _maxpool_layer(2, 2, 1, ceil=ceil), 5)
        add("max_pool", _maxpool_layer(2, None, 1, ceil=ceil), 5)
        add("max_pool", _maxpool_layer(3, 2, 1, ceil=ceil), 6)
        add("max_pool", _maxpool_layer(4, 3, 2, ceil=ceil), 7)
        add("max_pool", _maxpool_layer(2, 2, 1, d=2, ceil=ceil), 6)
        add("max_pool", _maxpool_layer(3, 3, 1, ceil=ceil), 5)
        add("max_pool", _maxpool_layer(2, 2, 0, ceil=ceil), 5)
        for cip in (True, False):
            add("avg_pool", _avgpool_layer(2, 2, 1, ceil=ceil, cip=cip), 5)
            add("avg_pool", _avgpool_layer(3, 2, 1, ceil=ceil, cip=cip), 6)
            add("avg_pool", _avgpool_layer(4, 3, 2, ceil=ceil, cip=cip), 7)
        add("avg_pool", _avgpool_layer(2, None, 1, ceil=ceil), 5)
        add("avg_pool", _avgpool_layer(2, 2, 0, ceil=ceil), 5)

    # ---- conv: small inputs, padding, 'same'/'valid', groups, channels ------
    add("conv", _conv_layer(3), 2)  # smaller than kernel -> error
    add("conv", _conv_layer(3, p=1), 1)  # rescued by padding
    add("conv", _conv_layer(5), 4)  # output 0
    add("conv", _conv_layer(5, p=1), 2)  # output negative
    add("conv", _conv_layer(3, p=-1), 8)  # negative padding
    add("conv", _conv_layer(3, s=0), 8)  # zero stride
    add("conv", _conv_layer(0), 8)  # zero kernel
    add("conv", _conv_layer(3, d=0), 8)  # zero dilation
    add("conv", _conv_layer(3, p=2, d=2), 5)  # dilation with padding
    add("conv", _conv_layer(3, s=2, p=3, d=3), 9)
    add("conv", _conv_layer(4, p="same"), 7)  # even kernel, asymmetric split
    add("conv", _conv_layer(2, p="same", d=3), 7)  # even effective kernel 4
    add("conv", _conv_layer(4, p="same", d=2), 3)  # effective 7 > input
    add("conv", _conv_layer(6, p="same"), 1)
    add("conv", _conv_layer(3, s=2, p="same"), 7)  # 'same' with stride>1 -> error
    add("conv", _conv_layer(3, s=1, p="valid"), 7)
    add("conv", _conv_layer(3, s=2, p="valid"), 7)
    add("conv", _conv_layer(5, p="valid"), 3)  # valid, input too small
    add("conv", _conv_layer(3, g=2, cin=4, cout=6), 6)
    add("conv", _conv_layer(3, g=2, cin=3, cout=4), 6)  # groups don't divide in
    add("conv", _conv_layer(3, g=2, cin=4, cout=3), 6)  # groups don't divide out
    add("conv", _conv_layer(3, g=4, cin=4, cout=4), 6)  # depthwise
    add("conv", _conv_layer(3, g=0, cin=4, cout=4), 6)  # zero groups
    add("conv", _conv_layer(3, cin=3), 6, c=4)  # channel mismatch
    add("conv", _conv_layer(3, g=2, cin=4, cout=4), 6, c=2)
    add("conv", _conv_layer(3, p=1), 0)  # zero spatial
    add("conv", _conv_layer(1), 1)
    if ndim > 1:
        add("conv", _conv_layer([3] + [1] * (ndim - 1), p=[1] + [0] * (ndim - 1)), [5] + [4] * (ndim - 1))
        add("conv", _conv_layer(3, p=1), [0] + [5] * (ndim - 1))  # e.g. [1,3,0,5]
        add("conv", _conv_layer(3, p=2), [0] + [5] * (ndim - 1))  # kernel fits padded 0
        add("conv", _conv_layer(1), [0] + [5] * (ndim - 1))
        add("conv", _conv_layer([4] + [3] * (ndim - 1), p="same", d=[1] + [2] * (ndim - 1)), 6)
        add("conv", _conv_layer(3, s=[1] + [2] * (ndim - 1), p="same"), 6)

    # ---- conv_transpose ----------------------------------------------------
    add("conv_transpose", _convt_layer(3, p="same"), 5)  # string padding
    add("conv_transpose", _convt_layer(3, p="valid"), 5)
    add("conv_transpose", _convt_layer(3, s=1, d=2, op=1), 5)  # op >= stride, < dilation: OK
    add("conv_transpose", _convt_layer(3, s=2, d=3, op=2), 5)  # op >= stride, < dilation: OK
    add("conv_transpose", _convt_layer(3, s=2, d=1, op=2), 5)  # op >= both: error
    add("conv_transpose", _convt_layer(3, s=2, d=2, op=2), 5)  # op == both: error
    add("conv_transpose", _convt_layer(3, s=1, d=1, op=1), 5)  # op >= both: error
    add("conv_transpose", _convt_layer(3, s=3, d=1, op=2), 4)  # op = s-1: OK
    add("conv_transpose", _convt_layer(3, s=2, op=1), 4, output_size=_sp(9, ndim))  # min
    add("conv_transpose", _convt_layer(3, s=2, op=1), 4, output_size=_sp(10, ndim))  # max
    add("conv_transpose", _convt_layer(3, s=2), 4, output_size=_sp(11, ndim))  # too big
    add("conv_transpose", _convt_layer(3, s=2), 4, output_size=_sp(8, ndim))  # too small
    add("conv_transpose", _convt_layer(3, s=1, d=2), 4, output_size=_sp(9, ndim))  # s=1 -> only min
    add("conv_transpose", _convt_layer(3, s=1, d=2), 4, output_size=_sp(8, ndim))
    add("conv_transpose", _convt_layer(3, s=2, op=5), 4, output_size=_sp(10, ndim))  # bad op ignored?
    add("conv_transpose", _convt_layer(1, p=1), 1)  # output -1
    add("conv_transpose", _convt_layer(2, p=1), 1)  # output 0
    add("conv_transpose", _convt_layer(3, p=1), 1)  # output 1
    add("conv_transpose", _convt_layer(3, s=2, p=4), 3)  # padding > kernel
    add("conv_transpose", _convt_layer(3, p=-1), 3)  # negative padding
    add("conv_transpose", _convt_layer(3, g=2, cin=4, cout=6), 5)
    add("conv_transpose", _convt_layer(3, g=2, cin=3, cout=4), 5)  # groups don't divide in
    add("conv_transpose", _convt_layer(3, g=2, cin=4, cout=3), 5)  # groups don't divide out
    add("conv_transpose", _convt_layer(3, cin=3), 5, c=2)  # channel mismatch
    add("conv_transpose", _convt_layer(3, s=2), 0)  # zero spatial
    add("conv_transpose", _convt_layer(4, s=2, p=1), 112)  # DCGAN-style x2 upsample
    if ndim > 1:
        add(
            "conv_transpose",
            _convt_layer([3] + [2] * (ndim - 1), s=[1] + [2] * (ndim - 1), op=[0] + [1] * (ndim - 1)),
            5,
        )
        add("conv_transpose", _convt_layer(3, s=[2] + [3] * (ndim - 1)), 4, output_size=[9] + [11] * (ndim - 1))

    # ---- max_pool / avg_pool -----------------------------------------------
    add("max_pool", _maxpool_layer(3, 1, 1), 4)
    add("max_pool", _maxpool_layer(3, 1, 2), 4)  # pad > k/2
    add("max_pool", _maxpool_layer(4, 1, 2), 4)  # pad == k/2 (even)
    add("max_pool", _maxpool_layer(3, 1, 2, d=2), 6)  # pad <= eff/2 but > k/2
    add("max_pool", _maxpool_layer(3, 2, 1, d=2), 9)
    add("max_pool", _maxpool_layer(3), 2)  # input < kernel
    add("max_pool", _maxpool_layer(3, p=1), 1)  # rescued by padding
    add("max_pool", _maxpool_layer(3, p=1, ceil=True), 1)
    add("max_pool", _maxpool_layer(3, 1), 0)  # zero spatial
    add("max_pool", _maxpool_layer(3, 0), 5)  # zero stride
    add("max_pool", _maxpool_layer(0), 5)  # zero kernel
    add("max_pool", _maxpool_layer(2, 1, -1), 5)  # negative padding
    add("max_pool", _maxpool_layer(2, 2, 0, d=0), 5)  # zero dilation
    add("max_pool", _maxpool_layer(1, 1), 1)
    add("avg_pool", _avgpool_layer(3, 1, 2), 4)  # pad > k/2
    add("avg_pool", _avgpool_layer(4, 1, 2), 4)
    add("avg_pool", _avgpool_layer(3), 2)
    add("avg_pool", _avgpool_layer(3, p=1, cip=False), 1)
    add("avg_pool", _avgpool_layer(3, p=1, ceil=True), 1)
    add("avg_pool", _avgpool_layer(3, 1), 0)
    add("avg_pool", _avgpool_layer(3, 0), 5)
    add("avg_pool", _avgpool_layer(0), 5)
    add("avg_pool", _avgpool_layer(2, 1, -1), 5)
    if ndim > 1:
        add(
            "max_pool",
            _maxpool_layer([2] + [3] * (ndim - 1), p=[1] + [0] * (ndim - 1), ceil=True),
            [5] + [7] * (ndim - 1),
        )
        add(
            "avg_pool",
            _avgpool_layer([2] + [3] * (ndim - 1), s=[2] + [1] * (ndim - 1), p=[1] + [1] * (ndim - 1), ceil=True),
            [5] + [7] * (ndim - 1),
        )
        add("max_pool", _maxpool_layer(2, 2), [1, 0] + [4] * (ndim - 2) if ndim > 2 else [0, 5])

    # ---- adaptive pools ----------------------------------------------------
    for op in ("adaptive_avg_pool", "adaptive_max_pool"):
        add(op, {"output_size": 1}, 7)
        add(op, {"output_size": 3}, 7)
        add(op, {"output_size": 7}, 7)
        add(op, {"output_size": 10}, 7)  # larger than input
        add(op, {"output_size": 5}, 1)
        add(op, {"output_size": 0}, 7)  # empty output
        add(op, {"output_size": -1}, 7)
        add(op, {"output_size": 3}, 0)  # zero spatial input
        add(op, {"output_size": [None] * ndim}, 6)  # all None (1d: torch rejects)
        add(op, {"output_size": [4] * ndim}, 9)
        if ndim > 1:
            add(op, {"output_size": [None] + [2] * (ndim - 1)}, [5] + [8] * (ndim - 1))
            add(op, {"output_size": [3] + [None] * (ndim - 1)}, [9] + [4] * (ndim - 1))
            add(op, {"output_size": [0] + [2] * (ndim - 1)}, 6)

    cases = []
    counters = Counter()
    for op, layer, x, osz in E:
        key = f"{op}{ndim}d"
        case = {
            "id": f"{key}-edge-{counters[key]:03d}",
            "framework": "torch",
            "op": op,
            "layer": layer,
            "input": x,
            "output_size": osz,
        }
        counters[key] += 1
        case["call"] = call_string(case)
        cases.append(case)
    return cases


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default=os.path.join(ROOT, "tests", "data", "golden_torch.jsonl"))
    args = ap.parse_args()

    torch.manual_seed(0)
    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))

    all_cases = []
    for ndim in (1, 2, 3):
        edges = edge_cases(ndim)
        for op in OPS:
            all_cases += random_cases(seed_for(op, ndim), N_RANDOM[op], op, ndim)
            all_cases += [c for c in edges if c["op"] == op]

    ids = [c["id"] for c in all_cases]
    assert len(ids) == len(set(ids)), "duplicate ids"

    stats = Counter()
    errkinds = Counter()
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        header = {"header": True, "torch": torch.__version__, "generator": "tools/gen_golden_torch.py"}
        f.write(json.dumps(header) + "\n")
        for c in all_cases:
            c["expect"] = run_case(c)
            nd = len(c["input"]) - 2
            kind = "valid" if "shape" in c["expect"] else "invalid"
            stats[(c["op"], nd, kind)] += 1
            if kind == "invalid":
                errkinds[c["expect"]["error"].split(":")[0]] += 1
            f.write(json.dumps(c) + "\n")

    print(f"torch {torch.__version__} -> {args.out}")
    print(f"{'op':<20}{'ndim':>5}{'valid':>8}{'invalid':>9}{'%inv':>7}")
    tv = ti = 0
    for op in OPS:
        for nd in (1, 2, 3):
            v, i = stats[(op, nd, "valid")], stats[(op, nd, "invalid")]
            tv, ti = tv + v, ti + i
            print(f"{op:<20}{nd:>5}{v:>8}{i:>9}{100 * i / max(1, v + i):>6.1f}%")
    print(f"{'TOTAL':<20}{'':>5}{tv:>8}{ti:>9}{100 * ti / max(1, tv + ti):>6.1f}%")
    print("error types:", dict(errkinds))


if __name__ == "__main__":
    main()
