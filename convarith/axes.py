"""Normalising int / per-axis arguments, in one place."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from numbers import Integral
from typing import Any, TypeGuard

from .errors import ShapeError


def is_int(value: object) -> TypeGuard[int]:
    """Any integer type (NumPy's too), but not a bool."""
    if type(value) is int:  # the common case, without the slow ABC check
        return True
    return isinstance(value, Integral) and type(value).__name__ not in ("bool", "bool_")


def flag(name: str, value: object) -> bool:
    """A yes/no argument: a bool (NumPy's too), or 0/1 as the frameworks also take; a string
    such as "no" is refused, not quietly taken as true."""
    if type(value).__name__ in ("bool", "bool_") or (is_int(value) and value in (0, 1)):
        return bool(value)
    raise ShapeError(name, f"must be True or False, got {value!r}"[:200])


def plain(value: Any) -> Any:
    """Integers of any type as Python ints (exact at any size), in tuples and lists too;
    everything else unchanged, for the checks to refuse with a message."""
    if is_int(value):
        return int(value)
    if isinstance(value, (tuple, list)):
        return tuple(plain(v) for v in value)
    return value


def check_int_or_axes(name: str, value: object, *, allow_none_entries: bool = False) -> None:
    """Reject anything that is not an int or a non-empty sequence of ints, at construction."""
    if is_int(value):
        return
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)) and len(value) > 0:
        for entry in value:
            if is_int(entry) or (allow_none_entries and entry is None):
                continue
            raise ShapeError(name, f"must be an int or a sequence of ints, got {value!r}")
        return
    raise ShapeError(name, f"must be an int or a sequence of ints, got {value!r}")


def axis_count(name: str, value: Any) -> int | None:
    """How many spatial axes a parameter fixes (None for a plain int)."""
    return None if is_int(value) else len(value)


def common_ndim(params: Mapping[str, Any]) -> int | None:
    """The number of spatial axes implied by per-axis parameters; they must agree."""
    seen: dict[str, int] = {}
    for name, value in params.items():
        n = axis_count(name, value)
        if n is not None:
            seen[name] = n
    if len(set(seen.values())) > 1:
        listing = ", ".join(f"{k} has {v}" for k, v in seen.items())
        raise ShapeError(next(iter(seen)), f"per-axis values disagree on the number of axes ({listing})")
    return next(iter(seen.values()), None)


def expand(name: str, value: Any, ndim: int) -> tuple[Any, ...]:
    """An int or per-axis sequence as a tuple of length ``ndim``."""
    if is_int(value):
        return (value,) * ndim
    if len(value) != ndim:
        raise ShapeError(name, f"has {len(value)} values {tuple(value)} but the input has {ndim} spatial axes")
    return tuple(value)


def check_spatial(name: str, sizes: object) -> tuple[int, ...]:
    """A spatial input: a non-empty sequence of ints, each at least 1."""
    if is_int(sizes):
        sizes = (sizes,)
    if not isinstance(sizes, Sequence) or isinstance(sizes, (str, bytes)) or len(sizes) == 0:
        raise ShapeError(name, f"must be a non-empty sequence of sizes, got {sizes!r}")
    for size in sizes:
        if not is_int(size):
            raise ShapeError(name, f"sizes must be integers, got {size!r}")
        if size < 1:
            raise ShapeError(name, f"every spatial size must be at least 1, got {tuple(sizes)}")
    return tuple(int(size) for size in sizes)
