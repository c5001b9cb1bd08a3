"""Numbers for ``--values``: small seeded integers pushed through ``convarith.functional``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .. import functional as F
from ..errors import ShapeError
from ..layers import AvgPool, Conv, ConvTranspose, Layer, MaxPool
from .drawing import Values
from .geometry import AxisLayout


def compute(
    layer: Layer,
    spatial: Sequence[int],
    rows: AxisLayout,
    cols: AxisLayout,
    seed: int,
    output_size: int | Sequence[int] | None = None,
) -> Values:
    """Inputs 0..3 and kernel 0..2 (Dumoulin & Visin's ranges), outputs from the backend.

    The kernel shown is the one the drawn direct convolution applies: for a transposed
    convolution that is the weight flipped on every axis.
    """
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 4, size=tuple(spatial)).astype(np.float64)
    kernel: NDArray[np.float64] | None = None
    out: NDArray[np.float64]
    if isinstance(layer, (Conv, ConvTranspose)):
        kernel_axes = (cols,) if len(spatial) == 1 else (rows, cols)
        w = rng.integers(0, 3, size=tuple(a.kernel_size for a in kernel_axes)).astype(np.float64)
        common: dict[str, Any] = dict(
            stride=layer.stride, padding=layer.padding, dilation=layer.dilation, framework=layer.framework
        )
        if isinstance(layer, Conv):
            out = F.conv(x[None, None], w[None, None], **common)[0, 0]
            kernel = w
        else:
            out = F.conv_transpose(
                x[None, None], w[None, None], output_padding=layer.output_padding, output_size=output_size, **common
            )[0, 0]
            kernel = w[(slice(None, None, -1),) * w.ndim]
    elif isinstance(layer, MaxPool):
        out = F.max_pool(
            x[None, None],
            layer.kernel_size,
            stride=layer.stride,
            padding=layer.padding,
            dilation=layer.dilation,
            ceil_mode=layer.ceil_mode,
            framework=layer.framework,
        )[0, 0]
    elif isinstance(layer, AvgPool):
        out = F.avg_pool(
            x[None, None],
            layer.kernel_size,
            stride=layer.stride,
            padding=layer.padding,
            ceil_mode=layer.ceil_mode,
            count_include_pad=layer.count_include_pad,
            framework=layer.framework,
        )[0, 0]
    else:
        raise ShapeError("values", f"are drawn for conv, conv-transpose, max-pool and avg-pool, not {layer.op}")
    if x.ndim == 1:  # a single row
        x, out = x[None], out[None]
        kernel = None if kernel is None else kernel[None]
    zeros_shown = isinstance(layer, (Conv, ConvTranspose)) or (
        isinstance(layer, AvgPool) and layer.framework == "torch" and layer.count_include_pad
    )
    plane = _plane(x, rows, cols, zeros_shown)
    return Values(plane, None if kernel is None else kernel.tolist(), [[_text(v) for v in row] for row in out.tolist()])


def _plane(x: NDArray[np.float64], rows: AxisLayout, cols: AxisLayout, zeros_shown: bool) -> list[list[float | None]]:
    """Per drawn cell: the input value, 0 for padding and inserted zeros (when they count), or None."""
    plane: list[list[float | None]] = [[0.0 if zeros_shown else None] * cols.cells for _ in range(rows.cells)]
    for r, plane_row in enumerate(rows.units):
        for c, plane_col in enumerate(cols.units):
            plane[plane_row][plane_col] = float(x[r, c])
    # cells past the padded input (a ceil_mode overhang) hold nothing, whatever the operation
    for r in range(rows.cells):
        for c in range(cols.cells):
            if not (r < rows.padded and c < cols.padded):
                plane[r][c] = None
    return plane


def _text(value: float) -> str:
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")
