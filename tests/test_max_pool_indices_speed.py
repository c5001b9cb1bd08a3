"""max_pool(return_indices=True) with big windows: loops over outputs, not over taps.

A 1000x1000 window over a 1000x1000 input used to take 47 s (one Python step per tap); the
answer is one number. Values and indices are checked against a plain loop over outputs.
"""

import time
from itertools import product

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convarith
from convarith import functional as F
from convarith import limits


def reference(x, axes):
    """One window at a time: its real cells in row-major tap order, first maximum wins, a NaN
    beats everything and a later NaN the earlier ones (torch 2.13's CPU kernel keeps
    ``val > max || isnan(val)``: the last NaN); a window of padding only is -inf at PyTorch's index."""
    nd = len(axes)
    lead = x.shape[: x.ndim - nd]
    planes = x.reshape(-1, *x.shape[x.ndim - nd :])
    outs = [a.output for a in axes]
    values = np.empty((planes.shape[0], *outs), dtype=x.dtype)
    index = np.empty((planes.shape[0], *outs), dtype=np.int64)
    for cell in product(*(range(o) for o in outs)):
        per_axis, starts = [], []
        for o, a in zip(cell, axes, strict=True):
            start = o * a.stride - a.padding[0]
            lo = max(0, -(start // a.dilation))  # the taps landing on the input, in closed form
            hi = min(a.kernel_size - 1, (a.input - 1 - start) // a.dilation)
            per_axis.append([start + t * a.dilation for t in range(lo, hi + 1)])
            if start < 0:  # PyTorch moves the first tap right by the dilation into the input
                start += -(start // a.dilation) * a.dilation
            starts.append(start)
        positions = list(product(*per_axis))
        for p in range(planes.shape[0]):
            if not positions:
                values[(p, *cell)] = -np.inf
                index[(p, *cell)] = sum(s * int(np.prod(planes.shape[2 + i :])) for i, s in enumerate(starts))
                continue
            window = np.array([planes[(p, *pos)] for pos in positions])
            nan = np.flatnonzero(np.isnan(window))
            j = int(nan[-1]) if nan.size else int(np.argmax(window))
            values[(p, *cell)] = window[j]
            index[(p, *cell)] = int(np.ravel_multi_index(positions[j], planes.shape[1:]))
    return values.reshape(*lead, *outs), index.reshape(*lead, *outs)


@st.composite
def cases(draw):
    nd = draw(st.integers(1, 3))
    size = draw(st.lists(st.integers(1, 7 if nd < 3 else 5), min_size=nd, max_size=nd))
    k = [draw(st.integers(1, n + 2)) for n in size]
    d = [draw(st.integers(1, 3)) for _ in size]
    p = [draw(st.integers(0, k_ // 2)) for k_ in k]
    s = [draw(st.integers(1, 4)) for _ in size]
    lead = draw(st.sampled_from([(1, 1), (2, 3), (3,)]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    x = rng.integers(-2, 3, lead + tuple(size)).astype(draw(st.sampled_from([np.float64, np.float32])))
    if draw(st.booleans()):
        x[rng.random(x.shape) < 0.15] = np.nan
    if draw(st.booleans()):
        x[rng.random(x.shape) < 0.15] = -np.inf
    kw = dict(kernel_size=tuple(k), stride=tuple(s), padding=tuple(p), dilation=tuple(d), ceil_mode=draw(st.booleans()))
    return x, kw


@settings(max_examples=150, deadline=None)
@given(case=cases())
def test_matches_a_loop_over_windows(case):
    x, kw = case
    try:
        axes = convarith.MaxPool(**kw).arithmetic(x.shape[-len(kw["kernel_size"]) :])
    except convarith.ShapeError:
        return
    got_values, got_index = F.max_pool(x, return_indices=True, **kw)
    ref_values, ref_index = reference(x, axes)
    np.testing.assert_array_equal(got_values, ref_values)
    np.testing.assert_array_equal(got_index, ref_index)


@pytest.mark.parametrize(
    "shape,kw",
    [
        ((2, 3, 9, 8), dict(kernel_size=(9, 8))),
        ((2, 3, 9, 8), dict(kernel_size=(7, 6), stride=(5, 4), padding=(3, 3), ceil_mode=True)),
        ((1, 2, 20), dict(kernel_size=6, stride=9, dilation=3, padding=3)),
        (
            (1, 2, 30, 4),
            dict(kernel_size=(12, 1), stride=(10, 1), dilation=(2, 1)),
        ),  # taps on one axis, outputs on the other
        ((2, 1, 6, 5, 7), dict(kernel_size=(6, 3, 7), stride=(1, 5, 2), padding=(3, 1, 3), ceil_mode=True)),
        ((1, 1, 8), dict(kernel_size=10**9, stride=3, padding=5 * 10**8, ceil_mode=True)),
        ((1, 1, 6, 5), dict(kernel_size=(5, 2 * 10**12), stride=(10**12, 1), padding=(2, 10**12))),
    ],
    ids=str,
)
@pytest.mark.parametrize("fill", ["ties", "nan", "inf"])
def test_big_windows_match_a_loop(shape, kw, fill):
    rng = np.random.default_rng(len(shape) + sum(shape))
    x = rng.integers(-1, 2, shape).astype(np.float64)  # many ties
    if fill == "nan":
        x[rng.random(shape) < 0.2] = np.nan
    elif fill == "inf":
        x[...] = -np.inf
        x[rng.random(shape) < 0.1] = np.nan
    nd = len(shape) - 2
    axes = convarith.MaxPool(**kw).arithmetic(shape[2:])
    values, index = F.max_pool(x, return_indices=True, **kw)
    ref_values, ref_index = reference(x, axes)
    np.testing.assert_array_equal(values, ref_values)
    np.testing.assert_array_equal(index, ref_index)
    assert values.shape == ref_values.shape and nd == len(axes)


def test_tiny_budget_chunks_planes(monkeypatch):
    rng = np.random.default_rng(3)
    x = rng.integers(-1, 2, (4, 5, 12, 11)).astype(np.float32)
    x[rng.random(x.shape) < 0.1] = np.nan
    kw = dict(kernel_size=(12, 10), stride=(1, 3), padding=(0, 2))
    expected = F.max_pool(x, return_indices=True, **kw)
    monkeypatch.setattr(limits, "temporary_bytes", 4000)
    got = F.max_pool(x, return_indices=True, **kw)
    np.testing.assert_array_equal(got[0], expected[0])
    np.testing.assert_array_equal(got[1], expected[1])
    np.testing.assert_array_equal(got[1], reference(x, convarith.MaxPool(**kw).arithmetic((12, 11)))[1])


def timed(fn, seconds):
    start = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - start
    assert elapsed < seconds, f"took {elapsed:.2f} s"
    return result


@pytest.mark.parametrize(
    "shape,k",
    [((1, 1, 500, 500), 500), ((1, 1, 1000, 1000), 1000), ((1, 1, 100000), 100000), ((1, 1, 40, 40, 40), 40)],
    ids=str,
)
def test_big_kernel_small_output_is_fast(shape, k):
    rng = np.random.default_rng(5)
    x = rng.standard_normal(shape).astype(np.float32)
    flat = x.reshape(-1)
    flat[rng.integers(flat.size)] = 10.0
    values, index = timed(lambda: F.max_pool(x, k, return_indices=True), 0.5)
    assert values.reshape(-1).tolist() == [10.0]
    assert index.reshape(-1).tolist() == [int(np.argmax(flat))]
    flat[rng.integers(flat.size, size=3)] = np.nan
    values, index = timed(lambda: F.max_pool(x, k, return_indices=True), 0.5)
    assert np.isnan(values).all() and index.reshape(-1).tolist() == [int(np.flatnonzero(np.isnan(flat))[-1])]


def test_big_kernel_on_one_axis_many_outputs_on_the_other_is_fast():
    rng = np.random.default_rng(6)
    x = rng.integers(-3, 4, (1, 2, 2000, 300)).astype(np.float64)
    values, index = timed(lambda: F.max_pool(x, (2000, 2), return_indices=True), 1.0)
    assert index.shape == (1, 2, 1, 150)
    planes = x.reshape(2, -1)
    expected = np.stack(
        [np.argmax(x[0, c].reshape(2000, 150, 2).transpose(1, 0, 2).reshape(150, -1), axis=1) for c in range(2)]
    )
    rows, cols = np.divmod(expected, 2)
    np.testing.assert_array_equal(index[0, :, 0], rows * 300 + np.arange(150) * 2 + cols)
    np.testing.assert_array_equal(values[0, :, 0], np.take_along_axis(planes, index[0, :, 0], axis=1))
