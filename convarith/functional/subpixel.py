"""Transposed convolution with every stride phase sharing one stacked input.

``conv.conv_transpose`` splits the output into stride phases, each a stride-1 correlation of
the same input with a subset of the kernel's taps. Run one by one, each phase pads and stacks
the input again and runs small GEMMs. Here the input is padded once, in a layout wide enough
for the union of all phases' windows, and stacked once with the last axis's shifts; a phase
whose last-axis taps are consecutive shifts reads a contiguous block of the stack's rows, and
each of its leading-axis taps is a GEMM reading that block at the tap's offset, all landing on
the same columns: added onto one another by BLAS itself where it can (``blas.py``), else summed,
then copied into the phase's strided cells of the output for a block of images at once.

``run`` returns False, having written nothing, when the phases do not fit that shape (1-D,
gaps between last-axis shifts, a phase with no taps) or the buffers would exceed
``limits.temporary_bytes``; the caller then runs the phases one by one.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import product
from math import prod
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from .. import limits
from ..arithmetic import AxisArithmetic
from . import blas
from .checks import Array
from .correlate import BLOCK_COLUMNS, Scratch, fill_shifted

if TYPE_CHECKING:  # conv imports this module
    from .conv import AxisPhases, Phase

Combo = tuple["Phase", ...]
"""One phase per axis: a block of output cells and the taps that reach it."""


class _JobPhase(NamedTuple):
    """One phase combination of a job: its cells, and its weights' rows and offsets per leading tap."""

    cells: list[int]  # output cells of the combination, per axis
    shape: tuple[int, ...]  # (Og, *cells)
    window: tuple[slice, ...]  # its cells of the output (Og, *sizes), every stride-th
    blocks: list[slice]  # its rows (out_per_group of them) of the job's weights, one block per leading tap
    lead_offsets: list[int]  # flat offsets of its leading-axis taps in the shared layout, one per row block


class _Job:
    """Phase combinations sharing their last-axis taps, so reading the same planes of the stack."""

    def __init__(
        self,
        combos: Sequence[Combo],
        tap_offsets: Sequence[list[list[int]]],
        w_last: Array,
        groups: int,
        extents: Sequence[int],
        strides: Sequence[int],
    ) -> None:
        flat_strides = [prod(extents[i + 1 :]) for i in range(len(extents))]
        # The stack planes (last-axis shifts) all these combinations read: consecutive.
        self.first_plane, self.n_planes = tap_offsets[0][-1][0], len(tap_offsets[0][-1])
        cout, in_per_group = w_last.shape[0], w_last.shape[-1]
        out_per_group = cout // groups
        self.phases: list[_JobPhase] = []
        blocks: list[list[Array]] = [[] for _ in range(groups)]
        rows = 0
        for combo, offsets in zip(combos, tap_offsets, strict=True):
            lead = [sum(o * s for o, s in zip(offs, flat_strides[:-1], strict=True)) for offs in product(*offsets[:-1])]
            window = (slice(None),) + tuple(
                slice(p.first, p.first + p.cells * s, s) for p, s in zip(combo, strides, strict=True)
            )
            blocks_of = [slice((rows + j) * out_per_group, (rows + j + 1) * out_per_group) for j in range(len(lead))]
            cells = [p.cells for p in combo]
            self.phases.append(_JobPhase(cells, (out_per_group, *cells), window, blocks_of, lead))
            rows += len(lead)
            # Correlation taps of this phase (reversed kernel taps), as slices: they are evenly spaced.
            sub = w_last[(slice(None),) + tuple(_reversed_taps(p.taps) for p in combo)]  # (Cout, *n_lead, n_last, Cg)
            sub = np.moveaxis(sub, 0, -3).reshape(len(lead), cout, self.n_planes, in_per_group)  # a view in 2-D
            for g in range(groups):
                blocks[g].append(sub[:, g * out_per_group : (g + 1) * out_per_group])
        # (n_lead * Og, K), columns matching the stack's rows: one copy a group.
        self.weights = [np.concatenate(b).reshape(-1, self.n_planes * in_per_group) for b in blocks]
        # Stack columns one image's products read: the longest phase plus the farthest lead
        # offset, possibly of different phases, so it may reach past one image's segment.
        self.columns = max(p.cells[0] * flat_strides[0] + max(p.lead_offsets) for p in self.phases)


def _channels_last(correlation_weight: Array, groups: int) -> Array:
    """(Cout, Cg, *k) -> (Cout, *k, Cg), contiguous: every job's weights are slices of it.

    Per group that is the transpose of the layer's own (Cg, Og * taps) weight matrix. NumPy
    copies a transpose one element at a time (84 us for 64 x 64 x 4 x 4, and the jobs' slices
    of the untransposed weight took 0.2 ms a call, issue 17); a product with the identity
    has BLAS transpose it while packing (24 us). Exact for finite floats (x * 1 plus zeros;
    a negative zero comes back as +0, equal to it); anything else takes NumPy's copy.
    """
    cout, in_per_group = correlation_weight.shape[:2]
    kernel = correlation_weight.shape[2:]
    out_per_group = cout // groups
    per_group = (  # (groups, Cg, Og * taps): a view of the layer's weight for groups == 1
        correlation_weight.reshape(groups, out_per_group, in_per_group, -1)
        .swapaxes(1, 2)
        .reshape(groups, in_per_group, -1)
    )
    transposed = per_group.swapaxes(1, 2)  # (groups, Og * taps, Cg)
    if (
        correlation_weight.dtype in (np.float32, np.float64)
        and groups == 1
        and in_per_group >= 16
        and bool(np.isfinite(per_group).all())
    ):
        result: Array = np.matmul(transposed, np.eye(in_per_group, dtype=correlation_weight.dtype))
    else:
        result = np.ascontiguousarray(transposed)
    return result.reshape(cout, *kernel, in_per_group)


def _reversed_taps(taps: Sequence[int]) -> slice:
    step = taps[1] - taps[0] if len(taps) > 1 else 1
    return slice(taps[-1], taps[0] - 1 if taps[0] > 0 else None, -step)


def run(
    x: Array,
    correlation_weight: Array,
    groups: int,
    axes: Sequence[AxisArithmetic],
    phases: Sequence[AxisPhases],
    out: Array,
) -> bool:
    """Write conv_transpose's result into out (N, Cout, *sizes); False if this path does not apply."""
    nd = len(axes)
    combos = list(product(*(p.phases for p in phases)))
    if nd < 2 or len(combos) < 2 or any(p.uncovered for p in phases):
        return False
    # Input coordinate of the shared layout's first cell, per axis.
    corner = [min(p.origin for p in axis.phases) for axis in phases]
    tap_offsets = []  # per combo, per axis: tap offsets inside the shared layout
    extents = [0] * nd
    for combo in combos:
        offs = []
        for i, p in enumerate(combo):
            start = p.origin - corner[i]
            offs.append([start + j * p.dilation for j in range(len(p.taps))])
            extents[i] = max(extents[i], offs[-1][-1] + p.cells)
        tap_offsets.append(offs)
    planes = sorted({o for offs in tap_offsets for o in offs[-1]})
    if planes != list(range(len(planes))) or any(
        offs[-1] != list(range(offs[-1][0], offs[-1][0] + len(offs[-1]))) for offs in tap_offsets
    ):
        return False
    # The last axis at the widest phase's width: a plane per last-axis shift, no GEMM columns
    # for the layout's padding there (see correlate._stride1_gemm).
    extents[-1] = max(p.cells for p in phases[-1].phases)
    row = prod(extents[1:])
    n_img, channels = x.shape[:2]
    cout, in_per_group = correlation_weight.shape[:2]
    out_per_group = cout // groups
    item = out.dtype.itemsize
    seg_len = prod(extents)
    # Consecutive images share the layout's zero rows: image b's segment starts at b * pitch
    # (3.4% fewer GEMM columns for the 28 x 28 images of a k4 s2 p1 transpose). A phase's
    # results for image b are the columns from b * pitch on, so no more than leave room for
    # the tallest phase's rows.
    tallest = max(p.cells for p in phases[0].phases)
    shared_rows = min(max(0, -corner[0]), max(0, corner[0] + extents[0] - x.shape[2]), extents[0] - tallest)
    pitch = seg_len - shared_rows * row
    strides = [a.stride for a in axes]
    w_last = _channels_last(correlation_weight, groups)
    by_last: dict[tuple[int, ...], list[tuple[Combo, list[list[int]]]]] = {}
    for combo, offs in zip(combos, tap_offsets, strict=True):
        by_last.setdefault(tuple(offs[-1]), []).append((combo, offs))
    jobs = [
        _Job([c for c, _ in members], [o for _, o in members], w_last, groups, extents, strides)
        for members in by_last.values()
    ]
    images = max(1, min(n_img, BLOCK_COLUMNS // pitch))
    total = (images - 1) * pitch + max(seg_len, *(j.columns for j in jobs)) + row + len(planes)
    if item * total * (len(planes) * channels + 2 * out_per_group) > limits.temporary_bytes:
        return False

    scratch = Scratch()
    stack = scratch.get("stack", (groups, len(planes), in_per_group, total), out.dtype)
    for n0 in range(0, n_img, images):
        block = min(images, n_img - n0)
        # All of the block's images in one fill: image b's first pitch // row rows hold its top
        # padding and data (its bottom padding is the next one's top), an extra axis of images
        # (to fill_shifted, one more axis that needs no padding). 0.49 against 0.45 of the
        # sgemm rate for the (8,64,28,28) k4 s2 transpose when filled image by image (issue 17).
        stack[..., block * pitch :] = 0  # the last image's bottom rows, then columns only dropped results read
        for g in range(groups):
            dest = stack[g, :, :, : block * pitch].reshape(len(planes), in_per_group, block, pitch // row, *extents[1:])
            batch = x[n0 : n0 + block, g * in_per_group : (g + 1) * in_per_group].swapaxes(0, 1)
            fill_shifted(dest, batch, [0, *corner], 1)
        for g, job in product(range(groups), jobs):
            target = out[n0 : n0 + block, g * out_per_group : (g + 1) * out_per_group]
            rows = stack[g, job.first_plane : job.first_plane + job.n_planes].reshape(job.n_planes * in_per_group, -1)
            for phase in job.phases:
                _phase_into(phase, job.weights[g], rows, block, pitch, extents, target, scratch)
    return True


def _phase_into(
    phase: _JobPhase,
    weights: Array,
    rows: Array,
    block: int,
    pitch: int,
    extents: Sequence[int],
    target: Array,
    scratch: Scratch,
) -> None:
    """One phase combination for the block's images: a GEMM per leading tap, each reading the
    stack's rows at the tap's offset and all landing on the same columns (image b's cells from
    b * pitch), summed, then copied into the phase's strided cells of target (block, Og, *sizes).

    Summed per phase, not as one tall GEMM per job summed image by image afterwards (whose
    result, 14 MB for the (8,64,28,28) k4 s2 transpose, outgrew the caches): 0.51 against 0.47
    of the sgemm rate with NumPy's sums, 0.53 with the GEMM adding them (issue 17)."""
    out_per_group = phase.shape[0]
    phase_columns = phase.cells[0] * prod(extents[1:])
    columns = (block - 1) * pitch + phase_columns
    acc = scratch.get("acc", (out_per_group, columns), rows.dtype)
    for j, (tap_rows, offset) in enumerate(zip(phase.blocks, phase.lead_offsets, strict=True)):
        product_of = (weights[tap_rows], rows[:, offset : offset + columns])
        if j == 0:
            np.matmul(*product_of, out=acc)
        else:
            blas.add_product(*product_of, acc)
    item = acc.itemsize
    per_image = np.lib.stride_tricks.as_strided(
        acc, (out_per_group, block, phase_columns), (acc.strides[0], pitch * item, item), writeable=False
    )
    cells = per_image.reshape(out_per_group, block, phase.cells[0], *extents[1:])
    cells = cells[(slice(None), slice(None), slice(None)) + tuple(slice(c) for c in phase.cells[1:])]
    np.copyto(target[(slice(None),) + phase.window], cells.swapaxes(0, 1))
