"""convarith: exact convolution arithmetic for PyTorch, TensorFlow and Keras.

The core imported here is pure Python: importing convarith never imports NumPy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import limits
from .arithmetic import AxisArithmetic, TransposedEquivalent
from .errors import ConvarithError, InputFileError, LimitError, OptionError, ShapeError, SpecError
from .layers import (
    FRAMEWORKS,
    AdaptiveAvgPool,
    AdaptiveMaxPool,
    AvgPool,
    Conv,
    ConvTranspose,
    MaxPool,
)
from .search import solve

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .layers import Layer
    from .render.player import Player


def show(
    layer: Layer,
    input_size: int | Sequence[int],
    *,
    output_size: int | Sequence[int] | None = None,
    values: bool = False,
    style: str = "dumoulin",
    seed: int = 1234,
    duration: int = 1000,
    force: bool = False,
) -> Player:
    """``layer`` on an input of ``input_size`` (spatial sizes), for a notebook or a script:
    displayed in Jupyter it is the arithmetic table and the interactive player; ``str()``
    is the arithmetic; ``.page()`` the self-contained HTML; ``.save("layer.html")`` writes it.
    ``values`` (needs NumPy) shows small seeded numbers and each window's products;
    ``force`` draws past the frame and canvas limits (``convarith.limits``)."""
    from .render.player import show as _show

    return _show(
        layer,
        input_size,
        output_size=output_size,
        values=values,
        style=style,
        seed=seed,
        duration=duration,
        force=force,
    )


__all__ = [
    "AdaptiveAvgPool",
    "AdaptiveMaxPool",
    "AvgPool",
    "AxisArithmetic",
    "ConvarithError",
    "Conv",
    "ConvTranspose",
    "FRAMEWORKS",
    "InputFileError",
    "LimitError",
    "MaxPool",
    "OptionError",
    "ShapeError",
    "SpecError",
    "TransposedEquivalent",
    "limits",
    "show",
    "solve",
]
__version__ = "0.1.0"
