"""convarith.functional.blas: c += a @ b through NumPy's own OpenBLAS, or a refusal that leaves
c untouched; and the convolutions giving the same values with it and without it."""

from __future__ import annotations

import numpy as np
import pytest

from convarith import functional as F
from convarith.functional import blas

WHEEL_BLAS = blas._numpy_uses_scipy_openblas64()


def test_found_wherever_numpy_ships_scipy_openblas64():
    # The CI's NumPy comes from a wheel: there the accumulating GEMM must be found, not quietly lost.
    assert blas.accumulates(np.float32) == WHEEL_BLAS
    assert blas.accumulates(np.float64) == WHEEL_BLAS
    assert not blas.accumulates(np.float16) and not blas.accumulates(np.int64) and not blas.accumulates(np.complex64)


needs_blas = pytest.mark.skipif(not WHEEL_BLAS, reason="NumPy without scipy-openblas64: the NumPy fallback runs")


def _operands(dtype, m=5, k=7, n=9, pad=(0, 0, 0)):
    """a, b, c as views with row strides longer than their rows (pad extra columns each)."""
    rng = np.random.default_rng(m * 100 + k * 10 + n)
    a = rng.standard_normal((m, k + pad[0])).astype(dtype)[:, :k]
    b = rng.standard_normal((k, n + pad[1])).astype(dtype)[:, :n]
    c = rng.standard_normal((m, n + pad[2])).astype(dtype)[:, :n]
    return a, b, c


@needs_blas
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("pad", [(0, 0, 0), (3, 5, 2), (1, 0, 7)])
@pytest.mark.parametrize("shape", [(1, 1, 1), (5, 7, 9), (64, 128, 300), (3, 200, 1), (1, 50, 4)])
def test_accumulate_adds_the_product_in_place(dtype, pad, shape):
    a, b, c = _operands(dtype, *shape, pad=pad)
    outside = c.base.copy()  # the columns beyond the view must not be touched
    expected = c + a @ b
    assert blas.accumulate(a, b, c)
    if shape[0] > 1 and shape[2] > 1:
        # NumPy runs the same GEMM, and K up to 200 stays in one of OpenBLAS's K blocks: the
        # same roundings as the two-step sum.
        np.testing.assert_array_equal(c, expected)
    else:  # NumPy's product is a GEMV there, summed in another order
        bound = 4 * shape[1] * np.finfo(dtype).eps * (np.abs(a) @ np.abs(b))
        assert np.all(np.abs(c - expected) <= bound)
    np.testing.assert_array_equal(c.base[:, shape[2] :], outside[:, shape[2] :])


def _refusals():
    a, b, c = _operands(np.float32)
    unaligned = np.frombuffer(bytearray(4 * 5 * 9 + 1), dtype=np.uint8)[1:].view(np.float32).reshape(5, 9)
    shared = np.zeros((5, 16), np.float32)
    read_only = c.copy()
    read_only.flags.writeable = False
    return {
        "float16": (a.astype(np.float16), b.astype(np.float16), c.astype(np.float16)),
        "int64": (a.astype(np.int64), b.astype(np.int64), c.astype(np.int64)),
        "mixed dtypes": (a.astype(np.float64), b, c),
        "byte-swapped": (a.astype(">f4"), b.astype(">f4"), c.astype(">f4")),
        "columns strided": (np.repeat(a, 2, axis=1)[:, ::2], b, c),
        "fortran order": (np.asfortranarray(a), b, c),
        "transposed b": (a, np.ascontiguousarray(b.T).T, c),
        "reversed rows": (a[::-1], b, c),
        "broadcast rows": (a, np.broadcast_to(b[:1], b.shape), c),
        "inner sizes differ": (a[:, :6], b, c),
        "c the wrong shape": (a, b, c[:, :8]),
        "3-d": (a[None], b, c[None]),
        "empty k": (a[:, :0], b[:0], c),
        "read-only c": (a, b, read_only),
        "unaligned c": (a, b, unaligned),
        "c overlapping a": (shared[:, 9:16], b, shared[:, :9]),
    }


@pytest.mark.parametrize("name", list(_refusals()))
def test_refuses_what_the_call_cannot_take_and_leaves_c_alone(name):
    a, b, c = _refusals()[name]
    before = np.array(c, copy=True)
    assert not blas.accumulate(a, b, c)
    np.testing.assert_array_equal(c, before)


@pytest.mark.parametrize(
    "name",
    [n for n in _refusals() if n not in ("read-only c", "3-d", "empty k", "inner sizes differ", "c the wrong shape")],
)
def test_add_product_still_adds_where_the_gemm_refuses(name):
    a, b, c = _refusals()[name]
    expected = np.array(c, copy=True) + np.asarray(a) @ np.asarray(b)
    blas.add_product(a, b, c)
    np.testing.assert_allclose(c, expected, rtol=1e-3, atol=1e-3)


def test_disabled_means_never(monkeypatch):
    monkeypatch.setattr(blas, "enabled", False)
    a, b, c = _operands(np.float32)
    before = c.copy()
    assert not blas.accumulates(np.float32)
    assert not blas.accumulate(a, b, c)
    np.testing.assert_array_equal(c, before)


CASES = [
    # (input shape, weight shape, keywords): the stride-1 GEMM (several leading taps) and the
    # transposed convolution's phases (several leading taps per phase), in 2-D and 3-D.
    # (the leading taps are separate products once the last axis's taps x channels reach 128,
    # added by the GEMM from 64 output channels a group on)
    ("conv", (2, 64, 12, 11), (64, 64, 3, 3), {"padding": 1}),
    ("conv", (1, 128, 19, 17), (128, 64, 5, 3), {"padding": (2, 0), "groups": 2, "dilation": (2, 1)}),
    ("conv", (2, 48, 6, 7, 5), (64, 48, 3, 2, 3), {"padding": 1}),
    ("conv", (3, 48, 20, 20), (32, 48, 3, 3), {"padding": "same"}),  # a tall product, summed
    ("conv", (2, 16, 12, 11), (8, 16, 3, 3), {"padding": 1}),  # all taps folded: one product
    ("conv_transpose", (2, 16, 9, 10), (16, 8, 4, 4), {"stride": 2, "padding": 1}),
    ("conv_transpose", (1, 6, 7, 8), (6, 2, 5, 3), {"stride": (3, 2), "padding": (1, 2), "groups": 3}),
    ("conv_transpose", (2, 4, 4, 5, 3), (4, 3, 4, 4, 2), {"stride": 2, "output_padding": 1}),
    ("conv_transpose", (4, 32, 14, 14), (32, 32, 4, 4), {"stride": 2, "padding": 1}),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}-{c[2]}")
def test_same_values_with_and_without_the_accumulating_gemm(monkeypatch, case, dtype):
    op, x_shape, w_shape, kw = case
    rng = np.random.default_rng(len(x_shape) * 7 + x_shape[1])
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal(w_shape).astype(dtype)
    run = getattr(F, op)
    with_gemm = run(x, w, **kw)
    monkeypatch.setattr(blas, "enabled", False)
    without = run(x, w, **kw)
    # The products are split differently (OpenBLAS picks its kernels by shape), so the roundings
    # may differ: by at most a few ulps of each output's sum of |products|.
    taps = np.prod(w_shape[1:])
    bound = 4 * taps * np.finfo(dtype).eps * run(np.abs(x), np.abs(w), **kw)
    assert np.all(np.abs(with_gemm - without) <= bound)
    assert not np.array_equal(with_gemm, np.zeros_like(with_gemm))


@needs_blas
def test_the_convolutions_use_it_where_it_is_found(monkeypatch):
    calls = []
    accumulate = blas.accumulate

    def counted(a, b, c):
        calls.append(a.shape)
        return accumulate(a, b, c)

    monkeypatch.setattr(blas, "accumulate", counted)
    x = np.ones((2, 64, 10, 10), np.float32)
    F.conv(x, np.ones((32, 64, 3, 3), np.float32), padding=1)
    assert not calls  # under 64 output channels: one tall product, summed
    F.conv(x, np.ones((64, 64, 3, 3), np.float32), padding=1)
    assert len(calls) == 2  # the 3x3's second and third rows of taps, added onto the first's product
    F.conv_transpose(x, np.ones((64, 4, 4, 4), np.float32), stride=2, padding=1)
    assert len(calls) == 2 + 4  # one per phase: its second row of taps
