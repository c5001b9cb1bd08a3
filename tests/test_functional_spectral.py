"""The FFT path of per-channel filtering against the direct window sums (and a naive loop).

The transforms round differently from the direct sums: the bound is the dtype's epsilon times
log2 of the transform size times the largest window sum magnitude max|x| * sum|w| (the
absolute error an FFT correlation can make; a wrong index or a missing tap is off by a
whole tap's product, far above it).
"""

import math

import numpy as np
import pytest

from convarith import functional as F
from convarith.functional import spectral, threads


@pytest.fixture
def force(monkeypatch):
    """force('fft') or force('direct'): make the cost model pick one path."""

    def pick(path):
        cheap, dear = 1e-30, 1.0
        monkeypatch.setattr(spectral, "FFT_OVERHEAD", 0.0)
        monkeypatch.setattr(spectral, "FFT_SECONDS", cheap if path == "fft" else dear)
        monkeypatch.setattr(spectral, "ROW_SECONDS", dear if path == "fft" else cheap)
        monkeypatch.setattr(spectral, "TAP_SECONDS", dear if path == "fft" else cheap)
        monkeypatch.setattr(spectral, "DIRECT_SECONDS", dear if path == "fft" else cheap)

    return pick


def fft_tolerance(x, w, out_shape, kernel, dilation):
    dilation = (dilation,) * len(kernel) if isinstance(dilation, int) else dilation
    extents = [o + (k - 1) * d for o, k, d in zip(out_shape[2:], kernel, dilation, strict=True)]
    cells = math.prod(spectral.transform_sizes(extents))
    largest = float(np.abs(x).max()) * float(np.abs(w).sum(axis=tuple(range(1, w.ndim))).max())
    return np.finfo(x.dtype).eps * math.log2(cells) * largest


CASES = [
    # input shape, kernel, padding, dilation, shared kernel across channels
    ((1, 3, 64, 80), (9, 9), 4, 1, True),
    ((2, 3, 50, 41), (7, 5), (3, 0), 1, False),
    ((1, 1, 33, 47), (15, 15), 7, 1, False),
    ((1, 2, 40, 30), (5, 4), (6, 9), (2, 3), False),  # padding beyond the kernel's reach
    ((1, 2, 23, 29), (11, 11), 0, 1, False),  # 'valid'
    ((3, 2, 301), (41,), 20, 1, False),  # 1-D
    ((1, 2, 12, 14, 10), (5, 3, 7), (2, 1, 3), (1, 2, 1), False),  # 3-D
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, kernel, padding, dilation, shared", CASES)
def test_fft_equals_direct(force, shape, kernel, padding, dilation, shared, dtype):
    rng = np.random.default_rng(sum(shape) + len(kernel))
    channels = shape[1]
    x = rng.standard_normal(shape).astype(dtype)
    if shared:
        w = np.broadcast_to(rng.standard_normal(kernel).astype(dtype), (channels, 1, *kernel))
    else:
        w = rng.standard_normal((channels, 1, *kernel)).astype(dtype)
    kw = dict(padding=padding, dilation=dilation, groups=channels)
    force("direct")
    direct = F.conv(x, w, **kw)
    force("fft")
    fast = F.conv(x, w, **kw)
    assert fast.shape == direct.shape and fast.dtype == direct.dtype
    assert np.abs(fast - direct).max() <= fft_tolerance(x, w, direct.shape, kernel, dilation)


def test_fft_equals_a_naive_loop(force):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((1, 2, 19, 23))
    w = rng.standard_normal((2, 1, 6, 5))
    force("fft")
    got = F.conv(x, w, padding=(2, 3), groups=2)
    padded = np.pad(x, ((0, 0), (0, 0), (2, 2), (3, 3)))
    expected = np.zeros(got.shape)
    for c in range(2):
        for i in range(got.shape[2]):
            for j in range(got.shape[3]):
                expected[0, c, i, j] = np.sum(padded[0, c, i : i + 6, j : j + 5] * w[c, 0])
    assert np.abs(got - expected).max() <= fft_tolerance(x, w, got.shape, (6, 5), 1)


def test_bias_and_padding_modes_on_the_fft_path(force):
    rng = np.random.default_rng(6)
    x = rng.standard_normal((1, 3, 40, 36)).astype(np.float32)
    w = rng.standard_normal((3, 1, 9, 9)).astype(np.float32)
    b = rng.standard_normal(3).astype(np.float32)
    for mode in ["zeros", "reflect", "circular"]:
        kw = dict(bias=b, padding=4, groups=3, padding_mode=mode)
        force("direct")
        direct = F.conv(x, w, **kw)
        force("fft")
        fast = F.conv(x, w, **kw)
        assert np.abs(fast - direct).max() <= fft_tolerance(x, w, direct.shape, (9, 9), 1) + 4 * np.finfo(
            np.float32
        ).eps * float(np.abs(b).max())


def test_one_or_two_threads_give_the_same_bits(force, monkeypatch):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 3, 70, 90)).astype(np.float32)
    w = rng.standard_normal((3, 1, 13, 13)).astype(np.float32)
    force("fft")
    monkeypatch.setattr(spectral, "SPLIT_CELLS", 0)  # split however small
    monkeypatch.setattr(threads, "max_threads", 1)
    one = F.conv(x, w, padding=6, groups=3)
    monkeypatch.setattr(threads, "max_threads", 2)
    monkeypatch.setattr(threads, "available", lambda: 2)
    two = F.conv(x, w, padding=6, groups=3)
    assert np.array_equal(one, two)
    force("direct")
    monkeypatch.setattr(threads, "max_threads", 1)
    one = F.conv(x, w, padding=6, groups=3)
    monkeypatch.setattr(threads, "max_threads", 2)
    two = F.conv(x, w, padding=6, groups=3)
    assert np.array_equal(one, two)


@pytest.mark.parametrize("total", [2, 3, 7, 8, 9, 100])
def test_split_work_covers_every_index_once(monkeypatch, total):
    import threading

    monkeypatch.setattr(threads, "available", lambda: 2)
    seen = []
    names = set()

    def work(lo, hi):
        seen.extend(range(lo, hi))
        names.add(threading.current_thread().name)

    threads.parallel(work, total)
    assert sorted(seen) == list(range(total))
    assert names <= {threading.current_thread().name, "convarith-half"}


def test_an_error_in_the_helper_thread_reaches_the_caller(monkeypatch):
    monkeypatch.setattr(threads, "available", lambda: 2)

    def work(lo, hi):
        if lo > 0:
            raise RuntimeError("second half")

    with pytest.raises(RuntimeError, match="second half"):
        threads.parallel(work, 10)


def test_non_finite_inputs_stay_on_the_direct_path(force):
    """An inf would spread NaN over the whole FFT output; the direct sums keep it in its windows."""
    rng = np.random.default_rng(8)
    x = rng.standard_normal((1, 1, 30, 30))
    x[0, 0, 3, 4] = np.inf
    w = rng.standard_normal((1, 1, 5, 5))
    force("fft")
    got = F.conv(x, w, padding=2)
    assert np.isfinite(got[0, 0, 20:, 20:]).all()
    assert not np.isfinite(got[0, 0, 3, 4])
    huge = np.full((1, 1, 30, 30), np.finfo(np.float32).max / 4, dtype=np.float32)
    assert np.isinf(F.conv(huge, np.ones((1, 1, 5, 5), np.float32), padding=2)).any()  # overflow as summed


def test_integers_and_other_geometries_never_take_the_fft_path(force, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the FFT path ran")

    monkeypatch.setattr(spectral, "correlate", refuse)
    force("fft")
    rng = np.random.default_rng(9)
    xi = rng.integers(-50, 50, (1, 2, 30, 30))
    wi = rng.integers(-5, 5, (2, 1, 9, 9))
    F.conv(xi, wi, groups=2, padding=4)  # integers stay exact on the direct path
    x = rng.standard_normal((1, 2, 30, 30))
    F.conv(x, rng.standard_normal((2, 2, 9, 9)), padding=4)  # channels mixed
    F.conv(x, rng.standard_normal((4, 1, 9, 9)), groups=2, padding=4)  # two outputs per group
    F.conv(x, rng.standard_normal((2, 1, 9, 9)), groups=2, stride=2)  # strided


def test_the_cost_model_picks_transforms_for_large_kernels_only():
    image = [1024, 1024]
    for k, expected in [(3, False), (7, False), (9, False), (15, True), (31, True)]:
        extents = [n + k - 1 for n in image]
        assert spectral.cheaper(3, image, [k, k], extents) is expected, k
    assert not spectral.cheaper(1, [8, 8], [5, 5], [12, 12])  # small images: the direct sums
    assert spectral.cheaper(1, [256, 256], [15, 15], [270, 270], rows=False)  # broadcast sums cost more per tap


def test_good_sizes_are_smooth_and_minimal():
    def smooth(n):
        for p in (2, 3, 5, 7):
            while n % p == 0:
                n //= p
        return n == 1

    for n in range(1, 3000):
        m = spectral.good_size(n)
        assert m >= n and smooth(m)
        assert all(not smooth(k) for k in range(n, m))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kernel_row_gemm_path_equals_a_sliding_window_reference(force, dtype):
    """Large float planes, one channel per group: the kernel-row GEMM path (correlate._one_channel_rows)."""
    from convarith.functional import correlate

    rng = np.random.default_rng(10)
    x = rng.standard_normal((2, 3, 300, 260)).astype(dtype)
    w = rng.standard_normal((3, 1, 5, 7)).astype(dtype)
    assert correlate._one_channel_rows(x, w, 3, [300, 260])
    force("direct")
    got = F.conv(x, w, padding=(2, 3), dilation=(1, 1), groups=3)
    padded = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (2, 2), (3, 3)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, (5, 7), axis=(2, 3))
    expected = np.einsum("ncijkl,ckl->ncij", windows, w[:, 0].astype(np.float64))
    largest = float(np.abs(x).max()) * float(np.abs(w).sum(axis=(1, 2, 3)).max())
    assert np.abs(got - expected).max() <= 35 * np.finfo(dtype).eps * largest
    dilated = F.conv(x, w, padding=(4, 6), dilation=2, groups=3)
    padded = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (4, 4), (6, 6)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, (9, 13), axis=(2, 3))[..., ::2, ::2]
    expected = np.einsum("ncijkl,ckl->ncij", windows, w[:, 0].astype(np.float64))
    assert np.abs(dilated - expected).max() <= 35 * np.finfo(dtype).eps * largest


def test_a_kernel_changed_in_place_is_not_served_from_the_cache(force):
    rng = np.random.default_rng(11)
    x = rng.standard_normal((1, 2, 40, 50))
    w = rng.standard_normal((2, 1, 9, 9))
    force("fft")
    first = F.conv(x, w, padding=4, groups=2)
    assert np.array_equal(F.conv(x, w, padding=4, groups=2), first)
    w[1, 0, 4, 4] += 1.0  # the same array object, other values
    second = F.conv(x, w, padding=4, groups=2)
    assert np.allclose(second[0, 0], first[0, 0]) and not np.allclose(second[0, 1], first[0, 1])
    assert np.allclose(second[0, 1] - first[0, 1], x[0, 1], atol=1e-10)  # the centre tap added the input once more


def test_the_fft_path_stays_under_the_scratch_budget(force, monkeypatch):
    """A plane whose transforms would not fit limits.temporary_bytes goes to the direct path."""
    from convarith import limits

    rng = np.random.default_rng(12)
    x = rng.standard_normal((1, 2, 120, 100)).astype(np.float32)
    w = rng.standard_normal((2, 1, 9, 9)).astype(np.float32)
    force("direct")
    direct = F.conv(x, w, padding=4, groups=2)
    force("fft")
    extents = [128, 108]
    monkeypatch.setattr(limits, "temporary_bytes", spectral.plane_bytes(extents, 4) - 1)

    def refuse(*args, **kwargs):
        raise AssertionError("the FFT path ran over the budget")

    monkeypatch.setattr(spectral, "correlate", refuse)
    assert np.array_equal(F.conv(x, w, padding=4, groups=2), direct)
