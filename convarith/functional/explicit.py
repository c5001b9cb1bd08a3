"""Explicit ``(before, after)`` padding per spatial axis, in every framework's semantics.

Only ``tf.nn``'s 2-D conv ops take such pairs, so the shape engine's layers (which model each
framework's layers exactly) refuse them elsewhere. The functional API accepts them for every
framework and every number of axes, because ported code pads asymmetrically: the layer is
built with the framework's "no padding" (so its other rules still apply: groups, Keras's
stride with dilation, TensorFlow's lack of ``output_padding``...) and the per-axis arithmetic
is then computed with the pairs by the same building blocks the dialects use. Every backend
path already works from ``AxisArithmetic.padding``, a (before, after) pair, so nothing else
changes: an int or a word never reaches this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeGuard

import numpy as np
from numpy.typing import NDArray

from ..arithmetic import AxisArithmetic, effective_kernel
from ..axes import check_int_or_axes, expand, is_int, plain
from ..dialects.common import direct_axes, fmt, require_outputs, require_transposed_outputs, transposed_axes
from ..errors import ShapeError
from ..layers import ConvTranspose, Layer
from .checks import short

Pairs = tuple[tuple[int, int], ...]
"""(before, after) per spatial axis, first axis first."""

PAIRS_RULE = "explicit padding takes one (before, after) pair of non-negative ints per spatial axis"


def _is_pair(value: object) -> TypeGuard[Sequence[object] | NDArray[Any]]:
    if isinstance(value, np.ndarray):
        return value.ndim == 1
    return isinstance(value, (tuple, list))


def pairs(padding: object) -> Pairs | None:
    """The pairs if ``padding`` is written as (before, after) pairs, else None (ints, words).

    A sequence counts as pairs as soon as one of its entries is itself a sequence; then every
    entry must be a pair of ints. A 2-D integer array of shape (axes, 2) counts too.
    """
    entries: Sequence[object]
    if isinstance(padding, (tuple, list)):
        for entry in padding:  # a loop, not any(<generator>): this runs on every call
            if isinstance(entry, (tuple, list, np.ndarray)):
                break
        else:
            return None  # per-axis ints: the layer judges them
        entries = padding
    elif isinstance(padding, np.ndarray) and padding.ndim == 2:
        entries = list(padding)
    else:
        return None  # an int, a word, a 1-D array: the layer judges it
    result = []
    for entry in entries:
        values = list(entry) if _is_pair(entry) else None
        if values is None or len(values) != 2 or not all(is_int(v) for v in values):
            raise ShapeError("padding", f"{PAIRS_RULE}, got {short(padding)}")
        result.append((int(values[0]), int(values[1])))
    for axis, (before, after) in enumerate(result):
        if before < 0 or after < 0:
            raise ShapeError(
                "padding",
                f"{PAIRS_RULE}: {(before, after)} on axis {axis} is negative (to crop, crop the input "
                "with F.pad's negative values, or slice the output)",
            )
    return tuple(result)


def _count(padding: Pairs, nd: int) -> None:
    if len(padding) != nd:
        raise ShapeError("padding", f"has {len(padding)} (before, after) pairs but the input has {nd} spatial axes")


def _params(layer: Layer, nd: int, names: Sequence[str]) -> list[tuple[int, ...]]:
    values = []
    for name in names:
        value: Any = getattr(layer, name)
        if name == "stride" and value is None:  # pools: the stride defaults to the window
            value = getattr(layer, "kernel_size")  # noqa: B009 (Layer does not declare it)
        values.append(expand(name, value, nd))
    return values


def conv_axes(layer: Layer, sizes: tuple[int, ...], padding: Pairs) -> tuple[AxisArithmetic, ...]:
    """A convolution over the input padded by the pairs, then VALID."""
    nd = len(sizes)
    _count(padding, nd)
    kernel, stride, dilation = _params(layer, nd, ("kernel_size", "stride", "dilation"))
    return require_outputs(direct_axes(sizes, kernel, stride, dilation, padding), "padding")


def pool_axes(layer: Layer, sizes: tuple[int, ...], padding: Pairs) -> tuple[AxisArithmetic, ...]:
    """A pool over the input padded by the pairs (with ceil_mode, PyTorch's rule with ``before``
    as the left padding). Each side must be smaller than the window, as tf.nn's explicit
    max_pool requires: then every window without dilation holds an input cell."""
    nd = len(sizes)
    _count(padding, nd)
    kernel, stride, dilation = _params(layer, nd, ("kernel_size", "stride", "dilation"))
    for axis, (k, pad) in enumerate(zip(kernel, padding, strict=True)):
        if max(pad) >= k:
            raise ShapeError(
                "padding",
                f"explicit pool padding must be smaller than the window on each side, got {pad} "
                f"on axis {axis} with kernel_size {k}",
            )
    if layer.framework == "torch" and layer.op == "avg_pool" and nd == 3:
        padded = [i + before + after for i, (before, after) in zip(sizes, padding, strict=True)]
        if any(n < k for n, k in zip(padded, kernel, strict=True)):  # as F.pad then avg_pool3d fails
            raise ShapeError(
                "input",
                f"AvgPool3d needs every padded input size >= kernel_size, got {fmt(padded)} with {fmt(kernel)}",
            )
    ceil_mode = bool(getattr(layer, "ceil_mode", False))
    return require_outputs(direct_axes(sizes, kernel, stride, dilation, padding, ceil_mode=ceil_mode), "padding")


def _cropped(bounds: tuple[int, int] | None, crop: int) -> tuple[int, int] | None:
    """The framework's valid output sizes for the full output, once ``crop`` cells are cut."""
    if bounds is None:
        return None
    return max(bounds[0] - crop, 1), bounds[1] - crop


def transposed_axes_for(
    layer: ConvTranspose, sizes: tuple[int, ...], padding: Pairs, output_size: object
) -> tuple[AxisArithmetic, ...]:
    """A transposed convolution whose full output is cropped by the pairs.

    The full output is what the framework gives with no padding (torch's and tf's
    ``(i-1)*s + d*(k-1) + 1``, plus ``output_padding`` at the end; Keras's 'valid' size for its
    ``output_padding``, None included), so ``padding=p`` and ``((p, p), ...)`` agree in torch and
    ``((0, 0), ...)`` is 'valid'/VALID in tf and Keras. ``output_size`` is the cropped size.
    """
    nd = len(sizes)
    _count(padding, nd)
    crop = [before + after for before, after in padding]
    if output_size is not None and layer.framework == "keras":
        layer.arithmetic(sizes, output_size)  # Keras has no output_size: its refusal
    full = layer.arithmetic(sizes)  # the framework's rules on output_padding, its valid sizes
    valid = [_cropped(ax.valid_outputs, c) for ax, c in zip(full, crop, strict=True)]
    if output_size is not None:
        output_size = plain(output_size)
        check_int_or_axes("output_size", output_size)
        wanted = expand("output_size", output_size, nd)
        for axis, (size, bounds) in enumerate(zip(wanted, valid, strict=True)):
            if bounds is not None and not bounds[0] <= size <= bounds[1]:
                raise ShapeError(
                    "output_size",
                    f"requested {fmt(wanted)} but for input {fmt(sizes)} and padding {padding} valid sizes "
                    f"range from {fmt(b[0] if b else '?' for b in valid)} to "
                    f"{fmt(b[1] if b else '?' for b in valid)} (axis {axis}: {size} is outside {list(bounds)})",
                )
        full = layer.arithmetic(sizes, output_size=tuple(s + c for s, c in zip(wanted, crop, strict=True)))
    kernel, stride, dilation = _params(layer, nd, ("kernel_size", "stride", "dilation"))
    extra = [ax.output_padding for ax in full]
    for axis, (ax, c) in enumerate(zip(full, crop, strict=True)):
        if c >= ax.output:
            raise ShapeError(
                "padding",
                f"crops {c} cells on axis {axis} but the full transposed output has only {ax.output} "
                f"((input-1)*stride + dilation*(kernel-1) + 1 + output_padding = ({ax.input}-1)*{ax.stride} + "
                f"{effective_kernel(ax.kernel_size, ax.dilation)} + {ax.output_padding})",
            )
    return require_transposed_outputs(
        transposed_axes(sizes, kernel, stride, dilation, padding, extra, valid_ranges=valid)
    )
