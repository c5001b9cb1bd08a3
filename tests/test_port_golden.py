"""`convarith port --from tf|keras --to torch` against real TensorFlow and Keras: each layer
recorded by tools/gen_golden_port.py (its input, its weights in its own layout, its output)
is ported, the emitted PyTorch code is executed on the same input and weights, and must give
TensorFlow's output."""

import json

import numpy as np
import pytest
from golden import DATA
from test_golden_port_values import spatial, tf_padding

from convarith.port import port

torch = pytest.importorskip("torch")

CASES = json.loads((DATA / "golden_port.json").read_text())
ARRAYS = np.load(DATA / "golden_port.npz")
TOLERANCE = {"float64": 1e-10, "float32": 1e-5}
# SeparableConv2D is two layers (a depthwise and a 1x1 convolution): port each.
NOT_PORTED = {"SeparableConv2D"}


def arguments(case):
    """port()'s arguments for a recorded layer, and the names of its weight and bias arrays."""
    op, a, shape = case["op"], case["args"], case["shapes"]["input"]
    nd = len(shape) - 2
    if case["framework"] == "keras":
        if "Pooling" in op:
            kind = "max_pool" if op.startswith("Max") else "avg_pool"
            return kind, {"kernel_size": a["pool_size"], "stride": a["strides"], "padding": a["padding"]}
        common = {
            "kernel_size": a["kernel_size"],
            "stride": a["strides"],
            "padding": a["padding"],
            "dilation": a["dilation_rate"],
            "out_channels": a.get("filters"),
            "bias": a["use_bias"],
        }
        if op.endswith("Transpose"):
            return "conv_transpose", {**common, "output_padding": a["output_padding"]}
        if op == "DepthwiseConv2D":
            del common["out_channels"]
            return "conv", {**common, "depth_multiplier": a["depth_multiplier"]}
        return "conv", {**common, "groups": a["groups"]}
    padding = tf_padding(a["padding"])
    if op.startswith(("max_pool", "avg_pool")):
        kind = "max_pool" if op.startswith("max") else "avg_pool"
        return kind, {"kernel_size": spatial(a["ksize"], nd), "stride": spatial(a["strides"], nd), "padding": padding}
    stride = spatial(a["stride" if op == "conv1d" else "strides"], nd)
    common = {"stride": stride, "padding": padding, "dilation": spatial(a["dilations"], nd), "bias": False}
    filters = case["shapes"].get("filters", case["shapes"].get("filter"))
    if op.endswith("_transpose"):
        return "conv_transpose", {
            **common,
            "kernel_size": filters[:nd],
            "out_channels": filters[-2],
            "output_size": a["output_shape"][1:-1],
        }
    if op == "depthwise_conv2d":
        return "conv", {**common, "kernel_size": filters[:nd], "depth_multiplier": filters[-1]}
    groups = shape[-1] // filters[-2]
    return "conv", {**common, "kernel_size": filters[:nd], "out_channels": filters[-1], "groups": groups}


@pytest.mark.parametrize("case", [c for c in CASES if c["op"] not in NOT_PORTED], ids=lambda c: c["id"])
def test_ported_torch_code_gives_tensorflows_output(case):
    op, kwargs = arguments(case)
    arrays = {name: ARRAYS[key] for name, key in case["arrays"].items()}
    x = arrays["input"]
    ported = port(op, x.shape, case["framework"], "torch", **kwargs)
    weight = arrays.get("kernel", arrays.get("filters", arrays.get("filter")))
    namespace = {}
    exec(compile(ported.code, case["id"], "exec"), namespace)
    module = namespace["build"](weight, arrays.get("bias"))
    with torch.no_grad():
        got = np.moveaxis(module(torch.as_tensor(np.moveaxis(x, -1, 1))).numpy(), 1, -1)
    expected = arrays["output"]
    assert got.shape == expected.shape == ported.output, ported.code
    scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
    assert float(np.max(np.abs(got - expected), initial=0.0)) <= TOLERANCE[case["dtype"]] * scale, ported.code


def test_enough_layers_are_checked():
    checked = [c for c in CASES if c["op"] not in NOT_PORTED]
    assert len(checked) >= 200
    assert {arguments(c)[0] for c in checked} == {"conv", "conv_transpose", "max_pool", "avg_pool"}
