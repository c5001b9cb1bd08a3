#!/usr/bin/env python
"""Generate the golden VALUE data for ``convarith.functional`` from real PyTorch.

Run with an interpreter that has torch installed (torch 2.13.0 CPU was used; not run by CI):

    python tools/gen_golden_functional.py [--out-dir tests/data]

Writes ``golden_functional.npz`` (``np.savez_compressed``; float64 arrays, int64 max_pool
indices, keys ``<case id>/<name>``) and ``golden_functional.json`` (the case list)::

    {"id": "conv2d-0007", "op": "conv", "kwargs": {...convarith.functional keyword args...},
     "arrays": {"input": "conv2d-0007/input", "weight": ..., "bias": ..., "output": ...,
                "indices": ... (max_pool with return_indices)},
     "torch_call": "F.conv2d(...)", "note": "... (hand-picked cases only)"}

Deterministic: fixed seeds per op/ndim.  All torch calls go through
``tests/oracles/torch_functional.run_torch`` (the same code as the live test); most cases
come from its ``random_case``, the rest are hand-picked (worked examples, asymmetric
'same', output_padding >= stride, ceil-mode edges, ...).  The generator self-checks the
worked examples, max_pool indices, and padding modes against ``F.pad`` + zero-padded conv.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from collections import Counter

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import torch  # noqa: E402

from tests.oracles.torch_functional import OPS, call_string, random_case, run_torch  # noqa: E402

BASE_SEED = 20250917
N_RANDOM = {"conv": 30, "conv_transpose": 28, "max_pool": 20, "avg_pool": 20, "pad": 14}

A = np.asarray

# the worked examples
EDGE_IMAGE = A([[10, 10, 10, 0, 0, 0]] * 6, dtype=np.float64)
EDGE_KERNEL = A([[1, 0, -1]] * 3, dtype=np.float64)
EDGE_EXPECT = A([[0, 30, 30, 0]] * 4, dtype=np.float64)
M6 = A(
    [
        [5, 0, 8, 7, 8, 1],
        [1, 9, 5, 0, 7, 7],
        [6, 0, 2, 4, 6, 6],
        [9, 7, 6, 6, 8, 4],
        [8, 3, 8, 5, 1, 3],
        [7, 2, 7, 0, 1, 0],
    ],
    dtype=np.float64,
)
M6_FIRST_ROW = {
    "constant": [0, 0, 0, 0, 0, 0, 0, 0],
    "replicate": [5, 5, 0, 8, 7, 8, 1, 1],
    "reflect": [9, 1, 9, 5, 0, 7, 7, 7],
    "circular": [0, 7, 2, 7, 0, 1, 0, 7],
}


def seed_for(op: str, ndim: int) -> int:
    return BASE_SEED + 1000 * OPS.index(op) + ndim


def _ndim_of(op: str, arrays: dict, kwargs: dict) -> int:
    if op in ("conv", "conv_transpose"):
        return arrays["weight"].ndim - 2
    if op == "pad":
        return len(kwargs["pad"]) // 2
    return arrays["input"].ndim - 2


def _r(rng_seed: int, shape) -> np.ndarray:
    rng = np.random.default_rng(rng_seed)
    return rng.integers(-32, 33, size=shape).astype(np.float64) / 8.0


def hand_cases() -> list[tuple[str, dict, dict, str]]:
    """(op, arrays, kwargs, note)."""
    c = []
    x = EDGE_IMAGE[None, None]
    w = EDGE_KERNEL[None, None]
    c.append(
        ("conv", {"input": x, "weight": w}, {}, "worked example: vertical edge, cross-correlation; rows 0 30 30 0")
    )
    c.append(
        (
            "conv",
            {"input": x, "weight": w},
            {"flip": True},
            "worked example with flip=True (true convolution): rows 0 -30 -30 0",
        )
    )
    m = M6[None, None]
    for mode in ("constant", "replicate", "reflect", "circular"):
        c.append(
            (
                "pad",
                {"input": m},
                {"pad": [1, 1, 1, 1], "mode": mode},
                f"worked example: 6x6 matrix, pad 1, {mode}; first row {M6_FIRST_ROW[mode]}",
            )
        )
    ones3 = np.ones((1, 1, 3, 3))
    for mode in ("zeros", "replicate", "reflect", "circular"):
        c.append(
            (
                "conv",
                {"input": m, "weight": ones3},
                {"padding": 1, "padding_mode": mode},
                f"6x6 matrix, 3x3 box sum, padding=1, padding_mode={mode}",
            )
        )
    # padding_mode with asymmetric 'same' (even kernel) and per-axis tuple padding
    c.append(
        (
            "conv",
            {"input": m, "weight": _r(1, (2, 1, 2, 4)), "bias": _r(2, (2,))},
            {"padding": "same", "padding_mode": "reflect"},
            "'same' with even kernel (2,4) and reflect: pads (0,1) rows, (1,2) cols",
        )
    )
    c.append(
        (
            "conv",
            {"input": m, "weight": _r(3, (1, 1, 3, 2))},
            {"padding": [2, 1], "padding_mode": "circular", "stride": [2, 1]},
            "per-axis padding (2,1) with circular padding_mode",
        )
    )
    # asymmetric 'same' with zeros
    c.append(
        (
            "conv",
            {"input": _r(4, (1, 2, 9)), "weight": _r(5, (3, 2, 4))},
            {"padding": "same"},
            "1-D 'same', even kernel 4: torch pads 1 before, 2 after",
        )
    )
    c.append(
        (
            "conv",
            {"input": _r(6, (2, 1, 7, 8)), "weight": _r(7, (1, 1, 2, 3))},
            {"padding": "same", "dilation": [3, 2]},
            "'same' with even kernel and odd dilation: total 3 -> (1, 2); cols (2, 2)",
        )
    )
    # depthwise, grouped, unbatched
    c.append(
        (
            "conv",
            {"input": _r(8, (2, 3, 8, 8)), "weight": _r(9, (6, 1, 3, 3)), "bias": _r(10, (6,))},
            {"groups": 3, "padding": 1},
            "depthwise: groups = in_channels = 3, multiplier 2",
        )
    )
    c.append(
        (
            "conv",
            {"input": _r(11, (4, 7, 6)), "weight": _r(12, (2, 2, 3, 3)), "bias": _r(13, (2,))},
            {"groups": 2, "stride": 2, "padding": [1, 0]},
            "unbatched (C, H, W) input, groups=2",
        )
    )
    c.append(
        (
            "conv",
            {"input": _r(14, (3, 10)), "weight": _r(15, (2, 3, 3))},
            {"padding": "same", "padding_mode": "replicate"},
            "unbatched (C, L) input, 'same' + replicate",
        )
    )
    c.append(
        (
            "conv",
            {"input": _r(16, (2, 4, 4, 4)), "weight": _r(17, (2, 2, 2, 2, 2))},
            {"padding": "valid"},
            "unbatched (C, D, H, W) 3-D input, 'valid'",
        )
    )
    # conv_transpose: output_padding >= stride (allowed because < dilation), output_size
    c.append(
        (
            "conv_transpose",
            {"input": _r(18, (1, 2, 5)), "weight": _r(19, (2, 3, 3)), "bias": _r(20, (3,))},
            {"stride": 1, "dilation": 3, "output_padding": 2},
            "output_padding 2 >= stride 1, allowed because < dilation 3",
        )
    )
    c.append(
        (
            "conv_transpose",
            {"input": _r(21, (2, 2, 4, 5)), "weight": _r(22, (2, 1, 2, 3))},
            {"stride": [1, 2], "dilation": [3, 1], "output_padding": [2, 1], "padding": [1, 0]},
            "per-axis output_padding (2,1): axis 0 has op >= stride (dilation 3)",
        )
    )
    c.append(
        (
            "conv_transpose",
            {"input": _r(23, (1, 1, 13)), "weight": _r(24, (1, 1, 3))},
            {"stride": 2, "padding": 1, "output_size": [26]},
            "the README decoder: 13 -> 26 needs output_padding 1 (via output_size)",
        )
    )
    c.append(
        (
            "conv_transpose",
            {"input": _r(25, (1, 4, 5, 6)), "weight": _r(26, (4, 1, 3, 3)), "bias": _r(27, (4,))},
            {"stride": [3, 2], "padding": 1, "groups": 4, "output_size": [15, 12]},
            "depthwise transposed conv with output_size at the top of the valid range",
        )
    )
    c.append(
        (
            "conv_transpose",
            {"input": _r(28, (1, 2, 3, 3, 3)), "weight": _r(29, (2, 2, 2, 3, 2))},
            {"stride": 2, "padding": [0, 1, 0], "output_padding": [1, 0, 1]},
            "3-D output_padding",
        )
    )
    # pools
    c.append(
        (
            "max_pool",
            {"input": (np.arange(16.0).reshape(1, 1, 4, 4) * 7 % 16)[:, :, :, :]},
            {"kernel_size": 3, "stride": 2, "padding": 1, "return_indices": True},
            "padding: indices are flat positions in the UNPADDED 4x4 input (h*W + w)",
        )
    )
    c.append(
        (
            "max_pool",
            {"input": A([[[1.0, 3.0, 3.0, 2.0, 3.0]]])},
            {"kernel_size": 3, "stride": 1, "return_indices": True},
            "ties: torch returns the first maximum in window scan order",
        )
    )
    c.append(
        (
            "max_pool",
            {"input": _r(30, (1, 2, 3)) + np.arange(6).reshape(1, 2, 3) / 64},
            {"kernel_size": 2, "stride": 2, "padding": 1, "ceil_mode": True, "return_indices": True},
            "ceil_mode drops the last window (it would start in the right padding): 3 -> 2",
        )
    )
    c.append(
        (
            "max_pool",
            {"input": (np.random.default_rng(31).permutation(2 * 9 * 9) / 8.0).reshape(1, 2, 9, 9)},
            {
                "kernel_size": [2, 3],
                "stride": [2, 1],
                "padding": 1,
                "dilation": [3, 2],
                "ceil_mode": True,
                "return_indices": True,
            },
            "dilation + padding + ceil_mode with indices",
        )
    )
    c.append(
        (
            "avg_pool",
            {"input": np.ones((1, 1, 6))},
            {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": True},
            "ceil_mode overhang: last window's divisor stops at the padded end (2, not 3): 0.5",
        )
    )
    c.append(
        (
            "avg_pool",
            {"input": np.ones((1, 1, 6))},
            {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False},
            "same, count_include_pad=False: all ones",
        )
    )
    c.append(
        (
            "avg_pool",
            {"input": m},
            {"kernel_size": 3, "stride": 2, "padding": 1, "divisor_override": 4},
            "divisor_override replaces the divisor everywhere (padding and count_include_pad ignored)",
        )
    )
    c.append(
        (
            "avg_pool",
            {"input": _r(32, (1, 2, 5, 5, 5))},
            {
                "kernel_size": [3, 2, 2],
                "stride": 2,
                "padding": 1,
                "ceil_mode": True,
                "count_include_pad": False,
                "divisor_override": 3,
            },
            "3-D divisor_override",
        )
    )
    # pad: negative pads (crop then pad/wrap), 3-D modes, unbatched
    ar5 = np.arange(5.0).reshape(1, 1, 5)
    c.append(
        (
            "pad",
            {"input": ar5},
            {"pad": [2, -1], "mode": "circular"},
            "negative pad crops first, then wraps the cropped tensor: 2 3 0 1 2 3",
        )
    )
    c.append(("pad", {"input": ar5}, {"pad": [-1, 2], "mode": "reflect"}, "negative pad with reflect: 1 2 3 4 3 2"))
    c.append(("pad", {"input": ar5}, {"pad": [-2, 1], "mode": "constant", "value": 9.0}, "negative constant pad crops"))
    c.append(
        (
            "pad",
            {"input": ar5},
            {"pad": [0, 5], "mode": "circular"},
            "circular pad may equal the size (reflect must be smaller)",
        )
    )
    c.append(
        (
            "pad",
            {"input": _r(33, (2, 3, 4, 5))},
            {"pad": [1, 2, 3, 0, 0, 1], "mode": "reflect"},
            "3-D reflect, torch order (W, H, D)",
        )
    )
    c.append(
        (
            "pad",
            {"input": _r(34, (3, 4, 5))},
            {"pad": [4, 1, 0, 3], "mode": "replicate"},
            "unbatched (C, H, W), replicate",
        )
    )
    return c


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("--out-dir", default=os.path.join(ROOT, "tests", "data"))
    args = ap.parse_args()
    warnings.filterwarnings("ignore", category=UserWarning)
    torch.manual_seed(0)

    raw: list[tuple[str, dict, dict, str | None]] = []
    for op, arrays, kwargs, note in hand_cases():
        raw.append((op, arrays, kwargs, note))
    for op in OPS:
        for nd in (1, 2, 3):
            rng = np.random.default_rng(seed_for(op, nd))
            for _ in range(N_RANDOM[op]):
                arrays, kwargs = random_case(rng, op, nd)
                raw.append((op, arrays, kwargs, None))

    npz: dict[str, np.ndarray] = {}
    cases = []
    counters: Counter = Counter()
    coverage: Counter = Counter()
    for op, arrays, kwargs, note in raw:
        arrays = {k: np.ascontiguousarray(v, dtype=np.float64) for k, v in arrays.items()}
        nd = _ndim_of(op, arrays, kwargs)
        res = run_torch(op, arrays, kwargs)
        prefix = f"{op}{nd}d"
        cid = f"{prefix}-{counters[prefix]:04d}"
        counters[prefix] += 1
        self_check(op, arrays, kwargs, res, note)
        names = {}
        for k, v in list(arrays.items()) + list(res.items()):
            key = f"{cid}/{k}"
            npz[key] = v.astype(np.int64) if k == "indices" else v.astype(np.float64)
            names[k] = key
        case = {"id": cid, "op": op, "kwargs": kwargs, "arrays": names, "torch_call": call_string(op, arrays, kwargs)}
        if note:
            case["note"] = note
        cases.append(case)
        for feat in features(op, arrays, kwargs):
            coverage[(prefix, feat)] += 1

    check_coverage(coverage)
    os.makedirs(args.out_dir, exist_ok=True)
    npz_path = os.path.join(args.out_dir, "golden_functional.npz")
    json_path = os.path.join(args.out_dir, "golden_functional.json")
    np.savez_compressed(npz_path, **npz)
    with open(json_path, "w") as f:
        json.dump(cases, f, indent=1)
        f.write("\n")
    print(f"torch {torch.__version__}: {len(cases)} cases, npz {os.path.getsize(npz_path)} bytes")
    for op in OPS:
        print(f"  {op:15s}" + "  ".join(f"{nd}d: {counters[f'{op}{nd}d']:3d}" for nd in (1, 2, 3)))


def features(op: str, arrays: dict, kwargs: dict) -> list[str]:
    nd = _ndim_of(op, arrays, kwargs)
    f = []
    if op in ("conv", "conv_transpose"):
        w = arrays["weight"]
        g = kwargs.get("groups", 1)
        if arrays["input"].ndim == nd + 1:
            f.append("unbatched")
        f.append("bias" if "bias" in arrays else "no_bias")
        if g > 1:
            f.append("groups")
        cin = w.shape[1] * g if op == "conv" else w.shape[0]
        if g > 1 and g == cin:
            f.append("depthwise")
        s = kwargs.get("stride", 1)
        if s != 1 and s != [1] * nd:
            f.append("stride")
        d = kwargs.get("dilation", 1)
        if d != 1 and d != [1] * nd:
            f.append("dilation")
        p = kwargs.get("padding", 0)
        f.append("pad_" + (p if isinstance(p, str) else "list" if isinstance(p, list) else "int"))
        if op == "conv":
            f.append("mode_" + kwargs.get("padding_mode", "zeros"))
            if kwargs.get("flip"):
                f.append("flip")
        else:
            if "output_size" in kwargs:
                f.append("output_size")
            op_ = kwargs.get("output_padding", 0)
            opl = op_ if isinstance(op_, list) else [op_] * nd
            sl = s if isinstance(s, list) else [s] * nd
            if any(o > 0 for o in opl):
                f.append("output_padding")
            if any(o >= ss for o, ss in zip(opl, sl, strict=True)):
                f.append("output_padding>=stride")
    elif op in ("max_pool", "avg_pool"):
        for k in ("ceil_mode", "return_indices"):
            if kwargs.get(k):
                f.append(k)
        if kwargs.get("padding", 0) not in (0, [0] * nd):
            f.append("padding")
        if kwargs.get("dilation", 1) not in (1, [1] * nd):
            f.append("dilation")
        if kwargs.get("stride") is None:
            f.append("stride_none")
        if op == "avg_pool":
            f.append("cip_" + str(kwargs.get("count_include_pad", True)))
            if kwargs.get("divisor_override") is not None:
                f.append("divisor_override")
    else:
        f.append("mode_" + kwargs.get("mode", "constant"))
        if any(p < 0 for p in kwargs["pad"]):
            f.append("negative")
        if arrays["input"].ndim == nd + 1:
            f.append("unbatched")
    return f


REQUIRED = {
    "conv": [
        "bias",
        "no_bias",
        "groups",
        "depthwise",
        "stride",
        "dilation",
        "pad_int",
        "pad_list",
        "pad_same",
        "pad_valid",
        "mode_zeros",
        "mode_reflect",
        "mode_replicate",
        "mode_circular",
    ],
    "conv_transpose": [
        "bias",
        "no_bias",
        "groups",
        "depthwise",
        "stride",
        "dilation",
        "pad_int",
        "pad_list",
        "output_padding",
        "output_size",
    ],
    "max_pool": ["ceil_mode", "return_indices", "padding", "dilation", "stride_none"],
    "avg_pool": ["ceil_mode", "padding", "cip_True", "cip_False", "stride_none"],
    "pad": ["mode_constant", "mode_reflect", "mode_replicate", "mode_circular"],
}


def check_coverage(cov: Counter) -> None:
    missing = []
    for op, feats in REQUIRED.items():
        for nd in (1, 2, 3):
            for feat in feats + (["divisor_override"] if op == "avg_pool" and nd > 1 else []):
                if not cov[(f"{op}{nd}d", feat)]:
                    missing.append(f"{op}{nd}d:{feat}")
    for need in (
        "conv1d:unbatched",
        "conv2d:unbatched",
        "conv3d:unbatched",
        "conv_transpose1d:output_padding>=stride",
        "conv_transpose2d:output_padding>=stride",
    ):
        pre, feat = need.split(":")
        if not cov[(pre, feat)]:
            missing.append(need)
    if missing:
        raise SystemExit("coverage missing: " + ", ".join(missing))


def self_check(op: str, arrays: dict, kwargs: dict, res: dict, note: str | None) -> None:
    import torch.nn.functional as TF

    out = res["output"]
    assert out.dtype == np.float64 and out.size > 0, (op, kwargs)
    if note and note.startswith("worked example: vertical edge"):
        assert np.array_equal(out[0, 0], EDGE_EXPECT), out
    if note and note.startswith("worked example with flip"):
        assert np.array_equal(out[0, 0], -EDGE_EXPECT), out
    if note and note.startswith("worked example: 6x6"):
        mode = kwargs["mode"]
        assert out.shape == (1, 1, 8, 8)
        assert out[0, 0, 0].tolist() == M6_FIRST_ROW[mode], (mode, out[0, 0, 0])
        assert np.array_equal(out[0, 0, 1:-1, 1:-1], M6)
    if note and note.startswith("negative pad crops first"):
        assert out.ravel().tolist() == [2, 3, 0, 1, 2, 3], out
    if note and note.startswith("ceil_mode overhang"):
        assert np.allclose(out.ravel(), [2 / 3, 1, 1, 0.5]), out
    if op == "conv" and kwargs.get("padding_mode", "zeros") != "zeros":
        # independent check: F.pad(mode) with the module's padding, then zero-padded conv
        nd = arrays["weight"].ndim - 2
        k = arrays["weight"].shape[2:]
        d = kwargs.get("dilation", 1)
        d = d if isinstance(d, list) else [d] * nd
        p = kwargs.get("padding", 0)
        if p == "valid":
            pads = [(0, 0)] * nd
        elif p == "same":
            pads = [(dd * (kk - 1) // 2, dd * (kk - 1) - dd * (kk - 1) // 2) for kk, dd in zip(k, d, strict=True)]
        else:
            p = p if isinstance(p, list) else [p] * nd
            pads = [(pp, pp) for pp in p]
        torch_pad = [v for pb_pa in reversed(pads) for v in pb_pa]
        x = torch.from_numpy(arrays["input"])
        xp = TF.pad(x if x.ndim == nd + 2 else x[None], torch_pad, mode=kwargs["padding_mode"])
        kw = {k_: v for k_, v in kwargs.items() if k_ not in ("padding", "padding_mode")}
        ref = run_torch("conv", {**arrays, "input": (xp if x.ndim == nd + 2 else xp[0]).numpy()}, kw)
        assert np.allclose(ref["output"], out, rtol=0, atol=1e-12), kwargs
    if op == "max_pool" and "indices" in res:
        idx = res["indices"]
        assert idx.dtype == np.int64 and idx.shape == out.shape
        x = arrays["input"]
        flat = x.reshape(x.shape[0], x.shape[1], -1)
        got = np.take_along_axis(flat, idx.reshape(idx.shape[0], idx.shape[1], -1), axis=2)
        assert np.array_equal(got.reshape(out.shape), out), kwargs


if __name__ == "__main__":
    main()
