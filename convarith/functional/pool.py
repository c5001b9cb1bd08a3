"""max_pool and avg_pool: windows from the shape engine, reduced one axis at a time.

A box max or sum is separable, so an N-D pool is N one-axis pools, each a handful of strided
maximum/add operations over views. Two threads take halves of the batch*channel planes
(NumPy releases the GIL inside ufuncs).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from itertools import product
from math import prod
from typing import Any, Literal, overload

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from .. import limits
from ..arithmetic import AxisArithmetic
from ..axes import is_int
from ..errors import ShapeError
from ..layers import AvgPool, IntOrAxes, Layer, MaxPool, Padding
from . import checks, explicit, sparse
from .checks import Array

THREADS = 2
MIN_PLANES_PER_THREAD = 8


Combine = Callable[..., Any]
"""``np.maximum`` or ``np.add``: called as ``combine(a, b, out=a)``."""

TapRange = tuple[int, int]
"""Taps ``start`` to ``stop - 1`` of one axis."""


def _as_array(input: ArrayLike) -> Array:
    x = checks.array("input", input)
    if x.ndim < 2:
        raise ShapeError("input", f"a pool needs (N, C, *spatial) or (C, *spatial), got shape {x.shape}")
    return x


def _split_planes(x: Array, nd: int) -> tuple[Array, tuple[int, ...]]:
    """(..., *spatial) -> (planes, *spatial) view plus the leading shape."""
    lead = x.shape[: x.ndim - nd]
    return x.reshape(-1, *x.shape[x.ndim - nd :]), lead


def _in_threads(fn: Callable[[Array, Array], None], planes_in: Array, planes_out: Array) -> None:
    n = planes_in.shape[0]
    if n < 2 * MIN_PLANES_PER_THREAD or THREADS < 2:
        fn(planes_in, planes_out)
        return
    half = n // 2
    with ThreadPoolExecutor(THREADS) as pool:
        jobs = [
            pool.submit(fn, planes_in[:half], planes_out[:half]),
            pool.submit(fn, planes_in[half:], planes_out[half:]),
        ]
        for job in jobs:
            job.result()


def _resolve(layer: Layer, x: Array, nd: int, pairs: explicit.Pairs | None) -> tuple[AxisArithmetic, ...]:
    if x.ndim not in (nd + 1, nd + 2):
        raise ShapeError("input", f"a {nd}-D pool needs (N, C, *spatial) or (C, *spatial), got shape {x.shape}")
    if pairs is not None:
        return explicit.pool_axes(layer, x.shape[x.ndim - nd :], pairs)
    return layer.arithmetic(x.shape[x.ndim - nd :])


def _ndim(kernel_size: object, stride: object, padding: object, dilation: object, x: Array) -> int:
    if kernel_size is None:
        raise ShapeError("kernel_size", "is required, got None")
    for value in (kernel_size, stride, padding, dilation):
        if isinstance(value, np.ndarray) and value.ndim == 2:  # (before, after) pairs as an array
            return len(value)
        if isinstance(value, (tuple, list)):
            if not value:
                raise ShapeError("kernel_size", f"needs one value per spatial axis, got {value!r}")
            return len(value)
    if x.ndim < 3:
        return x.ndim - 1
    return x.ndim - 2


def tap_ranges(ax: AxisArithmetic) -> list[TapRange]:
    """The taps of one axis that some output reads on an input cell, as merged (start, stop) ranges.

    Output o, tap t reads cell o*s + t*d - before; the taps of output o on the input form an
    interval, computed in closed form for every output at once. Taps reading only padding are
    never visited: a kernel of 10**9 over 8 cells costs what the 8 cells cost.
    """
    size, n, k, s, d, before = ax.input, ax.output, ax.kernel_size, ax.stride, ax.dilation, ax.padding[0]
    if k <= 64:
        return [(0, k)]
    big = before + n * s + k * d + size >= sparse.INT_SAFE
    base = sparse.arange(n, big)[::-1] * s - before  # last output first: intervals in increasing order
    lo = np.maximum(-(base // d), 0)
    hi = np.minimum((size - 1 - base) // d, k - 1)
    keep = lo <= hi
    lo, hi = lo[keep], hi[keep]
    if lo.size == 0:
        return []
    if big:  # tap numbers past int64 (a kernel of 10**30): merge in Python, one step per live output
        ranges: list[TapRange] = []
        for a, b in zip(lo.tolist(), hi.tolist(), strict=True):
            if ranges and a <= ranges[-1][1]:
                ranges[-1] = (ranges[-1][0], max(ranges[-1][1], b + 1))
            else:
                ranges.append((a, b + 1))
        return ranges
    hi = np.maximum.accumulate(hi)
    starts = np.flatnonzero(np.r_[True, lo[1:] > hi[:-1] + 1])
    stops = np.r_[starts[1:], lo.size] - 1
    return [(int(lo[a]), int(hi[b]) + 1) for a, b in zip(starts, stops, strict=True)]


def _reduce_axis(
    src: Array,
    axis: int,
    ax: AxisArithmetic,
    combine: Combine,
    fill: float,
    dst: Array,
    ranges: Sequence[TapRange],
) -> None:
    """One axis of a pool: dst[..., o, ...] = combine over taps of src (padding reads as ``fill``)."""
    size, s, d = ax.input, ax.stride, ax.dilation
    before = ax.padding[0]
    dst.fill(fill)
    for lo, hi in ranges:
        for t in range(lo, hi):
            # Output o reads input o*s + t*d - before: valid outputs form a contiguous range.
            shift = t * d - before
            o_lo = max(0, -(shift // s))  # the first output whose tap lands at or after input 0
            o_hi = min(ax.output - 1, (size - 1 - shift) // s)
            if o_hi < o_lo:
                continue
            out_sel = [slice(None)] * dst.ndim
            out_sel[axis] = slice(o_lo, o_hi + 1)
            in_sel = [slice(None)] * src.ndim
            start = o_lo * s + shift
            in_sel[axis] = slice(start, start + (o_hi - o_lo) * s + 1, s)
            view = dst[tuple(out_sel)]
            combine(view, src[tuple(in_sel)], out=view)


def _separable(
    x: Array, axes: Sequence[AxisArithmetic], nd: int, combine: Combine, fill: float, dtype: DTypeLike
) -> Array:
    """An N-D box reduction as N one-axis ones, planes in chunks that keep scratch in budget."""
    planes, lead = _split_planes(x, nd)
    out = np.empty((planes.shape[0], *[a.output for a in axes]), dtype=dtype)
    ranges = [tap_ranges(ax) for ax in axes]
    shapes, shape = [], list(planes.shape[1:])
    for i, ax in enumerate(axes[:-1]):
        shape[i] = ax.output
        shapes.append(prod(shape))
    per_plane = np.dtype(dtype).itemsize * sum(shapes)
    chunk = max(1, min(planes.shape[0], limits.temporary_bytes // max(per_plane, 1)))
    limits.check_temporary("input", "one plane's partial reductions", per_plane)

    def work(src: Array, dst: Array) -> None:
        current = src
        for i, ax in enumerate(axes):
            shape = list(current.shape)
            shape[i + 1] = ax.output
            target = dst if i == nd - 1 else np.empty(shape, dtype=dtype)
            _reduce_axis(current, i + 1, ax, combine, fill, target, ranges[i])
            current = target

    for p0 in range(0, planes.shape[0], chunk):
        _in_threads(work, planes[p0 : p0 + chunk], out[p0 : p0 + chunk])
    return out.reshape(*lead, *out.shape[1:])


@overload
def max_pool(
    input: ArrayLike,
    kernel_size: IntOrAxes,
    stride: IntOrAxes | None = None,
    padding: Padding = 0,
    dilation: IntOrAxes = 1,
    ceil_mode: bool = False,
    return_indices: Literal[False] = False,
    framework: str = "torch",
) -> Array: ...


@overload
def max_pool(
    input: ArrayLike,
    kernel_size: IntOrAxes,
    stride: IntOrAxes | None = None,
    padding: Padding = 0,
    dilation: IntOrAxes = 1,
    ceil_mode: bool = False,
    *,
    return_indices: Literal[True],
    framework: str = "torch",
) -> tuple[Array, NDArray[np.int64]]: ...


@overload
def max_pool(
    input: ArrayLike,
    kernel_size: IntOrAxes,
    stride: IntOrAxes | None = None,
    padding: Padding = 0,
    dilation: IntOrAxes = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
    framework: str = "torch",
) -> Array | tuple[Array, NDArray[np.int64]]: ...


def max_pool(
    input: ArrayLike,
    kernel_size: IntOrAxes,
    stride: IntOrAxes | None = None,
    padding: Padding = 0,
    dilation: IntOrAxes = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
    framework: str = "torch",
) -> Array | tuple[Array, NDArray[np.int64]]:
    """Like torch.nn.functional.max_pool1d/2d/3d; NaN propagates as in PyTorch."""
    with np.errstate(all="ignore"):
        return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, framework)


def _max_pool(
    input: ArrayLike,
    kernel_size: IntOrAxes,
    stride: IntOrAxes | None,
    padding: Padding,
    dilation: IntOrAxes,
    ceil_mode: bool,
    return_indices: bool,
    framework: str,
) -> Array | tuple[Array, NDArray[np.int64]]:
    ceil_mode, return_indices = checks.flag("ceil_mode", ceil_mode), checks.flag("return_indices", return_indices)
    checks.framework(framework)
    x = _as_array(input)
    nd = _ndim(kernel_size, stride, padding, dilation, x)
    pairs = explicit.pairs(padding)  # None unless written as (before, after) pairs
    layer = MaxPool(
        kernel_size,
        stride=stride,
        padding=padding if pairs is None else 0,
        dilation=dilation,
        ceil_mode=ceil_mode,
        framework=framework,
    )
    axes = _resolve(layer, x, nd, pairs)
    lead = x.shape[: x.ndim - nd]
    shape = (*lead, *[a.output for a in axes])
    checks.output(shape, x.dtype.itemsize + (8 if return_indices else 0))
    if 0 in shape:
        empty = np.zeros(shape, dtype=x.dtype)
        return (empty, np.zeros(shape, dtype=np.int64)) if return_indices else empty
    if return_indices:
        return _max_with_indices(x, axes, nd)
    fill = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
    return _separable(x, axes, nd, np.maximum, fill, x.dtype)


def _max_with_indices(x: Array, axes: Sequence[AxisArithmetic], nd: int) -> tuple[Array, NDArray[np.int64]]:
    """Flat indices into each input plane, first maximum wins, NaN wins (the first NaN).

    Loops over taps; when the window has more taps than there are outputs, over outputs instead.
    """
    if prod(sum(hi - lo for lo, hi in tap_ranges(a)) for a in axes) > prod(a.output for a in axes):
        return _max_with_indices_by_outputs(x, axes, nd)
    planes, lead = _split_planes(x, nd)
    outs = [a.output for a in axes]
    out_shape = (planes.shape[0], *outs)
    best = np.full(out_shape, -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min, dtype=x.dtype)
    index = np.full(out_shape, -1, dtype=np.int64)
    flat_strides = [prod(x.shape[x.ndim - nd + i + 1 :]) for i in range(nd)]
    taps = [[t for lo, hi in tap_ranges(a) for t in range(lo, hi)] for a in axes]
    # Scratch per output cell: the gathered values, masks and flat indices of one tap.
    per_cell = 2 * x.dtype.itemsize + 8 + 4
    rest = prod(outs[1:])
    cells = max(1, limits.temporary_bytes // per_cell)
    if rest > cells:
        limits.check_temporary("input", "one row of max-pool windows", per_cell * rest)
    rows = max(1, min(outs[0], cells // max(rest, 1)))
    n_planes = max(1, min(planes.shape[0], cells // max(rows * rest, 1)))
    is_float = x.dtype.kind == "f"

    def positions(ax: AxisArithmetic, t: int, o: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
        """The cells tap t of outputs o reads (0 where outside the input), and where they are inside."""
        shift = t * ax.dilation - ax.padding[0]
        pos = (
            o * ax.stride + shift
            if abs(shift) + (int(o[-1]) + 1) * ax.stride < sparse.INT_SAFE
            else o.astype(object) * ax.stride + shift
        )
        inside = (pos >= 0) & (pos < ax.input)
        return np.where(inside, pos, 0).astype(np.int64), inside.astype(bool)

    for p0 in range(0, planes.shape[0], n_planes):
        src = planes[p0 : p0 + n_planes]
        for r0 in range(0, outs[0], rows):
            ranges = [np.arange(r0, min(outs[0], r0 + rows))] + [np.arange(n) for n in outs[1:]]
            cell = (slice(p0, p0 + n_planes), slice(r0, r0 + rows))
            best_here, index_here = best[cell], index[cell]  # views: this chunk's outputs
            for combo in product(*taps):
                pos, inside = zip(
                    *(positions(ax, t, o) for ax, t, o in zip(axes, combo, ranges, strict=True)), strict=True
                )
                if not all(i.any() for i in inside):
                    continue
                grid = np.ix_(*pos)
                values = src[(slice(None),) + grid]
                inside_all = np.ones((1,) * nd, dtype=bool)
                for i, m in enumerate(inside):
                    inside_all = inside_all & m.reshape([-1 if j == i else 1 for j in range(nd)])
                # torch's CPU kernel: val > max || isnan(val), so a later NaN takes the index
                better = (values > best_here) | np.isnan(values) if is_float else values > best_here
                better |= index_here < 0
                better &= inside_all
                np.copyto(best_here, values, where=better)
                flat = sum(g * st for g, st in zip(grid, flat_strides, strict=True))
                np.copyto(index_here, np.broadcast_to(flat, index_here.shape), where=better)
    missing = index < 0
    if missing.any():
        np.copyto(index, np.broadcast_to(_empty_window_index(axes, flat_strides), index.shape), where=missing)
    return best.reshape(*lead, *out_shape[1:]), index.reshape(*lead, *out_shape[1:])


def _max_with_indices_by_outputs(x: Array, axes: Sequence[AxisArithmetic], nd: int) -> tuple[Array, NDArray[np.int64]]:
    """``_max_with_indices`` for windows with more taps than there are outputs.

    An argmax is separable like the max: the first maximum in row-major window order is, in the
    first row holding the window's maximum, that row's first maximum; the last NaN is the last
    NaN of the last row holding one (torch reports the last NaN of a window).
    So the last axis is reduced first, then the one before it, each carrying the winners' flat
    indices. Each axis loops in Python over its outputs (one NumPy argmax over a strided view of
    each window) or over its taps, whichever are fewer.
    """
    planes, lead = _split_planes(x, nd)
    ins, outs = list(planes.shape[1:]), [a.output for a in axes]
    flat_strides = [prod(ins[i + 1 :]) for i in range(nd)]
    is_float = x.dtype.kind == "f"
    fill = -np.inf if is_float else np.iinfo(x.dtype).min
    ranges = [tap_ranges(a) for a in axes]
    # Per plane: the partial reductions (values and indices) and one step's gathered windows.
    partial = sum(prod(ins[:i]) * prod(outs[i:]) for i in range(1, nd))
    gathered = max(prod(ins[: i + 1]) * prod(outs[i + 1 :]) for i in range(nd))
    per_plane = (x.dtype.itemsize + 8) * (partial + gathered)
    limits.check_temporary("input", "one plane's max-pool windows", per_plane)
    chunk = max(1, min(planes.shape[0], limits.temporary_bytes // max(per_plane, 1)))
    best = np.empty((planes.shape[0], *outs), dtype=x.dtype)
    index = np.empty((planes.shape[0], *outs), dtype=np.int64)

    def work(p0: int, p1: int) -> None:
        values: Array = planes[p0:p1]
        cells: NDArray[np.int64] | None = None
        for i in reversed(range(nd)):
            if i == 0:
                dst, dst_index = best[p0:p1], index[p0:p1]
            else:
                shape = (p1 - p0, *ins[:i], *outs[i:])
                dst, dst_index = np.empty(shape, dtype=x.dtype), np.empty(shape, dtype=np.int64)
            taps = sum(hi - lo for lo, hi in ranges[i])
            step = _argmax_by_outputs if axes[i].output < taps else _argmax_by_taps
            step(values, cells, i + 1, axes[i], ranges[i], flat_strides[i], dst, dst_index, is_float, fill)
            values, cells = dst, dst_index

    for p0 in range(0, planes.shape[0], chunk):
        work(p0, min(planes.shape[0], p0 + chunk))
    empty = np.zeros((1,) * (nd + 1), dtype=bool)
    for i, ax in enumerate(axes):
        empty = empty | _empty_windows(ax).reshape([1] + [-1 if j == i else 1 for j in range(nd)])
    if empty.any():
        empty = np.broadcast_to(empty, best.shape)
        np.copyto(best, np.asarray(fill, dtype=x.dtype), where=empty)
        np.copyto(index, np.broadcast_to(_empty_window_index(axes, flat_strides)[None], index.shape), where=empty)
    return best.reshape(*lead, *outs), index.reshape(*lead, *outs)


def _empty_windows(ax: AxisArithmetic) -> NDArray[np.bool_]:
    """Per output of one axis: whether its window reads no input cell."""
    size, n, k, s, d, before = ax.input, ax.output, ax.kernel_size, ax.stride, ax.dilation, ax.padding[0]
    big = before + n * s + k * d + size >= sparse.INT_SAFE
    base = sparse.arange(n, big) * s - before
    lo = np.maximum(-(base // d), 0)
    hi = np.minimum((size - 1 - base) // d, k - 1)
    return np.asarray(lo > hi, dtype=bool)


def _argmax_by_outputs(
    src: Array,
    src_index: NDArray[np.int64] | None,
    axis: int,
    ax: AxisArithmetic,
    ranges: Sequence[TapRange],
    flat_stride: int,
    dst: Array,
    dst_index: NDArray[np.int64],
    is_float: bool,
    fill: float,
) -> None:
    """One axis of an argmax pool, one NumPy argmax per output over a strided view of its window.

    Outputs whose window reads no cell are left as they are (``_empty_windows`` fixes them)."""
    size, k, s, d, before = ax.input, ax.kernel_size, ax.stride, ax.dilation, ax.padding[0]
    lead = (slice(None),) * axis
    for o in range(ax.output):
        start = o * s - before
        lo, hi = max(0, -(start // d)), min(k - 1, (size - 1 - start) // d)
        if hi < lo:
            continue
        first, count = start + lo * d, hi - lo + 1
        step = d if count > 1 else 1  # one cell: the step may be past int64
        sel = (*lead, slice(first, first + (count - 1) * step + 1, step))
        view = src[sel]
        j = np.argmax(view, axis=axis)  # the first maximum
        if is_float:  # torch: the last NaN in window order, where there is one
            nan = np.isnan(view)
            last_nan = count - 1 - np.argmax(np.flip(nan, axis=axis), axis=axis)
            j = np.where(nan.any(axis=axis), last_nan, j)
        jj = np.expand_dims(j, axis)
        here: tuple[slice | int, ...] = (*lead, o)
        dst[here] = np.take_along_axis(view, jj, axis).squeeze(axis)
        flat = (first + j * step) * flat_stride
        if src_index is not None:
            flat += np.take_along_axis(src_index[sel], jj, axis).squeeze(axis)
        dst_index[here] = flat


def _argmax_by_taps(
    src: Array,
    src_index: NDArray[np.int64] | None,
    axis: int,
    ax: AxisArithmetic,
    ranges: Sequence[TapRange],
    flat_stride: int,
    dst: Array,
    dst_index: NDArray[np.int64],
    is_float: bool,
    fill: float,
) -> None:
    """One axis of an argmax pool, one strided comparison per tap over every output at once."""
    size, s, d, before = ax.input, ax.stride, ax.dilation, ax.padding[0]
    dst.fill(fill)
    dst_index.fill(-1)
    lead = (slice(None),) * axis
    trail = (1,) * (src.ndim - axis - 1)
    for lo, hi in ranges:
        for t in range(lo, hi):
            shift = t * d - before
            o_lo = max(0, -(shift // s))
            o_hi = min(ax.output - 1, (size - 1 - shift) // s)
            if o_hi < o_lo:
                continue
            start = o_lo * s + shift
            step = s if o_hi > o_lo else 1  # one output: the stride may be past int64
            sel = (*lead, slice(start, start + (o_hi - o_lo) * step + 1, step))
            out = (*lead, slice(o_lo, o_hi + 1))
            values, here, here_index = src[sel], dst[out], dst_index[out]
            better = values > here
            if is_float:
                better |= np.isnan(values)  # as torch: the last NaN in window order wins
            better |= here_index < 0
            np.copyto(here, values, where=better)
            flat = (np.arange(o_hi - o_lo + 1, dtype=np.int64) * step + start) * flat_stride
            cand = flat.reshape(-1, *trail)
            if src_index is not None:
                cand = cand + src_index[sel]
            np.copyto(here_index, np.broadcast_to(cand, here_index.shape), where=better)


def _empty_window_index(axes: Sequence[AxisArithmetic], flat_strides: Sequence[int]) -> NDArray[np.int64]:
    """PyTorch's index for a window that reads only padding (its value is -inf).

    The CPU kernel starts each window at its first tap, moved right by the dilation until it is
    at or after cell 0, and reports that cell's flat index when no cell beats -inf, even past
    the input's end (MaxPoolKernel.cpp). Sums wrap like its int64 arithmetic.
    """
    nd = len(axes)
    total = np.zeros((1,) * nd, dtype=np.int64)
    for i, ax in enumerate(axes):
        cells = []
        for o in range(ax.output):
            start = o * ax.stride - ax.padding[0]
            if start < 0:
                start += -(start // ax.dilation) * ax.dilation
            cells.append((start * flat_strides[i] + 2**63) % 2**64 - 2**63)
        total = total + np.array(cells, dtype=np.int64).reshape([-1 if j == i else 1 for j in range(nd)])
    return total


def avg_pool(
    input: ArrayLike,
    kernel_size: IntOrAxes,
    stride: IntOrAxes | None = None,
    padding: Padding = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
    framework: str = "torch",
) -> Array:
    """Like torch.nn.functional.avg_pool1d/2d/3d (TensorFlow's SAME averages real cells only)."""
    with np.errstate(all="ignore"):
        return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, framework)


def _avg_pool(
    input: ArrayLike,
    kernel_size: IntOrAxes,
    stride: IntOrAxes | None,
    padding: Padding,
    ceil_mode: bool,
    count_include_pad: bool,
    divisor_override: int | None,
    framework: str,
) -> Array:
    ceil_mode = checks.flag("ceil_mode", ceil_mode)
    count_include_pad = checks.flag("count_include_pad", count_include_pad)
    checks.framework(framework)
    if divisor_override is not None and (
        not is_int(divisor_override) or divisor_override == 0 or not -(2**63) <= int(divisor_override) < 2**63
    ):
        raise ShapeError("divisor_override", f"must be a non-zero 64-bit integer, got {checks.short(divisor_override)}")
    x = _as_array(input)
    nd = _ndim(kernel_size, stride, padding, 1, x)
    pairs = explicit.pairs(padding)  # None unless written as (before, after) pairs
    layer = AvgPool(
        kernel_size,
        stride=stride,
        padding=padding if pairs is None else 0,
        ceil_mode=ceil_mode,
        count_include_pad=count_include_pad,
        framework=framework,
    )
    axes = _resolve(layer, x, nd, pairs)
    if layer.framework != "torch":
        count_include_pad = False
    dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)
    lead = x.shape[: x.ndim - nd]
    checks.output((*lead, *[a.output for a in axes]), dtype.itemsize)
    if 0 in lead:
        return np.zeros((*lead, *[a.output for a in axes]), dtype=dtype)
    out = _separable(x, axes, nd, np.add, 0, dtype)
    if divisor_override is not None:
        out /= int(divisor_override)
    else:
        divisor = np.ones([1] * (nd + 1), dtype=dtype)
        for i, ax in enumerate(axes):
            counts = _window_counts(ax, count_include_pad).astype(dtype)
            divisor = divisor * counts.reshape([1] * (i + 1) + [-1] + [1] * (nd - i - 1))
        out = out.reshape(-1, *out.shape[len(lead) :])
        out /= divisor
        out = out.reshape(*lead, *out.shape[1:])
    return out


def _window_counts(ax: AxisArithmetic, include_pad: bool) -> Array:
    """Cells each window averages: PyTorch clips to the padded input (or the real one)."""
    big = ax.output * ax.stride + ax.padding[0] + ax.kernel_size + ax.input + ax.padding[1] >= sparse.INT_SAFE
    starts = sparse.arange(ax.output, big) * ax.stride - ax.padding[0]
    ends = np.minimum(starts + ax.kernel_size, ax.input + ax.padding[1])
    counts: Array = (
        (ends - starts) if include_pad else (np.minimum(ends, ax.input) - np.maximum(starts, 0))
    )  # int64, or Python ints past its range (the caller divides in floats)
    return counts
