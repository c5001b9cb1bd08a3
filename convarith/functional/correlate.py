"""The engine under conv and conv_transpose: N-D cross-correlation with explicit windows.

Every window op here is described by, per spatial axis, the input coordinate where output 0's
first tap lands (``origin``, negative inside the left padding), the output count, stride and
dilation; cells outside the input read as zero.

Two ways to turn it into matrix products:

* stride 1 ("wide" layout): the zero-padded input is laid out with the padded row width, so
  output position ``p`` and tap offset ``off`` meet at flat index ``p + off``. Copies of the
  buffer shifted by the trailing axes' taps, stacked, make each remaining (leading) tap
  combination one GEMM over a window of that stack, with no further copy; outputs are
  computed for the full padded width and the extra columns dropped when written out.
* any stride: the windows are gathered into a column matrix (im2col) and multiplied once.

Images are processed one at a time (they stay in cache) and long leading axes in chunks, so
scratch memory stays under ``limits.temporary_bytes``; buffers are reused between chunks.
"""

from __future__ import annotations

from itertools import product
from math import prod

import numpy as np

from . import limits

FOLD_MIN_K = 256  # fold trailing taps into the GEMM's inner dimension until it is at least this


class Scratch:
    """Reusable buffers keyed by name: fresh pages are expensive on these machines."""

    def __init__(self):
        self.buffers: dict[str, np.ndarray] = {}

    def get(self, name, shape, dtype, zero=False):
        size = prod(shape)
        buf = self.buffers.get(name)
        if buf is None or buf.size < size or buf.dtype != dtype:
            buf = np.empty(max(size, 1), dtype=dtype)
            self.buffers[name] = buf
        view = buf[:size].reshape(shape)
        if zero:
            view.fill(0)
        return view


def _fill_window(dest, image, starts):
    """Copy the part of ``image`` (C, *in) covering ``dest``'s window (C, *extent) at ``starts``."""
    src, dst = [slice(None)], [slice(None)]
    for start, extent, size in zip(starts, dest.shape[1:], image.shape[1:]):
        lo, hi = max(start, 0), min(start + extent, size)
        if hi <= lo:
            return
        src.append(slice(lo, hi))
        dst.append(slice(lo - start, hi - start))
    dest[tuple(dst)] = image[tuple(src)]


def correlate(x, w, origins, out_sizes, strides, dilations, groups, out):
    """Write the cross-correlation of x (N, C, *in) with w (O, C/groups, *k) into out (N, O, *out_sizes)."""
    if out.size == 0:
        return out
    if all(s == 1 for s in strides):
        _stride1(x, w, origins, out_sizes, dilations, groups, out)
    else:
        _gathered(x, w, origins, out_sizes, strides, dilations, groups, out)
    return out


def _rows_per_chunk(bytes_per_row: int, rows: int) -> int:
    return max(1, min(rows, limits.temporary_bytes // max(bytes_per_row, 1)))


def _stride1(x, w, origins, out_sizes, dilations, groups, out):
    n_img, channels = x.shape[:2]
    n_out, cg = w.shape[:2]
    og = n_out // groups
    kernel = w.shape[2:]
    nd = len(kernel)
    dtype, item = out.dtype, out.dtype.itemsize
    extents = [o + (k - 1) * d for o, k, d in zip(out_sizes, kernel, dilations)]
    row = prod(extents[1:])  # flat stride of the leading axis
    flat_strides = [prod(extents[i + 1:]) for i in range(nd)]
    depthwise = cg == 1 and groups > 1

    fold = nd if depthwise else 1
    while fold < nd and prod(kernel[nd - fold:]) * cg < FOLD_MIN_K:
        fold += 1
    lead_dims, fold_dims = range(nd - fold), range(nd - fold, nd)
    taps_fold = list(product(*(range(kernel[i]) for i in fold_dims)))
    taps_lead = list(product(*(range(kernel[i]) for i in lead_dims)))
    fold_offsets = [sum(t * dilations[i] * flat_strides[i] for t, i in zip(taps, fold_dims)) for taps in taps_fold]
    lead_offsets = [sum(t * dilations[i] * flat_strides[i] for t, i in zip(taps, lead_dims)) for taps in taps_lead]
    k_inner = len(taps_fold) * cg

    # Per group and leading tap combination, a (k_fold * Cg, Og) matrix matching the stack's columns.
    w_perm = np.moveaxis(w, 1, -1)  # (O, *k, Cg)
    weights = [
        [np.ascontiguousarray(w_perm[g * og:(g + 1) * og][(slice(None),) + lead].reshape(og, k_inner).T)
         for lead in taps_lead]
        for g in range(groups)
    ]

    stack_cols = 1 if depthwise else len(taps_fold) * cg
    per_row = item * row * (2 * channels + stack_cols + 2 * n_out)
    chunk = _rows_per_chunk(per_row, out_sizes[0])
    scratch = Scratch()
    for n in range(n_img):
        for h0 in range(0, out_sizes[0], chunk):
            hc = min(chunk, out_sizes[0] - h0)
            rows = hc + (kernel[0] - 1) * dilations[0] + 1  # one slack row: wide windows overrun
            starts = [origins[0] + h0, *origins[1:]]
            wide = hc * row
            target = out[n, :, h0:h0 + hc]
            if depthwise:
                padded = scratch.get("padded", (channels, rows, *extents[1:]), dtype, zero=True)
                _fill_window(padded, x[n], starts)
                _depthwise(padded.reshape(channels, -1), w, groups, fold_offsets, wide, hc, extents, out_sizes, target, scratch)
                continue
            # Channels last: a window of the stack is then a plain (positions, taps*channels) matrix.
            padded = scratch.get("padded", (rows, *extents[1:], channels), dtype, zero=True)
            _fill_window_last(padded, x[n], starts)
            flat = padded.reshape(-1, channels)
            span = wide + (max(lead_offsets) if lead_offsets else 0)
            for g in range(groups):
                stack = scratch.get("stack", (span, len(fold_offsets), cg), dtype)
                for f, o in enumerate(fold_offsets):
                    stack[:, f] = flat[o:o + span, g * cg:(g + 1) * cg]
                stacked = stack.reshape(span, k_inner)
                acc = scratch.get("acc", (wide, og), dtype)
                tmp = scratch.get("tmp", (wide, og), dtype) if len(lead_offsets) > 1 else None
                for j, o in enumerate(lead_offsets):
                    np.matmul(stacked[o:o + wide], weights[g][j], out=acc if j == 0 else tmp)
                    if j:
                        acc += tmp
                shaped = acc.reshape(hc, *extents[1:], og)
                kept = shaped[(slice(None),) + tuple(slice(0, o) for o in out_sizes[1:])]
                target[g * og:(g + 1) * og] = np.moveaxis(kept, -1, 0)


def _fill_window_last(dest, image, starts):
    """Like _fill_window, into a channels-last ``dest`` (*extent, C) from ``image`` (C, *in)."""
    src, dst = [slice(None)], []
    for start, extent, size in zip(starts, dest.shape[:-1], image.shape[1:]):
        lo, hi = max(start, 0), min(start + extent, size)
        if hi <= lo:
            return
        src.append(slice(lo, hi))
        dst.append(slice(lo - start, hi - start))
    dest[tuple(dst)] = np.moveaxis(image[tuple(src)], 0, -1)


def _depthwise(flat, w, groups, offsets, wide, hc, extents, out_sizes, target, scratch):
    """One input channel per group: broadcast multiply-adds beat thousands of tiny GEMMs."""
    channels = flat.shape[0]
    mult = w.shape[0] // groups
    w_taps = w.reshape(channels, mult, -1)  # (C, mult, taps) in kernel order
    acc = scratch.get("acc_dw", (channels, mult, wide), flat.dtype, zero=True)
    tmp = scratch.get("tmp_dw", (channels, mult, wide), flat.dtype)
    for t, o in enumerate(offsets):
        np.multiply(w_taps[:, :, t, None], flat[:, None, o:o + wide], out=tmp)
        acc += tmp
    _write_wide(acc.reshape(channels * mult, wide), hc, extents, out_sizes, target)


def _write_wide(acc, hc, extents, out_sizes, target):
    """Drop the padded-width columns: (O, hc * prod(extents[1:])) -> target (O, hc, *out_sizes[1:])."""
    shaped = acc.reshape(acc.shape[0], hc, *extents[1:])
    target[...] = shaped[(slice(None), slice(None)) + tuple(slice(0, o) for o in out_sizes[1:])]


def _gathered(x, w, origins, out_sizes, strides, dilations, groups, out):
    n_img, channels = x.shape[:2]
    n_out, cg = w.shape[:2]
    og = n_out // groups
    kernel = w.shape[2:]
    nd = len(kernel)
    dtype, item = out.dtype, out.dtype.itemsize
    extents = [(o - 1) * s + (k - 1) * d + 1 for o, s, k, d in zip(out_sizes, strides, kernel, dilations)]
    k_inner = cg * prod(kernel)
    w_mats = [w[g * og:(g + 1) * og].reshape(og, k_inner) for g in range(groups)]
    rest = prod(out_sizes[1:])
    per_row = item * (k_inner * rest + strides[0] * prod(extents[1:]) * channels + og * rest)
    chunk = _rows_per_chunk(per_row, out_sizes[0])
    scratch = Scratch()
    for n in range(n_img):
        for h0 in range(0, out_sizes[0], chunk):
            hc = min(chunk, out_sizes[0] - h0)
            rows = (hc - 1) * strides[0] + (kernel[0] - 1) * dilations[0] + 1
            padded = scratch.get("padded", (channels, rows, *extents[1:]), dtype, zero=True)
            _fill_window(padded, x[n], [origins[0] + h0 * strides[0], *origins[1:]])
            chunk_sizes = (hc, *out_sizes[1:])
            for g in range(groups):
                part = padded[g * cg:(g + 1) * cg]
                st = part.strides
                view = np.lib.stride_tricks.as_strided(
                    part,
                    shape=(cg, *kernel, *chunk_sizes),
                    strides=(st[0], *(d * s for d, s in zip(dilations, st[1:])), *(s * t for s, t in zip(strides, st[1:]))),
                    writeable=False,
                )
                cols = scratch.get("cols", (cg, *kernel, *chunk_sizes), dtype)
                np.copyto(cols, view)
                result = scratch.get("result", (og, hc * rest), dtype)
                np.matmul(w_mats[g], cols.reshape(k_inner, -1), out=result)
                out[n, g * og:(g + 1) * og, h0:h0 + hc] = result.reshape(og, *chunk_sizes)
