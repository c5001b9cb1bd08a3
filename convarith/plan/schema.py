"""The type, range and finiteness of every planner layer field, checked in one place.

Spec files (through :mod:`.sources`), the ``plan(...)`` API and the code readers (through
``Planner.add``) all pass their layer dicts through :func:`check_layer`, so a wrong value
is refused with the field's path (``layers[2].stride``) before any arithmetic: no
TypeError, no NaN in a total, no negative or fractional count.

Magnitudes are bounded (``MAX_INT``) so that every total stays an exact integer that can
be printed (Python refuses to print integers of more than 4300 digits).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable
from numbers import Integral, Real
from typing import Any

from ..errors import ShapeError, SpecError

Spec = dict[str, Any]
"""A layer as a dict: its ``type``, its arguments, optionally ``name`` and ``inputs``. JSON-like: the values
are whatever a spec file, a preset or model code gave, until :func:`check_layer` has checked them."""
Value = Any  # one field's value as given (a spec file's or code's literal), before it is checked
Check = Callable[[Value], Any]  # a field's checker: the normalised value, or Bad

MAX_INT = 10**100
"""Largest size, channel count, stride... a layer or an input may have (a googol)."""
MAX_AXES = 16  # values in one per-axis list, dimensions of one shape
MAX_DIM = 64  # |dim| of a flatten, softmax, concatenation...
MAX_TEXT = 200  # characters of a name, a mode, a type
MAX_ITEMS = 10_000  # names in one ``inputs`` list


class Bad(Exception):
    """A field's value is wrong: the message completes '<field path>: ...'; ``at`` is the
    index path inside the value (``[1]``, ``[0][1]``)."""

    def __init__(self, message: str, at: str = "") -> None:
        super().__init__(message)
        self.message, self.at = message, at


def show(value: Value, depth: int = 0) -> str:
    """A short, safe repr: never huge, never recursive, never an int too long to print."""
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, Integral):
        value = int(value)
        if value.bit_length() > 100:
            return f"{'-' if value < 0 else ''}an integer of about {int(value.bit_length() * 0.30103) + 1} digits"
        return repr(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return repr(value[:40] + "...") if len(value) > 40 else repr(value)
    if isinstance(value, (list, tuple)):
        if depth >= 2 or len(value) > 8:
            return f"a {'list' if isinstance(value, list) else 'tuple'} of {len(value)} items"
        inner = ", ".join(show(v, depth + 1) for v in value)
        return f"[{inner}]" if isinstance(value, list) else f"({inner}{',' if len(value) == 1 else ''})"
    if isinstance(value, dict):
        return f"a table of {len(value)} keys"
    text = type(value).__name__
    return f"a {text}" if len(text) < 40 else "an object"


def is_integer(value: Value) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool)


def integer(value: Value, low: int | None = None, high: int = MAX_INT, what: str = "an integer") -> int:
    if not is_integer(value):
        raise Bad(f"must be {what}, got {show(value)}")
    number = int(value)
    if low is not None and number < low:
        raise Bad(f"must be {what}, got {show(number)}")
    if abs(number) > high:
        raise Bad(
            f"must be at most {'10^100' if high == MAX_INT else high}{' in size' if low is None else ''}, "
            f"got {show(number)}"
        )
    return number


def positive(value: Value) -> int:
    return integer(value, 1, what="a positive integer")


def natural(value: Value) -> int:
    return integer(value, 0, what="an integer >= 0")


def dim(value: Value) -> int:
    return integer(value, None, MAX_DIM, "an integer dimension")


def boolean(value: Value, strict: bool = True) -> bool:
    if isinstance(value, bool):
        return value
    if not strict and is_integer(value) and int(value) in (0, 1):  # torch code: bias=0
        return bool(value)
    raise Bad(f"must be true or false, got {show(value)}")


def real(
    value: Value, low: float | None = None, high: float | None = None, *, above: float | None = None
) -> int | float:
    is_real = isinstance(value, Real) and not isinstance(value, bool)  # (value stays a Value: numbers.Real is untyped)
    if not is_real:
        raise Bad(f"must be a number, got {show(value)}")
    if is_integer(value) and abs(int(value)) > MAX_INT:
        raise Bad(f"must be a number at most 10^100 in size, got {show(value)}")
    try:
        number = float(value)
    except (OverflowError, ValueError, TypeError):
        raise Bad(f"must be a finite number, got {show(value)}") from None
    if not math.isfinite(number):
        raise Bad(f"must be a finite number, got {show(value)}")
    if above is not None and number <= above:
        raise Bad(f"must be a number > {above}, got {show(value)}")
    if (low is not None and number < low) or (high is not None and number > high):
        bounds = " and ".join(
            b for b in (f">= {low:g}" if low is not None else "", f"<= {high:g}" if high is not None else "") if b
        )
        raise Bad(f"must be a number {bounds}, got {show(value)}")
    return value if isinstance(value, (int, float)) else number


def text(value: Value) -> str:
    if not isinstance(value, str):
        raise Bad(f"must be a string, got {show(value)}")
    if not value or len(value) > MAX_TEXT or not value.isprintable():
        raise Bad(f"must be a non-empty printable string of at most {MAX_TEXT} characters, got {show(value)}")
    return value


def sequence(value: Value, item: Check, low: int = 1, high: int = MAX_AXES, what: str = "values") -> tuple[Any, ...]:
    if not isinstance(value, (list, tuple)):
        raise Bad(f"must be a list of {what}, got {show(value)}")
    if not low <= len(value) <= high:
        raise Bad(f"must be a list of {low} to {high} {what}, got {show(value)}")
    out: list[Any] = []
    for i, v in enumerate(value):
        try:
            out.append(item(v))
        except Bad as exc:
            raise Bad(exc.message, f"[{i}]{exc.at}") from None
    return tuple(out)


def per_axis(item: Check, what: str) -> Check:
    """An int (every axis) or a list with one value per axis."""

    def check(value: Value) -> Any:
        if isinstance(value, (list, tuple)):
            return sequence(value, item, what=what)
        return item(value)

    return check


def optional(check: Check) -> Check:
    def inner(value: Value) -> Any:
        return None if value is None else check(value)

    return inner


def padding(value: Value) -> Any:
    if isinstance(value, str):
        return text(value)
    return per_axis(
        lambda v: sequence(v, natural, 2, 2, "paddings") if isinstance(v, (list, tuple)) else natural(v),
        "paddings >= 0",
    )(value)


def pairs(value: Value) -> tuple[Any, ...]:
    return sequence(value, lambda v: sequence(v, integer, 2, 2, "integers"), 0, MAX_AXES, "(before, after) pairs")


def probability(value: Value) -> int | float:
    return real(value, 0, 1)


def finite(value: Value) -> int | float:
    return real(value)


def scale(value: Value) -> Any:
    def check(v: Value) -> int | float:
        return real(v, above=0, high=1e100)

    return sequence(value, check, what="scale factors") if isinstance(value, (list, tuple)) else check(value)


def names(value: Value) -> tuple[Any, ...]:
    return sequence(value, text, 1, MAX_ITEMS, "layer names")


def shape_values(value: Value) -> tuple[Any, ...]:
    return sequence(value, lambda v: integer(v, -1), 0, MAX_AXES, "sizes")


def dims(value: Value) -> tuple[Any, ...]:
    return sequence(value, dim, 0, MAX_AXES, "dimensions")


POSITIVE_OR_NONE = optional(positive)
FIELDS: dict[str, Check] = {
    # what a layer is and where its input comes from
    "type": text,
    "name": optional(text),
    "inputs": optional(names),
    "like": text,
    "describe": text,
    "spatial_dims": optional(positive),  # spatial axes a class name fixes (Conv2d: 2), checked against the input
    "how": text,
    "shared": boolean,
    # counts
    "in_channels": POSITIVE_OR_NONE,
    "out_channels": positive,
    "in_features": POSITIVE_OR_NONE,
    "out_features": positive,
    "num_features": POSITIVE_OR_NONE,
    "groups": positive,
    "depth_multiplier": positive,
    "num_groups": positive,
    "num_channels": positive,
    "num_parameters": positive,
    "factor": positive,
    "in1_features": positive,
    "in2_features": positive,
    "upscale_factor": positive,
    "downscale_factor": positive,
    "unflattened_size": shape_values,
    "affine_terms": lambda v: integer(v, 0, 2, "0, 1 or 2"),
    "divisor_override": POSITIVE_OR_NONE,
    # windows
    "kernel_size": per_axis(positive, "positive sizes"),
    "stride": optional(per_axis(positive, "positive strides")),
    "dilation": per_axis(positive, "positive dilations"),
    "padding": padding,
    "output_padding": optional(per_axis(natural, "integers >= 0")),
    "output_size": optional(per_axis(optional(positive), "positive sizes")),
    "size": optional(per_axis(positive, "positive sizes")),
    "scale_factor": optional(scale),
    "normalized_shape": optional(per_axis(positive, "positive sizes")),
    "pads": pairs,
    "ranges": pairs,
    "shape": shape_values,
    "sizes": shape_values,
    "dims": dims,
    "axes": dims,
    "drop": dims,
    # switches
    "bias": boolean,
    "ceil_mode": boolean,
    "return_indices": boolean,
    "count_include_pad": boolean,
    "affine": boolean,
    "track_running_stats": boolean,
    "inplace": boolean,
    "elementwise_affine": boolean,
    "align_corners": optional(boolean),
    "weight_norm": boolean,
    "keepdim": boolean,
    "per_element": boolean,
    "moving_statistics": boolean,
    "recompute_scale_factor": optional(boolean),
    # dimensions
    "dim": optional(dim),
    "axis": optional(dim),
    "start_dim": dim,
    "end_dim": dim,
    # numbers that change no shape
    "p": probability,
    "eps": lambda v: real(v, 0),
    "momentum": optional(finite),
    "negative_slope": finite,
    "alpha": finite,
    "beta": finite,
    "init": finite,
    "value": finite,
    "threshold": finite,
    "lambd": finite,
    "min_val": finite,
    "max_val": finite,
    "lower": finite,
    "upper": finite,
    # modes
    "mode": text,
    "padding_mode": lambda v: choice(v, ("zeros", "reflect", "replicate", "circular")),
    "approximate": lambda v: choice(v, ("none", "tanh")),
}
# Fields that must be given a value when present for these layer types (None is refused).
NOT_NONE: dict[str, set[str]] = {"adaptive_avg_pool": {"output_size"}, "adaptive_max_pool": {"output_size"}}


def choice(value: Value, options: Collection[str]) -> str:
    if not isinstance(value, str) or value not in options:
        raise Bad(f"must be one of {', '.join(options)}, got {show(value)}")
    return value


def check_layer(layer: Value, where: str, strict: bool = True) -> Spec:
    """``layer`` with every known field checked (and numbers normalised to int/float).

    ``strict`` (spec files): booleans must be true/false. Unknown fields are left to the
    caller (spec files refuse them with the list of known ones; readers add their own).
    Raises ShapeError("spec" or the field path, ...).
    """
    if not isinstance(layer, dict):
        raise SpecError(where, f"must be a table of a layer's fields, got {show(layer)}")
    out: Spec = {}
    kind = layer.get("type")
    not_none = NOT_NONE.get(kind, set()) if isinstance(kind, str) else set()
    for key, value in layer.items():
        if not isinstance(key, str):
            raise SpecError(where, f"field names must be strings, got {show(key)}")
        check = FIELDS.get(key)
        if check is None:
            out[key] = value
            continue
        try:
            if value is None and key in not_none:
                raise Bad("must be given a value, got None")
            if check is boolean:
                out[key] = boolean(value, strict=strict)
            else:
                out[key] = check(value)
        except Bad as exc:
            raise SpecError(f"{where}.{key}{exc.at}", exc.message) from None
    return out


def check_shape(value: Value, parameter: str = "input") -> tuple[int, ...]:
    """An input shape: 1 to 16 positive sizes, at most 10^100 each."""
    if isinstance(value, (str, bytes, dict)) or not hasattr(value, "__len__") or not hasattr(value, "__iter__"):
        raise ShapeError(parameter, f"must be a list of positive sizes, got {show(value)}")
    try:
        return sequence(list(value), positive, 1, MAX_AXES, "positive sizes")
    except Bad as exc:
        raise ShapeError(f"{parameter}{exc.at}", exc.message) from None


def check_size(shape: Iterable[int], parameter: str = "output") -> None:
    """Refuse a planned shape whose sizes grow past MAX_INT (a chain of huge upsamplings)."""
    for v in shape:
        if is_integer(v) and abs(v) > MAX_INT:
            raise ShapeError(parameter, f"the sizes grow past 10^100 ({show(v)}): convarith plans sizes up to a googol")


REQUIRED = {
    "traced": ("shape",),
    "conv": ("out_channels", "kernel_size"),
    "conv_transpose": ("out_channels", "kernel_size"),
    "separable_conv": ("out_channels", "kernel_size"),
    "depthwise_conv": ("kernel_size",),
    "max_pool": ("kernel_size",),
    "avg_pool": ("kernel_size",),
    "adaptive_avg_pool": ("output_size",),
    "adaptive_max_pool": ("output_size",),
    "linear": ("out_features",),
    "crop": ("like",),
    "pad": ("like",),
    "border_pad": ("pads",),
    "pixel_shuffle": ("factor",),
    "pixel_unshuffle": ("factor",),
    "unflatten": ("dim", "sizes"),
    "reshape": ("shape",),
    "permute": ("dims",),
    "reduce": ("axes",),
    "slice": ("ranges",),
    "group_norm": ("num_groups",),
    "layer_norm": ("normalized_shape",),
    "bilinear": ("in1_features", "in2_features", "out_features"),
}


def check_required(layer: Spec, where: str) -> None:
    kind = layer.get("type")
    if not isinstance(kind, str):
        raise SpecError(f"{where}.type", f"must be a layer type name, got {show(kind)}")
    missing = [p for p in REQUIRED.get(kind, ()) if p not in layer]
    if missing:
        raise SpecError(where, f"{kind} needs {', '.join(missing)}")
