"""TensorFlow's ``tf.nn`` rules: kernel_shape_util.cc and conv_grad_shape_utils.cc.

Where eager kernels and static shape inference disagree (an empty tensor versus an
error), convarith follows static shape inference and reports an error.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..arithmetic import AxisArithmetic, effective_kernel
from ..axes import expand, is_int
from ..errors import ShapeError
from .common import at_least, check_groups, direct_axes, fmt, require_outputs, same_split, transposed_axes

NAME = "tf"
# Explicit (before, after) padding exists only on these tf.nn ops (by number of spatial axes).
EXPLICIT_PADDING = {"conv": (2,), "conv_transpose": (2,), "max_pool": (1, 2), "avg_pool": ()}


def normalize_padding(padding: Any) -> str | tuple[tuple[int, int], ...]:
    """'same'/'valid' in any case, or explicit ((before, after), ...) pairs."""
    if isinstance(padding, str):
        if padding not in ("SAME", "VALID"):
            hint = (
                f" (tf.nn is case-sensitive: use {padding.upper()!r})" if padding.upper() in ("SAME", "VALID") else ""
            )
            raise ShapeError(
                "padding", f"must be 'SAME', 'VALID' or explicit [(before, after), ...], got {padding!r}{hint}"
            )
        return padding
    pairs = padding if isinstance(padding, (list, tuple)) else None
    if not pairs or not all(isinstance(p, (list, tuple)) and len(p) == 2 and all(is_int(v) for v in p) for p in pairs):
        raise ShapeError(
            "padding", f"must be 'SAME', 'VALID' or explicit [(before, after), ...] per spatial axis, got {padding!r}"
        )
    if any(v < 0 for p in pairs for v in p):
        raise ShapeError("padding", f"explicit padding must not be negative, got {padding!r}")
    return tuple(tuple(p) for p in pairs)


def check_conv(layer: Any) -> Any:
    """Refuse what tf.nn refuses; return the padding, 'SAME'/'VALID' or pairs."""
    check_groups(layer)
    at_least(layer, ("kernel_size", "stride", "dilation"), 1)
    return normalize_padding(layer.padding)


def check_conv_transpose(layer: Any) -> Any:
    padding = check_conv(layer)
    if layer.output_padding not in (None, 0):
        raise ShapeError("output_padding", "tf.nn conv_transpose has none: pass output_size (its output_shape) instead")
    return padding


def check_pool(layer: Any) -> Any:
    at_least(layer, ("kernel_size", "stride"), 1)
    if layer.dilation != 1:
        raise ShapeError("dilation", "TensorFlow pooling has no dilation")
    return normalize_padding(layer.padding)


def _explicit_pads(op: str, padding: Sequence[tuple[int, int]], nd: int) -> list[tuple[int, int]]:
    if nd not in EXPLICIT_PADDING[op]:
        raise ShapeError(
            "padding", f"explicit padding is not accepted by the {nd}-D tf.nn {op} op (only SAME or VALID)"
        )
    if len(padding) != nd:
        raise ShapeError("padding", f"has {len(padding)} (before, after) pairs but the input has {nd} spatial axes")
    return list(padding)


def forward_pads(
    op: str, padding: Any, sizes: Sequence[int], kernel: Sequence[int], stride: Sequence[int], dilation: Sequence[int]
) -> list[tuple[int, int]]:
    """The (before, after) padding TensorFlow applies to each axis of a forward window op."""
    if padding == "VALID":
        return [(0, 0)] * len(sizes)
    if padding == "SAME":
        return [
            same_split(max(0, (-(-i // s) - 1) * s + effective_kernel(k, d) - i))
            for i, k, s, d in zip(sizes, kernel, stride, dilation, strict=True)
        ]
    return _explicit_pads(op, padding, len(sizes))


def _params(layer: Any, nd: int, names: Sequence[str] = ("kernel_size", "stride", "dilation")) -> list[tuple[int, ...]]:
    return [expand(n, getattr(layer, n), nd) for n in names]


def conv(layer: Any, sizes: tuple[int, ...], padding: Any = None) -> tuple[AxisArithmetic, ...]:
    """``padding`` overrides the layer's (Keras passes its own, upper-cased)."""
    nd = len(sizes)
    kernel, stride, dilation = _params(layer, nd)
    pads = forward_pads("conv", padding or layer.padding, sizes, kernel, stride, dilation)
    return require_outputs(direct_axes(sizes, kernel, stride, dilation, pads))


def transposed_range(padding: Any, i: int, k: int, s: int, d: int, pad: tuple[int, int]) -> tuple[int, int]:
    """Output sizes whose forward convolution gives back ``i`` (what conv_transpose accepts)."""
    if padding == "SAME":
        return (i - 1) * s + 1, i * s
    low = (i - 1) * s + effective_kernel(k, d) - pad[0] - pad[1]
    return max(low, 1), low + s - 1


def conv_transpose(
    layer: Any, sizes: tuple[int, ...], output_size: Any = None, padding: Any = None
) -> tuple[AxisArithmetic, ...]:
    nd = len(sizes)
    padding = padding or layer.padding
    kernel, stride, dilation = _params(layer, nd)
    explicit = None if isinstance(padding, str) else _explicit_pads("conv_transpose", padding, nd)
    ranges = [
        transposed_range(padding, i, k, s, d, explicit[n] if explicit else (0, 0))
        for n, (i, k, s, d) in enumerate(zip(sizes, kernel, stride, dilation, strict=True))
    ]
    wanted = expand("output_size", output_size, nd) if output_size is not None else tuple(r[0] for r in ranges)
    for n, (size, (lo, hi)) in enumerate(zip(wanted, ranges, strict=True)):
        if not lo <= size <= hi:
            raise ShapeError(
                "output_size",
                f"{fmt(wanted)} is not produced by any {padding if explicit is None else 'explicitly padded'} "
                f"forward convolution of input {fmt(sizes)}: valid sizes range from {fmt(r[0] for r in ranges)} "
                f"to {fmt(r[1] for r in ranges)} (axis {n}: {size} is outside [{lo}, {hi}])",
            )
    pads = forward_pads("conv_transpose", padding, wanted, kernel, stride, dilation)
    extra = [
        o - ((i - 1) * s + effective_kernel(k, d) - p[0] - p[1])
        for o, i, k, s, d, p in zip(wanted, sizes, kernel, stride, dilation, pads, strict=True)
    ]
    return transposed_axes(sizes, kernel, stride, dilation, pads, extra, valid_ranges=ranges)


def pool(layer: Any, sizes: tuple[int, ...], kind: str, padding: Any = None) -> tuple[AxisArithmetic, ...]:
    nd = len(sizes)
    kernel = expand("kernel_size", layer.kernel_size, nd)
    stride = expand("stride", layer.stride if layer.stride is not None else layer.kernel_size, nd)
    dilation = (1,) * nd
    pads = forward_pads(f"{kind}_pool", padding or layer.padding, sizes, kernel, stride, dilation)
    if not isinstance(padding or layer.padding, str):
        for k, pad in zip(kernel, pads, strict=True):
            if max(pad) >= k:
                raise ShapeError(
                    "padding",
                    f"explicit max_pool padding must be smaller than the window on each side, "
                    f"got {pad} with kernel_size {k}",
                )
    return require_outputs(direct_axes(sizes, kernel, stride, dilation, pads))
