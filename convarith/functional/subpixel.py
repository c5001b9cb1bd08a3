"""Transposed convolution with every stride phase sharing one stacked input.

``conv.conv_transpose`` splits the output into stride phases, each a stride-1 correlation of
the same input with a subset of the kernel's taps. Run one by one, each phase pads and stacks
the input again and runs small GEMMs. Here the input is padded once, in a layout wide enough
for the union of all phases' windows, and stacked once with the last axis's shifts; a phase
whose last-axis taps are consecutive shifts reads a contiguous block of the stack's rows, and
its leading-axis taps become one tall GEMM (see ``correlate``), the parts summed at their
offsets straight into the phase's cells of the output.

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
from .checks import Array
from .correlate import BLOCK_COLUMNS, Scratch, cut_wide, fill_shifted, sum_into

if TYPE_CHECKING:  # conv imports this module
    from .conv import AxisPhases, Phase

Combo = tuple["Phase", ...]
"""One phase per axis: a block of output cells and the taps that reach it."""


class _JobPhase(NamedTuple):
    """One phase combination of a job, and where its parts are in the tall GEMM's result."""

    cells: list[int]  # output cells of the combination, per axis
    shape: tuple[int, ...]  # (Og, *cells)
    window: tuple[slice, ...]  # its cells of the output (Og, *sizes), every stride-th
    blocks: list[slice]  # its row blocks (of out_per_group rows) in the tall result, one per leading tap
    lead_offsets: list[int]  # flat offsets of its leading-axis taps in the shared layout, one per row block
    span: int  # prod(cells) when each part is a plain block of columns (cells span the layout's rows), else 0


class _Job:
    """Phase combinations sharing their last-axis taps: one tall GEMM over the same stack rows."""

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
            span = prod(cells) if cells[1:] == list(extents[1:]) else 0
            self.phases.append(_JobPhase(cells, (out_per_group, *cells), window, blocks_of, lead, span))
            rows += len(lead)
            # Correlation taps of this phase (reversed kernel taps), as slices: they are evenly spaced.
            sub = w_last[(slice(None),) + tuple(_reversed_taps(p.taps) for p in combo)]  # (Cout, *n_lead, n_last, Cg)
            sub = np.moveaxis(sub, 0, -3).reshape(len(lead), cout, self.n_planes, in_per_group)  # a view in 2-D
            for g in range(groups):
                blocks[g].append(sub[:, g * out_per_group : (g + 1) * out_per_group])
        # (n_lead * Og, K), columns matching the stack's rows: one copy a group.
        self.weights = [np.concatenate(b).reshape(-1, self.n_planes * in_per_group) for b in blocks]
        # GEMM columns per image: the longest phase plus the farthest lead offset, possibly of
        # different phases, so it may reach past one image's segment.
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
    # (3.4% fewer GEMM columns for the 28 x 28 images of a k4 s2 p1 transpose).
    shared_rows = min(max(0, -corner[0]), max(0, corner[0] + extents[0] - x.shape[2]))
    pitch = seg_len - shared_rows * row
    images = max(1, min(n_img, BLOCK_COLUMNS // pitch))
    strides = [a.stride for a in axes]
    w_last = _channels_last(correlation_weight, groups)
    by_last: dict[tuple[int, ...], list[tuple[Combo, list[list[int]]]]] = {}
    for combo, offs in zip(combos, tap_offsets, strict=True):
        by_last.setdefault(tuple(offs[-1]), []).append((combo, offs))
    jobs = [
        _Job([c for c, _ in members], [o for _, o in members], w_last, groups, extents, strides)
        for members in by_last.values()
    ]
    total = (images - 1) * pitch + max(seg_len, *(j.columns for j in jobs)) + row + len(planes)
    tall_rows = sum(j.weights[0].shape[0] for j in jobs)  # every job's result is kept until the images are written
    if item * total * (len(planes) * channels + tall_rows) > limits.temporary_bytes:
        return False

    scratch = Scratch()
    stack = scratch.get("stack", (groups, len(planes), in_per_group, total), out.dtype)
    summed = scratch.get(
        "summed", (out_per_group * max(p.span or prod(p.cells) for j in jobs for p in j.phases),), out.dtype
    )
    for n0 in range(0, n_img, images):
        block = min(images, n_img - n0)
        stack[..., (block - 1) * pitch + seg_len :] = 0  # read only for columns that are dropped, but kept finite
        for b, g in product(range(block), range(groups)):
            dest = stack[g, :, :, b * pitch : b * pitch + seg_len].reshape(len(planes), in_per_group, *extents)
            fill_shifted(dest, x[n0 + b, g * in_per_group : (g + 1) * in_per_group], corner, 1)
        for g in range(groups):
            talls = [_gemm(job, i, stack, g, (block - 1) * pitch, scratch) for i, job in enumerate(jobs)]
            # Image by image, every phase of it: its output block stays in cache between the
            # phases' strided writes (job by job, each image's block was fetched once per job).
            for b in range(block):
                target = out[n0 + b, g * out_per_group : (g + 1) * out_per_group]
                for job, tall in zip(jobs, talls, strict=True):
                    _scatter(job, tall, b * pitch, extents, target, summed)
    return True


def _gemm(job: _Job, index: int, stack: Array, g: int, last_start: int, scratch: Scratch) -> Array:
    """The job's tall GEMM for group g over the block's images, the last one's segment starting
    at column ``last_start``: (row blocks * out_per_group, columns)."""
    in_per_group = stack.shape[2]
    columns = last_start + job.columns
    rows = stack[g, job.first_plane : job.first_plane + job.n_planes].reshape(job.n_planes * in_per_group, -1)
    tall = scratch.get(f"tall{index}", (job.weights[g].shape[0], columns), stack.dtype)
    np.matmul(job.weights[g], rows[:, :columns], out=tall)
    return tall


def _scatter(job: _Job, tall: Array, start: int, extents: Sequence[int], target: Array, summed: Array) -> None:
    """One image's phases of the job (its columns of tall from ``start``): their parts summed,
    then copied into their strided cells of target (Og, *sizes).

    Summed into a contiguous buffer first: adding straight into the strided cells made the
    whole (8,64,28,28) k4 s2 transpose take 3.1 instead of 2.9 ms (issue 17)."""
    for cells, shape, window, blocks, lead_offsets, span in job.phases:
        if span:  # each part is a plain block of columns
            parts = [
                tall[rows, start + off : start + off + span] for rows, off in zip(blocks, lead_offsets, strict=True)
            ]
        else:
            parts = [
                cut_wide(tall[rows, start + off :], cells[0], extents, cells)
                for rows, off in zip(blocks, lead_offsets, strict=True)
            ]
        if len(parts) > 1:
            buffer = summed[: prod(shape)].reshape(parts[0].shape)
            sum_into(buffer, parts)
            parts = [buffer]
        np.copyto(target[window], parts[0].reshape(shape))
