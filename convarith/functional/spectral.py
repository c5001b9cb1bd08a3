"""Per-channel filtering through ``numpy.fft``, where it costs less than the direct sums.

``correlate`` sends a stride-1 convolution here when every output channel reads exactly one
input channel with one kernel (a single-channel filter, or depthwise with one output per
group: what ``convarith apply`` runs), the dtype is a float, and ``cheaper`` says the
transforms cost less than the direct path. Large kernels are where it pays: the direct work grows
with the taps, the transforms' with the image only.

Cell y of a circular correlation of size P reads cells y + t*d mod P; with P at least the
padded extent (outputs + reach) nothing wraps, so the output is the first cells of
``irfft(X * conj(W))``. Three things keep NumPy's transforms cheap here:

* every transform is scaled (``norm="ortho"``): NumPy 2.x's pocketfft loop runs about twice
  as fast with a scale factor than without one (2.3 against 4.6 ms on 1080 x 541 complex64
  columns), and the scales are folded into the kernel's spectrum; no transform is given
  ``n=`` (NumPy's zero-padding loop is as slow): the buffers are laid out at the transform
  size, zero where no input lands;
* axes are transformed one at a time, the last (real) one first over the padded extent's
  rows only, and back, the last axis over the kept output rows only;
* each pass is split between two threads (``threads``): rows for the last axis, bands of
  last-axis frequencies for the others.

Results equal the direct sums up to float rounding of the whole transform: the error of a
cell is a few units of the dtype's epsilon times log2 of the transform size times the
largest window sum magnitude (max|x| * sum|w|), not relative to that cell's own value; a
cell whose exact value is 0 (an edge filter on a flat region) comes out near, not at, 0.
Inputs that are not finite, or large enough that the transform could overflow, stay on the
direct path, where an inf or NaN only reaches the windows that hold it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from math import prod

import numpy as np
from numpy.typing import DTypeLike

from .. import limits
from . import threads
from .checks import Array

# Seconds per unit of work on the 2-core EPYC these sessions run on (one thread). The direct
# paths: a channel's kernel-row GEMM (large float planes) streams each cell about
# (last-axis taps + other taps' rows) times, ROW_SECONDS each, plus TAP_SECONDS per tap for
# the products; the broadcast multiply-adds cost DIRECT_SECONDS per tap and cell. A transform
# costs FFT_SECONDS per cell and log2 of its size (forward and inverse together: 2.3 units).
ROW_SECONDS = 0.29e-9
TAP_SECONDS = 0.02e-9
DIRECT_SECONDS = 0.16e-9
FFT_SECONDS = 0.2e-9
FFT_OVERHEAD = 300e-6  # a call's Python work and thread hand-offs
SPLIT_CELLS = 2**17  # transform cells in a block from which its passes are split between two threads
WORKING_BYTES = 32 * 2**20  # planes per block: small planes share one; a 1024x1024 plane goes alone


def good_size(n: int) -> int:
    """The smallest m >= n with no prime factor above 7 (a fast transform length)."""
    best = 1 << max(0, (n - 1).bit_length())
    # Products of 3, 5 and 7 powers, each doubled up to n: few enough to list.
    p7 = 1
    while p7 < best:
        p5 = p7
        while p5 < best:
            p3 = p5
            while p3 < best:
                m = p3
                while m < n:
                    m *= 2
                best = min(best, m)
                p3 *= 3
            p5 *= 5
        p7 *= 7
    return best


def transform_sizes(extents: Sequence[int]) -> list[int]:
    return [good_size(e) for e in extents]


def applies(x: Array, w: Array, groups: int, strides: Sequence[int]) -> bool:
    """One input channel and one kernel per output channel, stride 1, a real float dtype."""
    channels, n_out, in_per_group = x.shape[1], w.shape[0], w.shape[1]
    return (
        in_per_group == 1
        and n_out == groups == channels
        and all(s == 1 for s in strides)
        and x.dtype.kind == "f"
        and x.dtype.itemsize >= 4
    )


def cheaper(
    planes: int, out_sizes: Sequence[int], kernel: Sequence[int], extents: Sequence[int], rows: bool = True
) -> bool:
    """Whether the transforms of ``planes`` planes cost less than the direct path.

    ``rows``: the direct path is the kernel-row GEMM (``correlate._one_channel_rows``),
    otherwise the broadcast multiply-adds."""
    taps, cells = prod(kernel), prod(out_sizes)
    if rows:
        direct = cells * (ROW_SECONDS * (kernel[-1] + taps // kernel[-1]) + TAP_SECONDS * taps)
    else:
        direct = cells * DIRECT_SECONDS * taps
    n = prod(transform_sizes(extents))
    fft = FFT_SECONDS * 2.3 * n * math.log2(max(n, 2))
    return FFT_OVERHEAD + planes * fft < planes * direct


def plane_bytes(extents: Sequence[int], itemsize: int) -> int:
    """Scratch of one plane: its padded window, spectrum and inverse (a few copies of each)."""
    sizes = transform_sizes(extents)
    spectrum = prod(sizes[:-1]) * (sizes[-1] // 2 + 1) * 2 * itemsize
    return 4 * spectrum + 2 * prod(extents) * itemsize


def safe(x: Array, w: Array, extents: Sequence[int]) -> bool:
    """Finite inputs whose transforms cannot overflow (otherwise the direct path keeps infs local)."""
    with np.errstate(all="ignore"):
        high, low = float(x.max()), float(x.min())
        if not (math.isfinite(high) and math.isfinite(low)):
            return False
        w_sum = float(np.abs(w).sum())
    if not math.isfinite(w_sum):
        return False
    bound = max(abs(high), abs(low)) * max(w_sum, 1.0) * prod(transform_sizes(extents))
    return bound < float(np.finfo(x.dtype).max) / 16


def correlate(
    x: Array,
    w: Array,
    origins: Sequence[int],
    out_sizes: Sequence[int],
    dilations: Sequence[int],
    out: Array,
) -> None:
    """out[n, c] = the stride-1 correlation of x[n, c] with w[c, 0], through the transforms.

    The caller has checked ``applies``, ``safe`` and that ``plane_bytes`` fits the budget.
    """
    n_img, channels = x.shape[:2]
    kernel = w.shape[2:]
    dtype = x.dtype
    complex_dtype = np.result_type(dtype, np.complex64)
    extents = [o + (k - 1) * d for o, k, d in zip(out_sizes, kernel, dilations, strict=True)]
    sizes = transform_sizes(extents)
    half = sizes[-1] // 2 + 1
    spectra = _cached_spectra(w, sizes, dilations, complex_dtype)

    planes = [(n, c) for n in range(n_img) for c in range(channels)]
    per_plane = plane_bytes(extents, dtype.itemsize)
    block = max(1, min(len(planes), WORKING_BYTES // per_plane, limits.temporary_bytes // per_plane))
    # Cells past the padded extents are never read by a kept output, but must be finite: zeroed
    # once. Inside the extents, each plane's copy clears what the input does not cover.
    window = np.empty((block, *extents[:-1], sizes[-1]), dtype=dtype)
    window[..., extents[-1] :] = 0
    spectrum = np.empty((block, *sizes[:-1], half), dtype=complex_dtype)
    for axis, extent in enumerate(extents[:-1], 1):
        spectrum[(slice(None),) * axis + (slice(extent, None),)] = 0
    kept = np.empty((block, *out_sizes[:-1], half), dtype=complex_dtype)
    inside = (slice(None),) + tuple(slice(0, e) for e in extents[:-1])
    for first in range(0, len(planes), block):
        chunk = planes[first : first + block]
        count = len(chunk)
        for i, (n, c) in enumerate(chunk):
            _place(window[i, ..., : extents[-1]], x[n, c], origins)
        kernels = spectra[[c for _, c in chunk]] if spectra.shape[0] > 1 else spectra
        # 1-D: the planes are split between the threads; otherwise rows, then frequency bands.
        # Small blocks stay on this thread: starting one costs about 0.1 ms.
        rows, kept_rows = (count, count) if len(sizes) == 1 else (extents[0], out_sizes[0])
        split = threads.parallel if count * prod(sizes) >= SPLIT_CELLS else _whole
        split(_forward_rows(window[:count], spectrum[:count][inside]), rows)
        split(_columns(spectrum[:count], kernels, out_sizes, kept[:count]), half)
        split(_inverse_rows(kept[:count], sizes[-1], out_sizes[-1], out, chunk), kept_rows)


def _whole(work: Callable[[int, int], None], total: int) -> None:
    work(0, total)


def _forward_rows(window: Array, target: Array) -> Callable[[int, int], None]:
    """The last axis's transforms, split over the first spatial axis (over the planes in 1-D)."""

    def run(lo: int, hi: int) -> None:
        part = (slice(lo, hi),) if window.ndim == 2 else (slice(None), slice(lo, hi))
        np.fft.rfft(window[part], axis=-1, norm="ortho", out=target[part])

    return run


def _columns(spectrum: Array, kernels: Array, out_sizes: Sequence[int], kept: Array) -> Callable[[int, int], None]:
    """The other axes' transforms, the product with the kernels and back, for a band of last-axis frequencies."""
    nd = spectrum.ndim - 1

    def run(lo: int, hi: int) -> None:
        band = spectrum[..., lo:hi]
        for axis in range(1, nd):
            band = np.fft.fft(band, axis=axis, norm="ortho")
        if nd == 1:
            band = band * kernels[..., lo:hi]
        else:
            band *= kernels[..., lo:hi]
        for axis in range(1, nd):
            band = np.fft.ifft(band, axis=axis, norm="ortho")
            band = band[(slice(None),) * axis + (slice(0, out_sizes[axis - 1]),)]
        kept[..., lo:hi] = band

    return run


def _inverse_rows(
    kept: Array, size: int, length: int, out: Array, chunk: Sequence[tuple[int, int]]
) -> Callable[[int, int], None]:
    """The last axis's inverse, cropped into the output; split like ``_forward_rows``."""

    def run(lo: int, hi: int) -> None:
        if kept.ndim == 2:
            result = np.fft.irfft(kept[lo:hi], n=size, axis=-1, norm="ortho")
            for i, (n, c) in enumerate(chunk[lo:hi]):
                out[n, c] = result[i, :length]
            return
        result = np.fft.irfft(kept[:, lo:hi], n=size, axis=-1, norm="ortho")
        for i, (n, c) in enumerate(chunk):
            out[n, c, lo:hi] = result[i, ..., :length]

    return run


_last_spectra: tuple[tuple[object, ...], Array] | None = None
"""The kernels' spectra of the latest call: filtering many images with one kernel skips
recomputing them (a full-size column transform each). One entry, replaced as a whole."""


def _cached_spectra(w: Array, sizes: Sequence[int], dilations: Sequence[int], complex_dtype: DTypeLike) -> Array:
    global _last_spectra
    kernels = np.ascontiguousarray(w[:, 0])
    key = (kernels.shape, kernels.dtype.str, kernels.tobytes(), tuple(sizes), tuple(dilations))
    last = _last_spectra  # one read: another thread may replace it meanwhile
    if last is not None and last[0] == key:
        return last[1]
    spectra = _kernel_spectra(w, sizes, dilations, complex_dtype)
    spectra.flags.writeable = False
    if spectra.nbytes <= WORKING_BYTES // 4:
        _last_spectra = (key, spectra)
    return spectra


def _kernel_spectra(w: Array, sizes: Sequence[int], dilations: Sequence[int], complex_dtype: DTypeLike) -> Array:
    """sqrt(N) * conj(the orthonormal transform of w) per channel (one row if all channels share a kernel).

    The inverse orthonormal transform of the input's transform times this is the circular correlation."""
    kernels = w[:, 0]
    if kernels.shape[0] > 1 and bool(np.all(kernels == kernels[:1])):
        kernels = kernels[:1]
    reach = [(k - 1) * d + 1 for k, d in zip(kernels.shape[1:], dilations, strict=True)]
    dilated = np.zeros((kernels.shape[0], *reach[:-1], sizes[-1]), dtype=w.dtype)
    dilated[(slice(None),) + tuple(slice(None, r, d) for r, d in zip(reach, dilations, strict=True))] = kernels
    spectrum: Array = np.zeros((kernels.shape[0], *sizes[:-1], sizes[-1] // 2 + 1), dtype=complex_dtype)
    spectrum[(slice(None),) + tuple(slice(0, r) for r in reach[:-1])] = np.fft.rfft(dilated, axis=-1, norm="ortho")
    for axis in range(1, len(sizes)):
        spectrum = np.fft.fft(spectrum, axis=axis, norm="ortho")
    spectrum = np.conj(spectrum)
    spectrum *= math.sqrt(prod(sizes))
    return spectrum


def _place(dest: Array, plane: Array, starts: Sequence[int]) -> None:
    """dest = the window of ``plane`` at ``starts``, zero where it lies outside the plane."""
    box: list[slice] = []
    source: list[slice] = []
    for axis, (start, size) in enumerate(zip(starts, plane.shape, strict=True)):
        lo, hi = max(start, 0), min(start + dest.shape[axis], size)
        if hi <= lo:
            dest[...] = 0
            return
        first, last = lo - start, hi - start
        dest[tuple(box) + (slice(0, first),)] = 0
        dest[tuple(box) + (slice(last, None),)] = 0
        box.append(slice(first, last))
        source.append(slice(lo, hi))
    dest[tuple(box)] = plane[tuple(source)]
