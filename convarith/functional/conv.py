"""conv and conv_transpose: shapes and padding from the shape engine, values from correlate."""

from __future__ import annotations

from itertools import product

import numpy as np

from .. import limits
from ..errors import ShapeError
from ..layers import Conv, ConvTranspose
from . import checks, sparse, subpixel
from .correlate import correlate, new_output
from .padding import PADDING_MODES, check_grow, pad_pairs


def as_arrays(input, weight, bias):
    """Arrays in one dtype (NumPy's promotion), batched; returns (x, w, b, was_batched)."""
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
    return x, w.astype(dtype, copy=False), b, batched


def _check_bias(b, expected):
    if b is not None and b.shape != (expected,):
        raise ShapeError("bias", f"must have shape ({expected},), one value per output channel, got {b.shape}")


def _finish(out, b, batched):
    if b is not None:
        out += b.reshape(1, -1, *([1] * (out.ndim - 2)))
    return out if batched else out[0]


def conv(
    input,
    weight,
    bias=None,
    stride=1,
    padding=0,
    dilation=1,
    groups=1,
    padding_mode="zeros",
    flip=False,
    framework="torch",
):
    """N-D convolution like torch.nn.functional.conv1d/2d/3d: cross-correlation unless ``flip``.

    ``padding`` takes whatever the shape engine takes for ``framework`` (ints, per-axis
    tuples, 'same'/'valid', TensorFlow's SAME/VALID and explicit (before, after) pairs).
    """
    with np.errstate(all="ignore"):  # inf * 0 and overflow give NaN and inf silently, as in torch
        return _conv(input, weight, bias, stride, padding, dilation, groups, padding_mode, flip, framework)


def _conv(input, weight, bias, stride, padding, dilation, groups, padding_mode, flip, framework):
    checks.choice("padding_mode", padding_mode, PADDING_MODES)
    groups = checks.positive_int("groups", groups)
    flip = checks.flag("flip", flip)
    checks.framework(framework)
    x, w, b, batched = as_arrays(input, weight, bias)
    kernel = w.shape[2:]
    if w.shape[0] % groups:
        raise ShapeError("groups", f"the weight's {w.shape[0]} output channels are not divisible by groups={groups}")
    layer = Conv(
        kernel,
        stride=stride,
        padding=padding,
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
    axes = layer.arithmetic(x.shape[2:])
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
    out = new_output((x.shape[0], w.shape[0]), sizes, kernel, strides, dilations, w.dtype)
    correlate(x, w, [-p[0] for p in pads], sizes, strides, dilations, groups, out)
    return _finish(out, b, batched)


def conv_transpose(
    input,
    weight,
    bias=None,
    stride=1,
    padding=0,
    output_padding=0,
    groups=1,
    dilation=1,
    output_size=None,
    framework="torch",
):
    """N-D transposed convolution like torch.nn.functional.conv_transpose1d/2d/3d.

    Computed by stride phases (sub-pixel decomposition): output cells ``y = q*s + r`` only
    receive taps ``t`` with ``t*d = r (mod s)``, so each phase is a stride-1 correlation of the
    input with that subset of taps, reversed. No zeros are inserted and nothing is scattered.
    """
    with np.errstate(all="ignore"):
        return _conv_transpose(
            input, weight, bias, stride, padding, output_padding, groups, dilation, output_size, framework
        )


def _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, output_size, framework):
    groups = checks.positive_int("groups", groups)
    checks.framework(framework)
    x, w, b, batched = as_arrays(input, weight, bias)
    kernel, nd = w.shape[2:], w.ndim - 2
    cin, cout = w.shape[0], w.shape[1] * groups
    if cin % groups:
        raise ShapeError("weight", f"its {cin} input channels are not divisible by groups={groups}")
    layer = ConvTranspose(
        kernel,
        stride=stride,
        padding=padding,
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
    if isinstance(output_size, np.ndarray):
        output_size = checks.int_sequence("output_size", output_size)
    if isinstance(output_size, (tuple, list)) and len(output_size) == nd + 2:
        output_size = tuple(output_size)[2:]
    axes = layer.arithmetic(x.shape[2:], output_size=output_size)
    sizes = [a.output for a in axes]
    checks.output((x.shape[0], cout, *sizes), w.dtype.itemsize)
    if 0 in (x.shape[0], cout, *sizes):
        return _finish(np.zeros((x.shape[0], cout, *sizes), dtype=w.dtype), None, batched)
    # As a correlation: (C_in, C_out/g, *k) -> (C_out, C_in/g, *k), per group.
    cg_in, cg_out = cin // groups, cout // groups
    wc = w.reshape(groups, cg_in, cg_out, *kernel).swapaxes(1, 2).reshape(cout, cg_in, *kernel)
    phases = [_phases(a) for a in axes]
    # Output cells no tap reaches (a phase without taps) stay zero; otherwise every cell is written.
    empty = np.zeros if any(p is None for axis in phases for p in axis) else np.empty
    out = empty((x.shape[0], cout, *sizes), dtype=w.dtype)
    if subpixel.run(x, wc, groups, axes, phases, out):
        return _finish(out, b, batched)
    for combo in product(*phases):
        if any(p is None for p in combo):
            continue
        taps = tuple(np.array(p["taps"][::-1]) for p in combo)
        sub = wc[np.ix_(range(cout), range(cg_in), *taps)] if nd else wc
        target = out[
            (slice(None), slice(None))
            + tuple(slice(p["first"], None, a.stride) for p, a in zip(combo, axes, strict=True))
        ]
        target = target[(slice(None), slice(None)) + tuple(slice(0, p["count"]) for p in combo)]
        correlate(
            x,
            np.ascontiguousarray(sub),
            [p["origin"] for p in combo],
            [p["count"] for p in combo],
            [1] * nd,
            [p["dilation"] for p in combo],
            groups,
            target,
        )
    return _finish(out, b, batched)


def _phases(ax):
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
        phases.append({"first": first, "count": count, "taps": taps, "dilation": step, "origin": q0 - shifts[-1]})
    # Every residue in [0, s) holds output cells while it is below the output size; those
    # without taps stay zero (one None stands for all of them).
    if len(phases) < min(s, n):
        phases.append(None)
    return phases
