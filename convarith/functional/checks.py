"""Arguments of the functional API checked before any work: every refusal a ShapeError naming it.

The shape engine (``convarith.layers``) judges the window parameters; what is checked here
is what only the backend sees: the arrays (type, dtype, number of axes), flags, option
strings and plain numbers.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from numbers import Integral, Real
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .. import limits
from ..axes import flag as flag  # re-exported: the one yes/no check, shared with the layers
from ..axes import is_int
from ..errors import ShapeError

NUMERIC_KINDS = "iuf"  # what conv and pool compute on (bool, complex, strings, objects refused)
PAD_KINDS = "biufc"  # pad only copies values: any number type

Array = NDArray[Any]
"""An array of any dtype: the dtype is the promotion of the caller's inputs, known only at run time."""


def short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def array(name: str, value: object, kinds: str = NUMERIC_KINDS) -> Array:
    """``value`` as an ndarray of a number type in ``kinds``, or a ShapeError naming ``name``."""
    if value is None:
        raise ShapeError(name, "is required, got None")
    if isinstance(value, (str, bytes, dict, set)):
        raise ShapeError(name, f"must be an array of numbers, got {type(value).__name__} {short(value)}")
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError, OverflowError, RecursionError, MemoryError) as exc:
        raise ShapeError(name, f"must be an array of numbers with a regular shape ({exc})") from None
    if arr.dtype.kind not in kinds:
        kind = "bool" if arr.dtype == np.bool_ else str(arr.dtype)
        raise ShapeError(name, f"cannot compute on arrays of dtype {kind}")
    return arr


def choice(name: str, value: object, options: Collection[str]) -> str:
    if not isinstance(value, str) or value not in options:
        raise ShapeError(name, f"must be one of {', '.join(options)}, got {short(value)}")
    return value


def framework(value: object) -> str:
    if not isinstance(value, str):
        raise ShapeError("framework", f"must be a string such as 'torch', 'tf' or 'keras', got {short(value)}")
    return value


def positive_int(name: str, value: object) -> int:
    if not is_int(value) or int(value) < 1:
        raise ShapeError(name, f"must be a positive integer, got {short(value)}")
    return int(value)


def int_sequence(name: str, value: object) -> tuple[int, ...]:
    """A tuple, list or 1-D integer array of ints (any integer type, not bool)."""
    if isinstance(value, np.ndarray):
        if value.ndim != 1 or value.dtype.kind not in "iu":
            raise ShapeError(
                name, f"must be a sequence of ints, got an array of shape {value.shape}, dtype {value.dtype}"
            )
        return tuple(int(v) for v in value)
    if not isinstance(value, (tuple, list)):
        raise ShapeError(name, f"must be a sequence of ints, got {type(value).__name__} {short(value)}")
    if not all(is_int(v) for v in value):
        raise ShapeError(name, f"must be a sequence of ints, got {short(value)}")
    return tuple(int(v) for v in value)


def number(name: str, value: object) -> float | int:
    """A real number (bools count as 0 and 1, as in torch)."""
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, Integral):
        return int(value)
    if isinstance(value, Real):
        return float(value)
    raise ShapeError(name, f"must be a number, got {type(value).__name__} {short(value)}")


def output(shape: Sequence[int], itemsize: int, parameter: str = "input") -> None:
    """The result's size against ``limits.output_bytes``; an empty result must still be representable."""
    limits.check_output(shape, itemsize, parameter)
    if limits.product(max(int(n), 1) for n in shape) * itemsize >= 2**62:
        shown = tuple(int(n) for n in shape)
        raise ShapeError(parameter, f"the output shape {shown} is too large to represent, even empty")
