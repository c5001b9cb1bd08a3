"""Keras 3 layer rules: keras/src/ops/operation_utils.py and the layers' own checks.

Keras runs on TensorFlow here, so its windows and padding are TensorFlow's; what differs is
which arguments it accepts and how Conv*Transpose picks its output size.
"""

from __future__ import annotations

from typing import Any

from ..arithmetic import AxisArithmetic, effective_kernel
from ..axes import expand, is_int
from ..errors import ShapeError
from . import tf
from .common import at_least, check_groups, direct_axes, fmt, require_outputs

NAME = "keras"


def _padding(layer: Any, allowed: tuple[str, ...]) -> str:
    if not isinstance(layer.padding, str) or layer.padding.lower() not in allowed:
        raise ShapeError("padding", f"Keras takes one of {', '.join(repr(a) for a in allowed)}, got {layer.padding!r}")
    word: str = layer.padding.lower()
    return word


def _no_strided_dilation(layer: Any) -> None:
    strides = (layer.stride,) if is_int(layer.stride) else layer.stride
    dilations = (layer.dilation,) if is_int(layer.dilation) else layer.dilation
    if max(strides) > 1 and max(dilations) > 1:
        raise ShapeError(
            "dilation",
            f"Keras does not allow stride > 1 together with dilation > 1, even on different axes "
            f"(stride={layer.stride}, dilation={layer.dilation})",
        )


def check_conv(layer: Any) -> str:
    """Refuse what Keras refuses; return the padding word in lower case."""
    check_groups(layer, out_name="filters")
    at_least(layer, ("kernel_size", "stride", "dilation"), 1)
    padding = _padding(layer, ("valid", "same", "causal"))
    _no_strided_dilation(layer)
    return padding


def check_conv_transpose(layer: Any) -> str:
    at_least(layer, ("kernel_size", "stride", "dilation"), 1)
    padding = _padding(layer, ("valid", "same"))
    if layer.groups != 1:
        raise ShapeError("groups", "Keras Conv*Transpose layers have no groups")
    _no_strided_dilation(layer)
    return padding


def check_pool(layer: Any) -> str:
    at_least(layer, ("kernel_size", "stride"), 1)
    if layer.dilation != 1:
        raise ShapeError("dilation", "Keras pooling layers have no dilation")
    return _padding(layer, ("valid", "same"))


def conv(layer: Any, sizes: tuple[int, ...]) -> tuple[AxisArithmetic, ...]:
    nd = len(sizes)
    if layer.padding == "causal":
        if nd != 1:
            raise ShapeError(
                "padding", f"'causal' padding exists only for 1-D convolutions, the input has {nd} spatial axes"
            )
        kernel, stride, dilation = (expand(n, getattr(layer, n), 1) for n in ("kernel_size", "stride", "dilation"))
        pads = [(effective_kernel(kernel[0], dilation[0]) - 1, 0)]
        return require_outputs(direct_axes(sizes, kernel, stride, dilation, pads))
    return tf.conv(layer, sizes, padding=layer.padding.upper())


def transposed_length(i: int, k: int, s: int, d: int, padding: str, output_padding: int | None) -> int:
    """Keras's deconv_output_length: output_padding=None is not the same as 0."""
    k_eff = effective_kernel(k, d)
    if output_padding is None:
        return i * s + max(k_eff - s, 0) if padding == "valid" else i * s
    pad = k_eff // 2 if padding == "same" else 0
    return (i - 1) * s + k_eff - 2 * pad + output_padding


def conv_transpose(layer: Any, sizes: tuple[int, ...], output_size: Any = None) -> tuple[AxisArithmetic, ...]:
    if output_size is not None:
        raise ShapeError("output_size", "Keras Conv*Transpose layers choose their size from padding and output_padding")
    nd = len(sizes)
    kernel, stride, dilation = (expand(n, getattr(layer, n), nd) for n in ("kernel_size", "stride", "dilation"))
    output_padding = (
        (None,) * nd if layer.output_padding is None else expand("output_padding", layer.output_padding, nd)
    )
    for a, s in zip(output_padding, stride, strict=True):
        if a is not None and a >= s:
            raise ShapeError(
                "output_padding",
                f"must be smaller than stride on every axis, got output_padding={layer.output_padding}, "
                f"stride={layer.stride}",
            )
    lengths = [
        transposed_length(*args, layer.padding, a)
        for args, a in zip(zip(sizes, kernel, stride, dilation, strict=True), output_padding, strict=True)
    ]
    if any(n < 1 for n in lengths):
        raise ShapeError("input", f"transposed output size would be {fmt(lengths)}")
    # TensorFlow then runs conv_transpose with that output_shape, and refuses one it cannot produce.
    try:
        return tf.conv_transpose(layer, sizes, output_size=lengths, padding=layer.padding.upper())
    except ShapeError as exc:
        raise ShapeError(
            "output_padding",
            f"Keras computes output size {fmt(lengths)} from padding={layer.padding!r}, "
            f"output_padding={layer.output_padding!r}, but TensorFlow's conv_transpose cannot produce it "
            f"and the layer fails when run ({exc.rule})",
        ) from None


def pool(layer: Any, sizes: tuple[int, ...], kind: str) -> tuple[AxisArithmetic, ...]:
    return tf.pool(layer, sizes, kind, padding=layer.padding.upper())
