"""Window ops whose geometry defeats a padded buffer: explicit per-axis index tables.

The fast paths in ``correlate`` lay out the padded input (or the part a chunk of output rows
reads). That buffer spans ``(out - 1) * stride + (k - 1) * dilation + 1`` cells per axis, which
is unbounded when stride, dilation or padding are huge even though the answer is small: a
dilation of 10**8 with 'same' padding on 8 cells reads only the middle tap. Here nothing of
the kind is built. Per axis, output ``o`` and tap ``t`` read cell ``origin + o*s + t*d``; which
taps of an output read a real cell is an interval, computed in closed form (Python integers
where the magnitudes exceed int64), so only outputs with a real cell in their window
("live") and taps that some live output reads ("active") are ever touched. Windows are
gathered with one fancy index per block of images x outputs x taps and multiplied by the
matching weights; blocks are sized to stay under ``limits.temporary_bytes``.

Padding modes other than zeros are index maps too (replicate clips, reflect mirrors,
circular wraps), so a huge replicate padding is never materialised either.

Time: proportional to live outputs x active taps x channels (the work of the answer), plus
O(outputs + taps) per axis of index arithmetic.
"""

from __future__ import annotations

from itertools import product
from math import prod

import numpy as np

from .. import limits

INT_SAFE = 2**62
BLOCK_CAP = 8 * 2**20  # bytes per gathered block: larger blocks are no faster, and fresh pages are slow


def _arange(n: int, big: bool):
    return np.arange(n, dtype=object) if big else np.arange(n, dtype=np.int64)


class AxisMap:
    """Which cells output o / tap t read along one axis, for a given padding mode."""

    def __init__(self, size, n_out, k, origin, s, d, mode="zeros"):
        self.size, self.n_out, self.k, self.origin, self.s, self.d, self.mode = size, n_out, k, origin, s, d, mode
        self.big = abs(origin) + n_out * s + k * d + size >= INT_SAFE
        if mode != "zeros":
            self.live = np.arange(n_out, dtype=np.int64)
            self.taps = np.arange(k, dtype=np.int64)
            return
        o = _arange(n_out, self.big)
        base = origin + o * s
        lo = -(base // d)  # ceil(-base / d): the first tap at or after cell 0
        hi = (size - 1 - base) // d  # the last tap at or before cell size-1
        lo = np.minimum(np.maximum(lo, 0), k)
        hi = np.maximum(np.minimum(hi, k - 1), -1)
        live = lo <= hi
        first = np.where(live, base + lo * d, 0)  # the cell the first valid tap reads
        self.lo, self.hi = lo.astype(np.int64), hi.astype(np.int64)
        self.first = first.astype(np.int64)
        self.live = np.flatnonzero(live)
        # A dilation past the input size leaves at most one valid tap per output.
        self.step = d if d < size else 0
        if self.live.size:
            lo_l, hi_l = self.lo[self.live], self.hi[self.live]
            cover = np.cumsum(np.bincount(lo_l, minlength=k + 1) - np.bincount(hi_l + 1, minlength=k + 1))[:k]
            self.taps = np.flatnonzero(cover > 0)
        else:
            self.taps = np.zeros(0, dtype=np.int64)

    def table(self, outs, taps):
        """Cells read, shape (len(taps), len(outs)) int64, and where they are real (None: everywhere)."""
        if self.mode == "zeros":
            lo, hi = self.lo[outs][None, :], self.hi[outs][None, :]
            t = taps[:, None]
            valid = (t >= lo) & (t <= hi)
            pos = self.first[outs][None, :] + (np.clip(t, lo, hi) - lo) * self.step
            return pos, (None if valid.all() else valid)
        big = self.big
        o = outs.astype(object) if big else outs
        t = taps.astype(object) if big else taps
        p = self.origin + o[None, :] * self.s + t[:, None] * self.d
        n = self.size
        if self.mode == "replicate":
            p = np.minimum(np.maximum(p, 0), n - 1)
        elif self.mode == "circular":
            p = p % n
        elif self.mode == "reflect":
            if n == 1:
                p = p * 0
            else:
                p = p % (2 * (n - 1))
                p = np.where(p >= n, 2 * (n - 1) - p, p)
        else:  # pragma: no cover - checked by the callers
            raise ValueError(self.mode)
        return p.astype(np.int64), None


def _lattice(axis, pos, valid, outs, taps):
    """(first cell, step per tap, step per output) when a block's cells are all real and evenly spaced."""
    if valid is not None:
        return None
    nt, no = pos.shape
    step_t = axis.d if nt > 1 else 0
    step_o = axis.s if no > 1 else 0
    if step_t >= axis.size or step_o >= axis.size:
        return None
    if nt > 1 and taps[-1] - taps[0] != nt - 1 or no > 1 and outs[-1] - outs[0] != no - 1:
        return None
    first = int(pos[0, 0])
    expected = first + np.arange(nt)[:, None] * step_t + np.arange(no)[None, :] * step_o
    if not np.array_equal(pos, expected):
        return None
    return first, step_t, step_o


def _blocks(n_img, lives, taps, cg, og, cout, item):
    """Block sizes (images, outputs per axis, taps per axis) whose scratch fits the budget."""
    nd = len(lives)
    sizes = [n_img, *lives, *taps]
    block = [max(1, v) for v in sizes]

    def need(b):
        bn, bo, bt = b[0], prod(b[1 : 1 + nd]), prod(b[1 + nd :])
        cells = bn * bo
        return (
            item * (cg * bt * cells + og * cells + cout * cells)
            + bt * bo * (1 + 16 * nd)
            + 16 * sum(b[1 + i] * b[1 + nd + i] for i in range(nd))
        )

    budget = limits.temporary_bytes
    target = min(budget, BLOCK_CAP)
    while need(block) > target and any(v > 1 for v in block):
        i = max(range(len(block)), key=lambda j: block[j])
        block[i] = (block[i] + 1) // 2
    limits.check_temporary("input", f"the smallest block of windows ({cg} channels)", need(block))
    return block[0], block[1 : 1 + nd], block[1 + nd :]


def correlate(x, w, origins, strides, dilations, groups, out, mode="zeros"):
    """out (N, O, *out_sizes) = cross-correlation of x (N, C, *in) with w (O, C/groups, *k).

    Cells outside the input read as zero (``mode="zeros"``) or as the cell ``mode`` maps them
    to (replicate, reflect, circular: the padded input is never built).
    """
    nd = x.ndim - 2
    n_img = x.shape[0]
    cout, cg = w.shape[:2]
    og = cout // groups
    kernel, out_sizes = w.shape[2:], out.shape[2:]
    if out.size == 0:
        return out
    axes = [
        AxisMap(x.shape[2 + i], out_sizes[i], kernel[i], origins[i], strides[i], dilations[i], mode) for i in range(nd)
    ]
    if any(a.live.size < a.n_out for a in axes) or any(a.taps.size == 0 for a in axes):
        out[...] = 0
    if any(a.live.size == 0 or a.taps.size == 0 for a in axes):
        return out
    item = out.dtype.itemsize
    bn, bo, bt = _blocks(n_img, [a.live.size for a in axes], [a.taps.size for a in axes], cg, og, cout, item)
    out_blocks = [[a.live[j : j + b] for j in range(0, a.live.size, b)] for a, b in zip(axes, bo, strict=True)]
    tap_blocks = [[a.taps[j : j + b] for j in range(0, a.taps.size, b)] for a, b in zip(axes, bt, strict=True)]
    from .correlate import Scratch  # (correlate imports this module)

    weights = {}
    buffer = Scratch()

    def weight_block(ti, taps):
        key = ti
        if key not in weights:
            sub = w[np.ix_(np.arange(cout), np.arange(cg), *taps)]
            weights[key] = [np.ascontiguousarray(sub[g * og : (g + 1) * og].reshape(og, -1)) for g in range(groups)]
        return weights[key]

    def shaped(table, i, nt, no):
        shape = [1] * (2 * nd)
        shape[i], shape[nd + i] = nt, no
        return table.reshape(shape)

    for n0 in range(0, n_img, bn):
        nb = min(bn, n_img - n0)
        for outs in product(*out_blocks):
            counts = [len(o) for o in outs]
            cells = prod(counts)
            acc = np.zeros((nb, cout, cells), dtype=out.dtype)
            for ti, taps in zip(product(*(range(len(tb)) for tb in tap_blocks)), product(*tap_blocks), strict=True):
                tables = [a.table(o, t) for a, o, t in zip(axes, outs, taps, strict=True)]
                grid = [
                    _lattice(a, pos, valid, o, t)
                    for a, (pos, valid), o, t in zip(axes, tables, outs, taps, strict=True)
                ]
                wb = weight_block(ti, taps)
                k_inner = cg * prod(len(t) for t in taps)
                if all(g is not None for g in grid):
                    # Every window cell of the block is real and evenly spaced: one strided view,
                    # copied (a fancy index costs ten times as much per element).
                    for g in range(groups):
                        image = x[n0 : n0 + nb, g * cg : (g + 1) * cg]
                        corner = image[(slice(None), slice(None)) + tuple(slice(c[0], c[0] + 1) for c in grid)]
                        st = image.strides
                        view = np.lib.stride_tricks.as_strided(
                            corner,
                            shape=(nb, cg, *[len(t) for t in taps], *counts),
                            strides=(
                                st[0],
                                st[1],
                                *[c[1] * st[2 + i] for i, c in enumerate(grid)],
                                *[c[2] * st[2 + i] for i, c in enumerate(grid)],
                            ),
                            writeable=False,
                        )
                        cols = buffer.get("cols", view.shape, out.dtype)  # reused: fresh pages are slow
                        np.copyto(cols, view)
                        acc[:, g * og : (g + 1) * og] += np.matmul(wb[g], cols.reshape(nb, k_inner, cells))
                    continue
                index = tuple(shaped(pos, i, len(taps[i]), counts[i]) for i, (pos, _) in enumerate(tables))
                mask = None
                for i, (_, valid) in enumerate(tables):
                    if valid is not None:
                        v = shaped(valid, i, len(taps[i]), counts[i])
                        mask = v if mask is None else mask & v
                for g in range(groups):
                    cols = x[n0 : n0 + nb, g * cg : (g + 1) * cg][(slice(None), slice(None)) + index]
                    if mask is not None:
                        np.copyto(cols, 0, where=~mask)
                    acc[:, g * og : (g + 1) * og] += np.matmul(wb[g], cols.reshape(nb, k_inner, cells))
            target = out[n0 : n0 + nb]
            target[(slice(None), slice(None)) + np.ix_(*outs)] = acc.reshape(nb, cout, *counts)
    return out
