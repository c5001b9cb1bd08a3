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

from collections.abc import Sequence
from itertools import product
from math import prod
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from .. import limits
from .checks import Array
from .padding import PadMode

INT_SAFE = 2**62
BLOCK_CAP = 8 * 2**20  # bytes per gathered block: larger blocks are no faster, and fresh pages are slow


Indices = NDArray[np.int64]
"""Output or tap numbers, or cell coordinates, along one axis."""


def arange(n: int, big: bool) -> NDArray[Any]:
    """0..n-1 as int64, or as Python ints (dtype object) when ``big`` arithmetic would overflow int64."""
    return np.arange(n, dtype=object) if big else np.arange(n, dtype=np.int64)


class Table(NamedTuple):
    """The cells a block of outputs x taps reads along one axis."""

    cells: Indices  # (taps, outputs)
    real: NDArray[np.bool_] | None  # where the cell is inside the input; None: everywhere


class Lattice(NamedTuple):
    """A block's cells on one axis as ``first + tap_step * j + out_step * i``."""

    first: int
    tap_step: int
    out_step: int


class AxisMap:
    """Which cells output o / tap t read along one axis, for a given padding mode."""

    lo: Indices  # per output: its first tap reading an input cell (constant mode)
    hi: Indices  # per output: its last such tap (below lo when there is none)
    first: Indices  # per output: the cell its first such tap reads
    step: int  # cells between consecutive taps' (0: at most one tap reads a cell)
    live: Indices  # outputs reading some input cell
    taps: Indices  # taps some live output reads on an input cell

    def __init__(self, size: int, n_out: int, k: int, origin: int, s: int, d: int, mode: PadMode = "constant") -> None:
        self.size, self.n_out, self.k, self.origin, self.s, self.d, self.mode = size, n_out, k, origin, s, d, mode
        self.big = abs(origin) + n_out * s + k * d + size >= INT_SAFE
        if mode != "constant":
            self.live = np.arange(n_out, dtype=np.int64)
            self.taps = np.arange(k, dtype=np.int64)
            return
        o = arange(n_out, self.big)
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

    def table(self, outs: Indices, taps: Indices) -> Table:
        """Cells read, shape (len(taps), len(outs)) int64, and where they are real (None: everywhere)."""
        if self.mode == "constant":
            lo, hi = self.lo[outs][None, :], self.hi[outs][None, :]
            t = taps[:, None]
            valid = (t >= lo) & (t <= hi)
            pos = self.first[outs][None, :] + (np.clip(t, lo, hi) - lo) * self.step
            return Table(pos, None if valid.all() else valid)
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
        return Table(p.astype(np.int64), None)


def _lattice(axis: AxisMap, table: Table, outs: Indices, taps: Indices) -> Lattice | None:
    """The block's cells as a lattice, when they are all real and evenly spaced."""
    pos, valid = table
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
    return Lattice(first, step_t, step_o)


class Blocks(NamedTuple):
    """How much of the work one gathered block holds."""

    images: int
    outputs: list[int]  # live outputs per axis
    taps: list[int]  # active taps per axis


def _blocks(
    n_img: int, lives: Sequence[int], taps: Sequence[int], in_per_group: int, out_per_group: int, cout: int, item: int
) -> Blocks:
    """Block sizes (images, outputs per axis, taps per axis) whose scratch fits the budget."""
    nd = len(lives)
    sizes = [n_img, *lives, *taps]
    block = [max(1, v) for v in sizes]

    def scratch_bytes(b: Sequence[int]) -> int:
        bn, bo, bt = b[0], prod(b[1 : 1 + nd]), prod(b[1 + nd :])
        cells = bn * bo
        return (
            item * (in_per_group * bt * cells + out_per_group * cells + cout * cells)
            + bt * bo * (1 + 16 * nd)
            + 16 * sum(b[1 + i] * b[1 + nd + i] for i in range(nd))
        )

    budget = limits.temporary_bytes
    target = min(budget, BLOCK_CAP)
    while scratch_bytes(block) > target and any(v > 1 for v in block):
        i = max(range(len(block)), key=lambda j: block[j])
        block[i] = (block[i] + 1) // 2
    limits.check_temporary("input", f"the smallest block of windows ({in_per_group} channels)", scratch_bytes(block))
    return Blocks(block[0], block[1 : 1 + nd], block[1 + nd :])


def correlate(
    x: Array,
    w: Array,
    origins: Sequence[int],
    strides: Sequence[int],
    dilations: Sequence[int],
    groups: int,
    out: Array,
    mode: PadMode = "constant",
) -> Array:
    """out (N, O, *out_sizes) = cross-correlation of x (N, C, *in) with w (O, C/groups, *k).

    Cells outside the input read as zero (``mode="constant"``) or as the cell ``mode`` maps them
    to (replicate, reflect, circular: the padded input is never built).
    """
    nd = x.ndim - 2
    n_img = x.shape[0]
    cout, in_per_group = w.shape[:2]
    out_per_group = cout // groups
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
    blocks = _blocks(
        n_img, [a.live.size for a in axes], [a.taps.size for a in axes], in_per_group, out_per_group, cout, item
    )
    out_blocks = [
        [a.live[j : j + b] for j in range(0, a.live.size, b)] for a, b in zip(axes, blocks.outputs, strict=True)
    ]
    tap_blocks = [[a.taps[j : j + b] for j in range(0, a.taps.size, b)] for a, b in zip(axes, blocks.taps, strict=True)]
    in_slices = [slice(g * in_per_group, (g + 1) * in_per_group) for g in range(groups)]  # channels of group g
    out_slices = [slice(g * out_per_group, (g + 1) * out_per_group) for g in range(groups)]
    from .correlate import Scratch  # (correlate imports this module)

    weights: dict[tuple[int, ...], list[Array]] = {}  # per block of taps (its number per axis), per group
    buffer = Scratch()

    def weight_block(numbers: tuple[int, ...], taps: Sequence[Indices]) -> list[Array]:
        if numbers not in weights:
            sub = w[np.ix_(np.arange(cout), np.arange(in_per_group), *taps)]
            weights[numbers] = [
                np.ascontiguousarray(sub[out_slices[g]].reshape(out_per_group, -1)) for g in range(groups)
            ]
        return weights[numbers]

    def shaped(table: NDArray[Any], i: int, nt: int, no: int) -> NDArray[Any]:
        shape = [1] * (2 * nd)
        shape[i], shape[nd + i] = nt, no
        return table.reshape(shape)

    for n0 in range(0, n_img, blocks.images):
        nb = min(blocks.images, n_img - n0)
        for outs in product(*out_blocks):
            counts = [len(o) for o in outs]
            cells = prod(counts)
            acc = np.zeros((nb, cout, cells), dtype=out.dtype)
            for numbers, taps in zip(
                product(*(range(len(tb)) for tb in tap_blocks)), product(*tap_blocks), strict=True
            ):
                tables = [a.table(o, t) for a, o, t in zip(axes, outs, taps, strict=True)]
                lattices = [
                    lattice
                    for a, table, o, t in zip(axes, tables, outs, taps, strict=True)
                    if (lattice := _lattice(a, table, o, t)) is not None
                ]
                group_weights = weight_block(numbers, taps)
                k_inner = in_per_group * prod(len(t) for t in taps)
                if len(lattices) == nd:
                    # Every window cell of the block is real and evenly spaced: one strided view,
                    # copied (a fancy index costs ten times as much per element).
                    for g in range(groups):
                        image = x[n0 : n0 + nb, in_slices[g]]
                        corner = image[
                            (slice(None), slice(None)) + tuple(slice(c.first, c.first + 1) for c in lattices)
                        ]
                        st = image.strides
                        view = np.lib.stride_tricks.as_strided(
                            corner,
                            shape=(nb, in_per_group, *[len(t) for t in taps], *counts),
                            strides=(
                                st[0],
                                st[1],
                                *[c.tap_step * st[2 + i] for i, c in enumerate(lattices)],
                                *[c.out_step * st[2 + i] for i, c in enumerate(lattices)],
                            ),
                            writeable=False,
                        )
                        cols = buffer.get("cols", view.shape, out.dtype)  # reused: fresh pages are slow
                        np.copyto(cols, view)
                        acc[:, out_slices[g]] += np.matmul(group_weights[g], cols.reshape(nb, k_inner, cells))
                    continue
                index = tuple(shaped(table.cells, i, len(taps[i]), counts[i]) for i, table in enumerate(tables))
                mask: NDArray[np.bool_] | None = None
                for i, table in enumerate(tables):
                    if table.real is not None:
                        real = shaped(table.real, i, len(taps[i]), counts[i])
                        mask = real if mask is None else mask & real
                for g in range(groups):
                    cols = x[n0 : n0 + nb, in_slices[g]][(slice(None), slice(None)) + index]
                    if mask is not None:
                        np.copyto(cols, 0, where=~mask)
                    acc[:, out_slices[g]] += np.matmul(group_weights[g], cols.reshape(nb, k_inner, cells))
            target = out[n0 : n0 + nb]
            target[(slice(None), slice(None)) + np.ix_(*outs)] = acc.reshape(nb, cout, *counts)
    return out
