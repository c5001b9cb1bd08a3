"""convarith.functional in TensorFlow's and Keras's semantics against values recorded from them.

tests/data/golden_port.{json,npz} come from real tensorflow-cpu 2.21 / Keras 3
(tools/gen_golden_port.py): channels-last inputs and outputs, weights in each framework's own
layout. Here every case is computed with convarith.functional (framework="tf" or "keras"),
converting the layouts to convarith's (channels first; weights (C_out, C_in/groups, *k), or
(C_in, C_out/groups, *k) for transposed convolutions), and compared with TensorFlow's output.
No TensorFlow needed.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import numpy as np
import pytest
from golden import DATA

from convarith import AvgPool
from convarith import functional as F

CASES = json.loads((DATA / "golden_port.json").read_text())
ARRAYS = np.load(DATA / "golden_port.npz")
TOLERANCE = {"float64": 1e-10, "float32": 1e-5}  # relative to the largest output magnitude

# Cases convarith.functional cannot compute yet, with the reason. Each is checked: a listed
# case that starts matching TensorFlow fails the test (strict xfail), so the list stays true.
EXPECTED_GAPS: dict[str, str] = {}


def spatial(value: Any, nd: int) -> list[int]:
    """A tf.nn per-axis argument as spatial values: an int, 1 value, nd values, or nd + 2 (N, ..., C)."""
    if isinstance(value, int):
        return [value] * nd
    if len(value) == 1:
        return list(value) * nd
    if len(value) == nd + 2:
        return list(value[1:-1])
    assert len(value) == nd
    return list(value)


def channels_first(x: np.ndarray) -> np.ndarray:
    return np.moveaxis(x, -1, 1)


def channels_last(x: np.ndarray) -> np.ndarray:
    return np.moveaxis(x, 1, -1)


def conv_weight(kernel: np.ndarray) -> np.ndarray:
    """(*k, C_in/groups, C_out) -> (C_out, C_in/groups, *k)."""
    nd = kernel.ndim - 2
    return kernel.transpose(nd + 1, nd, *range(nd))


def transpose_weight(kernel: np.ndarray) -> np.ndarray:
    """(*k, C_out, C_in) -> (C_in, C_out, *k): both are the same filter of the forward conv."""
    nd = kernel.ndim - 2
    return kernel.transpose(nd + 1, nd, *range(nd))


def depthwise_weight(kernel: np.ndarray) -> np.ndarray:
    """(kh, kw, C_in, multiplier) -> (C_in*multiplier, 1, kh, kw); output channel c*multiplier + m."""
    *k, cin, mult = kernel.shape
    return kernel.reshape(*k, cin * mult, 1).transpose(2, 3, 0, 1)


def tf_padding(padding: Any) -> Any:
    """'SAME'/'VALID', or explicit [[0, 0], [before, after], ..., [0, 0]] -> ((before, after), ...)."""
    if isinstance(padding, str):
        return padding
    return tuple(tuple(pair) for pair in padding[1:-1])


def run_keras(op: str, args: dict[str, Any], a: dict[str, np.ndarray]) -> np.ndarray:
    x, bias = channels_first(a["input"]), a.get("bias")
    nd = x.ndim - 2
    if "Pooling" in op:
        pool = F.max_pool if op.startswith("Max") else F.avg_pool
        stride = args["strides"] if args["strides"] is not None else args["pool_size"]
        return pool(x, args["pool_size"], stride=stride, padding=args["padding"], framework="keras")
    common = {"stride": args["strides"], "padding": args["padding"], "dilation": args["dilation_rate"]}
    if op.endswith("Transpose"):
        weight = transpose_weight(a["kernel"])
        out_pad = args["output_padding"]
        return F.conv_transpose(x, weight, bias, output_padding=out_pad, framework="keras", **common)
    if op == "DepthwiseConv2D":
        return F.conv(x, depthwise_weight(a["kernel"]), bias, groups=x.shape[1], framework="keras", **common)
    if op == "SeparableConv2D":
        depthwise = F.conv(x, depthwise_weight(a["depthwise_kernel"]), groups=x.shape[1], framework="keras", **common)
        pointwise = conv_weight(a["pointwise_kernel"])
        return F.conv(depthwise, pointwise, bias, framework="keras")
    assert op in ("Conv1D", "Conv2D", "Conv3D") and nd == int(op[4])
    return F.conv(x, conv_weight(a["kernel"]), bias, groups=args["groups"], framework="keras", **common)


def run_tf(op: str, args: dict[str, Any], a: dict[str, np.ndarray]) -> np.ndarray:
    x = channels_first(a["input"])
    nd = x.ndim - 2
    padding = tf_padding(args["padding"])
    if op.startswith(("max_pool", "avg_pool")):
        pool = F.max_pool if op.startswith("max") else F.avg_pool
        return pool(x, spatial(args["ksize"], nd), stride=spatial(args["strides"], nd), padding=padding, framework="tf")
    stride = spatial(args["stride" if op == "conv1d" else "strides"], nd)
    dilation = spatial(args["dilations"], nd)
    if op.endswith("_transpose"):
        weight = transpose_weight(a["filters"])
        output_size = args["output_shape"][1:-1]
        return F.conv_transpose(
            x, weight, stride=stride, padding=padding, dilation=dilation, output_size=output_size, framework="tf"
        )
    if op == "depthwise_conv2d":
        weight = depthwise_weight(a["filter"])
        return F.conv(x, weight, stride=stride, padding=padding, dilation=dilation, groups=x.shape[1], framework="tf")
    weight = conv_weight(a["filters"])
    groups = x.shape[1] // weight.shape[1]
    return F.conv(x, weight, stride=stride, padding=padding, dilation=dilation, groups=groups, framework="tf")


def compute(case: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    arrays = {name: ARRAYS[key] for name, key in case["arrays"].items()}
    expected = arrays.pop("output")
    run = run_keras if case["framework"] == "keras" else run_tf
    return channels_last(run(case["op"], case["args"], arrays)), expected


def test_cases_cover_every_op():
    per_op = Counter(f"{c['framework']}-{c['op']}" for c in CASES)
    assert len(CASES) >= 200
    for op in ("Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose"):
        assert per_op[f"keras-{op}"] >= 6, op
    for op in ("DepthwiseConv2D", "SeparableConv2D", "MaxPooling3D", "AveragePooling3D"):
        assert per_op[f"keras-{op}"] >= 4, op
    for op in ("conv1d", "conv2d", "conv3d", "conv2d_transpose", "max_pool", "avg_pool"):
        assert per_op[f"tf-{op}"] >= 6, op
    assert {c["dtype"] for c in CASES} == {"float32", "float64"}
    assert all("convarith_shape" not in c for c in CASES), "the shape engine disagreed with TensorFlow"
    assert set(EXPECTED_GAPS) <= {c["id"] for c in CASES}


def test_average_pools_with_asymmetric_same_padding_are_covered():
    """TensorFlow divides by the real cells only: the cases where SAME pads more after than before."""
    asymmetric: Counter[str] = Counter()
    for case in CASES:
        op, args, shape = case["op"], case["args"], case["shapes"]["input"]
        nd = len(shape) - 2
        if op.startswith("AveragePooling"):
            pool = AvgPool(args["pool_size"], stride=args["strides"], padding=args["padding"], framework="keras")
        elif op == "avg_pool":
            ksize, strides = spatial(args["ksize"], nd), spatial(args["strides"], nd)
            pool = AvgPool(ksize, stride=strides, padding=tf_padding(args["padding"]), framework="tf")
        else:
            continue
        if any(axis.padding[0] != axis.padding[1] for axis in pool.arithmetic(shape[1:-1])):
            asymmetric[case["framework"]] += 1
    assert asymmetric["tf"] >= 4 and asymmetric["keras"] >= 4, asymmetric


def test_recorded_arrays_match_the_case_list():
    for case in CASES:
        for name, key in case["arrays"].items():
            assert list(ARRAYS[key].shape) == case["shapes"][name], (case["id"], name)
            assert ARRAYS[key].dtype == np.dtype(case["dtype"]), (case["id"], name)


def _marks(case: dict[str, Any]) -> list[pytest.MarkDecorator]:
    reason = EXPECTED_GAPS.get(case["id"])
    return [pytest.mark.xfail(strict=True, reason=reason)] if reason else []


@pytest.mark.parametrize("case", [pytest.param(c, id=c["id"], marks=_marks(c)) for c in CASES])
def test_matches_tensorflow(case):
    got, expected = compute(case)
    assert got.shape == expected.shape
    assert got.dtype == expected.dtype
    scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
    error = float(np.max(np.abs(got.astype(np.float64) - expected), initial=0.0))
    assert error <= TOLERANCE[case["dtype"]] * scale, (case["id"], error)
