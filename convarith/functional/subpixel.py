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

from itertools import product
from math import prod

import numpy as np

from .. import limits
from .correlate import BLOCK_COLUMNS, Scratch, cut_wide, fill_window, sum_into


class _Job:
    """Phase combinations sharing their last-axis taps: one tall GEMM over the same stack rows."""

    def __init__(self, combos, rels, wc, groups, flat_strides, strides):
        self.strides = strides
        self.plane0, self.n_planes = rels[0][-1][0], len(rels[0][-1])
        cout, cg = wc.shape[:2]
        og = cout // groups
        self.phases = []  # (combo, counts, first row block of the tall result, lead tap offsets)
        blocks = [[] for _ in range(groups)]
        rows = 0
        for combo, rel in zip(combos, rels, strict=True):
            lead = [sum(o * s for o, s in zip(offs, flat_strides[:-1], strict=True)) for offs in product(*rel[:-1])]
            self.phases.append((combo, [p["count"] for p in combo], rows, lead))
            rows += len(lead)
            # Correlation taps of this phase (reversed kernel taps), as slices: they are evenly spaced.
            sub = wc[(slice(None), slice(None)) + tuple(_reversed_taps(p["taps"]) for p in combo)]
            sub = np.moveaxis(sub, 1, -1)  # (Cout, *n_lead, n_last, Cg): columns match the stack's rows
            for g in range(groups):
                blocks[g].append(
                    sub[g * og : (g + 1) * og]
                    .reshape(og, -1, self.n_planes * cg)
                    .swapaxes(0, 1)
                    .reshape(-1, self.n_planes * cg)
                )
        self.weights = [np.ascontiguousarray(np.concatenate(b)) for b in blocks]
        # GEMM columns per image: the longest phase plus the farthest lead offset, possibly of
        # different phases, so it may reach past one image's segment.
        self.need = max(counts[0] * flat_strides[0] + max(lead) for _, counts, _, lead in self.phases)


def _reversed_taps(taps):
    step = taps[1] - taps[0] if len(taps) > 1 else 1
    return slice(taps[-1], taps[0] - 1 if taps[0] > 0 else None, -step)


def run(x, wc, groups, axes, phases, out):
    """Write conv_transpose's result into out (N, Cout, *sizes); False if this path does not apply."""
    nd = len(axes)
    combos = list(product(*phases))
    if nd < 2 or len(combos) < 2 or any(p is None for combo in combos for p in combo):
        return False
    los = [min(p["origin"] for p in axis) for axis in phases]
    rel = []  # per combo, per axis: tap offsets inside the shared layout
    extents = [0] * nd
    for combo in combos:
        offs = []
        for i, p in enumerate(combo):
            start = p["origin"] - los[i]
            offs.append([start + j * p["dilation"] for j in range(len(p["taps"]))])
            extents[i] = max(extents[i], offs[-1][-1] + p["count"])
        rel.append(offs)
    planes = sorted({o for offs in rel for o in offs[-1]})
    if planes != list(range(len(planes))) or any(
        offs[-1] != list(range(offs[-1][0], offs[-1][0] + len(offs[-1]))) for offs in rel
    ):
        return False
    row = prod(extents[1:])
    flat_strides = [prod(extents[i + 1 :]) for i in range(nd)]
    n_img, channels = x.shape[:2]
    cout, cg = wc.shape[:2]
    og = cout // groups
    item = out.dtype.itemsize
    seg_len = prod(extents)
    images = max(1, min(n_img, BLOCK_COLUMNS // seg_len))
    strides = [a.stride for a in axes]
    by_last = {}
    for combo, offs in zip(combos, rel, strict=True):
        by_last.setdefault(tuple(offs[-1]), []).append((combo, offs))
    jobs = [
        _Job([c for c, _ in members], [o for _, o in members], wc, groups, flat_strides, strides)
        for members in by_last.values()
    ]
    total = images * seg_len + max(0, max(j.need for j in jobs) - seg_len) + row + len(planes)
    tall_rows = max(j.weights[0].shape[0] for j in jobs)
    if item * total * (len(planes) * channels + tall_rows) > limits.temporary_bytes:
        return False

    scratch = Scratch()
    stack = scratch.get("stack", (groups, len(planes), cg, total), out.dtype, zero=True)
    for n0 in range(0, n_img, images):
        block = min(images, n_img - n0)
        for b, g in product(range(block), range(groups)):
            dest = stack[g, 0, :, b * seg_len : (b + 1) * seg_len].reshape(cg, *extents)
            fill_window(dest, x[n0 + b, g * cg : (g + 1) * cg], los)
        for f in range(1, len(planes)):
            stack[:, f, :, : total - f] = stack[:, 0, :, f:]
        for job in jobs:
            _run_job(job, stack, block, n0, groups, og, seg_len, row, extents, out, scratch)
    return True


def _run_job(job, stack, block, n0, groups, og, seg_len, row, extents, out, scratch):
    cg = stack.shape[2]
    columns = (block - 1) * seg_len + job.need
    for g in range(groups):
        rows = stack[g, job.plane0 : job.plane0 + job.n_planes].reshape(job.n_planes * cg, -1)
        tall = scratch.get("tall", (job.weights[g].shape[0], columns), stack.dtype)
        np.matmul(job.weights[g], rows[:, :columns], out=tall)
        for combo, counts, first, lead in job.phases:
            cells = (slice(None),) + tuple(
                slice(p["first"], p["first"] + p["count"] * s, s) for p, s in zip(combo, job.strides, strict=True)
            )
            for b in range(block):
                target = out[n0 + b, g * og : (g + 1) * og][cells]
                sum_into(
                    target,
                    [
                        cut_wide(
                            tall[(first + j) * og : (first + j + 1) * og, b * seg_len + off :],
                            counts[0],
                            extents,
                            counts,
                        )
                        for j, off in enumerate(lead)
                    ],
                )
