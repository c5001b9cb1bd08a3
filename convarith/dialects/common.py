"""Building blocks the dialects share once each has decided the padding."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ..arithmetic import (
    AxisArithmetic,
    TransposedEquivalent,
    ceil_window_count,
    effective_kernel,
    unread_by_transposed,
    unread_by_windows,
    window_count,
)
from ..axes import is_int
from ..errors import ShapeError


def check_groups(layer: Any, out_name: str = "out_channels") -> None:
    """groups is positive and divides both channel counts (Keras calls out_channels filters)."""
    if layer.groups < 1:
        raise ShapeError("groups", f"must be a positive integer, got {layer.groups}")
    for name, shown in (("in_channels", "in_channels"), ("out_channels", out_name)):
        channels = getattr(layer, name)
        if channels is not None and channels % layer.groups:
            raise ShapeError(name, f"{shown}={channels} is not divisible by groups={layer.groups}")


def at_least(layer: Any, names: Iterable[str], minimum: int) -> None:
    """Each named parameter (an int or per-axis ints; None skipped) is at least ``minimum``."""
    for name in names:
        value = getattr(layer, name)
        values = () if value is None else (value,) if is_int(value) else value
        if any(v < minimum for v in values):
            rule = (
                "must be positive"
                if minimum == 1
                else "must not be negative"
                if minimum == 0
                else f"must be >= {minimum}"
            )
            raise ShapeError(name, f"{rule}, got {value}")


def fmt(values: Iterable[object]) -> str:
    """A per-axis tuple the way users type it: ``3`` or ``3x5``."""
    return "x".join(str(v) for v in values)


def direct_axes(
    sizes: Sequence[int],
    kernel: Sequence[int],
    stride: Sequence[int],
    dilation: Sequence[int],
    pads: Sequence[tuple[int, int]],
    *,
    ceil_mode: bool = False,
    notes: Sequence[Sequence[str]] | None = None,
) -> tuple[AxisArithmetic, ...]:
    """Arithmetic of a direct convolution or pool once the padding is fixed.

    Callers have already refused windows that do not fit; a count below 1 is a bug there.
    """
    axes = []
    for axis, (i, k, s, d, pad) in enumerate(zip(sizes, kernel, stride, dilation, pads, strict=True)):
        k_eff = effective_kernel(k, d)
        o = ceil_window_count(i, k_eff, s, pad) if ceil_mode else window_count(i + pad[0] + pad[1], k_eff, s)
        before, after = pad
        unread, unread_padding, read_padding = (
            unread_by_windows(i, (before, after), o, k, s, d) if o > 0 else (i, 0, (0, 0))
        )
        axes.append(
            AxisArithmetic(
                input=i,
                output=o,
                kernel_size=k,
                stride=s,
                dilation=d,
                padding=(before, after),
                effective_kernel=k_eff,
                unread=unread,
                unread_padding=unread_padding,
                read_padding=read_padding,
                ceil_mode=ceil_mode,
                notes=tuple(notes[axis]) if notes else (),
            )
        )
    return tuple(axes)


def require_outputs(
    axes: tuple[AxisArithmetic, ...], parameter: str = "input", hint: str = ""
) -> tuple[AxisArithmetic, ...]:
    """Refuse an axis with no output window, naming the sizes involved."""
    for n, ax in enumerate(axes):
        if ax.output < 1:
            where = f" on axis {n}" if len(axes) > 1 else ""
            raise ShapeError(
                parameter,
                f"output size would be {ax.output}{where}: padded input {ax.padded_input} "
                f"(= {ax.input} + {ax.padding[0]} + {ax.padding[1]}) is smaller than the "
                f"effective kernel {ax.effective_kernel}{hint}",
            )
    return axes


def transposed_axes(
    sizes: Sequence[int],
    kernel: Sequence[int],
    stride: Sequence[int],
    dilation: Sequence[int],
    pads: Sequence[tuple[int, int]],
    output_padding: Sequence[int],
    *,
    valid_ranges: Sequence[tuple[int, int] | None] | None = None,
) -> tuple[AxisArithmetic, ...]:
    """Arithmetic of a transposed convolution whose cropping ``pads`` and extra cells are fixed.

    ``pads`` is the (before, after) cropping of the full transposed output; ``output_padding``
    cells are added after it. ``valid_ranges`` lists, per axis, the output sizes the framework
    would accept for this input (None where it is not meaningful).
    """
    axes = []
    for n, (i, k, s, d, pad, a) in enumerate(zip(sizes, kernel, stride, dilation, pads, output_padding, strict=True)):
        k_eff = effective_kernel(k, d)
        o = (i - 1) * s + k_eff - pad[0] - pad[1] + a
        stretched = (i - 1) * s + 1
        equivalent = TransposedEquivalent(
            zeros_between=s - 1,
            stretched_input=stretched,
            padding=(k_eff - 1 - pad[0], k_eff - 1 - pad[1] + a),
            extra=a,
            kernel_size=k,
            dilation=d,
            output=o,
        )
        unread = unread_by_transposed(i, o, k, s, d, pad[0]) if o > 0 else i
        axes.append(
            AxisArithmetic(
                input=i,
                output=o,
                kernel_size=k,
                stride=s,
                dilation=d,
                padding=tuple(pad),
                effective_kernel=k_eff,
                unread=unread,
                output_padding=a,
                transposed=equivalent,
                valid_outputs=valid_ranges[n] if valid_ranges else None,
            )
        )
    return tuple(axes)


def require_transposed_outputs(axes: tuple[AxisArithmetic, ...]) -> tuple[AxisArithmetic, ...]:
    for n, ax in enumerate(axes):
        if ax.output < 1:
            where = f" on axis {n}" if len(axes) > 1 else ""
            raise ShapeError(
                "padding",
                f"transposed output size would be {ax.output}{where}: (input-1)*stride + "
                f"effective kernel - padding + output_padding = ({ax.input}-1)*{ax.stride} + "
                f"{ax.effective_kernel} - {ax.padding[0] + ax.padding[1]} + {ax.output_padding}",
            )
    return axes


def same_split(total: int) -> tuple[int, int]:
    """Split padding with the odd cell after, as PyTorch 'same' and TensorFlow SAME do."""
    return total // 2, total - total // 2
