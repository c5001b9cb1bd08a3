"""``pad`` in PyTorch's conventions (pad pairs listed from the last axis backwards)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, cast

import numpy as np
from numpy.typing import ArrayLike

from ..errors import ShapeError
from . import checks
from .checks import Array

PadMode = Literal["constant", "reflect", "replicate", "circular"]
"""PyTorch's names of the padding modes of ``pad``."""

MODES: dict[str, Literal["constant", "reflect", "edge", "wrap"]] = {
    "constant": "constant",
    "reflect": "reflect",
    "replicate": "edge",
    "circular": "wrap",
}
"""PyTorch's padding modes -> NumPy's."""

PADDING_MODES: dict[str, PadMode] = {
    "zeros": "constant",
    "reflect": "reflect",
    "replicate": "replicate",
    "circular": "circular",
}
"""A convolution's ``padding_mode`` -> the mode of ``pad``."""

Pairs = Sequence[tuple[int, int]]
"""(before, after) per axis."""


def torch_pairs(pad: object, ndim: int) -> list[tuple[int, int]]:
    """PyTorch's flat pad tuple -> (before, after) per axis, first axis first, for ``ndim`` axes."""
    flat = checks.int_sequence("pad", pad)
    if len(flat) % 2 or not flat:
        raise ShapeError("pad", f"must be an even-length sequence of ints (last axis first), got {checks.short(flat)}")
    if len(flat) // 2 > ndim:
        raise ShapeError("pad", f"pads {len(flat) // 2} axes but the input has only {ndim}")
    pairs = [(flat[2 * i], flat[2 * i + 1]) for i in range(len(flat) // 2)]
    return [(0, 0)] * (ndim - len(pairs)) + pairs[::-1]


def pad(input: ArrayLike, pad: Sequence[int], mode: str = "constant", value: float = 0.0) -> Array:
    """Pad like ``torch.nn.functional.pad``: constant (negative crops), reflect, replicate, circular."""
    x = checks.array("input", input, checks.PAD_KINDS)
    padding_mode = cast(PadMode, checks.choice("mode", mode, MODES))  # one of MODES' keys
    value = checks.number("value", value)
    pairs = torch_pairs(pad, x.ndim)
    axes = len(pad) // 2
    if mode != "constant" and (axes > 3 or x.ndim not in (axes + 1, axes + 2)):
        raise ShapeError(
            "pad",
            f"{mode} padding pads the last 1-3 axes of a (C, ...) or (N, C, ...) input: "
            f"{axes} padded axes do not fit an input of {x.ndim} axes",
        )
    if x.dtype.kind in "fc":
        try:
            value = float(value)
        except OverflowError:
            raise ShapeError("value", f"{checks.short(value)} is too large for an array of dtype {x.dtype}") from None
    elif mode == "constant" and value != 0:
        if not (isinstance(value, int) or float(value).is_integer()) and (
            x.dtype.kind == "b" or value != value or abs(value) == float("inf")
        ):
            raise ShapeError("value", f"{value!r} cannot be stored in an array of dtype {x.dtype}")
        info = np.iinfo(x.dtype) if x.dtype.kind != "b" else None
        if info is not None and not info.min <= int(value) <= info.max:
            raise ShapeError("value", f"{value!r} does not fit an array of dtype {x.dtype}")
    with np.errstate(all="ignore"):  # a value past float16's range becomes inf, as in torch
        return pad_pairs(x, pairs, padding_mode, value)


def check_grow(shape: Sequence[int], grow: Pairs, mode: PadMode, parameter: str = "pad") -> None:
    """The rules of PyTorch's non-constant padding modes (after any cropping), per axis."""
    for size, (before, after) in zip(shape, grow, strict=True):
        if mode == "reflect" and max(before, after) >= size and (before or after):
            raise ShapeError(
                parameter,
                f"reflect padding must be smaller than the input size: {(before, after)} on an axis of {size}",
            )
        if mode == "circular" and max(before, after) > size:
            raise ShapeError(
                parameter, f"circular padding must be at most the input size: {(before, after)} on an axis of {size}"
            )
        if mode == "replicate" and size == 0 and (before or after):
            raise ShapeError(parameter, "cannot replicate an empty axis")


def pad_pairs(x: Array, pairs: Pairs, mode: PadMode = "constant", value: float = 0.0) -> Array:
    """Pad with (before, after) per axis. Negative values crop first, in every mode, as PyTorch does."""
    crop = tuple(slice(max(0, -b), x.shape[i] - max(0, -a)) for i, (b, a) in enumerate(pairs))
    if any(sl.stop - sl.start < 0 for sl in crop):
        raise ShapeError("pad", "negative padding removes more than the whole axis")
    x = x[crop]
    grow = [(max(0, b), max(0, a)) for b, a in pairs]
    shape = tuple(s + b + a for s, (b, a) in zip(x.shape, grow, strict=True))
    checks.output(shape, x.dtype.itemsize)
    if mode != "constant":
        check_grow(x.shape, grow, mode)
        return np.pad(x, grow, mode=MODES[mode])
    if not any(b or a for b, a in grow):
        copied: Array = x.copy()
        return copied
    out = np.full(shape, value, dtype=x.dtype)
    out[tuple(slice(b, b + s) for s, (b, _) in zip(x.shape, grow, strict=True))] = x
    return out
