"""Explicit (before, after) padding pairs in ``convarith.functional``, in every framework's semantics.

Each op with pairs is checked against an independent path: the input padded by ``F.pad``
(zeros, the conv's padding mode, or -inf for max pooling) and the op with no padding; for
``conv_transpose``, the framework's unpadded output cropped by slicing. When torch is
importable the same configurations are computed by torch itself (``torch.nn.functional.pad``
then the op, float64). Int padding ``p`` and the pairs ``(p, p)`` must give identical arrays.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from convarith import ConvTranspose, ShapeError
from convarith import functional as F
from convarith.layers import AvgPool, Conv, MaxPool
from convarith.limits import LimitError

FRAMEWORKS = ("torch", "tf", "keras")
MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate", "circular": "circular"}
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def torch_flat(pairs: Any) -> list[int]:
    """(before, after) per axis, first axis first -> torch's flat pad, last axis first."""
    return [v for before, after in reversed(pairs) for v in (before, after)]


def crop(full: np.ndarray, pairs: Any) -> np.ndarray:
    nd = len(pairs)
    cut = tuple(slice(b, max(b, n - a)) for n, (b, a) in zip(full.shape[-nd:], pairs, strict=True))
    return full[(Ellipsis, *cut)]


def prefix(full: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """The leading ``shape`` of ``full`` (ceil_mode: the pre-padded input may keep one more window)."""
    assert all(n <= m for n, m in zip(shape, full.shape, strict=True)), (shape, full.shape)
    return full[tuple(slice(0, n) for n in shape)]


@st.composite
def configs(draw: st.DrawFn, op: str) -> dict[str, Any]:
    """A random op configuration with pairs, valid for the drawn framework's other rules."""
    nd = draw(st.integers(1, 3))
    framework = draw(st.sampled_from(FRAMEWORKS))
    sizes = tuple(draw(st.lists(st.integers(1, 7 if nd < 3 else 5), min_size=nd, max_size=nd)))
    kernel = tuple(draw(st.lists(st.integers(1, 4), min_size=nd, max_size=nd)))
    stride = tuple(draw(st.lists(st.integers(1, 3), min_size=nd, max_size=nd)))
    dilation = tuple(draw(st.lists(st.integers(1, 3), min_size=nd, max_size=nd)))
    pools = op in ("max_pool", "avg_pool")
    if framework != "torch" and pools or op == "avg_pool":
        dilation = 1  # tf and Keras pools have none (not even a tuple of ones), avg_pool never
    if framework == "keras" and max(stride) > 1 and dilation != 1 and max(dilation) > 1:
        dilation = (1,) * nd
    most = [k - 1 for k in kernel] if pools else [4] * nd  # a pool's padding stays inside one window
    pairs = tuple((draw(st.integers(0, m)), draw(st.integers(0, m))) for m in most)
    config: dict[str, Any] = {
        "op": op,
        "nd": nd,
        "framework": framework,
        "sizes": sizes,
        "kernel": kernel,
        "stride": stride,
        "pairs": pairs,
        "batch": draw(st.integers(1, 2)),
        "seed": draw(st.integers(0, 2**32 - 1)),
    }
    if op != "avg_pool":
        config["dilation"] = dilation
    if op in ("conv", "conv_transpose"):
        groups = draw(st.integers(1, 2)) if not (op == "conv_transpose" and framework == "keras") else 1
        config["groups"] = groups
        config["in_channels"] = groups * draw(st.integers(1, 2))
        config["out_channels"] = groups * draw(st.integers(1, 2))
        config["bias"] = draw(st.booleans())
    if op == "conv":
        config["padding_mode"] = draw(st.sampled_from(sorted(MODES)))
    if op == "conv_transpose":
        if framework == "tf":
            config["output_padding"] = 0
        elif framework == "keras":
            config["output_padding"] = draw(st.one_of(st.none(), st.tuples(*[st.integers(0, s - 1) for s in stride])))
        else:  # torch: smaller than stride or dilation
            config["output_padding"] = tuple(
                draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation, strict=True)
            )
    if pools:
        config["ceil_mode"] = framework == "torch" and draw(st.booleans())
        config["channels"] = draw(st.integers(1, 3))
    if op == "avg_pool":
        config["count_include_pad"] = draw(st.booleans())
        config["divisor_override"] = (
            draw(st.one_of(st.none(), st.integers(1, 5))) if framework == "torch" and nd > 1 else None
        )
    return config


def arrays(config: dict[str, Any]) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(config["seed"])
    nd, op = config["nd"], config["op"]
    if op in ("max_pool", "avg_pool"):
        return {"input": rng.standard_normal((config["batch"], config["channels"], *config["sizes"]))}
    cin, cout, groups = config["in_channels"], config["out_channels"], config["groups"]
    shape = (cout, cin // groups) if op == "conv" else (cin, cout // groups)
    result = {
        "input": rng.standard_normal((config["batch"], cin, *config["sizes"])),
        "weight": rng.standard_normal((*shape, *config["kernel"])),
    }
    if config["bias"]:
        result["bias"] = rng.standard_normal(cout)
    assert len(config["kernel"]) == nd
    return result


def with_pairs(config: dict[str, Any], a: dict[str, np.ndarray], padding: Any) -> Any:
    """The op under test, called with ``padding`` as given."""
    op, fw = config["op"], config["framework"]
    if op == "conv":
        return F.conv(
            a["input"],
            a["weight"],
            a.get("bias"),
            config["stride"],
            padding,
            config["dilation"],
            config["groups"],
            config["padding_mode"],
            framework=fw,
        )
    if op == "conv_transpose":
        return F.conv_transpose(
            a["input"],
            a["weight"],
            a.get("bias"),
            config["stride"],
            padding,
            config["output_padding"],
            config["groups"],
            config["dilation"],
            framework=fw,
        )
    if op == "max_pool":
        return F.max_pool(
            a["input"],
            config["kernel"],
            config["stride"],
            padding,
            config["dilation"],
            config["ceil_mode"],
            return_indices=True,
            framework=fw,
        )
    return F.avg_pool(
        a["input"],
        config["kernel"],
        config["stride"],
        padding,
        config["ceil_mode"],
        config["count_include_pad"],
        config["divisor_override"],
        framework=fw,
    )


def refused(fn: Any) -> ShapeError | None:
    try:
        fn()
    except ShapeError as exc:
        return exc
    return None


def unpadded_indices(ref_index: np.ndarray, padded_shape: tuple[int, ...], pairs: Any) -> np.ndarray:
    """Flat indices into the pre-padded plane -> flat indices into the caller's plane."""
    coords = np.unravel_index(ref_index, padded_shape)
    sizes = [n - b - a for n, (b, a) in zip(padded_shape, pairs, strict=True)]
    inner = [c - b for c, (b, _) in zip(coords, pairs, strict=True)]
    return np.ravel_multi_index(inner, sizes, mode="wrap")


def independent(config: dict[str, Any], a: dict[str, np.ndarray]) -> Any:
    """The same op through F.pad and no padding (or slicing, for conv_transpose)."""
    op, fw, pairs = config["op"], config["framework"], config["pairs"]
    x, flat = a["input"], torch_flat(config["pairs"])
    if op == "conv":
        padded = F.pad(x, flat, MODES[config["padding_mode"]])
        return F.conv(
            padded, a["weight"], a.get("bias"), config["stride"], 0, config["dilation"], config["groups"], framework=fw
        )
    if op == "conv_transpose":
        full = F.conv_transpose(
            x,
            a["weight"],
            a.get("bias"),
            config["stride"],
            0,
            config["output_padding"],
            config["groups"],
            config["dilation"],
            framework=fw,
        )
        return crop(full, pairs)
    if op == "max_pool":
        padded = F.pad(x, flat, value=-math.inf)
        values, index = F.max_pool(
            padded,
            config["kernel"],
            config["stride"],
            0,
            config["dilation"],
            config["ceil_mode"],
            return_indices=True,
            framework=fw,
        )
        return values, unpadded_indices(index, padded.shape[2:], pairs)
    kwargs = {"ceil_mode": config["ceil_mode"], "count_include_pad": True, "framework": "torch"}
    padded = F.pad(x, flat)
    if fw == "torch" and (config["count_include_pad"] or config["divisor_override"] is not None):
        return F.avg_pool(
            padded, config["kernel"], config["stride"], 0, divisor_override=config["divisor_override"], **kwargs
        )
    # Padding excluded: the average of the pre-padded input over the average of a mask of its real cells.
    mask = F.pad(np.ones((1, 1, *config["sizes"])), flat)
    total = F.avg_pool(padded, config["kernel"], config["stride"], 0, **kwargs)
    count = F.avg_pool(mask, config["kernel"], config["stride"], 0, **kwargs)
    return total / count


def assert_same_pool(got: np.ndarray, ref: np.ndarray) -> np.ndarray:
    ref = prefix(ref, got.shape)
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-10)
    return ref


def check_against(config: dict[str, Any], got: Any, ref: Any) -> None:
    if config["op"] == "max_pool":
        (values, index), (ref_values, ref_index) = got, ref
        assert_same_pool(values, ref_values)
        ref_index = prefix(ref_index, index.shape)
        real = values > -np.inf  # a window of padding only has no real index to agree on
        np.testing.assert_array_equal(index[real], ref_index[real])
    elif config["op"] == "avg_pool":
        assert_same_pool(got, ref)
    else:
        assert got.shape == ref.shape
        np.testing.assert_allclose(got, ref, rtol=0, atol=1e-10)


# (1) pairs against F.pad and the unpadded op.


@pytest.mark.parametrize("op", ["conv", "conv_transpose", "max_pool", "avg_pool"])
@SETTINGS
@given(data=st.data())
def test_pairs_equal_pre_padding(op: str, data: st.DataObject) -> None:
    config = data.draw(configs(op))
    a = arrays(config)
    error = refused(lambda: with_pairs(config, a, config["pairs"]))
    if error is not None:
        # Only what the pre-padded path refuses too (reflect/circular sizes, no window left), or
        # for conv_transpose a crop of the whole output (slicing gives an empty axis).
        assert error.parameter in ("padding", "input"), error
        if op == "conv_transpose":
            assert 0 in independent(config, a).shape
        else:
            assert refused(lambda: independent(config, a)) is not None, error
        assume(False)
    check_against(config, with_pairs(config, a, config["pairs"]), independent(config, a))


# (2) pairs against real PyTorch.


def torch_reference(config: dict[str, Any], a: dict[str, np.ndarray]) -> Any:
    torch = pytest.importorskip("torch")
    nn = torch.nn.functional
    nd, pairs, op = config["nd"], config["pairs"], config["op"]
    flat = torch_flat(pairs)
    x = torch.from_numpy(a["input"])
    w = torch.from_numpy(a["weight"]) if "weight" in a else None
    b = torch.from_numpy(a["bias"]) if "bias" in a else None
    if op == "conv":
        mode = MODES[config["padding_mode"]]
        padded = nn.pad(x, flat, mode=mode) if mode != "constant" else nn.pad(x, flat)
        conv = getattr(nn, f"conv{nd}d")
        return conv(padded, w, b, config["stride"], 0, config["dilation"], config["groups"]).numpy()
    if op == "conv_transpose":
        conv_t = getattr(nn, f"conv_transpose{nd}d")
        output_padding = config["output_padding"] or 0
        full = conv_t(x, w, b, config["stride"], 0, output_padding, config["groups"], config["dilation"]).numpy()
        return crop(full, pairs)
    if op == "max_pool":
        padded = nn.pad(x, flat, value=-math.inf)
        values, index = getattr(nn, f"max_pool{nd}d")(
            padded, config["kernel"], config["stride"], 0, config["dilation"], config["ceil_mode"], True
        )
        return values.numpy(), unpadded_indices(index.numpy(), tuple(padded.shape[2:]), pairs)
    pool = getattr(nn, f"avg_pool{nd}d")
    kwargs: dict[str, Any] = {"ceil_mode": config["ceil_mode"], "count_include_pad": True}
    padded = nn.pad(x, flat)
    if config["framework"] == "torch" and (config["count_include_pad"] or config["divisor_override"] is not None):
        if config["divisor_override"] is not None:
            kwargs["divisor_override"] = config["divisor_override"]
        return pool(padded, config["kernel"], config["stride"], 0, **kwargs).numpy()
    mask = nn.pad(torch.ones((1, 1, *config["sizes"]), dtype=torch.float64), flat)
    total = pool(padded, config["kernel"], config["stride"], 0, **kwargs)
    return (total / pool(mask, config["kernel"], config["stride"], 0, **kwargs)).numpy()


@pytest.mark.parametrize("op", ["conv", "conv_transpose", "max_pool", "avg_pool"])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_pairs_equal_torch(op: str, data: st.DataObject) -> None:
    pytest.importorskip("torch")
    config = data.draw(configs(op))
    if config["framework"] == "keras" and op == "conv_transpose" and config["output_padding"] is None:
        config["output_padding"] = 0  # torch has no Keras None; 0 is torch's full output
    a = arrays(config)
    assume(refused(lambda: with_pairs(config, a, config["pairs"])) is None)
    check_against(config, with_pairs(config, a, config["pairs"]), torch_reference(config, a))


def test_pairs_equal_torch_fixed() -> None:
    """One asymmetric case per op, spelled out, against torch (float64, 1e-10)."""
    torch = pytest.importorskip("torch")
    nn = torch.nn.functional
    rng = np.random.default_rng(15)
    x = rng.standard_normal((2, 4, 7, 6))
    w = rng.standard_normal((6, 2, 3, 2))
    got = F.conv(x, w, padding=((0, 1), (2, 0)), groups=2, stride=(2, 1), padding_mode="reflect")
    ref = nn.conv2d(
        nn.pad(torch.from_numpy(x), (2, 0, 0, 1), mode="reflect"), torch.from_numpy(w), groups=2, stride=(2, 1)
    )
    np.testing.assert_allclose(got, ref.numpy(), rtol=0, atol=1e-10)
    wt = rng.standard_normal((4, 3, 3, 3))
    got = F.conv_transpose(x, wt, padding=((1, 0), (0, 2)), stride=2, output_padding=1)
    full = nn.conv_transpose2d(torch.from_numpy(x), torch.from_numpy(wt), stride=2, output_padding=1).numpy()
    np.testing.assert_allclose(got, full[:, :, 1:, : full.shape[3] - 2], rtol=0, atol=1e-10)
    got = F.max_pool(x, 3, 2, ((2, 0), (1, 2)), ceil_mode=True)
    ref = nn.max_pool2d(nn.pad(torch.from_numpy(x), (1, 2, 2, 0), value=-math.inf), 3, 2, ceil_mode=True).numpy()
    np.testing.assert_allclose(got, prefix(ref, got.shape), rtol=0, atol=1e-10)


# (3) int padding p and pairs (p, p) give identical arrays.


@pytest.mark.parametrize("op", ["conv", "conv_transpose", "max_pool", "avg_pool"])
@SETTINGS
@given(data=st.data())
def test_int_padding_equals_symmetric_pairs(op: str, data: st.DataObject) -> None:
    config = data.draw(configs(op))
    nd = config["nd"]
    if config["framework"] == "torch":
        most = [k // 2 for k in config["kernel"]] if op in ("max_pool", "avg_pool") else [3] * nd
        ints = tuple(data.draw(st.integers(0, m)) for m in most)
    else:
        ints = (0,) * nd  # the only int tf and Keras take: VALID
    a = arrays(config)
    as_int: Any = (
        ints[0] if config["framework"] != "torch" or data.draw(st.booleans()) and len(set(ints)) == 1 else ints
    )
    error = refused(lambda: with_pairs(config, a, as_int))
    assume(error is None)
    expected = with_pairs(config, a, as_int)
    for spelling in (tuple((p, p) for p in ints), [[p, p] for p in ints], np.array([[p, p] for p in ints])):
        got = with_pairs(config, a, spelling)
        if op == "max_pool":
            np.testing.assert_array_equal(got[0], expected[0])
            np.testing.assert_array_equal(got[1], expected[1])
        else:
            assert got.dtype == expected.dtype
            np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("framework", ["tf", "keras"])
@pytest.mark.parametrize("op", ["conv", "max_pool", "avg_pool", "conv_transpose"])
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_same_equals_its_pairs(framework: str, op: str, data: st.DataObject) -> None:
    """TensorFlow's SAME is the pairs the shape engine computes for it (the divisor too)."""
    nd = data.draw(st.integers(1, 3))
    sizes = tuple(data.draw(st.lists(st.integers(1, 6), min_size=nd, max_size=nd)))
    kernel = tuple(data.draw(st.lists(st.integers(1, 4), min_size=nd, max_size=nd)))
    stride = tuple(data.draw(st.lists(st.integers(1, 3), min_size=nd, max_size=nd)))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    x = rng.standard_normal((2, 2, *sizes))
    same = "SAME" if framework == "tf" else "same"
    if op == "conv":
        w = rng.standard_normal((3, 2, *kernel))
        pads = tuple(ax.padding for ax in Conv(kernel, stride, same, framework=framework).arithmetic(sizes))
        expected = F.conv(x, w, stride=stride, padding=same, framework=framework)
        got = F.conv(x, w, stride=stride, padding=pads, framework=framework)
    elif op == "conv_transpose":
        w = rng.standard_normal((2, 3, *kernel))
        output_padding = None if framework == "keras" else 0
        axes = ConvTranspose(kernel, stride, same, output_padding, framework=framework).arithmetic(sizes)
        expected = F.conv_transpose(
            x, w, stride=stride, padding=same, output_padding=output_padding, framework=framework
        )
        pads = tuple(ax.padding for ax in axes)
        if framework == "tf":
            out = tuple(ax.output for ax in axes)
            got = F.conv_transpose(x, w, stride=stride, padding=pads, output_size=out, framework=framework)
        else:
            extra = tuple(ax.output_padding for ax in axes)
            assume(all(e < s for e, s in zip(extra, stride, strict=True)))
            got = F.conv_transpose(x, w, stride=stride, padding=pads, output_padding=extra, framework=framework)
    else:
        layer = (MaxPool if op == "max_pool" else AvgPool)(kernel, stride, same, framework=framework)
        pads = tuple(ax.padding for ax in layer.arithmetic(sizes))
        assume(all(max(p) < k for p, k in zip(pads, kernel, strict=True)))
        fn = F.max_pool if op == "max_pool" else F.avg_pool
        expected = fn(x, kernel, stride, same, framework=framework)
        got = fn(x, kernel, stride, pads, framework=framework)
    np.testing.assert_array_equal(got, expected)


# (4) refusals name padding.

X2 = np.ones((1, 2, 5, 5))
W2 = np.ones((2, 2, 3, 3))


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize(
    "padding",
    [
        ((1, 1),),  # one pair for two axes
        ((1, 1), (1, 1), (1, 1)),  # three pairs
        ((1, -1), (0, 0)),  # negative: would crop
        ((-2, 0), (0, 0)),
        ((1, 2), 3),  # pairs mixed with ints
        ((1, 2, 3), (0, 0)),  # not a pair
        ((1,), (0, 0)),
        ((1.0, 2), (0, 0)),  # floats
        ((True, 0), (0, 0)),  # bools are not ints
        (("1", 0), (0, 0)),
        ((None, 0), (0, 0)),
        [[1, 1], [1, 1, 1]],
        np.array([[1, 1]]),  # one pair (array) for two axes
        np.array([[1.5, 1], [0, 0]]),
    ],
)
def test_bad_pairs_refused(framework: str, padding: Any) -> None:
    calls = [  # pools: kernel_size fixes two spatial axes (three pairs could be an unbatched 3-D input)
        lambda: F.conv(X2, W2, padding=padding, framework=framework),
        lambda: F.conv_transpose(X2, W2, padding=padding, framework=framework),
        lambda: F.max_pool(X2, (3, 3), padding=padding, framework=framework),
        lambda: F.avg_pool(X2, (3, 3), padding=padding, framework=framework),
    ]
    for call in calls:
        with pytest.raises(ShapeError) as info:
            call()
        assert info.value.parameter == "padding", info.value


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_pool_pairs_stay_inside_one_window(framework: str) -> None:
    for fn in (F.max_pool, F.avg_pool):
        with pytest.raises(ShapeError, match="smaller than the window") as info:
            fn(X2, 3, padding=((3, 0), (0, 0)), framework=framework)
        assert info.value.parameter == "padding"
        assert fn(X2, 3, padding=((2, 0), (0, 2)), framework=framework).shape == (1, 2, 2, 2)


def test_more_refusals_name_padding() -> None:
    x1 = np.ones((1, 1, 4))
    w1 = np.ones((1, 1, 3))
    cases = [
        lambda: F.conv(x1, w1, padding=((4, 0),), padding_mode="reflect"),  # reflect: smaller than the axis
        lambda: F.conv(x1, w1, padding=((5, 0),), padding_mode="circular"),  # circular: at most the axis
        lambda: F.conv(np.ones((1, 1, 1)), np.ones((1, 1, 5)), padding=((1, 2),)),  # no window fits
        lambda: F.conv_transpose(x1, w1, padding=((3, 3),)),  # crops the whole output (6 cells)
        lambda: F.conv_transpose(x1, w1, padding=((6, 0),), framework="tf"),
    ]
    for call in cases:
        with pytest.raises(ShapeError) as info:
            call()
        assert info.value.parameter == "padding", info.value


def test_transposed_output_size_with_pairs() -> None:
    """output_size is the cropped size: torch's and tf's range shifted by the crop."""
    x1 = np.arange(4.0).reshape(1, 1, 4)
    w1 = np.ones((1, 1, 3))
    full = F.conv_transpose(x1, w1, stride=2, output_padding=1)  # (4-1)*2 + 3 + 1 = 10
    for framework in ("torch", "tf"):
        for extra in (0, 1):
            got = F.conv_transpose(x1, w1, stride=2, padding=((2, 1),), output_size=6 + extra, framework=framework)
            np.testing.assert_array_equal(got[0, 0], full[0, 0, 2 : 8 + extra])
        for wrong in (5, 8):
            with pytest.raises(ShapeError, match=r"\[6, 7\]") as info:
                F.conv_transpose(x1, w1, stride=2, padding=((2, 1),), output_size=wrong, framework=framework)
            assert info.value.parameter == "output_size"
    with pytest.raises(ShapeError) as info:
        F.conv_transpose(x1, w1, padding=((1, 1),), output_size=4, framework="keras")
    assert info.value.parameter == "output_size"


def test_framework_rules_still_apply_with_pairs() -> None:
    pads = ((1, 0), (0, 1))
    with pytest.raises(ShapeError) as info:  # Keras: stride > 1 with dilation > 1
        F.conv(X2, W2, stride=2, dilation=2, padding=pads, framework="keras")
    assert info.value.parameter == "dilation"
    with pytest.raises(ShapeError) as info:  # tf.nn conv_transpose has no output_padding
        F.conv_transpose(X2, W2, stride=2, padding=pads, output_padding=1, framework="tf")
    assert info.value.parameter == "output_padding"
    with pytest.raises(ShapeError) as info:  # torch: output_padding below stride or dilation
        F.conv_transpose(X2, W2, stride=2, padding=pads, output_padding=2)
    assert info.value.parameter == "output_padding"
    with pytest.raises(ShapeError) as info:
        F.max_pool(X2, 3, padding=pads, ceil_mode=True, framework="tf")
    assert info.value.parameter == "ceil_mode"
    with pytest.raises(ShapeError) as info:
        F.max_pool(X2, 3, padding=pads, dilation=2, framework="keras")
    assert info.value.parameter == "dilation"


def test_shape_engine_layers_keep_framework_rules() -> None:
    """convarith.Conv models torch's nn.Conv2d, which takes no pairs: the functional API accepts more."""
    with pytest.raises(ShapeError) as info:
        Conv(3, padding=((0, 1), (1, 0)), framework="torch")
    assert info.value.parameter == "padding"
    assert F.conv(X2, W2, padding=((0, 1), (1, 0))).shape == (1, 2, 4, 4)


def test_huge_pairs_cost_nothing_or_hit_the_limits() -> None:
    x1 = np.arange(1.0, 9.0).reshape(1, 1, 8)
    w1 = np.ones((1, 1, 3))
    big = 10**12
    got = F.conv(x1, w1, stride=big, padding=((big, big),))
    np.testing.assert_array_equal(got, F.conv(x1, w1, stride=big, padding=big))
    # full output 7*big + 3 cells; cropped to 5: input cell 3's three taps, then two unreached cells
    got = F.conv_transpose(x1, w1, stride=big, padding=((3 * big, 4 * big - 2),))
    assert got.tolist() == [[[4.0, 4.0, 4.0, 0.0, 0.0]]]
    # one window of 10**9 taps, the last on cell 0; then one over all 8 cells
    assert F.max_pool(x1, 10**9, padding=((10**9 - 1, 0),)).tolist() == [[[1.0]]]
    assert F.max_pool(x1, 10**9, padding=((10**9 - 8, 0),)).tolist() == [[[8.0]]]
    assert F.avg_pool(x1, 10**9, padding=((10**9 - 8, 0),), count_include_pad=False).tolist() == [[[4.5]]]
    with pytest.raises(LimitError) as info:
        F.conv(x1, w1, padding=((big, big),))
    assert isinstance(info.value, ShapeError)


def test_docs_example() -> None:
    """The example of docs/functional.md."""
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    w = np.ones((1, 1, 3, 3))
    y = F.conv(x, w, stride=2, padding=((0, 1), (0, 1)))  # TF SAME on 4 cells, stride 2
    np.testing.assert_array_equal(y, F.conv(x, w, stride=2, padding="SAME", framework="tf"))
    assert y.tolist() == [[[[45.0, 39.0], [66.0, 50.0]]]]


def naive_conv_transpose(
    x: np.ndarray, w: np.ndarray, stride: Any, padding: Any, extra: Any, dilation: Any, groups: int
):
    """Scatter every input cell through every tap (2-D, batched), then crop: the definition."""
    n, cin, *sizes = x.shape
    cout_g, kernel = w.shape[1], w.shape[2:]
    full = [
        (i - 1) * s + d * (k - 1) + 1 + e for i, s, d, k, e in zip(sizes, stride, dilation, kernel, extra, strict=True)
    ]
    out = np.zeros((n, cout_g * groups, *full))
    cin_g = cin // groups
    for c in range(cin):
        g = c // cin_g
        for i0, i1, t0, t1 in np.ndindex(*sizes, *kernel):
            y0, y1 = i0 * stride[0] + t0 * dilation[0], i1 * stride[1] + t1 * dilation[1]
            out[:, g * cout_g : (g + 1) * cout_g, y0, y1] += x[:, c, i0, i1, None] * w[c, :, t0, t1]
    return crop(out, padding)


def test_strided_phase_outputs_are_not_written_as_wide_rows() -> None:
    """A stride phase of conv_transpose's output (out[..., r::2, :]) can have the strides of the
    stride-1 path's padded layout; writing whole padded rows there overwrote other phases'
    cells and ran past the buffer (a heap overflow). Found by the hypothesis tests above."""
    rng = np.random.default_rng(39890)
    x = rng.standard_normal((1, 4, 2, 3))
    w = rng.standard_normal((4, 2, 4, 3))
    expected = naive_conv_transpose(x, w, (2, 1), ((1, 1), (2, 2)), (1, 1), (2, 3), 2)
    for padding in ((1, 2), ((1, 1), (2, 2))):
        got = F.conv_transpose(x, w, stride=(2, 1), padding=padding, output_padding=(1, 1), dilation=(2, 3), groups=2)
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


def test_unbatched_input_and_array_pairs() -> None:
    """(C, *spatial) inputs: the pairs fix the number of spatial axes, as a tuple or an array."""
    x = np.arange(60.0).reshape(2, 5, 6)
    pads = ((1, 1), (0, 2))
    for fn in (F.max_pool, F.avg_pool):
        expected = fn(x[None], 3, padding=pads)[0]
        np.testing.assert_array_equal(fn(x, 3, padding=pads), expected)
        np.testing.assert_array_equal(fn(x, 3, padding=np.array(pads)), expected)
    w = np.ones((1, 2, 2, 2))
    np.testing.assert_array_equal(F.conv(x, w, padding=np.array(pads)), F.conv(x[None], w, padding=pads)[0])
