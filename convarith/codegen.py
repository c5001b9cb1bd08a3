"""A layer as the line of code that builds it in its own framework: ``nn.Conv2d(3, 64,
kernel_size=3, stride=2, padding=1)``, ``layers.Conv2D(64, 3, strides=2, padding="same")``,
``tf.nn.conv2d(x, filters, strides=2, padding="SAME")``. Defaults are left out; per-axis
values that agree are written once."""

from __future__ import annotations

from typing import Any

from .layers import AdaptiveAvgPool, AdaptiveMaxPool, AvgPool, Conv, ConvTranspose, Layer, MaxPool

TORCH_CLASS = {
    "conv": "Conv",
    "conv_transpose": "ConvTranspose",
    "max_pool": "MaxPool",
    "avg_pool": "AvgPool",
    "adaptive_avg_pool": "AdaptiveAvgPool",
    "adaptive_max_pool": "AdaptiveMaxPool",
}
KERAS_CLASS = {"conv": "Conv{n}D", "conv_transpose": "Conv{n}DTranspose", "max_pool": "MaxPooling{n}D"}
KERAS_CLASS["avg_pool"] = "AveragePooling{n}D"
TF_FUNCTION = {"conv": "conv{n}d", "conv_transpose": "conv{n}d_transpose", "max_pool": "max_pool{n}d"}
TF_FUNCTION["avg_pool"] = "avg_pool{n}d"


def short(value: Any) -> str:
    """3 for (3, 3); (3, 5) stays; strings quoted."""
    if isinstance(value, (tuple, list)):
        items = [short(v) for v in value]
        if len(set(items)) == 1 and not any(isinstance(v, (tuple, list)) for v in value):
            return items[0]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


def is_default(value: Any, default: Any) -> bool:
    if isinstance(value, (tuple, list)):
        return all(is_default(v, default) for v in value)
    return bool(value == default)


def layer_code(layer: Layer, spatial_axes: int, in_channels: int | None = None) -> str:
    """The framework's own line for ``layer`` with ``spatial_axes`` spatial axes."""
    n = spatial_axes
    if layer.framework == "keras":
        return _keras(layer, n)
    if layer.framework == "tf":
        return _tf(layer, n)
    return _torch(layer, n, in_channels)


def _args(pairs: list[tuple[str, Any, Any]]) -> list[str]:
    return [f"{name}={short(value)}" for name, value, default in pairs if not is_default(value, default)]


def _torch(layer: Layer, n: int, in_channels: int | None) -> str:
    name = f"nn.{TORCH_CLASS[layer.op]}{n}d"
    if isinstance(layer, (AdaptiveAvgPool, AdaptiveMaxPool)):
        return f"{name}({short(layer.output_size)})"
    if isinstance(layer, (Conv, ConvTranspose)):
        given = layer.in_channels if layer.in_channels is not None else in_channels
        head = [str(given) if given is not None else "in_channels", str(layer.out_channels or "out_channels")]
        head.append(f"kernel_size={short(layer.kernel_size)}")
        pairs: list[tuple[str, Any, Any]] = [("stride", layer.stride, 1), ("padding", layer.padding, 0)]
        if isinstance(layer, ConvTranspose):
            pairs.append(("output_padding", layer.output_padding, 0))
        pairs += [("dilation", layer.dilation, 1), ("groups", layer.groups, 1)]
        return f"{name}({', '.join(head + _args(pairs))})"
    assert isinstance(layer, (MaxPool, AvgPool))
    head = [f"kernel_size={short(layer.kernel_size)}"]
    pairs = [("stride", layer.stride if layer.stride is not None else layer.kernel_size, layer.kernel_size)]
    pairs.append(("padding", layer.padding, 0))
    if isinstance(layer, MaxPool):
        pairs.append(("dilation", layer.dilation, 1))
    pairs.append(("ceil_mode", layer.ceil_mode, False))
    if isinstance(layer, AvgPool):
        pairs.append(("count_include_pad", layer.count_include_pad, True))
    return f"{name}({', '.join(head + _args(pairs))})"


def _keras(layer: Layer, n: int) -> str:
    name = "layers." + KERAS_CLASS[layer.op].format(n=n)
    if isinstance(layer, (Conv, ConvTranspose)):
        head = [str(layer.out_channels or "filters"), short(layer.kernel_size)]
        pairs: list[tuple[str, Any, Any]] = [("strides", layer.stride, 1), ("padding", layer.padding, "valid")]
        if isinstance(layer, ConvTranspose):
            pairs.append(("output_padding", layer.output_padding, None))
        pairs.append(("dilation_rate", layer.dilation, 1))
        if isinstance(layer, Conv):
            pairs.append(("groups", layer.groups, 1))
        return f"{name}({', '.join(head + _args(pairs))})"
    assert isinstance(layer, (MaxPool, AvgPool))
    stride = layer.stride if layer.stride is not None else layer.kernel_size
    pairs = [("strides", stride, layer.kernel_size), ("padding", layer.padding, "valid")]
    return f"{name}({', '.join([short(layer.kernel_size), *_args(pairs)])})"


def _tf(layer: Layer, n: int) -> str:
    name = "tf.nn." + TF_FUNCTION[layer.op].format(n=n)
    assert isinstance(layer, (Conv, ConvTranspose, MaxPool, AvgPool))
    given: Any = layer.padding  # 'SAME', 'VALID' or (before, after) per spatial axis
    padding = f'"{given}"' if isinstance(given, str) else str([[0, 0], *([b, a] for b, a in given), [0, 0]])
    if isinstance(layer, Conv):
        kernel = layer.kernel_size if isinstance(layer.kernel_size, (tuple, list)) else (layer.kernel_size,) * n
        k = ", ".join(map(str, kernel))
        rest = _args([("strides", layer.stride, None), ("dilations", layer.dilation, 1)])
        return f"{name}(x, filters, {', '.join([*rest, f'padding={padding}'])})  # filters: ({k}, in, out)"
    if isinstance(layer, ConvTranspose):
        rest = _args([("strides", layer.stride, None), ("dilations", layer.dilation, 1)])
        return f"{name}(x, filters, output_shape, {', '.join([*rest, f'padding={padding}'])})"
    assert isinstance(layer, (MaxPool, AvgPool))
    stride = layer.stride if layer.stride is not None else layer.kernel_size
    return f"{name}(x, ksize={short(layer.kernel_size)}, strides={short(stride)}, padding={padding})"
