#!/usr/bin/env python
"""Generate golden VALUE data from real TensorFlow (tf.nn) and Keras 3, for porting layers.

Not run by CI.  Run manually with a Python that has tensorflow(-cpu) and Keras 3 installed
(tensorflow-cpu 2.21.0 with Keras 3.15.1 was used):

    /tmp/venv-tf/bin/python tools/gen_golden_port.py [--out-dir tests/data]

Writes ``golden_port.npz`` (``np.savez_compressed``, keys ``<case id>/<name>``) and
``golden_port.json``, the case list::

    {"id": "keras-Conv2D-003", "framework": "keras", "op": "Conv2D",
     "args": {...the layer's constructor arguments, as Keras spells them...},
     "dtype": "float64" | "float32",
     "arrays": {"input": "<id>/input", "kernel": ..., "bias": ..., "output": ...},
     "shapes": {"input": [...], "kernel": [...], ...}, ["note": "..."]}

``framework`` is "keras" (``keras.layers.<op>(**args)``, weights loaded with
``set_weights`` in the order of ``arrays``) or "tf" (``tf.nn.<op>(input, <filters>, **args)``;
the filter is called ``filters``, or ``filter`` for ``depthwise_conv2d``).  Every array is
channels-last and in the framework's OWN layout: Keras Conv kernel (*k, in/groups, out),
Conv*Transpose kernel (*k, out, in), DepthwiseConv2D kernel (kh, kw, in, multiplier),
SeparableConv2D depthwise_kernel (kh, kw, in, multiplier) and pointwise_kernel
(1, 1, in*multiplier, out); tf.nn filters (*k, in/groups, out), conv*_transpose filters
(*k, out, in), depthwise_conv2d filter (kh, kw, in, multiplier).

Values are multiples of 1/8 in [-4, 4] (every conv sum is exact in float64 and float32).
Float64 wherever the op runs in float64 on CPU; TensorFlow's CPU MaxPool3D and AvgPool3D
(and the Keras layers on them) only take float32, recorded as such.  oneDNN is disabled so
the reference CPU kernels run.  Deterministic: one seed per case, derived from its id.

Self-checks: every case runs twice (a fresh layer each time) with identical outputs; the
recorded weight shapes are the documented layouts; the output shape equals the shape
engine's (``convarith.Conv/ConvTranspose/MaxPool/AvgPool(..., framework=...)``).  A shape
disagreement is printed, stored in the case ("convarith_shape") and makes the run exit 1
after writing the files: it is a bug to report, never to hide.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import warnings  # noqa: E402
import zlib  # noqa: E402
from collections import Counter  # noqa: E402
from typing import Any  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import convarith  # noqa: E402
from convarith import AvgPool, Conv, ConvTranspose, MaxPool  # noqa: E402

tf.get_logger().setLevel("ERROR")
warnings.filterwarnings("ignore")

BASE_SEED = 20261202
BATCH = 2

# TensorFlow's CPU kernels without a float64 version (everything else is recorded in float64).
FLOAT32_ONLY = {
    ("tf", "max_pool", 3),
    ("tf", "avg_pool", 3),
    ("keras", "MaxPooling3D", 3),
    ("keras", "AveragePooling3D", 3),
}

Case = dict[str, Any]


def values(seed: int, shape: tuple[int, ...]) -> np.ndarray:
    """Multiples of 1/8 in [-4, 4]: products and their sums are exact in float32 and float64."""
    rng = np.random.default_rng(seed)
    return rng.integers(-32, 33, size=shape).astype(np.float64) / 8.0


def per_axis(value: Any, nd: int) -> list[int]:
    """A tf.nn/Keras per-axis argument as spatial values: an int, nd values, or nd+2 (N, ..., C)."""
    if isinstance(value, int):
        return [value] * nd
    value = list(value)
    if len(value) == 1:
        return value * nd
    if len(value) == nd + 2:
        return value[1:-1]
    assert len(value) == nd, (value, nd)
    return value


# --------------------------------------------------------------------------- the cases


def keras_cases() -> list[Case]:
    """The Keras layer cases (framework, op, args, input_shape, note); only layers Keras accepts."""
    cases: list[Case] = []

    def add(op: str, args: dict[str, Any], shape: tuple[int, ...], note: str | None = None) -> None:
        cases.append({"framework": "keras", "op": op, "args": args, "input_shape": shape, "note": note})

    rng = np.random.default_rng(BASE_SEED)

    def size(*choices: int) -> int:
        return int(rng.choice(choices))

    # Conv1D: strides 1-3, dilation 1-3 (never both > 1), valid/same/causal, odd and even sizes
    for s, d in [(1, 1), (2, 1), (3, 1), (1, 2), (1, 3)]:
        for padding in ("valid", "same", "causal"):
            k = size(2, 3, 4)
            n = size(7, 8, 9, 10, 11, 13)
            args = {"filters": size(1, 2, 3), "kernel_size": [k], "strides": [s], "padding": padding}
            args |= {"dilation_rate": [d], "groups": 1, "use_bias": True}
            add("Conv1D", args, (BATCH, n, size(1, 2, 3, 4)))
    add(
        "Conv1D",
        {"filters": 4, "kernel_size": [3], "strides": [1], "padding": "same", "dilation_rate": [1], "groups": 2}
        | {"use_bias": False},
        (BATCH, 9, 4),
        "groups=2 without bias",
    )
    # Conv2D: per-axis strides/dilations, even and non-square kernels, groups=2
    conv2d = [
        ([3, 3], [1, 1], [1, 1]),
        ([3, 3], [2, 2], [1, 1]),
        ([2, 4], [2, 2], [1, 1]),
        ([3, 2], [3, 3], [1, 1]),
        ([4, 3], [1, 2], [1, 1]),
        ([3, 3], [3, 2], [1, 1]),
        ([3, 3], [1, 1], [2, 2]),
        ([2, 3], [1, 1], [2, 3]),
        ([3, 2], [1, 1], [3, 1]),
        ([1, 1], [2, 2], [1, 1]),
    ]
    for k2, s2, d2 in conv2d:
        for padding in ("valid", "same"):
            shape = (BATCH, size(7, 8, 9, 10, 11), size(7, 8, 9, 12, 13), size(1, 2, 3))
            args = {"filters": size(2, 3, 4), "kernel_size": k2, "strides": s2, "padding": padding}
            add("Conv2D", args | {"dilation_rate": d2, "groups": 1, "use_bias": True}, shape)
    for s2, padding in [([1, 1], "same"), ([2, 2], "same"), ([2, 1], "valid"), ([1, 1], "valid")]:
        args = {"filters": 4, "kernel_size": [3, 3], "strides": s2, "padding": padding, "dilation_rate": [1, 1]}
        add("Conv2D", args | {"groups": 2, "use_bias": True}, (BATCH, size(7, 8, 9), size(8, 9, 10), 4), "groups=2")
    # Conv3D (Keras runs dilation through tf.nn.convolution, which works on CPU)
    for k3, s3, d3 in [
        ([3, 3, 3], [1, 1, 1], [1, 1, 1]),
        ([3, 2, 3], [2, 2, 2], [1, 1, 1]),
        ([2, 3, 3], [1, 2, 3], [1, 1, 1]),
        ([3, 3, 2], [1, 1, 1], [2, 1, 2]),
    ]:
        for padding in ("valid", "same"):
            shape = (BATCH, size(5, 6, 7), size(6, 7, 8), size(7, 8, 9), size(1, 2, 3))
            args = {"filters": size(2, 3), "kernel_size": k3, "strides": s3, "padding": padding}
            add("Conv3D", args | {"dilation_rate": d3, "groups": 1, "use_bias": True}, shape)
    # DepthwiseConv2D: depth_multiplier 1 and 2 (TensorFlow's depthwise kernel needs equal H and W strides)
    for mult in (1, 2):
        for k2, s2, d2, padding in [
            ([3, 3], [1, 1], [1, 1], "same"),
            ([3, 3], [2, 2], [1, 1], "same"),
            ([2, 3], [3, 3], [1, 1], "valid"),
            ([3, 3], [1, 1], [2, 2], "same"),
        ]:
            args = {"kernel_size": k2, "strides": s2, "padding": padding, "depth_multiplier": mult}
            shape = (BATCH, size(7, 8, 9), size(8, 9, 10), size(2, 3))
            add("DepthwiseConv2D", args | {"dilation_rate": d2, "use_bias": True}, shape)
    # SeparableConv2D: depthwise then pointwise (1x1)
    for mult, k2, s2, d2, padding in [
        (1, [3, 3], [1, 1], [1, 1], "same"),
        (2, [3, 3], [2, 2], [1, 1], "same"),
        (1, [2, 4], [2, 2], [1, 1], "valid"),
        (2, [3, 3], [1, 1], [2, 1], "valid"),
        (3, [3, 2], [3, 3], [1, 1], "same"),
    ]:
        args = {"filters": size(2, 3, 4), "kernel_size": k2, "strides": s2, "padding": padding}
        args |= {"depth_multiplier": mult, "dilation_rate": d2, "use_bias": True}
        add("SeparableConv2D", args, (BATCH, size(7, 8, 9), size(8, 9, 10), size(1, 2, 3)))
    # Conv*DTranspose: strides 1-3, valid/same, output_padding None (Keras picks) and explicit.
    # (Dilated transposed convolutions are legal in Keras at stride 1, but TensorFlow's CPU
    # Conv2DBackpropInput refuses dilation: not recordable here.)
    for s in (1, 2, 3):
        for padding in ("valid", "same"):
            for out_pad in [None, *range(s)]:
                k = size(2, 3, 4, 5)
                args = {"filters": size(1, 2, 3), "kernel_size": [k], "strides": [s], "padding": padding}
                args |= {"output_padding": None if out_pad is None else [out_pad], "dilation_rate": [1]}
                add("Conv1DTranspose", args | {"use_bias": True}, (BATCH, size(5, 6, 7, 8), size(1, 2, 3)))
    for k2, s2, out_pads in [
        ([3, 3], [2, 2], [None, [0, 0], [1, 1], [1, 0]]),
        ([4, 4], [2, 2], [None, [0, 1], [1, 1]]),
        ([3, 2], [3, 2], [None, [2, 1], [0, 0]]),
        ([2, 5], [1, 3], [None, [0, 2]]),
        ([3, 3], [1, 1], [None, [0, 0]]),
    ]:
        for padding in ("valid", "same"):
            for out_pad in out_pads:
                args = {"filters": size(2, 3), "kernel_size": k2, "strides": s2, "padding": padding}
                args |= {"output_padding": out_pad, "dilation_rate": [1, 1], "use_bias": True}
                add("Conv2DTranspose", args, (BATCH, size(4, 5, 6), size(5, 6, 7), size(1, 2, 3)))
    for k3, s3, out_pads in [
        ([3, 3, 3], [2, 2, 2], [None, [1, 0, 1]]),
        ([2, 3, 4], [1, 2, 3], [None, [0, 1, 2]]),
    ]:
        for padding in ("valid", "same"):
            for out_pad in out_pads:
                args = {"filters": 2, "kernel_size": k3, "strides": s3, "padding": padding}
                args |= {"output_padding": out_pad, "dilation_rate": [1, 1, 1], "use_bias": True}
                add("Conv3DTranspose", args, (BATCH, size(3, 4), size(4, 5), size(3, 4, 5), size(1, 2)))
    # Pools: sizes 2-4, strides 1-3 (None = pool_size), valid/same
    pool_1d = [([2], [2]), ([3], [2]), ([3], [1]), ([4], [3]), ([2], [3]), ([3], None)]
    for kind in ("MaxPooling", "AveragePooling"):
        for pool, strides in pool_1d:
            for padding in ("valid", "same"):
                args = {"pool_size": pool, "strides": strides, "padding": padding}
                add(f"{kind}1D", args, (BATCH, size(7, 8, 9, 10, 11, 13), size(1, 2, 3, 4)))
        for pool, strides in [([2, 2], [2, 2]), ([3, 3], [2, 2]), ([3, 2], [1, 3]), ([4, 3], [3, 2]), ([3, 3], None)]:
            for padding in ("valid", "same"):
                args = {"pool_size": pool, "strides": strides, "padding": padding}
                add(f"{kind}2D", args, (BATCH, size(7, 8, 9), size(8, 9, 10, 11), size(1, 2, 3)))
        for pool, strides in [([2, 2, 2], [2, 2, 2]), ([3, 2, 3], [2, 1, 3])]:
            for padding in ("valid", "same"):
                args = {"pool_size": pool, "strides": strides, "padding": padding}
                add(f"{kind}3D", args, (BATCH, size(5, 6, 7), size(6, 7), size(7, 8, 9), size(1, 2)))
    return cases


def tf_cases() -> list[Case]:
    cases: list[Case] = []

    def add(
        op: str, args: dict[str, Any], shape: tuple[int, ...], weight: tuple[int, ...] | None, note: str | None = None
    ) -> None:
        case = {"framework": "tf", "op": op, "args": args, "input_shape": shape, "weight_shape": weight, "note": note}
        cases.append(case)

    rng = np.random.default_rng(BASE_SEED + 1)

    def size(*choices: int) -> int:
        return int(rng.choice(choices))

    # conv1d: stride and dilation together are fine in tf.nn (Keras refuses them)
    for s, d in [(1, 1), (2, 1), (3, 1), (1, 2), (1, 3), (2, 2)]:
        for padding in ("VALID", "SAME"):
            k, cin = size(2, 3, 4), size(1, 2, 3)
            args = {"stride": s, "padding": padding, "dilations": d, "data_format": "NWC"}
            add("conv1d", args, (BATCH, size(7, 8, 9, 10, 11, 13), cin), (k, cin, size(1, 2, 3)))
    # conv2d: SAME/VALID, explicit (before, after) pairs, stride with dilation, groups
    for k2, s2, d2 in [
        ([3, 3], [2, 2], [1, 1]),
        ([2, 4], [1, 2], [1, 1]),
        ([3, 2], [3, 3], [1, 1]),
        ([3, 3], [1, 1], [2, 3]),
        ([3, 3], [2, 2], [2, 2]),
        ([4, 3], [3, 1], [1, 2]),
    ]:
        for padding in ("VALID", "SAME"):
            cin = size(1, 2, 3)
            args = {"strides": s2, "padding": padding, "dilations": d2, "data_format": "NHWC"}
            add("conv2d", args, (BATCH, size(7, 8, 9, 10), size(8, 9, 11, 12), cin), (*k2, cin, size(2, 3)))
    for k2, s2, d2, pads in [
        ([3, 3], [1, 1], [1, 1], [[1, 1], [1, 1]]),
        ([3, 3], [2, 2], [1, 1], [[0, 1], [1, 0]]),
        ([2, 4], [1, 2], [1, 1], [[2, 0], [0, 3]]),
        ([3, 3], [1, 1], [2, 1], [[3, 1], [1, 2]]),
        ([3, 2], [3, 2], [2, 2], [[1, 2], [0, 0]]),
    ]:
        cin = size(1, 2, 3)
        args = {"strides": s2, "padding": [[0, 0], *pads, [0, 0]], "dilations": d2, "data_format": "NHWC"}
        add("conv2d", args, (BATCH, size(7, 8, 9), size(8, 9, 10), cin), (*k2, cin, 2), "explicit (before, after)")
    for s2, padding in [([1, 1], "SAME"), ([2, 2], "VALID")]:
        args = {"strides": s2, "padding": padding, "dilations": [1, 1], "data_format": "NHWC"}
        add("conv2d", args, (BATCH, 9, 8, 4), (3, 3, 2, 4), "groups=2: filter in_channels = 4 / 2")
    # conv3d: strides must have 5 entries; no dilation (the CPU Conv3D kernel refuses it)
    for k3, s3 in [([3, 3, 3], [1, 1, 1]), ([2, 3, 2], [2, 2, 2]), ([3, 2, 3], [1, 2, 3])]:
        for padding in ("VALID", "SAME"):
            cin = size(1, 2)
            args = {"strides": [1, *s3, 1], "padding": padding, "dilations": [1, 1, 1, 1, 1], "data_format": "NDHWC"}
            add("conv3d", args, (BATCH, size(5, 6, 7), size(6, 7), size(7, 8, 9), cin), (*k3, cin, 2))
    # depthwise_conv2d: strides has 4 entries, dilations 2 (refused with strides > 1)
    for k2, s2, d2, padding, mult in [
        ([3, 3], [1, 1], [1, 1], "SAME", 1),
        ([3, 3], [2, 2], [1, 1], "SAME", 2),
        ([2, 3], [1, 1], [2, 2], "VALID", 2),
        ([3, 3], [1, 1], [1, 1], [[0, 0], [1, 0], [0, 2], [0, 0]], 1),
    ]:
        cin = size(2, 3)
        args = {"strides": [1, *s2, 1], "padding": padding, "dilations": d2, "data_format": "NHWC"}
        add("depthwise_conv2d", args, (BATCH, size(7, 8, 9), size(8, 9), cin), (*k2, cin, mult))
    # conv2d_transpose: every legal output_shape of one input (SAME sizes are ambiguous), VALID
    for k2, s2, n2, padding in [
        ([3, 3], [2, 2], (5, 6), "SAME"),
        ([4, 3], [3, 2], (4, 5), "SAME"),
        ([3, 3], [2, 2], (5, 6), "VALID"),
        ([2, 4], [3, 2], (4, 5), "VALID"),
        ([3, 3], [1, 1], (6, 5), "SAME"),
        ([1, 1], [3, 3], (4, 4), "VALID"),
    ]:
        lo_hi = []
        for n, k, s in zip(n2, k2, s2, strict=True):
            lo = (n - 1) * s + 1 if padding == "SAME" else (n - 1) * s + k
            lo_hi.append((lo, lo + s - 1))
        sizes = sorted({(lo_hi[0][0], lo_hi[1][0]), (lo_hi[0][1], lo_hi[1][1]), (lo_hi[0][0], lo_hi[1][1])})
        cin, cout = size(1, 2, 3), size(1, 2)
        for out_h, out_w in sizes:
            args = {"output_shape": [BATCH, out_h, out_w, cout], "strides": s2, "padding": padding}
            args |= {"data_format": "NHWC", "dilations": [1, 1]}
            note = f"output_shape in {lo_hi[0][0]}..{lo_hi[0][1]} x {lo_hi[1][0]}..{lo_hi[1][1]}"
            add("conv2d_transpose", args, (BATCH, *n2, cin), (*k2, cout, cin), note)
    args = {"output_shape": [BATCH, 12, 13, 2], "strides": [2, 2], "padding": [[0, 0], [1, 2], [0, 1], [0, 0]]}
    add("conv2d_transpose", args | {"data_format": "NHWC", "dilations": [1, 1]}, (BATCH, 6, 6, 2), (4, 3, 2, 2))
    for s, n, out, padding in [(2, 7, 13, "SAME"), (2, 7, 14, "SAME"), (3, 6, 19, "VALID")]:
        args = {"output_shape": [BATCH, out, 2], "strides": s, "padding": padding, "data_format": "NWC"}
        add("conv1d_transpose", args | {"dilations": 1}, (BATCH, n, 3), (3, 2, 3))
    for s3, n3, out3, padding in [
        ([2, 2, 2], (3, 4, 4), (5, 8, 7), "SAME"),
        ([1, 2, 3], (4, 3, 3), (6, 7, 9), "VALID"),
    ]:
        args = {"output_shape": [BATCH, *out3, 2], "strides": [1, *s3, 1], "padding": padding}
        add("conv3d_transpose", args | {"data_format": "NDHWC", "dilations": 1}, (BATCH, *n3, 2), (3, 3, 3, 2, 2))
    # max_pool / avg_pool (generic N-D): sizes 2-4, strides 1-3, SAME/VALID; explicit max_pool pairs
    for op in ("max_pool", "avg_pool"):
        for ksize, strides in [([2], [2]), ([3], [2]), ([4], [3]), ([3], [1]), ([2], [3])]:
            for padding in ("VALID", "SAME"):
                args = {"ksize": ksize, "strides": strides, "padding": padding, "data_format": "NWC"}
                add(op, args, (BATCH, size(7, 8, 9, 10, 11, 13), size(1, 2, 3)), None)
        for ksize, strides in [([3, 3], [2, 2]), ([2, 4], [2, 3]), ([4, 3], [1, 2]), ([3, 2], [3, 1])]:
            for padding in ("VALID", "SAME"):
                args = {"ksize": ksize, "strides": strides, "padding": padding, "data_format": "NHWC"}
                add(op, args, (BATCH, size(7, 8, 9, 10), size(8, 9, 11, 17), size(1, 2, 3)), None)
        for ksize, strides in [([2, 2, 2], [2, 2, 2]), ([3, 3, 2], [2, 1, 3])]:
            for padding in ("VALID", "SAME"):
                args = {"ksize": ksize, "strides": strides, "padding": padding, "data_format": "NDHWC"}
                add(op, args, (BATCH, size(5, 6, 7), size(6, 7), size(7, 8, 9), size(1, 2)), None)
    for ksize, strides, pads, shape in [
        ([3], [2], [[1, 1]], (BATCH, 9, 2)),
        ([3, 3], [2, 2], [[1, 1], [0, 2]], (BATCH, 8, 9, 2)),
        ([4, 2], [1, 2], [[3, 0], [1, 1]], (BATCH, 7, 8, 1)),
    ]:
        args = {"ksize": ksize, "strides": strides, "padding": [[0, 0], *pads, [0, 0]]}
        fmt = "NWC" if len(ksize) == 1 else "NHWC"
        add(f"max_pool{len(ksize)}d", args | {"data_format": fmt}, shape, None, "explicit (before, after)")
    return cases


# --------------------------------------------------------------------------- running them


def nd_of(case: Case) -> int:
    return len(case["input_shape"]) - 2


def dtype_of(case: Case) -> str:
    op = case["op"]
    base = op[: len("max_pool")] if case["framework"] == "tf" and op.startswith(("max_pool", "avg_pool")) else op
    return "float32" if (case["framework"], base, nd_of(case)) in FLOAT32_ONLY else "float64"


def make_arrays(case: Case, seed: int) -> dict[str, np.ndarray]:
    """The input and the weights, in the framework's own layout and in the case's dtype."""
    dtype = case["dtype"]
    arrays = {"input": values(seed, case["input_shape"]).astype(dtype)}
    if case["framework"] == "keras":
        layer = getattr(keras.layers, case["op"])(**case["args"], dtype=dtype)
        layer.build(case["input_shape"])
        for i, variable in enumerate(layer.weights):
            name = variable.path.split("/")[-1]
            arrays[name] = values(seed + 1 + i, tuple(variable.shape)).astype(dtype)
    elif case["weight_shape"] is not None:
        name = "filter" if case["op"] == "depthwise_conv2d" else "filters"
        arrays[name] = values(seed + 1, case["weight_shape"]).astype(dtype)
    return arrays


def run(case: Case, arrays: dict[str, np.ndarray]) -> np.ndarray:
    dtype = case["dtype"]
    x = tf.constant(arrays["input"], dtype=dtype)
    if case["framework"] == "keras":
        layer = getattr(keras.layers, case["op"])(**case["args"], dtype=dtype)
        layer.build(case["input_shape"])
        names = [v.path.split("/")[-1] for v in layer.weights]
        assert names == [n for n in arrays if n != "input"], (names, list(arrays))
        layer.set_weights([arrays[n] for n in names])
        out = layer(x)
    else:
        weights = {n: tf.constant(v, dtype=dtype) for n, v in arrays.items() if n != "input"}
        out = getattr(tf.nn, case["op"])(x, **weights, **case["args"])
    assert out.dtype.name == dtype, (case["id"], out.dtype)
    return np.asarray(out)


def check_layout(case: Case, arrays: dict[str, np.ndarray]) -> None:
    """The recorded weights are in the documented layouts (the test file converts from these)."""
    op, args, shape = case["op"], case["args"], case["input_shape"]
    nd, cin = nd_of(case), shape[-1]
    if case["framework"] == "keras":
        k = tuple(args.get("kernel_size", ()))
        expected: dict[str, tuple[int, ...]] = {}
        if op.endswith("Transpose"):
            expected["kernel"] = (*k, args["filters"], cin)
        elif op == "DepthwiseConv2D":
            expected["kernel"] = (*k, cin, args["depth_multiplier"])
        elif op == "SeparableConv2D":
            mult = args["depth_multiplier"]
            expected = {"depthwise_kernel": (*k, cin, mult), "pointwise_kernel": (1, 1, cin * mult, args["filters"])}
        elif op.startswith("Conv"):
            expected["kernel"] = (*k, cin // args["groups"], args["filters"])
        if expected and args.get("use_bias"):
            channels = cin * args["depth_multiplier"] if op == "DepthwiseConv2D" else args["filters"]
            expected["bias"] = (channels,)
        got = {n: a.shape for n, a in arrays.items() if n != "input"}
        assert got == expected, (case["id"], got, expected)
    elif case["weight_shape"] is not None:
        assert len(case["weight_shape"]) == nd + 2


def engine_layer(case: Case) -> tuple[Any, tuple[int, ...], Any, int]:
    """convarith's layer for the case: (layer, spatial input, output_size, output channels)."""
    op, args, shape, fw = case["op"], case["args"], case["input_shape"], case["framework"]
    nd, cin, spatial = nd_of(case), shape[-1], tuple(shape[1:-1])
    if fw == "keras":
        if "Pooling" in op:
            pool = MaxPool if op.startswith("Max") else AvgPool
            layer: Any = pool(args["pool_size"], stride=args["strides"], padding=args["padding"], framework=fw)
            return layer, spatial, None, cin
        common = {"stride": args["strides"], "padding": args["padding"], "dilation": args["dilation_rate"]}
        if op.endswith("Transpose"):
            layer = ConvTranspose(args["kernel_size"], output_padding=args["output_padding"], framework=fw, **common)
            return layer, spatial, None, args["filters"]
        if op in ("DepthwiseConv2D", "SeparableConv2D"):
            mult = args["depth_multiplier"]
            layer = Conv(
                args["kernel_size"], groups=cin, in_channels=cin, out_channels=cin * mult, framework=fw, **common
            )
            return layer, spatial, None, cin * mult if op == "DepthwiseConv2D" else args["filters"]
        layer = Conv(args["kernel_size"], groups=args["groups"], framework=fw, **common)
        return layer, spatial, None, args["filters"]
    padding = args["padding"]
    if not isinstance(padding, str):
        padding = tuple(tuple(p) for p in padding[1:-1])
    if op.startswith(("max_pool", "avg_pool")):
        pool = MaxPool if op.startswith("max") else AvgPool
        layer = pool(per_axis(args["ksize"], nd), stride=per_axis(args["strides"], nd), padding=padding, framework=fw)
        return layer, spatial, None, cin
    weight = case["weight_shape"]
    stride_name = "stride" if op == "conv1d" else "strides"
    common = {"stride": per_axis(args[stride_name], nd), "padding": padding, "framework": fw}
    if op.endswith("_transpose"):
        layer = ConvTranspose(weight[:nd], dilation=per_axis(args["dilations"], nd), **common)
        return layer, spatial, args["output_shape"][1:-1], weight[-2]
    if op == "depthwise_conv2d":
        layer = Conv(weight[:nd], dilation=args["dilations"], groups=cin, in_channels=cin, **common)
        return layer, spatial, None, cin * weight[-1]
    layer = Conv(weight[:nd], dilation=per_axis(args["dilations"], nd), groups=cin // weight[-2], **common)
    return layer, spatial, None, weight[-1]


def engine_shape(case: Case) -> tuple[int, ...]:
    """The output shape convarith's shape engine predicts for the same layer (channels-last)."""
    layer, spatial, output_size, channels = engine_layer(case)
    return (case["input_shape"][0], *layer.output_shape(spatial, output_size=output_size), channels)


def padding_kind(case: Case) -> str:
    """'asymmetric', 'symmetric' or 'none': the padding the engine applies (for the coverage table)."""
    layer, spatial, output_size, _ = engine_layer(case)
    pads = [axis.padding for axis in layer.arithmetic(spatial, output_size=output_size)]
    if any(before != after for before, after in pads):
        return "asymmetric"
    return "symmetric" if any(before for before, _ in pads) else "none"


# Features every family must exercise: the SAME paddings whose extra cell goes after.
REQUIRED_ASYMMETRIC = {
    "keras-conv": 8,
    "keras-conv_transpose": 4,
    "keras-pool": 8,
    "tf-conv": 6,
    "tf-conv_transpose": 4,
    "tf-pool": 8,
}


def family(case: Case) -> str:
    op = case["op"].lower()
    kind = "pool" if "pool" in op else "conv_transpose" if "transpose" in op else "conv"
    return f"{case['framework']}-{kind}"


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[1])
    ap.add_argument("--out-dir", default=os.path.join(ROOT, "tests", "data"))
    options = ap.parse_args()
    tf.config.experimental.enable_op_determinism()

    npz: dict[str, np.ndarray] = {}
    records: list[Case] = []
    counters: Counter[str] = Counter()
    skipped: list[str] = []
    disagreements: list[str] = []
    coverage: Counter[tuple[str, str]] = Counter()
    for case in keras_cases() + tf_cases():
        prefix = f"{case['framework']}-{case['op']}"
        case["id"] = f"{prefix}-{counters[prefix]:03d}"
        case["dtype"] = dtype_of(case)
        seed = BASE_SEED + zlib.crc32(case["id"].encode()) % 10**6
        arrays = make_arrays(case, seed)
        try:
            output = run(case, arrays)
        except tf.errors.OpError as e:  # a layer TensorFlow refuses when it runs: not recorded
            try:
                engine: str = f"convarith says {list(engine_shape(case))}: DISAGREES"
                disagreements.append(f"{case['id']} {case['args']}: TensorFlow refuses it, convarith does not")
            except convarith.ConvarithError as refusal:
                engine = f"convarith refuses it too ({refusal})"
            skipped.append(f"{case['id']} {case['args']} input {case['input_shape']}: {type(e).__name__}; {engine}")
            continue
        counters[prefix] += 1
        assert np.array_equal(output, run(case, make_arrays(case, seed))), case["id"]
        check_layout(case, arrays)
        record = {k: case[k] for k in ("id", "framework", "op", "args", "dtype")}
        try:
            predicted: Any = list(engine_shape(case))
        except convarith.ConvarithError as e:
            predicted = f"{type(e).__name__}: {e}"
        if predicted != list(output.shape):
            disagreements.append(
                f"{case['id']} {case['args']} input {case['input_shape']}: "
                f"TF {list(output.shape)}, convarith {predicted}"
            )
            record["convarith_shape"] = predicted
        arrays["output"] = output
        record["arrays"] = {name: f"{case['id']}/{name}" for name in arrays}
        record["shapes"] = {name: list(a.shape) for name, a in arrays.items()}
        if case["note"]:
            record["note"] = case["note"]
        for name, a in arrays.items():
            npz[f"{case['id']}/{name}"] = a
        records.append(record)
        if "convarith_shape" not in record:
            coverage[(family(case), padding_kind(case))] += 1

    os.makedirs(options.out_dir, exist_ok=True)
    npz_path = os.path.join(options.out_dir, "golden_port.npz")
    json_path = os.path.join(options.out_dir, "golden_port.json")
    np.savez_compressed(npz_path, **npz)
    with open(json_path, "w") as f:
        json.dump(records, f, indent=1)
        f.write("\n")
    print(
        f"tensorflow {tf.__version__}, keras {keras.__version__}: {len(records)} cases, "
        f"npz {os.path.getsize(npz_path)} bytes"
    )
    for prefix, n in sorted(counters.items()):
        print("  %-28s %3d" % (prefix, n))
    for name in sorted({f for f, _ in coverage}):
        print(
            "  %-22s padding: " % name
            + ", ".join(f"{k} {coverage[(name, k)]}" for k in ("none", "symmetric", "asymmetric"))
        )
    for line in skipped:
        print("skipped (TensorFlow refuses it when it runs):", line)
    for line in disagreements:
        print("SHAPE DISAGREEMENT:", line)
    thin = [
        f"{f} ({coverage[(f, 'asymmetric')]} < {n})"
        for f, n in REQUIRED_ASYMMETRIC.items()
        if coverage[(f, "asymmetric")] < n
    ]
    if thin:
        raise SystemExit("too few cases with asymmetric padding: " + ", ".join(thin))
    if disagreements:
        raise SystemExit(f"{len(disagreements)} shape disagreements with convarith (recorded in the cases)")


if __name__ == "__main__":
    main()
