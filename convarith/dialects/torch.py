"""PyTorch's rules: torch/nn/modules/conv.py, ATen Convolution.cpp and Pool.h."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..arithmetic import AxisArithmetic, effective_kernel
from ..axes import expand, is_int
from ..errors import ShapeError
from .common import (
    at_least,
    check_groups,
    direct_axes,
    fmt,
    require_outputs,
    require_transposed_outputs,
    same_split,
    transposed_axes,
)

NAME = "torch"
PADDING_STRINGS = ("same", "valid")


POSITIVE = ("kernel_size", "stride", "dilation")


def check_conv(layer: Any) -> Any:
    """Refuse what torch refuses; return the padding (torch keeps it as given)."""
    check_groups(layer)
    at_least(layer, POSITIVE, 1)
    if isinstance(layer.padding, str):
        if layer.padding not in PADDING_STRINGS:
            hint = (
                f" (PyTorch is case-sensitive: use {layer.padding.lower()!r})"
                if layer.padding.lower() in PADDING_STRINGS
                else ""
            )
            raise ShapeError(
                "padding", f"must be an int, a tuple or one of 'same', 'valid'; got {layer.padding!r}{hint}"
            )
        strides = (layer.stride,) if is_int(layer.stride) else layer.stride
        if layer.padding == "same" and any(s != 1 for s in strides):
            raise ShapeError(
                "padding",
                f"padding='same' is not supported for strided convolutions (stride={layer.stride}); "
                "PyTorch only pads 'same' at stride 1",
            )
    else:
        at_least(layer, ("padding",), 0)
    return layer.padding


def check_conv_transpose(layer: Any) -> Any:
    check_groups(layer)
    at_least(layer, POSITIVE, 1)
    if isinstance(layer.padding, str):
        raise ShapeError("padding", f"ConvTranspose takes an int or a tuple, not {layer.padding!r}")
    at_least(layer, ("padding", "output_padding"), 0)
    return layer.padding


def check_pool(layer: Any) -> Any:
    at_least(layer, POSITIVE, 1)
    if isinstance(layer.padding, str):
        raise ShapeError("padding", f"PyTorch pooling takes an int or a tuple, not {layer.padding!r}")
    at_least(layer, ("padding",), 0)
    return layer.padding


def _kernel_fits(
    axes_in: Sequence[int], kernel: Sequence[int], dilation: Sequence[int], pads: Sequence[tuple[int, int]]
) -> None:
    for i, k, d, (before, after) in zip(axes_in, kernel, dilation, pads, strict=True):
        k_eff = effective_kernel(k, d)
        if i + before + after < k_eff:
            raise ShapeError(
                "kernel_size",
                f"effective kernel {fmt(effective_kernel(*kd) for kd in zip(kernel, dilation, strict=True))} "
                f"(dilation*(kernel_size-1)+1) is larger than the padded input "
                f"{fmt(a + b + c for a, (b, c) in zip(axes_in, pads, strict=True))}",
            )


def conv(layer: Any, sizes: tuple[int, ...]) -> tuple[AxisArithmetic, ...]:
    nd = len(sizes)
    kernel, stride, dilation = (expand(n, getattr(layer, n), nd) for n in ("kernel_size", "stride", "dilation"))
    if layer.padding == "same":
        pads = [same_split(d * (k - 1)) for k, d in zip(kernel, dilation, strict=True)]
    elif layer.padding == "valid":
        pads = [(0, 0)] * nd
    else:
        pads = [(p, p) for p in expand("padding", layer.padding, nd)]
    _kernel_fits(sizes, kernel, dilation, pads)
    return require_outputs(direct_axes(sizes, kernel, stride, dilation, pads))


def conv_transpose(layer: Any, sizes: tuple[int, ...], output_size: Any = None) -> tuple[AxisArithmetic, ...]:
    nd = len(sizes)
    kernel, stride, dilation, padding = (
        expand(n, getattr(layer, n), nd) for n in ("kernel_size", "stride", "dilation", "padding")
    )
    smallest = [
        (i - 1) * s - 2 * p + effective_kernel(k, d)
        for i, k, s, d, p in zip(sizes, kernel, stride, dilation, padding, strict=True)
    ]
    ranges = [(lo, lo + s - 1) for lo, s in zip(smallest, stride, strict=True)]
    if output_size is not None:
        wanted = expand("output_size", output_size, nd)
        for n, (size, (lo, hi)) in enumerate(zip(wanted, ranges, strict=True)):
            if not lo <= size <= hi:
                raise ShapeError(
                    "output_size",
                    f"requested {fmt(wanted)} but for input {fmt(sizes)} valid sizes range from "
                    f"{fmt(r[0] for r in ranges)} to {fmt(r[1] for r in ranges)} "
                    f"(axis {n}: {size} is outside [{lo}, {hi}])",
                )
        output_padding = tuple(size - lo for size, lo in zip(wanted, smallest, strict=True))
    else:
        output_padding = expand("output_padding", layer.output_padding, nd)
        for a, s, d in zip(output_padding, stride, dilation, strict=True):
            if a >= s and a >= d:
                raise ShapeError(
                    "output_padding",
                    f"must be smaller than either stride or dilation on every axis, got "
                    f"output_padding={fmt(output_padding)}, stride={fmt(stride)}, dilation={fmt(dilation)}",
                )
    axes = transposed_axes(
        sizes, kernel, stride, dilation, [(p, p) for p in padding], output_padding, valid_ranges=ranges
    )
    return require_transposed_outputs(axes)


def pool(layer: Any, sizes: tuple[int, ...], kind: str) -> tuple[AxisArithmetic, ...]:
    nd = len(sizes)
    kernel = expand("kernel_size", layer.kernel_size, nd)
    stride = expand("stride", layer.stride if layer.stride is not None else layer.kernel_size, nd)
    dilation = expand("dilation", layer.dilation, nd)
    padding = expand("padding", layer.padding, nd)
    for k, p in zip(kernel, padding, strict=True):
        # Pool.h checks kernel_size/2 >= pad: the raw kernel, even when dilated.
        if p > k // 2:
            raise ShapeError(
                "padding",
                f"must be at most half the kernel_size (not dilated) on every axis, got padding={fmt(padding)} "
                f"with kernel_size={fmt(kernel)}"
                + (f", dilation={fmt(dilation)}" if any(x > 1 for x in dilation) else ""),
            )
    if kind == "avg" and nd == 3 and any(i < k for i, k in zip(sizes, kernel, strict=True)):
        raise ShapeError(
            "input", f"AvgPool3d needs every input size >= kernel_size, got {fmt(sizes)} with {fmt(kernel)}"
        )
    pads = [(p, p) for p in padding]
    axes = direct_axes(sizes, kernel, stride, dilation, pads, ceil_mode=layer.ceil_mode)
    return require_outputs(axes)
