"""`convarith port --to keras`: the emitted Keras code, executed with real Keras (where it is
installed: tools/gen_golden_port_keras.py records the same check for CI), against PyTorch's
semantics (convarith.functional, itself checked against torch golden values)."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import convarith
from convarith import functional as F
from convarith.port import NoExactPort, port

keras = pytest.importorskip("keras")


def torch_semantics(op, x_first, weight, bias, arguments):
    a = arguments
    if op == "conv":
        keys = ("stride", "padding", "dilation", "groups", "padding_mode")
        return F.conv(x_first, weight, bias, **{k: a[k] for k in keys if k in a})
    if op == "conv_transpose":
        keys = ("stride", "padding", "dilation", "output_padding")
        return F.conv_transpose(x_first, weight, bias, **{k: a[k] for k in keys if k in a})
    if op == "max_pool":
        return F.max_pool(x_first, a["kernel_size"], a.get("stride"), a["padding"], ceil_mode=a["ceil_mode"])
    return F.avg_pool(
        x_first,
        a["kernel_size"],
        a.get("stride"),
        a["padding"],
        ceil_mode=a["ceil_mode"],
        count_include_pad=a["count_include_pad"],
    )


@st.composite
def torch_layers(draw):
    op = draw(st.sampled_from(["conv", "conv_transpose", "max_pool", "avg_pool"]))
    n = draw(st.integers(1, 2))
    size = tuple(draw(st.lists(st.integers(4, 9), min_size=n, max_size=n)))
    kernel = tuple(draw(st.lists(st.integers(1, 4), min_size=n, max_size=n)))
    stride = tuple(draw(st.lists(st.integers(1, 3), min_size=n, max_size=n)))
    channels = draw(st.integers(1, 3))
    a = {"kernel_size": kernel, "stride": stride}
    if op == "conv":
        a["padding"] = (
            draw(st.sampled_from([0, 1, 2, "same", "valid"])) if stride == (1,) * n else draw(st.integers(0, 2))
        )
        a["out_channels"] = draw(st.integers(1, 3))
        a["padding_mode"] = draw(st.sampled_from(["zeros", "zeros", "reflect"]))
    elif op == "conv_transpose":
        a["padding"] = draw(st.integers(0, 2))
        a["output_padding"] = tuple(draw(st.integers(0, s - 1)) for s in stride)
        a["out_channels"] = draw(st.integers(1, 3))
    else:
        a["padding"] = tuple(draw(st.integers(0, k // 2)) for k in kernel)
        a["ceil_mode"] = draw(st.booleans())
        if op == "avg_pool":
            a["count_include_pad"] = draw(st.booleans())
    return op, (2, channels, *size), a


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(torch_layers(), st.integers(0, 2**32 - 1))
def test_torch_layers_port_to_keras_exactly(layer, seed):
    op, shape, a = layer
    try:
        ported = port(op, shape, "torch", "keras", **a)
    except NoExactPort:
        return
    except convarith.ShapeError:
        return  # a layer PyTorch refuses
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    weight = bias = None
    if op == "conv":
        weight = rng.standard_normal((a["out_channels"], shape[1], *a["kernel_size"]))
        bias = rng.standard_normal(a["out_channels"])
    elif op == "conv_transpose":
        weight = rng.standard_normal((shape[1], a["out_channels"], *a["kernel_size"]))
        bias = rng.standard_normal(a["out_channels"])
    expected = torch_semantics(op, x, weight, bias, a)
    namespace = {}
    exec(compile(ported.code, "<port>", "exec"), namespace)
    model = namespace["build"](weight if weight is not None else np.zeros(1), bias)
    got = np.moveaxis(np.asarray(model(np.moveaxis(x, 1, -1))), -1, 1)
    assert got.shape == expected.shape, ported.code
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9, err_msg=ported.code)
