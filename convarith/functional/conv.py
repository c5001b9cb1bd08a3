"""conv and conv_transpose: shapes and padding from the shape engine, values from correlate."""

from __future__ import annotations

from itertools import product

import numpy as np

from ..errors import ShapeError
from ..layers import Conv, ConvTranspose
from .. import limits
from . import subpixel
from .correlate import correlate, new_output
from .padding import PADDING_MODES, pad_pairs


def as_arrays(input, weight, bias, bias_len=None):
    """Arrays in one dtype (NumPy's promotion), batched; returns (x, w, b, was_batched)."""
    x, w = np.asarray(input), np.asarray(weight)
    if w.ndim < 3:
        raise ShapeError("weight", f"needs (out, in/groups, *kernel) with at least one spatial axis, got shape {w.shape}")
    if x.ndim not in (w.ndim - 1, w.ndim):
        raise ShapeError("input", f"a {w.ndim - 2}-D weight needs input (N, C, *spatial) or (C, *spatial) with "
                                  f"{w.ndim} or {w.ndim - 1} axes, got shape {x.shape}")
    arrays = [x, w] + ([np.asarray(bias)] if bias is not None else [])
    dtype = np.result_type(*arrays)
    if dtype == np.bool_ or dtype.kind in "OUSV":
        raise ShapeError("input", f"cannot convolve arrays of dtype {dtype}")
    batched = x.ndim == w.ndim
    x = x.astype(dtype, copy=False)
    if not batched:
        x = x[None]
    b = None
    if bias is not None:
        b = arrays[2].astype(dtype, copy=False)
        expected = w.shape[0] if bias_len is None else bias_len
        if b.shape != (expected,):
            raise ShapeError("bias", f"must have shape ({expected},), one value per output channel, got {b.shape}")
    return x, w.astype(dtype, copy=False), b, batched


def _finish(out, b, batched):
    if b is not None:
        out += b.reshape(1, -1, *([1] * (out.ndim - 2)))
    return out if batched else out[0]


def conv(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1,
         padding_mode="zeros", flip=False, framework="torch"):
    """N-D convolution like torch.nn.functional.conv1d/2d/3d: cross-correlation unless ``flip``.

    ``padding`` takes whatever the shape engine takes for ``framework`` (ints, per-axis
    tuples, 'same'/'valid', TensorFlow's SAME/VALID and explicit (before, after) pairs).
    """
    x, w, b, batched = as_arrays(input, weight, bias)
    if padding_mode not in PADDING_MODES:
        raise ShapeError("padding_mode", f"must be one of {', '.join(PADDING_MODES)}, got {padding_mode!r}")
    if not isinstance(groups, int) or groups < 1:
        raise ShapeError("groups", f"must be a positive integer, got {groups!r}")
    kernel = w.shape[2:]
    layer = Conv(kernel, stride=stride, padding=padding, dilation=dilation, groups=groups,
                 in_channels=w.shape[1] * groups, out_channels=w.shape[0], framework=framework)
    if x.shape[1] != w.shape[1] * groups:
        raise ShapeError("weight", f"expects {w.shape[1] * groups} input channels (weight {w.shape}, groups={groups}), "
                                   f"the input has {x.shape[1]}")
    axes = layer.arithmetic(x.shape[2:])
    if flip:
        w = w[(Ellipsis,) + (slice(None, None, -1),) * len(kernel)]
    pads = [a.padding for a in axes]
    if padding_mode != "zeros":
        x = pad_pairs(x, [(0, 0), (0, 0), *pads], PADDING_MODES[padding_mode])
        pads = [(0, 0)] * len(kernel)
    sizes = [a.output for a in axes]
    limits.check_output((x.shape[0], w.shape[0], *sizes), w.dtype.itemsize)
    strides, dilations = [a.stride for a in axes], [a.dilation for a in axes]
    out = new_output((x.shape[0], w.shape[0]), sizes, kernel, strides, dilations, w.dtype)
    correlate(x, w, [-p[0] for p in pads], sizes, strides, dilations, groups, out)
    return _finish(out, b, batched)


def conv_transpose(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                   dilation=1, output_size=None, framework="torch"):
    """N-D transposed convolution like torch.nn.functional.conv_transpose1d/2d/3d.

    Computed by stride phases (sub-pixel decomposition): output cells ``y = q*s + r`` only
    receive taps ``t`` with ``t*d = r (mod s)``, so each phase is a stride-1 correlation of the
    input with that subset of taps, reversed. No zeros are inserted and nothing is scattered.
    """
    if not isinstance(groups, int) or groups < 1:
        raise ShapeError("groups", f"must be a positive integer, got {groups!r}")
    x, w, b, batched = as_arrays(input, weight, bias, bias_len=np.shape(weight)[1] * groups if np.ndim(weight) > 1 else None)
    kernel, nd = w.shape[2:], w.ndim - 2
    cin, cout = w.shape[0], w.shape[1] * groups
    if cin % groups:
        raise ShapeError("weight", f"its {cin} input channels are not divisible by groups={groups}")
    layer = ConvTranspose(kernel, stride=stride, padding=padding, output_padding=output_padding, dilation=dilation,
                          groups=groups, in_channels=cin, out_channels=cout, framework=framework)
    if x.shape[1] != cin:
        raise ShapeError("weight", f"expects {cin} input channels (weight {w.shape}), the input has {x.shape[1]}")
    if output_size is not None and len(tuple(output_size)) == nd + 2:
        output_size = tuple(output_size)[2:]
    axes = layer.arithmetic(x.shape[2:], output_size=output_size)
    sizes = [a.output for a in axes]
    limits.check_output((x.shape[0], cout, *sizes), w.dtype.itemsize)
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
        target = out[(slice(None), slice(None)) + tuple(slice(p["first"], None, a.stride) for p, a in zip(combo, axes))]
        target = target[(slice(None), slice(None)) + tuple(slice(0, p["count"]) for p in combo)]
        correlate(x, np.ascontiguousarray(sub), [p["origin"] for p in combo], [p["count"] for p in combo],
                  [1] * nd, [p["dilation"] for p in combo], groups, target)
    return _finish(out, b, batched)


def _phases(ax):
    """Per residue r of the output: which taps reach it and where its stride-1 correlation starts.

    Output cell u is y = u + pad_before = q*s + r of the uncropped result. Tap t of input m lands
    on y = m*s + t*d, so it feeds residue (t*d) mod s with m = q - c_t, c_t = (t*d - r) / s.
    The taps of one residue are spaced dilation/gcd apart in c: reversed, a dilated kernel.
    """
    s, d, k, before = ax.stride, ax.dilation, ax.kernel_size, ax.padding[0]
    phases = []
    for r in range(s):
        first = (r - before) % s  # first output cell u with (u + before) = r mod s
        count = 0 if first >= ax.output else (ax.output - 1 - first) // s + 1
        taps = [t for t in range(k) if (t * d) % s == r]
        if count == 0:
            continue
        if not taps:
            phases.append(None)
            continue
        shifts = [(t * d - r) // s for t in taps]
        q0 = (first + before - r) // s
        step = shifts[1] - shifts[0] if len(shifts) > 1 else 1
        phases.append({"first": first, "count": count, "taps": taps, "dilation": step,
                       "origin": q0 - shifts[-1]})
    return phases
