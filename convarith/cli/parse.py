"""Turning command-line text into layer arguments. Every failure is an OptionError naming the option."""

from __future__ import annotations

import re
from typing import Literal, overload

from ..errors import OptionError
from ..layers import split_tensor

_SEP = re.compile(r"[x,×]")


def _int(option: str, text: str) -> int:
    if len(text) > 100:
        raise OptionError(option, f"a number of {len(text)} digits is beyond any tensor size")
    return int(text)


@overload
def sizes(option: str, text: str, allow_none: Literal[False] = False) -> int | tuple[int, ...]: ...
@overload
def sizes(option: str, text: str, allow_none: bool) -> int | tuple[int | None, ...] | None: ...
def sizes(option: str, text: str, allow_none: bool = False) -> int | tuple[int | None, ...] | None:
    """'3' -> 3, '3x5' or '3,5' -> (3, 5); with ``allow_none``, 'none' keeps an axis ('1xnone')."""
    parts = [p.strip() for p in _SEP.split(text.strip().lower())]
    word = r"-?[0-9]+|none" if allow_none else r"-?[0-9]+"
    if not parts or any(not re.fullmatch(word, p) for p in parts):
        extra = ", or none to keep an axis" if allow_none else ""
        raise OptionError(option, f"expected an integer or per-axis integers like 3x5 or 3,5{extra}, got {text!r}")
    values = tuple(None if p == "none" else _int(option, p) for p in parts)
    return values[0] if len(values) == 1 else values


def shape(option: str, text: str) -> tuple[int, ...]:
    """A shape is always a tuple, even with one entry."""
    value = sizes(option, text)
    return value if isinstance(value, tuple) else (value,)


def padding(text: str) -> str | int | tuple[int, ...] | tuple[tuple[int, int], ...]:
    """An int, per-axis ints, a word ('same', 'valid', 'causal'), or explicit before:after pairs."""
    stripped = text.strip()
    if re.fullmatch(r"[A-Za-z]+", stripped):
        return stripped
    if not stripped:
        raise OptionError(
            "--padding",
            "is empty: give an int (1), per-axis ints (1x2), a word (same, valid, causal) "
            "or before:after pairs (0:1x1:0)",
        )
    if ":" in stripped:
        pairs = []
        for part in _SEP.split(stripped):
            match = re.fullmatch(r"\s*(\d+)\s*:\s*(\d+)\s*", part)
            if not match:
                raise OptionError("--padding", f"explicit padding is before:after per axis, like 0:1x1:1, got {text!r}")
            pairs.append((_int("--padding", match.group(1)), _int("--padding", match.group(2))))
        return tuple(pairs)
    return sizes("--padding", text)


def optional_sizes(option: str, text: str | None) -> int | tuple[int | None, ...] | None:
    return None if text is None else sizes(option, text)


def _axes(n: int) -> str:
    return f"{n} axis" if n == 1 else f"{n} axes"


def split_input(
    text: str, ndim: int | None, framework: str, fixed_by: str = "per-axis parameters"
) -> tuple[tuple[int, ...], tuple[int, ...] | None]:
    """--input as spatial sizes, or as a whole tensor with batch and channels.

    With ``ndim`` known from per-axis parameters, ndim values are spatial and ndim + 2 a tensor.
    Otherwise 1-3 values are spatial and 4-5 a 2-D/3-D tensor (N, C, ...) or (N, ..., C).
    Returns (spatial, full_shape or None).
    """
    values = shape("--input", text)
    if ndim is not None:
        if len(values) == ndim:
            return values, None
        if len(values) == ndim + 2:
            return _spatial_of(values, framework), values
        raise OptionError(
            "--input",
            f"has {len(values)} value{'s' if len(values) > 1 else ''} but the layer's "
            f"{fixed_by} have {_axes(ndim)} (give {ndim} spatial size{'s' if ndim > 1 else ''}, "
            f"or {ndim + 2} with batch and channels)",
        )
    if len(values) <= 3:
        return values, None
    if len(values) <= 5:
        return _spatial_of(values, framework), values
    raise OptionError(
        "--input",
        f"{len(values)} values is ambiguous: give per-axis parameters (e.g. -k 3x3x3x3) to fix the number of axes",
    )


def _spatial_of(full: tuple[int, ...], framework: str) -> tuple[int, ...]:
    return split_tensor(full, framework)[2]
