"""The GEMM path's plane building: every cell of a padded window, written by the border-slab and
shifted-memcpy helpers, equals the same window cut from an explicitly zero-padded input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convarith.functional.correlate import fill_padded, fill_shifted


def _window(image, starts, extent):
    """image's (C, *extent) window at starts, zero outside the image: padded with np.pad, then sliced."""
    pad = max(max(-s, 0) + max(s + e - n, 0) for s, e, n in zip(starts, extent, image.shape[1:], strict=True)) + 1
    padded = np.pad(image, [(0, 0)] + [(pad, pad)] * (image.ndim - 1))
    return padded[(slice(None),) + tuple(slice(s + pad, s + pad + e) for s, e in zip(starts, extent, strict=True))]


geometry = st.integers(1, 3).flatmap(
    lambda nd: st.tuples(
        st.lists(st.integers(1, 7), min_size=nd, max_size=nd),  # image sizes
        st.lists(st.integers(1, 9), min_size=nd, max_size=nd),  # window extents
        st.lists(st.integers(-9, 9), min_size=nd, max_size=nd),  # window starts
    )
)


@settings(max_examples=200, deadline=None)
@given(geometry, st.integers(1, 3), st.integers(0, 2**16))
def test_fill_padded_writes_the_window_and_zeros_everything_else(geo, channels, seed):
    sizes, extent, starts = geo
    image = np.random.default_rng(seed).standard_normal((channels, *sizes))
    dest = np.full((channels, *extent), np.nan)  # any cell left unwritten stays NaN and fails
    fill_padded(dest, image, starts)
    np.testing.assert_array_equal(dest, _window(image, starts, extent))


@settings(max_examples=200, deadline=None)
@given(geometry, st.integers(1, 5), st.integers(1, 6), st.integers(1, 2), st.integers(0, 2**16))
def test_fill_shifted_gives_each_tap_its_moved_window(geo, taps, step, channels, seed):
    sizes, extent, starts = geo
    image = np.random.default_rng(seed).standard_normal((channels, *sizes))
    planes = np.full((taps, channels, *extent), np.nan)
    fill_shifted(planes, image, starts, step)
    for t in range(taps):
        moved = [*starts[:-1], starts[-1] + t * step]
        np.testing.assert_array_equal(planes[t], _window(image, moved, extent), err_msg=f"tap {t}")


def test_fill_shifted_writes_through_a_strided_view():
    """Planes whose channels are not one run each (every other row of a buffer): reshaping them
    would copy, so the memcpy shortcut must not be taken; every cell still lands in the buffer."""
    rng = np.random.default_rng(0)
    image = rng.standard_normal((2, 5, 6))
    buffer = np.full((3, 2, 10, 6), np.nan)
    planes = buffer[:, :, ::2]  # (3, 2, 5, 6), rows two apart
    fill_shifted(planes, image, [-1, -2], 1)
    for t in range(3):
        np.testing.assert_array_equal(buffer[t, :, ::2], _window(image, [-1, -2 + t], (5, 6)))
    assert np.isnan(buffer[:, :, 1::2]).all()  # nothing written between the rows


def test_two_dimensional_conv_returns_a_plain_contiguous_array():
    from convarith import functional as F

    x = np.ones((2, 3, 9, 11), dtype=np.float32)
    out = F.conv(x, np.ones((4, 3, 3, 3), dtype=np.float32), padding=1)
    assert out.flags.c_contiguous and out.shape == (2, 4, 9, 11)
    np.testing.assert_array_equal(out[0, 0, 1:-1, 1:-1], 27.0)  # an interior cell reads 27 ones


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
@pytest.mark.parametrize(("in_channels", "out_channels", "groups"), [(16, 8, 1), (33, 5, 1), (32, 8, 2), (3, 4, 1)])
@pytest.mark.parametrize("special", [None, np.nan, np.inf])
def test_transposed_weight_channels_last_is_an_exact_transpose(dtype, in_channels, out_channels, groups, special):
    from convarith.functional.subpixel import _channels_last

    rng = np.random.default_rng(in_channels)
    w = (rng.standard_normal((in_channels, out_channels // groups, 3, 2)) * 100).astype(dtype)
    if special is not None and dtype != np.int64:
        w[1, 0, 2, 1] = special
    cg, og = in_channels // groups, out_channels // groups
    correlation = (
        w.reshape(groups, cg, og, 3, 2).swapaxes(1, 2).reshape(out_channels, cg, 3, 2)
    )  # as conv_transpose builds it
    expected = np.empty((out_channels, 3, 2, cg), dtype=dtype)
    for o in range(out_channels):  # element by element: no transpose machinery of NumPy's or ours
        g, oo = divmod(o, og)
        for c in range(cg):
            expected[o, :, :, c] = w[g * cg + c, oo]
    got = _channels_last(correlation, groups)
    assert got.flags.c_contiguous and got.dtype == dtype
    np.testing.assert_array_equal(got, expected)


def test_conv_transpose_with_many_channels_matches_a_scatter_loop():
    """Wide enough (Cin >= 16) for the BLAS transpose of the weight."""
    from convarith import functional as F

    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 20, 5, 6))
    w = rng.standard_normal((20, 3, 4, 4))
    expected = np.zeros((2, 3, 2 * 5 + 2, 2 * 6 + 2))  # stride 2, k 4: (i - 1) * 2 + 4, before cropping 1 a side
    for n, c, i, j, o, ky, kx in np.ndindex(2, 20, 5, 6, 3, 4, 4):
        expected[n, o, 2 * i + ky, 2 * j + kx] += x[n, c, i, j] * w[c, o, ky, kx]
    got = F.conv_transpose(x, w, stride=2, padding=1)
    np.testing.assert_allclose(got, expected[:, :, 1:-1, 1:-1], rtol=1e-10, atol=1e-10)


def _scatter_reference(x, w, stride, padding, output_padding, dilation, groups):
    """conv_transpose by its definition: every (input cell, tap) product added where it lands."""
    n, cin = x.shape[:2]
    sizes, kernel = x.shape[2:], w.shape[2:]
    in_per_group, out_per_group = cin // groups, w.shape[1]
    full = [
        (i - 1) * s + d * (k - 1) + 1 + op
        for i, s, d, k, op in zip(sizes, stride, dilation, kernel, output_padding, strict=True)
    ]
    out = np.zeros((n, out_per_group * groups, *full))
    for g in range(groups):
        xg = x[:, g * in_per_group : (g + 1) * in_per_group]
        for taps in np.ndindex(*kernel):
            product = np.einsum(
                "nc...,co->no...", xg, w[(slice(g * in_per_group, (g + 1) * in_per_group), slice(None), *taps)]
            )
            window = tuple(
                slice(t * d, t * d + (i - 1) * s + 1, s)
                for t, d, i, s in zip(taps, dilation, sizes, stride, strict=True)
            )
            out[(slice(None), slice(g * out_per_group, (g + 1) * out_per_group), *window)] += product
    crop = tuple(slice(p, f - p) for p, f in zip(padding, full, strict=True))
    return out[(slice(None), slice(None), *crop)]


@pytest.mark.parametrize(
    "n, channels, sizes, kernel, stride, padding, output_padding, dilation, groups",
    [
        (12, 8, (28, 28), (4, 4), (2, 2), (1, 1), (0, 0), (1, 1), 1),
        (9, 6, (23, 31), (3, 4), (2, 2), (1, 2), (1, 0), (1, 1), 2),
        (7, 4, (40, 17), (5, 3), (3, 1), (0, 1), (2, 0), (2, 1), 1),
    ],
)
def test_conv_transpose_over_several_blocks_of_images_matches_a_scatter_loop(
    monkeypatch, n, channels, sizes, kernel, stride, padding, output_padding, dilation, groups
):
    """Enough images for several GEMM blocks: each block's fill, products and copies land on its own images."""
    from convarith import functional as F
    from convarith.functional import subpixel

    fills = []
    fill = subpixel.fill_shifted
    monkeypatch.setattr(subpixel, "fill_shifted", lambda *args: (fills.append(args[1].shape), fill(*args))[1])
    rng = np.random.default_rng(n)
    x = rng.standard_normal((n, channels, *sizes))
    w = rng.standard_normal((channels, 3, *kernel))
    got = F.conv_transpose(
        x, w, stride=stride, padding=padding, output_padding=output_padding, dilation=dilation, groups=groups
    )
    expected = _scatter_reference(x, w, stride, padding, output_padding, dilation, groups)
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)
    assert len(fills) >= 2 * groups  # the shared-layout path ran, over more than one block of images
    assert sum(shape[1] for shape in fills) == n * groups


def _correlation_reference(x, w, padding, dilation, groups):
    """conv (cross-correlation, stride 1) by its definition: a sum over taps of shifted windows."""
    cin, kernel = x.shape[1], w.shape[2:]
    in_per_group, out_per_group = cin // groups, w.shape[0] // groups
    padded = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in padding])
    sizes = [n + 2 * p - d * (k - 1) for n, p, d, k in zip(x.shape[2:], padding, dilation, kernel, strict=True)]
    out = np.zeros((x.shape[0], w.shape[0], *sizes))
    for g in range(groups):
        xg = padded[:, g * in_per_group : (g + 1) * in_per_group]
        for taps in np.ndindex(*kernel):
            window = tuple(slice(t * d, t * d + n) for t, d, n in zip(taps, dilation, sizes, strict=True))
            wg = w[(slice(g * out_per_group, (g + 1) * out_per_group), slice(None), *taps)]
            out[:, g * out_per_group : (g + 1) * out_per_group] += np.einsum(
                "nc...,oc->no...", xg[(slice(None), slice(None), *window)], wg
            )
    return out


@pytest.mark.parametrize(
    "n, channels, sizes, kernel, padding, dilation, groups",
    [
        (40, 64, (14, 14), (3, 3), (1, 1), (1, 1), 1),  # the leading taps' products added by the GEMM
        (30, 16, (9, 12), (3, 2), (2, 0), (2, 1), 2),  # all taps folded into one product
        (20, 48, (6, 5, 7), (3, 2, 3), (1, 1, 0), (1, 1, 1), 1),
    ],
)
def test_conv_over_several_blocks_of_images_matches_a_tap_sum(
    monkeypatch, n, channels, sizes, kernel, padding, dilation, groups
):
    """Enough small images for several GEMM blocks of several images each, filled in one call a block."""
    from convarith import functional as F
    from convarith.functional import correlate

    fills = []
    fill = correlate.fill_shifted
    monkeypatch.setattr(correlate, "fill_shifted", lambda *args: (fills.append(args[1].shape), fill(*args))[1])
    rng = np.random.default_rng(n)
    x = rng.standard_normal((n, channels, *sizes))
    w = rng.standard_normal((8, channels // groups, *kernel))
    got = F.conv(x, w, padding=padding, dilation=dilation, groups=groups)
    np.testing.assert_allclose(got, _correlation_reference(x, w, padding, dilation, groups), rtol=1e-10, atol=1e-10)
    assert len(fills) >= 2 * groups and all(shape[1] > 1 for shape in fills[:groups])  # blocks of several images
    assert sum(shape[1] for shape in fills) == n * groups
