"""The engine under conv and conv_transpose: N-D cross-correlation with explicit windows.

Every window op here is described by, per spatial axis, the input coordinate where output 0's
first tap lands (``origin``, negative inside the left padding), the output count, stride and
dilation; cells outside the input read as zero.

Two ways to turn it into matrix products:

* stride 1 ("wide" layout): the zero-padded input is laid out with the padded extent on every
  axis but the last, which keeps the output's width, so output position ``p`` and a leading
  tap's offset ``off`` meet at flat index ``p + off``; each last-axis tap has a plane of its
  own. Those planes and their copies shifted by the other folded taps, stacked, are multiplied
  once by the weights of all remaining (leading) tap combinations stacked as rows; each row
  block, read at its tap's offset, is one partial sum of the output, with no further copy.
  From 3-D on, outputs are computed for the padded width of the middle axes and the extra
  columns dropped when written out.
* any stride: the windows are gathered into a column matrix (im2col) and multiplied once.

Images are processed one at a time (they stay in cache) and long leading axes in chunks, so
scratch memory stays under ``limits.temporary_bytes``; buffers are reused between chunks.

Before either, ``correlate`` cuts off (per axis, in closed form) the outputs whose windows
hold no input cell and the taps no output reads on one; when what remains would still need
a padded buffer far larger than the input and output (huge stride, dilation or padding), or
more scratch than the budget even in the smallest chunk, it goes to ``sparse`` instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import product
from math import prod
from typing import NamedTuple

import numpy as np
from numpy.typing import DTypeLike

from .. import limits
from . import blas, sparse, spectral, threads
from .checks import Array

FOLD_MIN_K = 128  # fold trailing taps into the GEMM's inner dimension until it is at least this
ACCUMULATE_MIN_ROWS = 64  # output channels per group from which each leading tap's product is added by BLAS
BLOCK_COLUMNS = 4096  # output columns per GEMM: OpenBLAS is at its best near this on thin products
WORKING_SET = 64 * 2**20  # scratch per chunk beyond which larger chunks are no faster
ROWS_MIN_CELLS = 2**16  # per-channel planes from which one channel's kernel-row GEMM beats the broadcast sums
ROWS_COLUMNS = 2**15  # columns per kernel-row GEMM of one channel
DEPTHWISE_CACHE = 512 * 2**10  # depthwise accumulator and product per chunk: half a core's L2


class Scratch:
    """Reusable buffers keyed by name: fresh pages are expensive on these machines."""

    def __init__(self) -> None:
        self.buffers: dict[str, Array] = {}

    def get(self, name: str, shape: Sequence[int], dtype: DTypeLike, zero: bool = False) -> Array:
        size = prod(shape)
        buf = self.buffers.get(name)
        if buf is None or buf.size < size or buf.dtype != dtype:
            buf = np.empty(max(size, 1), dtype=dtype)
            self.buffers[name] = buf
        view = buf[:size].reshape(shape)
        if zero:
            view.fill(0)
        return view


def fill_window(dest: Array, image: Array, starts: Sequence[int]) -> None:
    """Copy the part of ``image`` (C, *in) covering ``dest``'s window (C, *extent) at ``starts``."""
    src, dst = [slice(None)], [slice(None)]
    for start, extent, size in zip(starts, dest.shape[1:], image.shape[1:], strict=True):
        lo, hi = max(start, 0), min(start + extent, size)
        if hi <= lo:
            return
        src.append(slice(lo, hi))
        dst.append(slice(lo - start, hi - start))
    dest[tuple(dst)] = image[tuple(src)]


def fill_padded(dest: Array, image: Array, starts: Sequence[int]) -> None:
    """Write every cell of ``dest`` (C, *extent): ``image`` (C, *in) where the window at ``starts``
    meets it, zero elsewhere (the border slabs only, not a fill of the whole buffer first)."""
    inside: list[slice] = [slice(None)]
    src: list[slice] = [slice(None)]
    boxes = []
    for start, extent, size in zip(starts, dest.shape[1:], image.shape[1:], strict=True):
        first, stop = min(max(-start, 0), extent), min(max(size - start, 0), extent)
        if stop <= first:
            dest.fill(0)
            return
        boxes.append((first, stop))
        src.append(slice(first + start, stop + start))
    for first, stop in boxes:
        dest[tuple(inside) + (slice(0, first),)] = 0
        dest[tuple(inside) + (slice(stop, None),)] = 0
        inside.append(slice(first, stop))
    dest[tuple(inside)] = image[tuple(src)]


def fill_shifted(planes: Array, image: Array, starts: Sequence[int], step: int) -> None:
    """planes[t] (C, *extent) = the padded window at ``starts`` moved t*step cells along the last axis.

    The middle plane is filled from the image. Each other plane is it moved by its shift in
    flat order (one memcpy a channel), then the columns that wrapped around between rows are
    filled from the image: a plane whose last-axis offset is not a multiple of 16 bytes is a
    row-by-row copy otherwise (22 against 12 us for 64 x 56 x 56, issue 17).
    """
    k, channels, width = planes.shape[0], planes.shape[1], planes.shape[-1]
    mid = k // 2
    fill_padded(planes[mid], image, [*starts[:-1], starts[-1] + mid * step])
    # A channel's cells must be one run for the memcpy (reshape would copy a strided view).
    flat = planes.ndim > 2 and planes[mid, 0].flags.c_contiguous
    source = planes[mid].reshape(channels, -1) if flat else planes[mid]
    for t in range(k):
        shift = (t - mid) * step
        if shift == 0:
            continue
        last = starts[-1] + t * step
        if 4 * abs(shift) > width or not flat:
            fill_padded(planes[t], image, [*starts[:-1], last])
            continue
        moved = planes[t].reshape(channels, -1)
        if shift > 0:
            moved[:, :-shift] = source[:, shift:]
            fill_padded(planes[t][..., width - shift :], image, [*starts[:-1], last + width - shift])
        else:
            moved[:, -shift:] = source[:, :shift]
            fill_padded(planes[t][..., :-shift], image, [*starts[:-1], last])


def correlate(
    x: Array,
    w: Array,
    origins: Sequence[int],
    out_sizes: Sequence[int],
    strides: Sequence[int],
    dilations: Sequence[int],
    groups: int,
    out: Array,
) -> Array:
    """Write the cross-correlation of x (N, C, *in) with w (O, C/groups, *k) into out (N, O, *out_sizes).

    Outputs whose windows hold no input cell, and taps no output reads on an input cell, are
    cut off first (closed form, per axis), so padding or a dilation far beyond the input
    costs nothing. What remains runs on a fast path when its padded buffer is about the size
    of the input and output and its scratch fits ``limits.temporary_bytes``; otherwise on
    ``sparse`` (explicit per-axis index tables, bounded by the answer).
    """
    if out.size == 0:
        return out
    nd = len(out_sizes)
    kernel = w.shape[2:]
    sizes = x.shape[2:]
    found = [_trim(origins[i], out_sizes[i], kernel[i], strides[i], dilations[i], sizes[i]) for i in range(nd)]
    trims = [t for t in found if t is not None]
    if len(trims) < nd:
        out[...] = 0
        return out
    if any(t != (0, n - 1, 0, k - 1) for t, n, k in zip(trims, out_sizes, kernel, strict=True)):
        out[...] = 0
        out = out[(slice(None), slice(None)) + tuple(slice(t.out_first, t.out_last + 1) for t in trims)]
        w = w[(slice(None), slice(None)) + tuple(slice(t.tap_first, t.tap_last + 1) for t in trims)]
        origins = [
            o + t.out_first * s + t.tap_first * d for o, t, s, d in zip(origins, trims, strides, dilations, strict=True)
        ]
        out_sizes = list(out.shape[2:])
        kernel = w.shape[2:]
    in_per_group, out_per_group = w.shape[1], w.shape[0] // groups
    if groups > 1 and (in_per_group > 1 or _one_channel_rows(x, w, groups, out_sizes)):
        # Group by group: each group's stack stays in cache from its copy to its GEMM (all
        # groups stacked first ran 1.2x slower than this loop for 4 groups of 16 channels,
        # 1.07x for a 7x7 filter over three 1024x1024 channels).
        for g in range(groups):
            channels_in = slice(g * in_per_group, (g + 1) * in_per_group)
            channels_out = slice(g * out_per_group, (g + 1) * out_per_group)
            correlate(
                x[:, channels_in], w[channels_out], origins, out_sizes, strides, dilations, 1, out[:, channels_out]
            )
        return out
    extents = [(o - 1) * s + (k - 1) * d + 1 for o, s, k, d in zip(out_sizes, strides, kernel, dilations, strict=True)]
    compact = all(e <= 2 * (n + o) + k + 64 for e, n, o, k in zip(extents, sizes, out_sizes, kernel, strict=True))
    if (
        compact  # windows spread far apart: the index tables cost what the answer costs, a transform more
        and spectral.applies(x, w, groups, strides)
        and spectral.cheaper(
            x.shape[0] * x.shape[1], out_sizes, kernel, extents, _one_channel_rows(x, w, groups, out_sizes)
        )
        and spectral.plane_bytes(extents, x.dtype.itemsize) <= limits.temporary_bytes
        and spectral.safe(x, w, extents)
    ):
        spectral.correlate(x, w, origins, out_sizes, dilations, out)
        return out
    if compact:
        plan = _plan(x, w, out_sizes, strides, dilations, groups, extents)
        if plan.fixed + plan.per_row <= limits.temporary_bytes:
            plan.path(x, w, origins, out_sizes, strides, dilations, groups, out, plan.fixed)
            return out
    sparse.correlate(x, w, origins, strides, dilations, groups, out)
    return out


class _Trim(NamedTuple):
    """On one axis, the outputs whose windows meet the input and the taps they read there (inclusive)."""

    out_first: int
    out_last: int
    tap_first: int
    tap_last: int


def _trim(origin: int, n_out: int, k: int, s: int, d: int, size: int) -> _Trim | None:
    """The outputs whose windows meet the input and the taps they read there.

    Output o, tap t reads cell origin + o*s + t*d. Everything outside the returned ranges reads
    only cells outside the input (zeros). None when nothing reads an input cell.
    """
    o_lo, o_hi, t_lo, t_hi = 0, n_out - 1, 0, k - 1
    for _ in range(8):
        new_o_lo = max(o_lo, -((origin + t_hi * d) // s))  # window end at or after cell 0
        new_o_hi = min(o_hi, (size - 1 - origin - t_lo * d) // s)  # window start at or before the last cell
        if new_o_lo > new_o_hi:
            return None
        new_t_lo = max(t_lo, -((origin + new_o_hi * s) // d))
        new_t_hi = min(t_hi, (size - 1 - origin - new_o_lo * s) // d)
        if new_t_lo > new_t_hi:
            return None
        if (new_o_lo, new_o_hi, new_t_lo, new_t_hi) == (o_lo, o_hi, t_lo, t_hi):
            break
        o_lo, o_hi, t_lo, t_hi = new_o_lo, new_o_hi, new_t_lo, new_t_hi
    return _Trim(o_lo, o_hi, t_lo, t_hi)


Path = Callable[[Array, Array, Sequence[int], Sequence[int], Sequence[int], Sequence[int], int, Array, int], None]
"""A fast path: (x, w, origins, out_sizes, strides, dilations, groups, out, fixed scratch bytes)."""


class _Plan(NamedTuple):
    path: Path
    fixed: int  # scratch bytes whatever the chunk
    per_row: int  # scratch bytes per output row of a chunk


def _plan(
    x: Array,
    w: Array,
    out_sizes: Sequence[int],
    strides: Sequence[int],
    dilations: Sequence[int],
    groups: int,
    extents: Sequence[int],
) -> _Plan:
    """The fast path for this geometry, the scratch it needs whatever the chunk, and per output row."""
    channels = x.shape[1]
    n_out, in_per_group = w.shape[:2]
    out_per_group = n_out // groups
    kernel, nd = w.shape[2:], len(out_sizes)
    item = x.dtype.itemsize
    halo = (kernel[0] - 1) * dilations[0]
    if all(s == 1 for s in strides):
        row = prod(extents[1:])
        rows_gemm = _one_channel_rows(x, w, groups, out_sizes)
        if in_per_group == 1 and (groups > 1 or n_out == 1) and not rows_gemm:  # window sums
            fixed = item * channels * (halo + 2) * row
            return _Plan(_stride1_depthwise, fixed, item * row * channels * (1 + 2 * out_per_group))
        fold = 1 if rows_gemm else _fold(kernel, in_per_group)
        n_fold = prod(kernel[nd - fold :])
        n_lead = prod(kernel[: nd - fold])
        geo = _Geometry(kernel, out_sizes, dilations, compact_last=not rows_gemm)
        folded = range(nd - fold, nd if rows_gemm else nd - 1)  # a compact last axis's taps are planes, not offsets
        margin = sum((kernel[i] - 1) * dilations[i] * geo.flat_strides[i] for i in folded)
        reach = sum((k - 1) * dilations[i] * geo.flat_strides[i] for i, k in enumerate(kernel) if i < nd - fold)
        fixed = item * (
            n_fold * channels * (margin + (halo + 1) * row)
            + n_lead * out_per_group * reach
            + n_out * in_per_group * prod(kernel)
        )
        return _Plan(_stride1_gemm, fixed, item * row * (n_fold * channels + (n_lead + 1) * out_per_group))
    rest, e_rest = prod(out_sizes[1:]), prod(extents[1:])
    fixed = item * ((channels + in_per_group) * (halo + 1) * e_rest + n_out * in_per_group * prod(kernel))
    per_row = item * (
        in_per_group * prod(kernel) * rest + out_per_group * rest + 2 * strides[0] * e_rest * (channels + in_per_group)
    )
    return _Plan(_gathered, fixed, per_row)


def wide_last_axis(x: Array, w: Array, groups: int, out_sizes: Sequence[int]) -> bool:
    """Whether the stride-1 GEMM path lays the last axis out at its padded width (see ``new_output``)."""
    return _one_channel_rows(x, w, groups, out_sizes)


def _one_channel_rows(x: Array, w: Array, groups: int, out_sizes: Sequence[int]) -> bool:
    """Whether to filter each channel alone with its kernel rows as a GEMM (see ``_stride1_gemm``).

    One input and one output channel per group, a float dtype (integer products have no BLAS)
    and planes large enough that the per-channel Python work is small beside them; otherwise
    the broadcast multiply-adds of ``_stride1_depthwise``."""
    return (
        w.shape[1] == 1
        and w.shape[0] == groups == x.shape[1]
        and x.dtype.kind == "f"
        and prod(out_sizes) >= ROWS_MIN_CELLS
    )


def _fold(kernel: Sequence[int], in_per_group: int) -> int:
    """Trailing kernel axes whose taps join the GEMM's inner dimension (at least one)."""
    nd, fold = len(kernel), 1
    while fold < nd and prod(kernel[nd - fold :]) * in_per_group < FOLD_MIN_K:
        fold += 1
    return fold


def new_output(
    lead: Sequence[int],
    out_sizes: Sequence[int],
    kernel: Sequence[int],
    strides: Sequence[int],
    dilations: Sequence[int],
    dtype: DTypeLike,
    compact_last: bool = True,
) -> Array:
    """An output array the stride-1 path can write its GEMMs into directly.

    The GEMM path's layout keeps the last axis at the output's width (``compact_last``; not
    the one-channel kernel-row GEMM, see ``wide_last_axis``), so 1-D and 2-D outputs are then
    plain arrays. The axes laid out at their padded width (the middle ones from 3-D on) are
    allocated so and the returned view cuts them back, so a wide GEMM result lands in place
    instead of being copied column-block by block; only when the padded width is close to the
    output's (a huge dilation gets a plain array).
    """
    if any(s != 1 for s in strides) or 0 in out_sizes:
        return np.empty((*lead, *out_sizes), dtype=dtype)
    extents = layout_extents(out_sizes, kernel, dilations, compact_last)
    if extents[1:] == list(out_sizes[1:]):
        return np.empty((*lead, *out_sizes), dtype=dtype)
    if prod(extents[1:]) > 2 * prod(out_sizes[1:]) + 1024:
        return np.empty((*lead, *out_sizes), dtype=dtype)
    full: Array = np.empty((*lead, out_sizes[0], *extents[1:]), dtype=dtype)
    return full[(Ellipsis,) + tuple(slice(0, o) for o in out_sizes[1:])] if len(out_sizes) > 1 else full


def _wide_rows(out: Array, n: int, first_channel: int, channels: int, h0: int, hc: int, row: int) -> Array | None:
    """out[n, channel0:+channels, h0:+hc] seen as (channels, hc*row), if out has the wide layout."""
    item = out.dtype.itemsize
    expected = row * item
    if (
        out.ndim < 3
        or out.strides[-1] != item
        or out.strides[2] != expected
        or out.strides[1] != out.shape[2] * expected
    ):
        return None
    # Strides alone do not prove the layout: a stride phase of conv_transpose's output
    # (out[..., r::s, :]) can match them while its rows interleave other phases' cells, and
    # writing whole padded rows there overwrote those cells and ran past the buffer's end. Only
    # a box of a C-contiguous array (same strides as the array holding the memory) has it.
    base = out if out.base is None else out.base
    if not isinstance(base, np.ndarray) or base.strides != out.strides or not base.flags.c_contiguous:
        return None
    corner = out[n, first_channel : first_channel + 1, h0 : h0 + 1]  # a view (a scalar index would copy)
    start = corner.__array_interface__["data"][0] - base.__array_interface__["data"][0]
    if start < 0 or start + (channels - 1) * out.strides[1] + hc * row * item > base.nbytes:
        return None
    return np.lib.stride_tricks.as_strided(corner, shape=(channels, hc * row), strides=(out.strides[1], item))


def _rows_per_chunk(bytes_per_row: int, rows: int, fixed: int = 0) -> int:
    """Rows per chunk: the scratch that does not depend on the chunk (``fixed``) plus the rows' share."""
    return max(1, min(rows, (limits.temporary_bytes - fixed) // max(bytes_per_row, 1)))


def layout_extents(
    out_sizes: Sequence[int], kernel: Sequence[int], dilations: Sequence[int], compact_last: bool
) -> list[int]:
    """Per axis, the cells a stride-1 layout holds: every output's window, the last axis possibly the outputs only."""
    extents = [o + (k - 1) * d for o, k, d in zip(out_sizes, kernel, dilations, strict=True)]
    if compact_last:
        extents[-1] = out_sizes[-1]
    return extents


class _Geometry:
    """The wide layout: padded extents, flat strides and tap offsets of a stride-1 window op.

    With ``compact_last`` the last axis keeps the output's width: its taps cannot be flat
    offsets then, and the GEMM path gives each of them a plane of its own (see ``_stride1_gemm``).
    """

    def __init__(
        self, kernel: Sequence[int], out_sizes: Sequence[int], dilations: Sequence[int], compact_last: bool = False
    ) -> None:
        self.kernel, self.dilations = kernel, dilations
        self.nd = len(kernel)
        self.extents = layout_extents(out_sizes, kernel, dilations, compact_last)
        self.row = prod(self.extents[1:])  # flat stride of the leading axis
        self.flat_strides = [prod(self.extents[i + 1 :]) for i in range(self.nd)]

    def taps(self, dims: Sequence[int]) -> tuple[list[tuple[int, ...]], list[int]]:
        """The tap combinations of axes ``dims`` (in order) and their flat offsets in the layout."""
        taps = list(product(*(range(self.kernel[i]) for i in dims)))
        return taps, [
            sum(t * self.dilations[i] * self.flat_strides[i] for t, i in zip(tap, dims, strict=True)) for tap in taps
        ]


def _stride1_gemm(
    x: Array,
    w: Array,
    origins: Sequence[int],
    out_sizes: Sequence[int],
    strides: Sequence[int],
    dilations: Sequence[int],
    groups: int,
    out: Array,
    fixed: int,
) -> None:
    # One channel per group on large planes: the last axis's taps make the inner dimension and
    # the other axes' taps the rows (a (k x k) @ (k x columns) product per 2-D channel, then k
    # shifted sums), which streams each input cell about 2k times against 2k*k for the
    # broadcast multiply-adds (1.2 against 2.2 ms for a 3x3 over 1024x1024, 6 against 8 ms at 7x7).
    rows_gemm = _one_channel_rows(x, w, groups, out_sizes)
    # The layout keeps the last axis at the output's width (no GEMM columns for its padding):
    # each last-axis tap gets a plane filled from the input at its shift, and every other
    # folded tap's plane is one of those moved by the tap's flat offset (a memcpy). Not for
    # the kernel-row GEMM of one channel: its thin products are dominated by the planes'
    # copies, and one plane plus memcpys is 10-15% faster there (3x3 and 7x7 over 1024x1024).
    compact = not rows_gemm
    geo = _Geometry(w.shape[2:], out_sizes, dilations, compact_last=compact)
    n_img, channels = x.shape[:2]
    n_out, in_per_group = w.shape[:2]
    out_per_group = n_out // groups
    kernel, nd, row = geo.kernel, geo.nd, geo.row
    dtype, item = out.dtype, out.dtype.itemsize

    in_slices = [slice(g * in_per_group, (g + 1) * in_per_group) for g in range(groups)]  # channels of group g
    out_slices = [slice(g * out_per_group, (g + 1) * out_per_group) for g in range(groups)]

    fold = 1 if rows_gemm else _fold(kernel, in_per_group)
    taps_fold, fold_offsets = geo.taps(range(nd - fold, nd - 1 if compact else nd))
    taps_lead, lead_offsets = geo.taps(range(nd - fold))
    k_base, d_base = (kernel[-1], dilations[-1]) if compact else (1, 0)  # planes filled from the input
    n_fold = len(taps_fold) * k_base  # planes in product order, the last axis's tap fastest
    k_inner = n_fold * in_per_group
    margin = max(fold_offsets)
    # Per group, the leading tap combinations stacked along the rows: (n_lead * Og, k_fold * Cg),
    # columns matching the stack's rows. One tall GEMM runs at a far better rate than n_lead
    # products with Og rows each followed by a sum (282 against 237 GFLOP/s for 64 channels);
    # its row blocks are then summed at their tap offsets. From 64 rows on, and where BLAS can
    # add a product onto its output in place (blas.py), each row block is instead a GEMM reading
    # the stack at its tap's offset, added onto the output: no tall result, no pass summing it.
    # Measured against the tall GEMM (issue 17, (8,Cin,H,W) k3, medians of interleaved rounds):
    # 0.97-0.99 of its time for 64-256 output channels, but 1.05 for 48 and 1.24-1.42 for 4-32,
    # where each thin product re-reads the whole stack.
    w_perm = np.moveaxis(w, 1, -1)  # (O, *k, Cg)
    n_lead, reach = len(lead_offsets), max(lead_offsets)
    accumulating = n_lead > 1 and out_per_group >= ACCUMULATE_MIN_ROWS and blas.accumulates(dtype)
    weights = [
        np.ascontiguousarray(
            np.concatenate(
                [w_perm[out_slices[g]][(slice(None),) + lead].reshape(out_per_group, k_inner) for lead in taps_lead]
            )
        )
        for g in range(groups)
    ]

    # Small images: several per GEMM. Large ones: chunks of output rows.
    halo = (kernel[0] - 1) * geo.dilations[0] if nd > 1 or not compact else 0  # a compact last axis's taps are planes
    full_len = (out_sizes[0] + halo) * row
    per_column = item * (n_fold * channels + (n_lead + 1) * out_per_group)
    affordable = max(1, (limits.temporary_bytes - fixed) // per_column)  # columns that fit in the memory limit
    if full_len <= min(BLOCK_COLUMNS, affordable):
        images, rows = max(1, min(n_img, BLOCK_COLUMNS // full_len)), out_sizes[0]
    else:
        # Each chunk re-reads (k-1)*d halo rows: at least a few times that many rows per chunk.
        wanted = max(BLOCK_COLUMNS // row, 4 * (kernel[0] - 1) * geo.dilations[0], 1)
        if rows_gemm:  # a thin product: longer ones amortise the per-chunk calls
            wanted = max(wanted, ROWS_COLUMNS // row)
        images, rows = 1, max(1, min(out_sizes[0], wanted, affordable // row))
    scratch = Scratch()
    for n0 in range(0, n_img, images):
        block = min(images, n_img - n0)
        for h0 in range(0, out_sizes[0], rows):
            hc = min(rows, out_sizes[0] - h0)
            seg_rows = hc + halo
            seg_len = seg_rows * row
            total = margin + block * seg_len + row  # one slack row: wide windows overrun
            starts = [origins[0] + h0, *origins[1:]]
            stack = scratch.get("stack", (groups, n_fold, in_per_group, total), dtype)
            stack[:, :k_base, :, :margin] = 0
            stack[:, :k_base, :, margin + block * seg_len :] = 0
            # The last axis's taps, then the other folded taps as row memcpys of those (2% faster
            # than filling every plane from the input, issue 17).
            # All of the block's images in one fill, as one more axis that needs no padding
            # ((8,256,14,14) k3: 0.71 against 0.67 of the sgemm rate image by image, issue 17).
            for g in range(groups):
                planes = stack[g, :k_base, :, margin : margin + block * seg_len]
                shape = (k_base, in_per_group, block, seg_rows, *geo.extents[1:])
                batch = x[n0 : n0 + block, in_slices[g]].swapaxes(0, 1)
                fill_shifted(planes.reshape(shape), batch, [0, *starts], d_base)
            for f in range(k_base, n_fold):
                off = fold_offsets[f // k_base]
                stack[:, f, :, : total - off] = stack[:, f % k_base, :, off:]
            wide = (block - 1) * seg_len + hc * row
            for g in range(groups):
                stacked = stack[g].reshape(k_inner, total)
                direct = _wide_rows(out, n0, g * out_per_group, out_per_group, h0, hc, row) if block == 1 else None
                acc = direct if direct is not None else scratch.get("acc", (out_per_group, wide), dtype)
                if n_lead == 1:
                    np.matmul(weights[g], stacked[:, margin : margin + wide], out=acc)
                elif accumulating:  # a product per leading tap, each added onto acc by the GEMM itself
                    for j, off in enumerate(lead_offsets):
                        w_j = weights[g][j * out_per_group : (j + 1) * out_per_group]
                        b_j = stacked[:, margin + off : margin + off + wide]
                        if j == 0:
                            np.matmul(w_j, b_j, out=acc)
                        else:
                            blas.add_product(w_j, b_j, acc)
                else:
                    tall = scratch.get("tall", (n_lead * out_per_group, wide + reach), dtype)
                    np.matmul(weights[g], stacked[:, margin : margin + wide + reach], out=tall)
                    sum_into(
                        acc,
                        [
                            tall[j * out_per_group : (j + 1) * out_per_group, off : off + wide]
                            for j, off in enumerate(lead_offsets)
                        ],
                    )
                if direct is None:
                    for b in range(block):
                        _write_wide(
                            acc[:, b * seg_len : b * seg_len + hc * row],
                            hc,
                            geo.extents,
                            out_sizes,
                            out[n0 + b, out_slices[g], h0 : h0 + hc],
                        )


def _stride1_depthwise(
    x: Array,
    w: Array,
    origins: Sequence[int],
    out_sizes: Sequence[int],
    strides: Sequence[int],
    dilations: Sequence[int],
    groups: int,
    out: Array,
    fixed: int,
) -> None:
    geo = _Geometry(w.shape[2:], out_sizes, dilations)
    n_img, channels = x.shape[:2]
    row, dtype = geo.row, out.dtype
    _, offsets = geo.taps(range(geo.nd))
    mult = w.shape[0] // groups
    per_row = out.dtype.itemsize * row * channels * (1 + 2 * mult)
    # Each tap is a pass over the accumulator: chunks of rows whose accumulator stays in the
    # core's cache (a whole-image one made a 7x7 filter over 3 x 1024 x 1024 take 39 ms, 22
    # chunked; large float planes now take the kernel-row GEMM instead, see _one_channel_rows).
    in_cache = max(1, DEPTHWISE_CACHE // (out.dtype.itemsize * row * channels * mult * 2))
    chunk = min(_rows_per_chunk(per_row, out_sizes[0], fixed), in_cache)
    jobs = [(n, h0) for n in range(n_img) for h0 in range(0, out_sizes[0], chunk)]

    def run(first: int, last: int) -> None:
        scratch = Scratch()  # one per thread
        for n, h0 in jobs[first:last]:
            hc = min(chunk, out_sizes[0] - h0)
            rows = hc + (geo.kernel[0] - 1) * geo.dilations[0] + 1
            padded = scratch.get("padded", (channels, rows, *geo.extents[1:]), dtype, zero=True)
            fill_window(padded, x[n], [origins[0] + h0, *origins[1:]])
            _depthwise(
                padded.reshape(channels, -1),
                w,
                groups,
                offsets,
                hc * row,
                hc,
                geo.extents,
                out_sizes,
                out[n, :, h0 : h0 + hc],
                scratch,
            )

    threads.parallel(run, len(jobs), minimum=4)


def _depthwise(
    flat: Array,
    w: Array,
    groups: int,
    offsets: Sequence[int],
    wide: int,
    hc: int,
    extents: Sequence[int],
    out_sizes: Sequence[int],
    target: Array,
    scratch: Scratch,
) -> None:
    """One input channel per group: broadcast multiply-adds beat thousands of tiny GEMMs."""
    channels = flat.shape[0]
    mult = w.shape[0] // groups
    w_taps = w.reshape(channels, mult, -1)  # (C, mult, taps) in kernel order
    acc = scratch.get("acc_dw", (channels, mult, wide), flat.dtype, zero=True)
    tmp = scratch.get("tmp_dw", (channels, mult, wide), flat.dtype)
    for t, o in enumerate(offsets):
        np.multiply(w_taps[:, :, t, None], flat[:, None, o : o + wide], out=tmp)
        acc += tmp
    _write_wide(acc.reshape(channels * mult, wide), hc, extents, out_sizes, target)


def sum_into(target: Array, parts: Sequence[Array]) -> None:
    """target = the sum of parts (the row blocks of a tall GEMM, read at their tap offsets)."""
    if len(parts) == 1:
        np.copyto(target, parts[0])
        return
    np.add(parts[0], parts[1], out=target)
    for part in parts[2:]:
        target += part


def _write_wide(acc: Array, hc: int, extents: Sequence[int], out_sizes: Sequence[int], target: Array) -> None:
    """Drop the padded-width columns: (O, hc * prod(extents[1:])) -> target (O, hc, *out_sizes[1:])."""
    target[...] = cut_wide(acc, hc, extents, out_sizes)


def cut_wide(acc: Array, hc: int, extents: Sequence[int], out_sizes: Sequence[int]) -> Array:
    """The (O, hc, *out_sizes[1:]) cells of wide-layout columns (O, >= hc * prod(extents[1:])), a view."""
    shaped = acc[:, : hc * prod(extents[1:])].reshape(acc.shape[0], hc, *extents[1:])
    return shaped[(slice(None), slice(None)) + tuple(slice(0, o) for o in out_sizes[1:])]


def _gathered(
    x: Array,
    w: Array,
    origins: Sequence[int],
    out_sizes: Sequence[int],
    strides: Sequence[int],
    dilations: Sequence[int],
    groups: int,
    out: Array,
    fixed: int,
) -> None:
    """Strided windows, by stride phases.

    Tap t of axis i reads the padded input at o*s + t*d = (o + c)*s + r with r = t*d mod s and
    c = t*d div s: phase r of the input, shifted by c. The taps of one phase have shifts in an
    arithmetic progression, so after splitting the padded input into its phases once, each
    phase's whole block of im2col rows is one strided view with unit inner stride, copied in one
    go. The GEMM's inner dimension is ordered phase by phase, and the weights to match.
    """
    n_img, channels = x.shape[:2]
    n_out, in_per_group = w.shape[:2]
    out_per_group = n_out // groups
    kernel = w.shape[2:]
    dtype, item = out.dtype, out.dtype.itemsize
    extents = [(o - 1) * s + (k - 1) * d + 1 for o, s, k, d in zip(out_sizes, strides, kernel, dilations, strict=True)]
    per_axis = [_axis_phases(k, s, d) for k, s, d in zip(kernel, strides, dilations, strict=True)]
    combos = list(product(*per_axis))  # one phase per axis, for every combination
    order = [int(np.ravel_multi_index(tap, kernel)) for combo in combos for tap in product(*(p.taps for p in combo))]
    k_inner = in_per_group * len(order)
    in_slices = [slice(g * in_per_group, (g + 1) * in_per_group) for g in range(groups)]  # channels of group g
    out_slices = [slice(g * out_per_group, (g + 1) * out_per_group) for g in range(groups)]
    w_mats = [
        np.ascontiguousarray(
            w[out_slices[g]].reshape(out_per_group, in_per_group, -1)[:, :, order].reshape(out_per_group, k_inner)
        )
        for g in range(groups)
    ]
    # Per combination: the input phase it reads (every stride-th cell from its residues), the
    # corner of its first tap in that phase, and its taps per axis.
    phase_cells = [tuple(slice(p.residue, None, s) for p, s in zip(combo, strides, strict=True)) for combo in combos]
    first_taps = [(slice(None),) + tuple(slice(p.shift, None) for p in combo) for combo in combos]
    tap_counts = [[len(p.taps) for p in combo] for combo in combos]
    rest = prod(out_sizes[1:])
    per_row = item * (
        k_inner * rest + out_per_group * rest + 2 * strides[0] * prod(extents[1:]) * (channels + in_per_group)
    )
    # A few thousand columns per GEMM is the best rate; past WORKING_SET a larger chunk only costs memory.
    rows = max(
        1, min(max(1, BLOCK_COLUMNS // rest), _rows_per_chunk(per_row, out_sizes[0], fixed), WORKING_SET // per_row)
    )
    direct = out.flags.c_contiguous
    scratch = Scratch()
    for n in range(n_img):
        for h0 in range(0, out_sizes[0], rows):
            hc = min(rows, out_sizes[0] - h0)
            span = (hc - 1) * strides[0] + (kernel[0] - 1) * dilations[0] + 1
            padded = scratch.get("padded", (channels, span, *extents[1:]), dtype, zero=True)
            fill_window(padded, x[n], [origins[0] + h0 * strides[0], *origins[1:]])
            chunk_sizes = (hc, *out_sizes[1:])
            cols = scratch.get("cols", (in_per_group, len(order), hc * rest), dtype)
            for g in range(groups):
                first = 0
                for index, combo in enumerate(combos):
                    source = padded[(in_slices[g],) + phase_cells[index]]
                    plane = scratch.get(f"plane{index}", source.shape, dtype)
                    np.copyto(plane, source)
                    counts = tap_counts[index]
                    st = plane.strides
                    view = np.lib.stride_tricks.as_strided(
                        plane[first_taps[index]],
                        shape=(in_per_group, *counts, *chunk_sizes),
                        strides=(st[0], *(p.step * t for p, t in zip(combo, st[1:], strict=True)), *st[1:]),
                        writeable=False,
                    )
                    block = prod(counts)
                    np.copyto(cols[:, first : first + block].reshape(in_per_group, *counts, *chunk_sizes), view)
                    first += block
                target = out[n, out_slices[g], h0 : h0 + hc]
                if direct:
                    np.matmul(w_mats[g], cols.reshape(k_inner, -1), out=target.reshape(out_per_group, -1))
                else:
                    result = scratch.get("result", (out_per_group, hc * rest), dtype)
                    np.matmul(w_mats[g], cols.reshape(k_inner, -1), out=result)
                    target[...] = result.reshape(out_per_group, *chunk_sizes)


class AxisPhase(NamedTuple):
    """The taps of one axis that read one phase of the input (the cells at ``residue`` mod stride).

    Tap ``taps[j]`` reads the phase's cell ``o + shift + j * step`` for output ``o``.
    """

    residue: int
    shift: int  # phase cells before the first tap's, for output 0
    step: int  # phase cells between consecutive taps
    taps: tuple[int, ...]  # increasing


def _axis_phases(k: int, s: int, d: int) -> list[AxisPhase]:
    """The taps of one axis grouped by phase: residue, first shift, shift step, taps in order.

    Only residues that hold taps are visited: O(k), whatever the stride."""
    by_residue: dict[int, list[int]] = {}
    for t in range(k):
        by_residue.setdefault((t * d) % s, []).append(t)
    phases = []
    for r in sorted(by_residue):
        taps = by_residue[r]
        shifts = [(t * d) // s for t in taps]
        phases.append(AxisPhase(r, shifts[0], shifts[1] - shifts[0] if len(shifts) > 1 else 1, tuple(taps)))
    return phases
