"""convarith.functional under hostile parameters (issue 12).

- Work grows with the answer, never with a parameter's magnitude: strides, dilations,
  paddings and kernel sizes of 10**8 .. 10**30 finish at once, with values equal to a naive
  loop over output cells and taps written here (not the backend's own code).
- Scratch stays within ``limits.temporary_bytes``: with a tiny budget every path chunks (or
  refuses with a LimitError naming the option) and still gives the naive answer.
- Every refusal is a ShapeError naming the parameter; a fuzz of every entry point with random
  types and magnitudes gives a result or a ShapeError, never another exception or a warning.
"""

from __future__ import annotations

import math
import os
import time
import warnings
from itertools import product

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import convarith
from convarith import functional as F
from convarith import limits
from convarith.errors import LimitError, ShapeError

# ---------------------------------------------------------------- naive references (loops)


def _map_cell(p, size, mode):
    """Cell a padded position reads, or None for zeros."""
    if 0 <= p < size:
        return p
    if mode == "zeros":
        return None
    if mode == "replicate":
        return min(max(p, 0), size - 1)
    if mode == "circular":
        return p % size
    if mode == "reflect":
        return -p if p < 0 else 2 * (size - 1) - p
    raise AssertionError(mode)


def naive_conv(x, w, axes, groups=1, mode="zeros"):
    """x (N, C, *in), w (O, C/g, *k); axes from the shape engine. Loops over cells and taps."""
    n, c = x.shape[:2]
    o_ch, cg = w.shape[:2]
    og = o_ch // groups
    out = np.zeros((n, o_ch, *[a.output for a in axes]))
    for cell in product(*(range(a.output) for a in axes)):
        for taps in product(*(range(a.kernel_size) for a in axes)):
            pos = [
                _map_cell(o * a.stride + t * a.dilation - a.padding[0], a.input, mode)
                for o, t, a in zip(cell, taps, axes, strict=True)
            ]
            if any(p is None for p in pos):
                continue
            for g in range(groups):
                xs = x[(slice(None), slice(g * cg, (g + 1) * cg), *pos)]  # (N, cg)
                ws = w[(slice(g * og, (g + 1) * og), slice(None), *taps)]  # (og, cg)
                out[(slice(None), slice(g * og, (g + 1) * og), *cell)] += xs @ ws.T
    return out


def naive_conv_transpose(x, w, axes, groups=1):
    """Scatter: input cell m, tap t lands on m*s + t*d - pad_before."""
    n, cin = x.shape[:2]
    cg_out = w.shape[1]
    cg_in = cin // groups
    out = np.zeros((n, cg_out * groups, *[a.output for a in axes]))
    for cell in product(*(range(a.input) for a in axes)):
        for taps in product(*(range(a.kernel_size) for a in axes)):
            y = [m * a.stride + t * a.dilation - a.padding[0] for m, t, a in zip(cell, taps, axes, strict=True)]
            if not all(0 <= v < a.output for v, a in zip(y, axes, strict=True)):
                continue
            for g in range(groups):
                xs = x[(slice(None), slice(g * cg_in, (g + 1) * cg_in), *cell)]  # (N, cg_in)
                ws = w[(slice(g * cg_in, (g + 1) * cg_in), slice(None), *taps)]  # (cg_in, cg_out)
                out[(slice(None), slice(g * cg_out, (g + 1) * cg_out), *y)] += xs @ ws
    return out


def naive_max_pool(x, axes):
    """Values and flat indices: first maximum in window order, NaN wins."""
    lead = x.shape[: x.ndim - len(axes)]
    planes = x.reshape(-1, *x.shape[x.ndim - len(axes) :])
    outs = [a.output for a in axes]
    best = np.full((planes.shape[0], *outs), -np.inf)
    index = np.full((planes.shape[0], *outs), -1)
    for p in range(planes.shape[0]):
        for cell in product(*(range(o) for o in outs)):
            # Only the taps that land on the input: a kernel of 10**9 has at most a few.
            ranges = []
            for o, a in zip(cell, axes, strict=True):
                start = o * a.stride - a.padding[0]
                lo = max(0, -(start // a.dilation))  # ceil(-start / d), exact at any size
                hi = min(a.kernel_size - 1, (a.input - 1 - start) // a.dilation)
                ranges.append(range(lo, hi + 1))
            for taps in product(*ranges):
                pos = tuple(
                    o * a.stride + t * a.dilation - a.padding[0] for o, t, a in zip(cell, taps, axes, strict=True)
                )
                v = planes[(p, *pos)]
                b = best[(p, *cell)]
                if index[(p, *cell)] < 0 or v > b or np.isnan(v):  # torch: a later NaN takes the index
                    best[(p, *cell)] = v
                    index[(p, *cell)] = int(np.ravel_multi_index(pos, planes.shape[1:]))
        for cell in product(*(range(o) for o in outs)):
            if index[(p, *cell)] < 0:  # only padding: PyTorch reports its first tap moved into the input
                starts = []
                for o, a in zip(cell, axes, strict=True):
                    start = o * a.stride - a.padding[0]
                    while start < 0:
                        start += a.dilation
                    starts.append(start)
                flat = 0
                for start, size in zip(starts, planes.shape[1:], strict=True):
                    flat = flat * size + start
                index[(p, *cell)] = flat
    return best.reshape(*lead, *outs), index.reshape(*lead, *outs)


def naive_avg_pool(x, axes, include_pad=True):
    lead = x.shape[: x.ndim - len(axes)]
    planes = x.reshape(-1, *x.shape[x.ndim - len(axes) :]).astype(float)
    outs = [a.output for a in axes]
    out = np.zeros((planes.shape[0], *outs))
    for cell in product(*(range(o) for o in outs)):
        total = np.zeros(planes.shape[0])
        count = 1
        for o, a in zip(cell, axes, strict=True):
            start = o * a.stride - a.padding[0]
            end = min(start + a.kernel_size, a.input + a.padding[1])
            count *= (end - start) if include_pad else (min(end, a.input) - max(start, 0))
        ranges = [
            range(max(0, o * a.stride - a.padding[0]), min(a.input, o * a.stride - a.padding[0] + a.kernel_size))
            for o, a in zip(cell, axes, strict=True)
        ]
        for pos in product(*ranges):
            total += planes[(slice(None), *pos)]
        out[(slice(None), *cell)] = total / count
    return out.reshape(*lead, *outs)


def timed(fn, seconds=2.0):
    start = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - start
    assert elapsed < seconds, f"took {elapsed:.2f} s"
    return result


RNG = np.random.default_rng(12)


def ints(shape, low=-3, high=4):
    return RNG.integers(low, high, size=shape).astype(float)


# ---------------------------------------------------------------- huge parameters, small answers

HUGE_CONV = [
    dict(stride=10**12),
    dict(stride=10**12, padding=1),
    dict(dilation=10**8, padding="same"),
    dict(dilation=10**12, padding=10**12),
    dict(dilation=3, padding=10**9, stride=10**9),
    dict(dilation=10**12 + 1, stride=10**12, padding=10**13),  # a lattice: outputs read different taps
    dict(dilation=10**30, padding=10**30, stride=10**30 - 1),
    dict(stride=(10**12, 1), padding=(0, 5 * 10**5), dilation=(1, 10**6)),
    dict(stride=(3, 10**15), padding=(2, 7 * 10**14), dilation=(2, 10**14)),
]


@pytest.mark.parametrize("kw", HUGE_CONV, ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items()))
@pytest.mark.parametrize("mode", ["zeros", "replicate"])
def test_conv_huge_parameters_match_loops(kw, mode):
    nd = 2 if any(isinstance(v, tuple) for v in kw.values()) else 1
    x = ints((2, 4) + (7, 6)[:nd])
    w = ints((6, 2) + (3, 2)[:nd])
    axes = convarith.Conv(w.shape[2:], **kw).arithmetic(x.shape[2:])
    if mode == "replicate" and math.prod(a.output for a in axes) > 400:
        pytest.skip("a large answer")
    got = timed(lambda: F.conv(x, w, groups=2, padding_mode=mode, **kw))
    assert got.shape == (2, 6, *[a.output for a in axes])
    np.testing.assert_array_equal(got, naive_conv(x, w, axes, groups=2, mode=mode))


def test_issue_example_stride_1e12_equals_a_stride_past_the_input():
    x = ints((1, 3, 40, 50))
    w = ints((3, 1, 3, 3))
    huge = timed(lambda: F.conv(x, w, groups=3, stride=10**12, padding=1))
    small = F.conv(x, w, groups=3, stride=60, padding=1)  # one window either way
    np.testing.assert_array_equal(huge, small)


@pytest.mark.parametrize(
    "kw",
    [
        dict(stride=10**12, padding=10**12 - 1),
        dict(stride=10**12, padding=10**12 - 2, output_padding=10**3),
        dict(stride=10**12, dilation=10**12 + 1, padding=2 * 10**12),
        dict(stride=3, dilation=10**12, padding=10**12),
        dict(stride=7, dilation=10**9, padding=10**9 + 3),
        dict(stride=(10**9, 2), padding=(10**9 - 1, 1), dilation=(1, 3)),
    ],
    ids=str,
)
def test_conv_transpose_huge_parameters_match_scatter(kw):
    nd = 2 if any(isinstance(v, tuple) for v in kw.values()) else 1
    x = ints((2, 4) + (3, 4)[:nd])
    w = ints((4, 3) + (3, 2)[:nd])
    try:
        axes = convarith.ConvTranspose(w.shape[2:], **kw).arithmetic(x.shape[2:])
    except ShapeError:
        with pytest.raises(ShapeError):
            F.conv_transpose(x, w, groups=2, **kw)
        return
    got = timed(lambda: F.conv_transpose(x, w, groups=2, **kw))
    np.testing.assert_array_equal(got, naive_conv_transpose(x, w, axes, groups=2))


def test_conv_transpose_output_size_with_huge_stride():
    x = ints((1, 2, 3)) + 10
    w = ints((2, 1, 3)) + 10
    kw = dict(stride=10**12, padding=10**12)
    axes = convarith.ConvTranspose(3, **kw).arithmetic((3,), output_size=(7,))
    assert axes[0].output == 7
    got = timed(lambda: F.conv_transpose(x, w, output_size=(7,), **kw))
    ref = naive_conv_transpose(x, w, axes)
    assert ref[0, 0, :3].all() and not ref[0, 0, 3:].any()
    np.testing.assert_array_equal(got, ref)


@pytest.mark.parametrize(
    "kw",
    [
        dict(kernel_size=10**9, stride=1, padding=5 * 10**8),
        dict(kernel_size=10**9, stride=10**9, padding=5 * 10**8),
        dict(kernel_size=10**9 + 1, stride=3, padding=5 * 10**8, ceil_mode=True),
        dict(kernel_size=(3, 10**6), stride=(1, 7), padding=(1, 5 * 10**5)),
        dict(kernel_size=(5, 2 * 10**12), stride=(10**12, 1), padding=(2, 10**12)),
    ],
    ids=str,
)
def test_pools_with_huge_kernels_match_loops(kw):
    nd = len(kw["kernel_size"]) if isinstance(kw["kernel_size"], tuple) else 1
    x = RNG.standard_normal((2, 3) + (6, 5)[:nd])
    x[0, 0, 1] = np.nan
    axes = convarith.MaxPool(**kw).arithmetic(x.shape[2:])
    values, index = timed(lambda: F.max_pool(x, return_indices=True, **kw))
    ref_values, ref_index = naive_max_pool(x, axes)
    np.testing.assert_array_equal(values, ref_values)
    np.testing.assert_array_equal(index, ref_index)
    np.testing.assert_array_equal(timed(lambda: F.max_pool(x, **kw)), ref_values)
    avg_axes = convarith.AvgPool(**kw).arithmetic(x.shape[2:])
    for include in (True, False):
        got = timed(lambda include=include: F.avg_pool(x, count_include_pad=include, **kw))
        np.testing.assert_allclose(got, naive_avg_pool(x, avg_axes, include), rtol=1e-12, atol=1e-12)


def test_max_pool_dilated_huge():
    x = RNG.standard_normal((1, 2, 9, 8))
    kw = dict(kernel_size=(4, 3), stride=(2, 1), padding=(2, 1), dilation=(10**10, 1))
    try:
        axes = convarith.MaxPool(**kw).arithmetic(x.shape[2:])
    except ShapeError:
        with pytest.raises(ShapeError):
            F.max_pool(x, **kw)
        return
    values, index = timed(lambda: F.max_pool(x, return_indices=True, **kw))
    ref = naive_max_pool(x, axes)
    np.testing.assert_array_equal(values, ref[0])
    np.testing.assert_array_equal(index, ref[1])


def test_max_pool_window_of_padding_only_reports_torchs_index():
    """Values and indices printed by torch 2.13 (max_pool1d/2d with return_indices=True)."""
    x = np.arange(1.0, 9.0).reshape(1, 1, 8)
    values, index = F.max_pool(x, 2, 10**6, 1, 10**6, ceil_mode=True, return_indices=True)
    assert values.tolist() == [[[-np.inf]]] and index.tolist() == [[[999999]]]
    values, index = F.max_pool(np.ones((1, 1, 1, 1)), (1, 2), (3, 1), (0, 1), (2, 2), return_indices=True)
    assert values.tolist() == [[[[-np.inf]]]] and index.tolist() == [[[[1]]]]


def test_pad_huge_is_refused_before_allocating():
    x = np.ones((1, 1, 8))
    with pytest.raises(LimitError, match="max-memory|output_bytes"):
        timed(lambda: F.pad(x, (10**12, 0)))
    with pytest.raises(LimitError, match="max-memory|output_bytes"):
        timed(lambda: F.pad(x, (0, 10**40), mode="replicate"))
    # Cropping a huge amount is no work either, and padding back stays exact.
    assert F.pad(x, (-3, 2), value=7.0)[0, 0].tolist() == [1] * 5 + [7, 7]


def test_huge_replicate_padding_is_never_built():
    x = ints((1, 2, 5, 6))
    w = ints((3, 2, 3, 3))
    kw = dict(stride=10**8, padding=(10**8, 2), padding_mode="replicate")
    axes = convarith.Conv(3, stride=10**8, padding=(10**8, 2)).arithmetic((5, 6))
    got = timed(lambda: F.conv(x, w, **kw))
    np.testing.assert_array_equal(got, naive_conv(x, w, axes, mode="replicate"))


# ---------------------------------------------------------------- scratch within the budget


@pytest.fixture
def tiny_budget(monkeypatch):
    monkeypatch.setattr(limits, "temporary_bytes", 3000)


CONFIGS = [
    ((2, 4, 9, 8), (6, 2, 3, 2), dict(groups=2, padding=1)),
    ((1, 3, 11, 7), (3, 1, 3, 3), dict(groups=3, padding=(2, 1), dilation=2)),
    ((2, 2, 10, 9), (4, 2, 4, 3), dict(stride=(2, 3), padding=1)),
    ((1, 2, 6), (3, 2, 4), dict(stride=1, dilation=2, padding="same")),
    ((1, 2, 5, 4, 6), (2, 2, 2, 3, 2), dict(stride=(1, 2, 1), padding=1)),
]


@pytest.mark.parametrize("xs,ws,kw", CONFIGS, ids=str)
@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
def test_tiny_scratch_budget_chunks_and_agrees(tiny_budget, xs, ws, kw, mode):
    x, w = ints(xs), ints(ws)
    axes = convarith.Conv(ws[2:], **kw).arithmetic(xs[2:])
    got = F.conv(x, w, padding_mode=mode, **kw)
    np.testing.assert_array_equal(got, naive_conv(x, w, axes, groups=kw.get("groups", 1), mode=mode))


def test_tiny_scratch_budget_conv_transpose_and_pools(tiny_budget):
    x, w = ints((2, 4, 5, 4)), ints((4, 3, 3, 2))
    kw = dict(stride=(2, 3), padding=(1, 0), dilation=(1, 2), groups=2)
    axes = convarith.ConvTranspose((3, 2), **{k: v for k, v in kw.items() if k != "groups"}).arithmetic((5, 4))
    np.testing.assert_array_equal(F.conv_transpose(x, w, **kw), naive_conv_transpose(x, w, axes, groups=2))
    x = RNG.standard_normal((3, 2, 7, 6))
    axes = convarith.MaxPool(3, 2, 1).arithmetic((7, 6))
    values, index = F.max_pool(x, 3, 2, 1, return_indices=True)
    ref = naive_max_pool(x, axes)
    np.testing.assert_array_equal(values, ref[0])
    np.testing.assert_array_equal(index, ref[1])


def test_scratch_that_cannot_be_chunked_is_refused_naming_the_option(monkeypatch):
    monkeypatch.setattr(limits, "temporary_bytes", 8)
    with pytest.raises(LimitError, match="max-memory|temporary_bytes"):
        F.conv(np.ones((1, 64, 5, 5)), np.ones((64, 64, 3, 3)))


def test_big_outputs_refused_naming_the_option(monkeypatch):
    monkeypatch.setattr(limits, "output_bytes", 10_000)
    x = np.ones((1, 1, 60, 60))
    for call in (
        lambda: F.conv(x, np.ones((1, 1, 1, 1))),
        lambda: F.conv_transpose(x, np.ones((1, 1, 2, 2)), stride=2),
        lambda: F.max_pool(x, 1),
        lambda: F.max_pool(x, 2, return_indices=True),
        lambda: F.avg_pool(x, 1),
        lambda: F.pad(x, (1, 1)),
    ):
        with pytest.raises(LimitError, match="max-memory"):
            call()


def test_huge_kernel_small_output_stays_in_budget(monkeypatch):
    """A 300x300 kernel over 310x310: an im2col would be 1.2 GB at this budget's scale."""
    monkeypatch.setattr(limits, "temporary_bytes", 2 * 2**20)
    x = RNG.integers(-2, 3, (1, 1, 310, 310)).astype(np.float64)
    w = RNG.integers(-2, 3, (1, 1, 300, 300)).astype(np.float64)
    got = F.conv(x, w)
    ref = np.empty((11, 11))
    for i, j in product(range(11), range(11)):
        ref[i, j] = (x[0, 0, i : i + 300, j : j + 300] * w[0, 0]).sum()
    np.testing.assert_array_equal(got[0, 0], ref)


# ---------------------------------------------------------------- refusals are ShapeErrors


X1 = np.ones((1, 2, 8))
W1 = np.ones((3, 2, 3))

REFUSALS = [
    ("kernel_size", lambda: F.max_pool(X1, None)),
    ("kernel_size", lambda: F.avg_pool(X1, None)),
    ("pad", lambda: F.pad(X1, 3)),
    ("pad", lambda: F.pad(X1, None)),
    ("pad", lambda: F.pad(X1, (1.5, 1))),
    ("pad", lambda: F.pad(X1, (True, 1))),
    ("pad", lambda: F.pad(X1, "12")),
    ("pad", lambda: F.pad(X1, [[1, 1]])),
    ("mode", lambda: F.pad(X1, (1, 1), mode=["reflect"])),
    ("mode", lambda: F.pad(X1, (1, 1), mode=None)),
    ("value", lambda: F.pad(X1, (1, 1), value="0")),
    ("value", lambda: F.pad(X1, (1, 1), value=10**400)),
    ("value", lambda: F.pad(X1.astype(np.int32), (1, 1), value=float("nan"))),
    ("value", lambda: F.pad(X1.astype(np.int8), (1, 1), value=1000)),
    ("input", lambda: F.conv("abc", W1)),
    ("input", lambda: F.conv(None, W1)),
    ("input", lambda: F.conv([[1, 2], [3]], W1)),
    ("input", lambda: F.conv(np.ones((1, 2, 8), dtype=complex), W1)),
    ("input", lambda: F.conv(np.ones((1, 2, 8), dtype=object), W1)),
    ("input", lambda: F.conv(np.ones((1, 2, 8), dtype=bool), W1)),
    ("input", lambda: F.conv(np.array(3.0), W1)),
    ("input", lambda: F.conv(np.ones((2, 8)).tolist()[0], W1)),
    ("input", lambda: F.conv([[10**30] * 8] * 2, W1)),
    ("weight", lambda: F.conv(X1, np.ones(3))),
    ("weight", lambda: F.conv(X1, "w")),
    ("weight", lambda: F.conv(X1, np.ones((3, 5, 3)))),
    ("bias", lambda: F.conv(X1, W1, bias=np.ones(2))),
    ("bias", lambda: F.conv(X1, W1, bias="b")),
    ("bias", lambda: F.conv(X1, W1, bias=np.ones((3, 1)))),
    ("bias", lambda: F.conv_transpose(X1, np.ones((2, 3, 3)), bias=np.ones(2))),
    ("groups", lambda: F.conv(X1, W1, groups=0)),
    ("groups", lambda: F.conv(X1, W1, groups=2.0)),
    ("groups", lambda: F.conv(X1, W1, groups=True)),
    ("groups", lambda: F.conv(X1, W1, groups=None)),
    ("groups", lambda: F.conv_transpose(X1, W1, groups="1")),
    ("padding_mode", lambda: F.conv(X1, W1, padding_mode="mirror")),
    ("padding_mode", lambda: F.conv(X1, W1, padding_mode=["zeros"])),
    ("flip", lambda: F.conv(X1, W1, flip="yes")),
    ("framework", lambda: F.conv(X1, W1, framework=["torch"])),
    ("framework", lambda: F.max_pool(X1, 2, framework=None)),
    ("ceil_mode", lambda: F.max_pool(X1, 2, ceil_mode="no")),
    ("return_indices", lambda: F.max_pool(X1, 2, return_indices=2)),
    ("count_include_pad", lambda: F.avg_pool(X1, 2, count_include_pad=None)),
    ("divisor_override", lambda: F.avg_pool(X1, 2, divisor_override=0)),
    ("divisor_override", lambda: F.avg_pool(X1, 2, divisor_override=1.5)),
    ("divisor_override", lambda: F.avg_pool(X1, 2, divisor_override=10**30)),
    ("input", lambda: F.max_pool(np.ones(8), 2)),
    ("input", lambda: F.max_pool(np.array(1.0), 2)),
    ("input", lambda: F.avg_pool(np.ones((1, 2, 8), dtype=complex), 2)),
    ("input", lambda: F.max_pool("x", 2)),
    ("input", lambda: F.pad(np.array(["a", "b"]), (1, 1))),
    ("input", lambda: F.pad(None, (1, 1))),
    ("output_size", lambda: F.conv_transpose(X1, np.ones((2, 3, 3)), stride=2, output_size=np.ones((2, 2), dtype=int))),
]


@pytest.mark.parametrize("name,call", REFUSALS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(REFUSALS)])
def test_refusals_are_shape_errors_naming_the_parameter(name, call):
    with pytest.raises(ShapeError) as info:
        call()
    assert info.value.parameter == name, str(info.value)


def test_numpy_integers_are_ints_everywhere():
    i = np.int64
    x = ints((1, 2, 9, 8))
    w = ints((4, 1, 3, 2))
    ref = F.conv(x, w, stride=2, padding=1, dilation=2, groups=2)
    got = F.conv(x, w, stride=i(2), padding=(i(1), np.int32(1)), dilation=np.uint8(2), groups=i(2))
    np.testing.assert_array_equal(got, ref)
    wt = ints((2, 3, 3, 2))
    ref = F.conv_transpose(x[:, :2], wt, stride=2, padding=1, output_padding=1, groups=1, dilation=1)
    got = F.conv_transpose(x[:, :2], wt, stride=i(2), padding=i(1), output_padding=i(1), groups=i(1), dilation=i(1))
    np.testing.assert_array_equal(got, ref)
    size = ref.shape[2:]
    got = F.conv_transpose(x[:, :2], wt, stride=2, padding=1, output_size=[i(size[0]), i(size[1])])
    np.testing.assert_array_equal(got, ref)
    np.testing.assert_array_equal(F.max_pool(x, i(3), i(2), i(1), i(1)), F.max_pool(x, 3, 2, 1, 1))
    np.testing.assert_array_equal(
        F.avg_pool(x, (i(3), 2), divisor_override=i(3)), F.avg_pool(x, (3, 2), divisor_override=3)
    )
    np.testing.assert_array_equal(F.pad(x, (i(1), np.int8(-1))), F.pad(x, (1, -1)))
    np.testing.assert_array_equal(F.pad(x, np.array([1, 2])), F.pad(x, (1, 2)))


def test_nan_and_inf_propagate_without_warnings():
    x = np.ones((1, 1, 6))
    x[0, 0, 2] = np.nan
    x[0, 0, 4] = np.inf
    w = np.array([[[1.0, 0.0, -1.0]]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = F.conv(x, w)[0, 0]
        assert np.isnan(out[0]) and np.isnan(out[1]) and np.isnan(out[2])  # inf - inf and NaN
        dw = F.conv(np.repeat(x, 2, axis=1), np.zeros((2, 1, 3)), groups=2)  # inf * 0, depthwise
        assert np.isnan(dw[0, :, 2]).all()
        assert np.isnan(F.max_pool(x, 2)[0, 0, 1])
        assert np.isnan(F.avg_pool(x, 2)[0, 0, 1]) and F.avg_pool(x, 2)[0, 0, 2] == np.inf
        big = np.full((1, 1, 4), 3e38, dtype=np.float32)
        assert np.isinf(F.conv(big, np.ones((1, 1, 2), dtype=np.float32))).all()
        assert np.isinf(F.avg_pool(big, 2, divisor_override=1)).all()
        assert F.pad(x, (1, 1), value=float("nan"))[0, 0, 0] != F.pad(x, (1, 1), value=float("nan"))[0, 0, 0]
        assert F.pad(x.astype(np.float16), (1, 0), value=1e6)[0, 0, 0] == np.inf


# ---------------------------------------------------------------- fuzz: a result or a ShapeError


WILD = st.one_of(
    st.sampled_from([0, -1, 2**31, 2**63, 10**12, 10**30, -(10**18)]),
    st.integers(-3, 6).map(np.int64),
    st.just(np.uint8(3)),
    st.floats(allow_nan=True),
    st.booleans(),
    st.none(),
    st.text(max_size=3),
    st.tuples(st.integers(-3, 6), st.sampled_from([10**12, 2**63])),
    st.lists(st.integers(-3, 6), max_size=4),
    st.tuples(st.tuples(st.integers(0, 2), st.integers(0, 2)), st.tuples(st.integers(0, 2), st.integers(0, 2))),
    st.sampled_from(["same", "valid", "SAME", "VALID", "causal", [[1]], (1.5, 2), (None, 1), {"a": 1}, b"1"]),
)


def _param(valid):
    """Mostly a plausible value; sometimes anything (types, signs and magnitudes)."""
    # (one_of would weigh each of WILD's branches like valid; hypothesis favours 0 and the ends of a range)
    return st.integers(0, 15).flatmap(lambda i: WILD if i == 9 else valid)


def _wild_array():
    shapes = st.lists(st.integers(0, 4), min_size=0, max_size=5).map(tuple)
    dtypes = st.sampled_from([np.float64, np.float32, np.int64, np.int8, np.uint8, bool, complex, object])
    return st.one_of(
        st.builds(lambda s, d: np.ones(s, dtype=d), shapes, dtypes),
        st.just("text"),
        st.none(),
        st.just([[1.0, 2.0], [3.0]]),
        st.just(np.float64("nan")),
        st.builds(lambda s: np.full(s, np.nan), shapes),
        st.just([[[1, 2, 3]]]),
    )


def _array(shape, dtypes=(np.float64, np.float32, np.int64, np.int16)):
    """A random array of ``shape`` (with NaN and inf now and then), or sometimes anything."""
    good = st.builds(
        lambda d, seed, special: _fill(shape, d, seed, special),
        st.sampled_from(dtypes),
        st.integers(0, 2**16),
        st.booleans(),
    )
    return st.integers(0, 15).flatmap(lambda i: _wild_array() if i == 9 else good)


def _fill(shape, dtype, seed, special):
    a = np.random.default_rng(seed).integers(-3, 4, shape).astype(dtype)
    if special and a.size and a.dtype.kind == "f":
        a.flat[seed % a.size] = [np.nan, np.inf, -np.inf][seed % 3]
    return a


SMALL = st.integers(1, 3)
SPATIAL = st.lists(st.integers(1, 6), min_size=1, max_size=3)


def _call_ok(fn):
    """A result or a ShapeError, no warning, in bounded time (budgets small: answers stay small, chunks many)."""
    start = time.perf_counter()
    saved = limits.output_bytes, limits.temporary_bytes
    limits.output_bytes, limits.temporary_bytes = 2**20, 2**18
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            fn()
        except ShapeError:
            pass
        finally:
            limits.output_bytes, limits.temporary_bytes = saved
    assert time.perf_counter() - start < 10


FUZZ = settings(
    max_examples=int(os.environ.get("CONVARITH_FUZZ_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
HUGE = st.sampled_from([10**6, 10**12, 2**63 + 1, 10**30])
WINDOW = st.one_of(SMALL, SMALL, HUGE, st.lists(st.one_of(SMALL, HUGE), min_size=1, max_size=3).map(tuple))
PADDING = st.one_of(
    st.integers(0, 3),
    HUGE,
    st.sampled_from(["same", "valid"]),
    st.lists(st.one_of(st.integers(0, 2), HUGE), min_size=1, max_size=3).map(tuple),
)


@FUZZ
@given(
    data=st.data(),
    spatial=SPATIAL,
    n=st.integers(0, 2),
    g=SMALL,
    cin=SMALL,
    cout=SMALL,
    k=SPATIAL,
    unbatched=st.booleans(),
    with_bias=st.booleans(),
)
def test_fuzz_conv(data, spatial, n, g, cin, cout, k, unbatched, with_bias):
    nd = len(spatial)
    k = (k * 3)[:nd]
    x = data.draw(_array(((cin * g,) if unbatched else (n, cin * g)) + tuple(spatial)))
    w = data.draw(_array((cout * g, cin, *k)))
    bias = data.draw(_array((cout * g,))) if with_bias else None
    kw = dict(
        stride=data.draw(_param(WINDOW)),
        padding=data.draw(_param(PADDING)),
        dilation=data.draw(_param(WINDOW)),
        groups=data.draw(_param(st.just(g))),
        padding_mode=data.draw(_param(st.sampled_from(["zeros", "reflect", "replicate", "circular"]))),
        flip=data.draw(_param(st.booleans())),
        framework=data.draw(_param(st.sampled_from(["torch", "tf", "keras"]))),
    )
    _call_ok(lambda: F.conv(x, w, bias, **kw))


@FUZZ
@given(
    data=st.data(),
    spatial=SPATIAL,
    n=st.integers(1, 2),
    g=SMALL,
    cin=SMALL,
    cout=SMALL,
    k=SPATIAL,
    with_bias=st.booleans(),
)
def test_fuzz_conv_transpose(data, spatial, n, g, cin, cout, k, with_bias):
    nd = len(spatial)
    k = (k * 3)[:nd]
    x = data.draw(_array((n, cin * g) + tuple(spatial)))
    w = data.draw(_array((cin * g, cout, *k)))
    bias = data.draw(_array((cout * g,))) if with_bias else None
    kw = dict(
        stride=data.draw(_param(WINDOW)),
        padding=data.draw(_param(PADDING)),
        output_padding=data.draw(_param(st.one_of(st.integers(0, 2), HUGE))),
        groups=data.draw(_param(st.just(g))),
        dilation=data.draw(_param(WINDOW)),
        output_size=data.draw(
            st.one_of(st.none(), st.none(), _param(st.lists(st.integers(1, 9), min_size=nd, max_size=nd)))
        ),
        framework=data.draw(_param(st.sampled_from(["torch", "tf", "keras"]))),
    )
    _call_ok(lambda: F.conv_transpose(x, w, bias, **kw))


def _pool_kwargs(data, nd):
    return dict(
        kernel_size=data.draw(_param(WINDOW)),
        stride=data.draw(st.one_of(st.none(), _param(WINDOW))),
        padding=data.draw(_param(st.one_of(st.integers(0, 2), HUGE, st.sampled_from(["same", "valid", "SAME"])))),
        ceil_mode=data.draw(_param(st.booleans())),
        framework=data.draw(_param(st.sampled_from(["torch", "tf", "keras"]))),
    )


@FUZZ
@given(data=st.data(), shape=st.lists(st.integers(1, 6), min_size=2, max_size=5))
def test_fuzz_max_pool(data, shape):
    x = data.draw(_array(tuple(shape)))
    kw = _pool_kwargs(data, len(shape) - 2)
    _call_ok(
        lambda: F.max_pool(x, dilation=data.draw(_param(WINDOW)), return_indices=data.draw(_param(st.booleans())), **kw)
    )


@FUZZ
@given(data=st.data(), shape=st.lists(st.integers(1, 6), min_size=2, max_size=5))
def test_fuzz_avg_pool(data, shape):
    x = data.draw(_array(tuple(shape)))
    kw = _pool_kwargs(data, len(shape) - 2)
    _call_ok(
        lambda: F.avg_pool(
            x,
            count_include_pad=data.draw(_param(st.booleans())),
            divisor_override=data.draw(st.one_of(st.none(), _param(st.integers(-3, 3)))),
            **kw,
        )
    )


@FUZZ
@given(data=st.data(), shape=st.lists(st.integers(0, 5), min_size=0, max_size=5))
def test_fuzz_pad(data, shape):
    x = data.draw(_array(tuple(shape), (np.float64, np.float16, np.int8, np.uint8, bool, complex)))
    entry = st.integers(0, 9).flatmap(
        lambda i: st.one_of(HUGE, HUGE.map(lambda v: -v)) if i == 5 else st.integers(-4, 4)
    )
    pairs = st.integers(1, max(1, len(shape))).flatmap(lambda m: st.lists(entry, min_size=2 * m, max_size=2 * m))
    pad = data.draw(
        _param(st.one_of(pairs.map(tuple), pairs, pairs.map(lambda p: np.array(p) if max(map(abs, p)) < 2**62 else p)))
    )
    mode = data.draw(_param(st.sampled_from(["constant", "reflect", "replicate", "circular"])))
    value = data.draw(_param(st.one_of(st.integers(-300, 300), st.floats(allow_nan=True), st.just(1e300))))
    _call_ok(lambda: F.pad(x, pad, mode, value))


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    nd=st.integers(1, 2),
    n=st.integers(1, 2),
    g=st.integers(1, 2),
    cin=st.integers(1, 2),
    cout=st.integers(1, 2),
    size=st.lists(st.integers(1, 7), min_size=2, max_size=2),
    k=st.lists(st.integers(1, 4), min_size=2, max_size=2),
    s=st.lists(st.sampled_from([1, 2, 3, 5, 10**6, 10**12 + 7]), min_size=2, max_size=2),
    d=st.lists(st.sampled_from([1, 2, 3, 10**6, 10**12 + 1]), min_size=2, max_size=2),
    p=st.lists(st.sampled_from([0, 1, 2, 3, 10**6 - 1, 10**12]), min_size=2, max_size=2),
    mode=st.sampled_from(["zeros", "zeros", "replicate", "circular", "reflect"]),
    seed=st.integers(0, 2**16),
)
def test_random_geometry_matches_loops(nd, n, g, cin, cout, size, k, s, d, p, mode, seed):
    """Random strides, dilations and paddings, small and huge: a ShapeError or the naive answer."""
    rng = np.random.default_rng(seed)
    x = rng.integers(-3, 4, (n, cin * g, *size[:nd])).astype(float)
    w = rng.integers(-3, 4, (cout * g, cin, *k[:nd])).astype(float)
    kw = dict(stride=tuple(s[:nd]), padding=tuple(p[:nd]), dilation=tuple(d[:nd]))
    try:
        axes = convarith.Conv(tuple(k[:nd]), **kw).arithmetic(tuple(size[:nd]))
    except ShapeError:
        axes = None
    if axes is not None and math.prod(a.output for a in axes) > 300:
        return
    try:
        got = timed(lambda: F.conv(x, w, groups=g, padding_mode=mode, **kw))
    except ShapeError:
        assert axes is None or mode != "zeros"
        return
    assert axes is not None
    np.testing.assert_array_equal(got, naive_conv(x, w, axes, groups=g, mode=mode))
    try:
        t_axes = convarith.ConvTranspose(tuple(k[:nd]), **kw).arithmetic(tuple(size[:nd]))
    except ShapeError:
        return
    if math.prod(a.output for a in t_axes) > 300:
        return
    wt = rng.integers(-3, 4, (cin * g, cout, *k[:nd])).astype(float)
    got = timed(lambda: F.conv_transpose(x, wt, groups=g, **kw))
    np.testing.assert_array_equal(got, naive_conv_transpose(x, wt, t_axes, groups=g))


def test_avg_pool_divisor_past_int64():
    """count_include_pad with padding past int64: the divisor is 2 * (2**63 + 1) + 1 cells
    (the window clipped to the padded input, as torch counts it), computed exactly."""
    x = np.ones((1, 1, 1))
    pad = 2**63 + 1
    got = F.avg_pool(x, (10**30,), padding=(pad,), ceil_mode=True, count_include_pad=True)
    np.testing.assert_allclose(got, [[[1 / (2 * pad + 1)]]], rtol=1e-12)
