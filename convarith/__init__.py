"""convarith: exact convolution arithmetic for PyTorch, TensorFlow and Keras.

The core imported here is pure Python: importing convarith never imports NumPy.
"""

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
    "solve",
]
__version__ = "0.1.0"
