"""max_pool and avg_pool: windows from the shape engine, reduced one axis at a time.

A box max or sum is separable, so an N-D pool is N one-axis pools, each a handful of strided
maximum/add operations over views. Two threads take halves of the batch*channel planes
(NumPy releases the GIL inside ufuncs).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ..errors import ShapeError
from ..layers import AvgPool, MaxPool
from .. import limits

THREADS = 2
MIN_PLANES_PER_THREAD = 8


def _as_array(input):
    x = np.asarray(input)
    if x.dtype == np.bool_ or x.dtype.kind not in "fiu":
        raise ShapeError("input", f"cannot pool arrays of dtype {x.dtype}")
    return x


def _split_planes(x, nd):
    """(..., *spatial) -> (planes, *spatial) view plus the leading shape."""
    lead = x.shape[: x.ndim - nd]
    return x.reshape(-1, *x.shape[x.ndim - nd:]), lead


def _in_threads(fn, planes_in, planes_out):
    n = planes_in.shape[0]
    if n < 2 * MIN_PLANES_PER_THREAD or THREADS < 2:
        fn(planes_in, planes_out)
        return
    half = n // 2
    with ThreadPoolExecutor(THREADS) as pool:
        jobs = [pool.submit(fn, planes_in[:half], planes_out[:half]), pool.submit(fn, planes_in[half:], planes_out[half:])]
        for job in jobs:
            job.result()


def _resolve(layer, x, nd):
    if x.ndim not in (nd + 1, nd + 2):
        raise ShapeError("input", f"a {nd}-D pool needs (N, C, *spatial) or (C, *spatial), got shape {x.shape}")
    axes = layer.arithmetic(x.shape[x.ndim - nd:])
    return axes


def _ndim(kernel_size, stride, padding, dilation, x):
    for value in (kernel_size, stride, padding, dilation):
        if isinstance(value, (tuple, list)):
            return len(value)
    if x.ndim < 3:
        return x.ndim - 1
    return x.ndim - 2


def _reduce_axis(src, axis, ax, combine, fill, dst):
    """One axis of a pool: dst[..., o, ...] = combine over taps of src (padding reads as ``fill``)."""
    size, s, d, k = ax.input, ax.stride, ax.dilation, ax.kernel_size
    before = ax.padding[0]
    first_tap = True
    for t in range(k):
        # Output o reads input o*s + t*d - before: valid outputs form a contiguous range.
        shift = t * d - before
        o_lo = max(0, -(shift // s))  # the first output whose tap lands at or after input 0
        o_hi = min(ax.output - 1, (size - 1 - shift) // s)
        out_sel = [slice(None)] * dst.ndim
        if first_tap:
            dst.fill(fill)
            first_tap = False
        if o_hi < o_lo:
            continue
        out_sel[axis] = slice(o_lo, o_hi + 1)
        in_sel = [slice(None)] * src.ndim
        start = o_lo * s + shift
        in_sel[axis] = slice(start, start + (o_hi - o_lo) * s + 1, s)
        view = dst[tuple(out_sel)]
        combine(view, src[tuple(in_sel)], out=view)


def max_pool(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False,
             framework="torch"):
    """Like torch.nn.functional.max_pool1d/2d/3d; NaN propagates as in PyTorch."""
    x = _as_array(input)
    nd = _ndim(kernel_size, stride, padding, dilation, x)
    layer = MaxPool(kernel_size, stride=stride, padding=padding, dilation=dilation, ceil_mode=ceil_mode, framework=framework)
    axes = _resolve(layer, x, nd)
    lead = x.shape[: x.ndim - nd]
    limits.check_output((*lead, *[a.output for a in axes]), x.dtype.itemsize)
    if return_indices:
        return _max_with_indices(x, axes, nd)
    fill = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
    planes, _ = _split_planes(x, nd)
    out = np.empty((planes.shape[0], *[a.output for a in axes]), dtype=x.dtype)

    def work(src, dst):
        current = src
        for i, ax in enumerate(axes):
            shape = list(current.shape)
            shape[i + 1] = ax.output
            target = dst if i == nd - 1 else np.empty(shape, dtype=x.dtype)
            _reduce_axis(current, i + 1, ax, np.maximum, fill, target)
            current = target

    _in_threads(work, planes, out)
    return out.reshape(*lead, *out.shape[1:])


def _max_with_indices(x, axes, nd):
    """Flat indices into each input plane, first maximum wins, NaN wins (PyTorch's CPU rule)."""
    planes, lead = _split_planes(x, nd)
    out_shape = (planes.shape[0], *[a.output for a in axes])
    best = np.full(out_shape, -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min, dtype=x.dtype)
    index = np.full(out_shape, -1, dtype=np.int64)
    coords = np.indices([a.output for a in axes])
    flat_strides = [int(np.prod(x.shape[x.ndim - nd + i + 1:])) for i in range(nd)]
    from itertools import product

    for taps in product(*(range(a.kernel_size) for a in axes)):
        pos = [c * a.stride + t * a.dilation - a.padding[0] for c, t, a in zip(coords, taps, axes)]
        inside = np.ones(out_shape[1:], dtype=bool)
        for p, a in zip(pos, axes):
            inside &= (p >= 0) & (p < a.input)
        clipped = [np.clip(p, 0, a.input - 1) for p, a in zip(pos, axes)]
        values = planes[(slice(None), *clipped)]
        better = (values > best) | (np.isnan(values) & ~np.isnan(best)) if x.dtype.kind == "f" else values > best
        better &= inside
        first = index < 0
        better |= first & inside
        np.copyto(best, values, where=better)
        flat = sum(c * s for c, s in zip(clipped, flat_strides))
        np.copyto(index, np.broadcast_to(flat, index.shape), where=better)
    return best.reshape(*lead, *out_shape[1:]), index.reshape(*lead, *out_shape[1:])


def avg_pool(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
             divisor_override=None, framework="torch"):
    """Like torch.nn.functional.avg_pool1d/2d/3d (TensorFlow's SAME averages real cells only)."""
    x = _as_array(input)
    nd = _ndim(kernel_size, stride, padding, 1, x)
    layer = AvgPool(kernel_size, stride=stride, padding=padding, ceil_mode=ceil_mode,
                    count_include_pad=count_include_pad, framework=framework)
    axes = _resolve(layer, x, nd)
    if divisor_override is not None and (not isinstance(divisor_override, int) or divisor_override == 0):
        raise ShapeError("divisor_override", f"must be a non-zero integer, got {divisor_override!r}")
    if layer.framework != "torch":
        count_include_pad = False
    dtype = x.dtype if x.dtype.kind == "f" else np.float64
    lead = x.shape[: x.ndim - nd]
    limits.check_output((*lead, *[a.output for a in axes]), np.dtype(dtype).itemsize)
    planes, _ = _split_planes(x.astype(dtype, copy=False), nd)
    out = np.empty((planes.shape[0], *[a.output for a in axes]), dtype=dtype)

    def work(src, dst):
        current = src
        for i, ax in enumerate(axes):
            shape = list(current.shape)
            shape[i + 1] = ax.output
            target = dst if i == nd - 1 else np.empty(shape, dtype=dtype)
            _reduce_axis(current, i + 1, ax, np.add, 0, target)
            current = target

    _in_threads(work, planes, out)
    if divisor_override is not None:
        out /= divisor_override
    else:
        divisor = np.ones([1] * (nd + 1), dtype=dtype)
        for i, ax in enumerate(axes):
            counts = _window_counts(ax, count_include_pad).astype(dtype)
            divisor = divisor * counts.reshape([1] * (i + 1) + [-1] + [1] * (nd - i - 1))
        out /= divisor
    return out.reshape(*lead, *out.shape[1:])


def _window_counts(ax, include_pad):
    """Cells each window averages: PyTorch clips to the padded input (or the real one)."""
    starts = np.arange(ax.output) * ax.stride - ax.padding[0]
    ends = np.minimum(starts + ax.kernel_size, ax.input + ax.padding[1])
    if include_pad:
        return ends - starts
    return np.minimum(ends, ax.input) - np.maximum(starts, 0)
