"""conv and conv_transpose: shapes and padding from the shape engine, values from correlate."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import product
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .. import limits
from ..arithmetic import AxisArithmetic
from ..errors import ShapeError
from ..layers import Conv, ConvTranspose, IntOrAxes, Padding
from . import checks, explicit, sparse, subpixel
from .checks import Array
from .correlate import correlate, new_output, wide_last_axis
from .padding import PADDING_MODES, check_grow, pad_pairs

OutputSize = int | Sequence[int] | NDArray[np.integer[Any]] | None
"""conv_transpose's ``output_size``: spatial sizes, or a whole (N, C, *spatial) shape."""


class Prepared(NamedTuple):
    """The arguments of conv and conv_transpose as arrays of one dtype."""

    x: Array  # (N, C, *spatial): an unbatched input gets N = 1
    weight: Array
    bias: Array | None
    batched: bool  # whether the caller's input had the batch axis


def as_arrays(input: ArrayLike, weight: ArrayLike, bias: ArrayLike | None) -> Prepared:
    """Arrays in one dtype (NumPy's promotion), batched."""

    x, w = checks.array("input", input), checks.array("weight", weight)
    b = checks.array("bias", bias) if bias is not None else None
    if w.ndim < 3:
        raise ShapeError(
            "weight", f"needs (out, in/groups, *kernel) with at least one spatial axis, got shape {w.shape}"
        )
    if x.ndim not in (w.ndim - 1, w.ndim):
        raise ShapeError(
            "input",
            f"a {w.ndim - 2}-D weight needs input (N, C, *spatial) or (C, *spatial) with "
            f"{w.ndim} or {w.ndim - 1} axes, got shape {x.shape}",
        )
    dtype = np.result_type(x, w, *([b] if b is not None else []))
    if dtype.kind not in checks.NUMERIC_KINDS:
        raise ShapeError("input", f"cannot convolve arrays of dtype {dtype}")
    batched = x.ndim == w.ndim
    x = x.astype(dtype, copy=False)
    if not batched:
        x = x[None]
    if b is not None:
        b = b.astype(dtype, copy=False)
    return Prepared(x, w.astype(dtype, copy=False), b, batched)


def _check_bias(b: Array | None, expected: int) -> None:
    if b is not None and b.shape != (expected,):
        raise ShapeError("bias", f"must have shape ({expected},), one value per output channel, got {b.shape}")


def _finish(out: Array, b: Array | None, batched: bool) -> Array:
    if b is not None:
        out += b.reshape(1, -1, *([1] * (out.ndim - 2)))
    return out if batched else out[0]


def conv(
    input: ArrayLike,
    weight: ArrayLike,
    bias: ArrayLike | None = None,
    stride: IntOrAxes = 1,
    padding: Padding = 0,
    dilation: IntOrAxes = 1,
    groups: int = 1,
    padding_mode: str = "zeros",
    flip: bool = False,
    framework: str = "torch",
) -> Array:
    """N-D convolution like torch.nn.functional.conv1d/2d/3d: cross-correlation unless ``flip``.

    ``padding`` takes whatever the shape engine takes for ``framework`` (ints, per-axis
    tuples, 'same'/'valid', TensorFlow's SAME/VALID and explicit (before, after) pairs).
    """
    with np.errstate(all="ignore"):  # inf * 0 and overflow give NaN and inf silently, as in torch
        return _conv(input, weight, bias, stride, padding, dilation, groups, padding_mode, flip, framework)


def _conv(
    input: ArrayLike,
    weight: ArrayLike,
    bias: ArrayLike | None,
    stride: IntOrAxes,
    padding: Padding,
    dilation: IntOrAxes,
    groups: int,
    padding_mode: str,
    flip: bool,
    framework: str,
) -> Array:
    checks.choice("padding_mode", padding_mode, PADDING_MODES)
    groups = checks.positive_int("groups", groups)
    flip = checks.flag("flip", flip)
    checks.framework(framework)
    x, w, b, batched = as_arrays(input, weight, bias)
    kernel = w.shape[2:]
    if w.shape[0] % groups:
        raise ShapeError("groups", f"the weight's {w.shape[0]} output channels are not divisible by groups={groups}")
    pairs = explicit.pairs(padding)  # None unless written as (before, after) pairs
    layer = Conv(
        kernel,
        stride=stride,
        padding=padding if pairs is None else 0,
        dilation=dilation,
        groups=groups,
        in_channels=w.shape[1] * groups,
        out_channels=w.shape[0],
        framework=framework,
    )
    if x.shape[1] != w.shape[1] * groups:
        raise ShapeError(
            "weight",
            f"expects {w.shape[1] * groups} input channels (weight {w.shape}, groups={groups}), "
            f"the input has {x.shape[1]}",
        )
    _check_bias(b, w.shape[0])
    axes = layer.arithmetic(x.shape[2:]) if pairs is None else explicit.conv_axes(layer, x.shape[2:], pairs)
    sizes = [a.output for a in axes]
    checks.output((x.shape[0], w.shape[0], *sizes), w.dtype.itemsize)
    if 0 in (x.shape[0], w.shape[0], *sizes):
        return _finish(np.zeros((x.shape[0], w.shape[0], *sizes), dtype=w.dtype), None, batched)
    if flip:
        w = w[(Ellipsis,) + (slice(None, None, -1),) * len(kernel)]
    pads = [a.padding for a in axes]
    strides, dilations = [a.stride for a in axes], [a.dilation for a in axes]
    if padding_mode != "zeros":
        mode = PADDING_MODES[padding_mode]
        check_grow(x.shape[2:], pads, mode, "padding")
        padded = limits.product((*x.shape[:2], *[n + a + b for n, (a, b) in zip(x.shape[2:], pads, strict=True)]))
        answer = x.shape[0] * w.shape[0] * limits.product(sizes)
        if padded * x.dtype.itemsize > limits.temporary_bytes or padded > 8 * (x.size + answer) + 2**16:
            # Too large to build, or far larger than what the windows read: index maps instead.
            out = np.empty((x.shape[0], w.shape[0], *sizes), dtype=w.dtype)
            sparse.correlate(x, w, [-p[0] for p in pads], strides, dilations, groups, out, mode=mode)
            return _finish(out, b, batched)
        x = pad_pairs(x, [(0, 0), (0, 0), *pads], mode)
        pads = [(0, 0)] * len(kernel)
    compact = not wide_last_axis(x, w, groups, sizes)
    out = new_output((x.shape[0], w.shape[0]), sizes, kernel, strides, dilations, w.dtype, compact)
    correlate(x, w, [-p[0] for p in pads], sizes, strides, dilations, groups, out)
    return _finish(out, b, batched)


def conv_transpose(
    input: ArrayLike,
    weight: ArrayLike,
    bias: ArrayLike | None = None,
    stride: IntOrAxes = 1,
    padding: Padding = 0,
    output_padding: IntOrAxes | None = 0,
    groups: int = 1,
    dilation: IntOrAxes = 1,
    output_size: OutputSize = None,
    framework: str = "torch",
) -> Array:
    """N-D transposed convolution like torch.nn.functional.conv_transpose1d/2d/3d.

    Computed by stride phases (sub-pixel decomposition): output cells ``y = q*s + r`` only
    receive taps ``t`` with ``t*d = r (mod s)``, so each phase is a stride-1 correlation of the
    input with that subset of taps, reversed. No zeros are inserted and nothing is scattered.
    """
    with np.errstate(all="ignore"):
        return _conv_transpose(
            input, weight, bias, stride, padding, output_padding, groups, dilation, output_size, framework
        )


def _conv_transpose(
    input: ArrayLike,
    weight: ArrayLike,
    bias: ArrayLike | None,
    stride: IntOrAxes,
    padding: Padding,
    output_padding: IntOrAxes | None,
    groups: int,
    dilation: IntOrAxes,
    output_size: OutputSize,
    framework: str,
) -> Array:
    groups = checks.positive_int("groups", groups)
    checks.framework(framework)
    x, w, b, batched = as_arrays(input, weight, bias)
    kernel, nd = w.shape[2:], w.ndim - 2
    cin, cout = w.shape[0], w.shape[1] * groups
    if cin % groups:
        raise ShapeError("weight", f"its {cin} input channels are not divisible by groups={groups}")
    pairs = explicit.pairs(padding)  # None unless written as (before, after) pairs
    layer = ConvTranspose(
        kernel,
        stride=stride,
        padding=padding if pairs is None else 0,
        output_padding=output_padding,
        dilation=dilation,
        groups=groups,
        in_channels=cin,
        out_channels=cout,
        framework=framework,
    )
    if x.shape[1] != cin:
        raise ShapeError("weight", f"expects {cin} input channels (weight {w.shape}), the input has {x.shape[1]}")
    _check_bias(b, cout)
    spatial_size: object = output_size
    if isinstance(spatial_size, np.ndarray):
        spatial_size = checks.int_sequence("output_size", spatial_size)
    if isinstance(spatial_size, (tuple, list)) and len(spatial_size) == nd + 2:
        spatial_size = tuple(spatial_size)[2:]
    axes = (
        layer.arithmetic(x.shape[2:], output_size=spatial_size)
        if pairs is None
        else explicit.transposed_axes_for(layer, x.shape[2:], pairs, spatial_size)
    )
    sizes = [a.output for a in axes]
    checks.output((x.shape[0], cout, *sizes), w.dtype.itemsize)
    if 0 in (x.shape[0], cout, *sizes):
        return _finish(np.zeros((x.shape[0], cout, *sizes), dtype=w.dtype), None, batched)
    # As a correlation: (C_in, C_out/g, *k) -> (C_out, C_in/g, *k), per group.
    in_per_group, out_per_group = cin // groups, cout // groups
    correlation_weight = (
        w.reshape(groups, in_per_group, out_per_group, *kernel).swapaxes(1, 2).reshape(cout, in_per_group, *kernel)
    )
    phases = [axis_phases(a) for a in axes]
    # Output cells no tap reaches stay zero; otherwise every cell is written.
    empty = np.zeros if any(p.uncovered for p in phases) else np.empty
    out = empty((x.shape[0], cout, *sizes), dtype=w.dtype)
    if w.dtype.kind in "fc" and not np.isfinite(w).all():
        _scatter_taps(x, w, groups, axes, out)
        return _finish(out, b, batched)
    if subpixel.run(x, correlation_weight, groups, axes, phases, out):
        return _finish(out, b, batched)
    for combo in product(*(p.phases for p in phases)):
        taps = tuple(np.array(p.taps[::-1]) for p in combo)
        sub = correlation_weight[np.ix_(np.arange(cout), np.arange(in_per_group), *taps)]
        target = out[
            (slice(None), slice(None)) + tuple(slice(p.first, None, a.stride) for p, a in zip(combo, axes, strict=True))
        ]
        target = target[(slice(None), slice(None)) + tuple(slice(0, p.cells) for p in combo)]
        correlate(
            x,
            np.ascontiguousarray(sub),
            [p.origin for p in combo],
            [p.cells for p in combo],
            [1] * nd,
            [p.dilation for p in combo],
            groups,
            target,
        )
    return _finish(out, b, batched)


def _scatter_taps(x: Array, w: Array, groups: int, axes: Sequence[AxisArithmetic], out: Array) -> None:
    """out (N, Cout, *sizes) = every input cell times every tap, added where it lands.

    Only real (input cell, tap) pairs are multiplied, as PyTorch's and TensorFlow's transposed
    convolutions do. The correlation paths also multiply padding zeros by every tap, and
    0 * inf is NaN where the frameworks give +-inf, so a weight holding inf or NaN comes here.
    One product per tap and group over all images: the temporaries are the output's size.
    """
    in_per_group, out_per_group = w.shape[0] // groups, w.shape[1]
    out[...] = 0
    for tap in product(*(range(k) for k in w.shape[2:])):
        landings = [_landing(a, t) for a, t in zip(axes, tap, strict=True)]
        if any(landing is None for landing in landings):
            continue
        reads = tuple(landing[0] for landing in landings if landing is not None)
        writes = tuple(landing[1] for landing in landings if landing is not None)
        for g in range(groups):
            cells = x[(slice(None), slice(g * in_per_group, (g + 1) * in_per_group)) + reads]
            taps = w[(slice(g * in_per_group, (g + 1) * in_per_group), slice(None)) + tap]  # (Cg, Og)
            products = np.matmul(taps.T, cells.reshape(*cells.shape[:2], -1))  # (N, Og, cells)
            out[(slice(None), slice(g * out_per_group, (g + 1) * out_per_group)) + writes] += products.reshape(
                products.shape[:2] + cells.shape[2:]
            )


def _landing(ax: AxisArithmetic, tap: int) -> tuple[slice, slice] | None:
    """On one axis, the input cells whose product with ``tap`` lands inside the output, and where.

    Input p, tap t land on output p * stride - padding_before + t * dilation (closed form, so
    any stride or padding costs the same). None when none lands inside."""
    s, shift = ax.stride, tap * ax.dilation - ax.padding[0]
    first = max(0, -(shift // s))  # smallest p with p * s + shift >= 0
    last = min(ax.input - 1, (ax.output - 1 - shift) // s)
    if last < first:
        return None
    start = first * s + shift
    return slice(first, last + 1), slice(start, start + (last - first) * s + 1, s)


class Phase(NamedTuple):
    """One stride phase of one axis of a transposed convolution, as a stride-1 correlation.

    The phase's output cells are ``first + j * stride`` for ``j < cells``; the kernel taps that
    reach them are ``taps`` (increasing), applied reversed, ``dilation`` input cells apart,
    the first of them reading input ``origin + j`` for cell ``j``.
    """

    first: int  # first output cell of the phase
    cells: int  # output cells in the phase
    taps: tuple[int, ...]  # kernel taps landing on the phase, increasing
    dilation: int  # input cells between consecutive reversed taps
    origin: int  # input coordinate of the correlation's first tap for the phase's first cell


class AxisPhases(NamedTuple):
    """The stride phases of one axis that hold taps and output cells."""

    phases: tuple[Phase, ...]
    uncovered: bool  # some output cells lie in phases no tap reaches: they stay zero


def axis_phases(ax: AxisArithmetic) -> AxisPhases:
    """Per residue r of the output: which taps reach it and where its stride-1 correlation starts.

    Output cell u is y = u + pad_before = q*s + r of the uncropped result. Tap t of input m lands
    on y = m*s + t*d, so it feeds residue (t*d) mod s with m = q - c_t, c_t = (t*d - r) / s.
    The taps of one residue are spaced dilation/gcd apart in c: reversed, a dilated kernel.
    """
    s, d, k, before, n = ax.stride, ax.dilation, ax.kernel_size, ax.padding[0], ax.output
    by_residue: dict[int, list[int]] = {}  # only residues that hold taps: O(k) whatever the stride
    for t in range(k):
        by_residue.setdefault((t * d) % s, []).append(t)
    phases = []
    for r in sorted(by_residue):
        taps = by_residue[r]
        first = (r - before) % s  # first output cell u with (u + before) = r mod s
        if first >= n:
            continue
        count = (n - 1 - first) // s + 1
        shifts = [(t * d - r) // s for t in taps]
        q0 = (first + before - r) // s
        step = shifts[1] - shifts[0] if len(shifts) > 1 else 1
        phases.append(Phase(first, count, tuple(taps), step, q0 - shifts[-1]))
    # Every residue in [0, s) holds output cells while it is below the output size.
    return AxisPhases(tuple(phases), len(phases) < min(s, n))
