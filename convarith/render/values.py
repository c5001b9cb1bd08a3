"""Numbers for ``--values``: small seeded integers pushed through ``convarith.functional``."""

from __future__ import annotations

import numpy as np

from .. import functional as F
from .geometry import AxisLayout
from .scene import Values


def compute(layer, spatial, rows: AxisLayout, cols: AxisLayout, seed: int, output_size=None) -> Values:
    """Inputs 0..3 and kernel 0..2 (Dumoulin & Visin's ranges), outputs from the backend.

    The kernel shown is the one the drawn direct convolution applies: for a transposed
    convolution that is the weight flipped on every axis.
    """
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 4, size=tuple(spatial)).astype(np.float64)
    kind = layer.op
    kernel = None
    if kind in ("conv", "conv_transpose"):
        w = rng.integers(0, 3, size=tuple(a.kernel_size for a in _axes(rows, cols, len(spatial)))).astype(np.float64)
        common = dict(stride=layer.stride, padding=layer.padding, dilation=layer.dilation, framework=layer.framework)
        if kind == "conv":
            out = F.conv(x[None, None], w[None, None], **common)[0, 0]
            kernel = w
        else:
            out = F.conv_transpose(
                x[None, None], w[None, None], output_padding=layer.output_padding, output_size=output_size, **common
            )[0, 0]
            kernel = w[(slice(None, None, -1),) * w.ndim]
    elif kind == "max_pool":
        out = F.max_pool(
            x[None, None],
            layer.kernel_size,
            stride=layer.stride,
            padding=layer.padding,
            dilation=layer.dilation,
            ceil_mode=layer.ceil_mode,
            framework=layer.framework,
        )[0, 0]
    else:
        out = F.avg_pool(
            x[None, None],
            layer.kernel_size,
            stride=layer.stride,
            padding=layer.padding,
            ceil_mode=layer.ceil_mode,
            count_include_pad=layer.count_include_pad,
            framework=layer.framework,
        )[0, 0]
    if x.ndim == 1:  # a single row
        x, out = x[None], out[None]
        kernel = None if kernel is None else kernel[None]
    zeros_shown = kind in ("conv", "conv_transpose") or (
        kind == "avg_pool" and layer.framework == "torch" and layer.count_include_pad
    )
    plane = _plane(x, rows, cols, zeros_shown)
    return Values(plane, None if kernel is None else kernel.tolist(), [[_text(v) for v in row] for row in out.tolist()])


def _axes(rows, cols, ndim):
    return (cols,) if ndim == 1 else (rows, cols)


def _plane(x, rows, cols, zeros_shown):
    """Per drawn cell: the input value, 0 for padding and inserted zeros (when they count), or None."""
    plane = [[0.0 if zeros_shown else None] * cols.cells for _ in range(rows.cells)]
    for r, pr in enumerate(rows.units):
        for c, pc in enumerate(cols.units):
            plane[pr][pc] = float(x[r, c])
    # cells past the padded input (a ceil_mode overhang) hold nothing, whatever the operation
    for r in range(rows.cells):
        for c in range(cols.cells):
            if not (_inside(r, rows) and _inside(c, cols)):
                plane[r][c] = None
    return plane


def _inside(index, axis: AxisLayout) -> bool:
    return index < axis.padded


def _text(value: float) -> str:
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")
