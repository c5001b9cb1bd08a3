"""convarith.functional: worked examples, identities, dtypes and errors (no torch needed)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convarith
from convarith import functional as F

PAD_INPUT = np.array(
    [
        [5, 0, 8, 7, 8, 1],
        [1, 9, 5, 0, 7, 7],
        [6, 0, 2, 4, 6, 6],
        [9, 7, 6, 6, 8, 4],
        [8, 3, 8, 5, 1, 3],
        [7, 2, 7, 0, 1, 0],
    ],
    dtype=float,
)


def test_padding_modes_worked_example():
    x = PAD_INPUT[None, None]
    assert F.pad(x, (1, 1, 1, 1), mode="replicate")[0, 0, 0].tolist() == [5, 5, 0, 8, 7, 8, 1, 1]
    assert F.pad(x, (1, 1, 1, 1), mode="reflect")[0, 0, 0].tolist() == [9, 1, 9, 5, 0, 7, 7, 7]
    assert F.pad(x, (1, 1, 1, 1), mode="circular")[0, 0, 0].tolist() == [0, 7, 2, 7, 0, 1, 0, 7]
    assert F.pad(x, (1, 1, 1, 1))[0, 0, 0].tolist() == [0] * 8


def test_vertical_edge_detection_worked_example():
    image = np.array([[10, 10, 10, 0, 0, 0]] * 6, dtype=float)[None, None]
    kernel = np.array([[1, 0, -1]] * 3, dtype=float)[None, None]
    out = F.conv(image, kernel)
    assert out.shape == (1, 1, 4, 4)
    assert out[0, 0].tolist() == [[0, 30, 30, 0]] * 4
    sobel = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], dtype=float)[None, None]
    scharr = np.array([[3, 0, -3], [10, 0, -10], [3, 0, -3]], dtype=float)[None, None]
    assert F.conv(image, sobel)[0, 0, 0].tolist() == [0, 40, 40, 0]
    assert F.conv(image, scharr)[0, 0, 0].tolist() == [0, 160, 160, 0]


def test_output_shapes_come_from_the_shape_engine():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 4, 11, 13))
    w = rng.standard_normal((6, 2, 3, 4))
    for kw in [dict(), dict(stride=2, padding=1), dict(padding="same"), dict(dilation=(2, 1), stride=(1, 3))]:
        expected = convarith.Conv((3, 4), in_channels=4, out_channels=6, groups=2, **kw).tensor_shape(x.shape)
        assert F.conv(x, w, groups=2, **kw).shape == expected


def test_tensorflow_same_padding_values():
    """TF SAME at stride 2 pads (0, 1): the first window starts on the first pixel."""
    x = np.arange(1.0, 7.0)[None, None]
    w = np.ones((1, 1, 3))
    assert F.conv(x, w, stride=2, padding="SAME", framework="tf")[0, 0].tolist() == [1 + 2 + 3, 3 + 4 + 5, 5 + 6]
    assert F.conv(x, w, stride=2, padding=1)[0, 0].tolist() == [1 + 2, 2 + 3 + 4, 4 + 5 + 6]
    explicit = F.conv(np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2)), padding=((1, 0), (0, 1)), framework="tf")
    # A zero row on top, a zero column on the right: window sums of the padded 4x4.
    assert explicit[0, 0].tolist() == [[2, 2, 1], [4, 4, 2], [4, 4, 2]]


def test_tensorflow_same_average_excludes_padding():
    x = np.ones((1, 1, 5))
    assert F.avg_pool(x, 2, 2, padding="SAME", framework="tf")[0, 0].tolist() == [1, 1, 1]
    torch_like = F.avg_pool(x, 2, 2, padding=1)
    assert torch_like[0, 0].tolist() == [0.5, 1, 1]


small = st.integers(1, 3)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 2),
    g=st.integers(1, 2),
    cin=small,
    cout=small,
    size=st.integers(3, 9),
    k=st.integers(1, 3),
    s=st.integers(1, 3),
    d=st.integers(1, 2),
    p=st.integers(0, 2),
    nd=st.integers(1, 3),
    seed=st.integers(0, 2**16),
)
def test_conv_transpose_is_the_adjoint_of_conv(n, g, cin, cout, size, k, s, d, p, nd, seed):
    """<conv(x), y> == <x, conv_transpose(y)> with the same weight and parameters."""
    rng = np.random.default_rng(seed)
    if size + 2 * p < d * (k - 1) + 1 or (size > 5 and nd == 3):
        return
    x = rng.standard_normal((n, cin * g) + (size,) * nd)
    w = rng.standard_normal((cout * g, cin) + (k,) * nd)
    y_shape = convarith.Conv(k, stride=s, padding=p, dilation=d).output_shape((size,) * nd)
    y = rng.standard_normal((n, cout * g) + y_shape)
    # conv_transpose reads its weight as (C_in, C_out/g, *k): the conv's own weight, unchanged.
    wt = w
    size_back = tuple(size for _ in range(nd))
    xt = F.conv_transpose(y, wt, stride=s, padding=p, dilation=d, groups=g, output_size=size_back)
    lhs = float(np.sum(F.conv(x, w, stride=s, padding=p, dilation=d, groups=g) * y))
    rhs = float(np.sum(x * xt))
    assert np.isclose(lhs, rhs, rtol=1e-9, atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 3),
    cin=st.integers(1, 5),
    cout=st.integers(1, 5),
    h=st.integers(1, 6),
    w=st.integers(1, 6),
    seed=st.integers(0, 2**16),
)
def test_one_by_one_kernel_is_a_matmul(n, cin, cout, h, w, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, cin, h, w))
    weight = rng.standard_normal((cout, cin, 1, 1))
    expected = np.einsum("oc,nchw->nohw", weight[:, :, 0, 0], x)
    assert np.allclose(F.conv(x, weight), expected, rtol=1e-12, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(size=st.integers(3, 8), k=st.integers(1, 3), seed=st.integers(0, 2**16))
def test_flip_is_true_convolution_and_twice_is_identity(size, k, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((1, 2, size, size))
    w = rng.standard_normal((3, 2, k, k))
    flipped_weight = w[:, :, ::-1, ::-1]
    assert np.allclose(F.conv(x, w, flip=True), F.conv(x, flipped_weight))
    assert np.allclose(F.conv(x, flipped_weight, flip=True), F.conv(x, w))
    # True convolution in 1-D matches numpy.convolve.
    signal, taps = rng.standard_normal(size + 3), rng.standard_normal(k)
    assert np.allclose(
        F.conv(signal[None, None], taps[None, None], flip=True)[0, 0], np.convolve(signal, taps, "valid")
    )


def test_dtypes_are_kept_or_promoted():
    x32 = np.ones((1, 2, 5, 5), dtype=np.float32)
    w32 = np.ones((1, 2, 3, 3), dtype=np.float32)
    assert F.conv(x32, w32).dtype == np.float32
    assert F.conv(x32.astype(np.float64), w32).dtype == np.float64
    ints = F.conv(np.arange(25).reshape(1, 1, 5, 5), np.ones((1, 1, 2, 2), dtype=np.int64))
    assert ints.dtype == np.int64 and ints[0, 0, 0, 0] == 0 + 1 + 5 + 6
    assert F.max_pool(x32, 2).dtype == np.float32
    assert F.avg_pool(np.ones((1, 1, 4), dtype=np.int32), 2).dtype == np.float64


def test_unbatched_input():
    x = np.random.default_rng(2).standard_normal((3, 6, 6))
    w = np.random.default_rng(3).standard_normal((4, 3, 3, 3))
    assert np.allclose(F.conv(x, w), F.conv(x[None], w)[0])
    assert F.conv_transpose(x, np.ones((3, 2, 2, 2)), stride=2).shape == (2, 12, 12)


def test_errors_are_shape_errors():
    x = np.ones((1, 3, 8, 8))
    with pytest.raises(convarith.ShapeError, match="weight"):
        F.conv(x, np.ones((4, 2, 3, 3)))
    with pytest.raises(convarith.ShapeError, match="padding"):
        F.conv(x, np.ones((4, 3, 3, 3)), stride=2, padding="same")
    with pytest.raises(convarith.ShapeError, match="kernel_size"):
        F.conv(np.ones((1, 3, 2, 2)), np.ones((4, 3, 3, 3)))
    with pytest.raises(convarith.ShapeError, match="bias"):
        F.conv(x, np.ones((4, 3, 3, 3)), bias=np.ones(3))
    with pytest.raises(convarith.ShapeError, match="padding_mode"):
        F.conv(x, np.ones((4, 3, 3, 3)), padding_mode="mirror")
    with pytest.raises(convarith.ShapeError, match="pad"):
        F.pad(x, (4, 4), mode="reflect")
    with pytest.raises(convarith.ShapeError, match="output_size"):
        F.conv_transpose(x, np.ones((3, 2, 3, 3)), stride=2, output_size=(40, 40))


def test_memory_limits_chunk_and_refuse(monkeypatch):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((1, 3, 40, 40))
    w = rng.standard_normal((2, 3, 7, 7))
    full = F.conv(x, w, padding=3)
    strided = F.conv(x, w, stride=2, padding=3)
    monkeypatch.setattr(F.limits, "temporary_bytes", 4096)  # forces one output row per chunk
    assert np.allclose(F.conv(x, w, padding=3), full)
    assert np.allclose(F.conv(x, w, stride=2, padding=3), strided)
    monkeypatch.setattr(F.limits, "output_bytes", 1000)
    with pytest.raises(convarith.ShapeError, match="limits.output_bytes"):
        F.conv(x, w, padding=3)


def _per_phase(monkeypatch):
    """Make conv_transpose run its stride phases one by one instead of on one shared stack."""
    monkeypatch.setattr(F.subpixel, "run", lambda *args: False)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 3),
    g=st.integers(1, 2),
    cin=small,
    cout=small,
    size=st.integers(1, 7),
    k=st.integers(1, 5),
    s=st.integers(2, 3),
    d=st.integers(1, 3),
    p=st.integers(0, 3),
    op=st.integers(0, 2),
    nd=st.integers(2, 3),
    seed=st.integers(0, 2**16),
)
def test_shared_stack_transpose_equals_phase_by_phase(n, g, cin, cout, size, k, s, d, p, op, nd, seed):
    """Both ways of running conv_transpose's stride phases give the same values."""
    if op >= max(s, d) or (nd == 3 and size > 4):
        return
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, cin * g) + (size,) * nd)
    w = rng.standard_normal((cin * g, cout) + (k,) * nd)
    kw = dict(stride=s, padding=p, output_padding=op, dilation=d, groups=g)
    try:
        shared = F.conv_transpose(x, w, **kw)
    except convarith.ShapeError:
        return
    with pytest.MonkeyPatch.context() as mp:
        _per_phase(mp)
        assert np.allclose(shared, F.conv_transpose(x, w, **kw), rtol=0, atol=1e-12)


def test_shared_stack_transpose_is_taken_and_respects_the_memory_limit(monkeypatch):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 8, 12, 12)).astype(np.float32)
    w = rng.standard_normal((8, 4, 4, 4)).astype(np.float32)
    calls = []
    real_run = F.subpixel.run
    monkeypatch.setattr(F.subpixel, "run", lambda *a: calls.append(real_run(*a)) or calls[-1])
    shared = F.conv_transpose(x, w, stride=2, padding=1)
    monkeypatch.setattr(F.limits, "temporary_bytes", 4096)  # the shared stack no longer fits
    small = F.conv_transpose(x, w, stride=2, padding=1)
    assert calls == [True, False]
    assert np.allclose(shared, small, rtol=1e-5, atol=1e-5)
