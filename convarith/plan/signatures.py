"""One table of layer signatures for every reader: PyTorch and Keras class names, their
positional argument order and defaults, and how their arguments become a planner layer.

Readers bind call arguments with :func:`bind` (positional order exactly as the framework
defines it: ``nn.ReLU(True)`` is ``inplace=True``) and turn them into planner layer dicts
with :func:`torch_layer` (the Keras reader maps its own). Spec files use the same PyTorch names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ..errors import ShapeError
from .schema import Spec, Value

Bound = dict[str, Value]  # call arguments by parameter name, as written in the code or spec


@dataclass(frozen=True)
class Signature:
    kind: str  # the planner's layer type
    params: tuple[str, ...]  # in positional order
    required: tuple[str, ...] = ()
    dims: int | None = None  # spatial axes fixed by the class name (Conv2d: 2)


def _dims(name: str) -> int | None:
    match = re.search(r"([123])[dD]$", name)
    return int(match.group(1)) if match else None


CONV = ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups", "bias", "padding_mode")
CONV_T = (
    "in_channels",
    "out_channels",
    "kernel_size",
    "stride",
    "padding",
    "output_padding",
    "groups",
    "bias",
    "dilation",
    "padding_mode",
)
MAXPOOL = ("kernel_size", "stride", "padding", "dilation", "return_indices", "ceil_mode")
AVGPOOL = ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override")
NORM = ("num_features", "eps", "momentum", "affine", "track_running_stats")
DEVICE = ("device", "dtype")
NORM_BIAS = ("bias",)  # torch 2.13's norms print and take bias= (keyword)

TORCH: dict[str, Signature] = {}


def _torch(names: str, kind: str, params: Iterable[str], required: Iterable[str] = ()) -> None:
    for name in names.split():
        TORCH[name] = Signature(kind, tuple(params), tuple(required), _dims(name))


_torch("Conv1d Conv2d Conv3d", "conv", CONV + DEVICE, ("in_channels", "out_channels", "kernel_size"))
_torch("LazyConv1d LazyConv2d LazyConv3d", "conv", CONV[1:] + DEVICE, ("out_channels", "kernel_size"))
_torch(
    "ConvTranspose1d ConvTranspose2d ConvTranspose3d",
    "conv_transpose",
    CONV_T + DEVICE,
    ("in_channels", "out_channels", "kernel_size"),
)
_torch(
    "LazyConvTranspose1d LazyConvTranspose2d LazyConvTranspose3d",
    "conv_transpose",
    CONV_T[1:] + DEVICE,
    ("out_channels", "kernel_size"),
)
_torch("MaxPool1d MaxPool2d MaxPool3d", "max_pool", MAXPOOL, ("kernel_size",))
_torch("AvgPool1d", "avg_pool", AVGPOOL[:5], ("kernel_size",))
_torch("AvgPool2d AvgPool3d", "avg_pool", AVGPOOL, ("kernel_size",))
_torch("AdaptiveAvgPool1d AdaptiveAvgPool2d AdaptiveAvgPool3d", "adaptive_avg_pool", ("output_size",), ("output_size",))
_torch(
    "AdaptiveMaxPool1d AdaptiveMaxPool2d AdaptiveMaxPool3d",
    "adaptive_max_pool",
    ("output_size", "return_indices"),
    ("output_size",),
)
_torch("ZeroPad1d ZeroPad2d ZeroPad3d", "zero_pad", ("padding",), ("padding",))
_torch("ConstantPad1d ConstantPad2d ConstantPad3d", "constant_pad", ("padding", "value"), ("padding", "value"))
_torch("ReflectionPad1d ReflectionPad2d ReflectionPad3d", "reflect_pad", ("padding",), ("padding",))
_torch("ReplicationPad1d ReplicationPad2d ReplicationPad3d", "replicate_pad", ("padding",), ("padding",))
_torch("CircularPad1d CircularPad2d CircularPad3d", "circular_pad", ("padding",), ("padding",))
_torch("PixelShuffle", "pixel_shuffle", ("upscale_factor",), ("upscale_factor",))
_torch("PixelUnshuffle", "pixel_unshuffle", ("downscale_factor",), ("downscale_factor",))
_torch("Upsample", "upsample", ("size", "scale_factor", "mode", "align_corners", "recompute_scale_factor"))
_torch("UpsamplingNearest2d", "upsample_nearest", ("size", "scale_factor"))
_torch("UpsamplingBilinear2d", "upsample_bilinear", ("size", "scale_factor"))
_torch("BatchNorm1d BatchNorm2d BatchNorm3d SyncBatchNorm", "batch_norm", NORM + DEVICE + NORM_BIAS, ("num_features",))
_torch("LazyBatchNorm1d LazyBatchNorm2d LazyBatchNorm3d", "batch_norm", NORM[1:] + DEVICE + NORM_BIAS)
_torch("InstanceNorm1d InstanceNorm2d InstanceNorm3d", "instance_norm", NORM + DEVICE + NORM_BIAS, ("num_features",))
_torch("LazyInstanceNorm1d LazyInstanceNorm2d LazyInstanceNorm3d", "instance_norm", NORM[1:] + DEVICE + NORM_BIAS)
_torch(
    "GroupNorm", "group_norm", ("num_groups", "num_channels", "eps", "affine") + DEVICE, ("num_groups", "num_channels")
)
_torch(
    "LayerNorm", "layer_norm", ("normalized_shape", "eps", "elementwise_affine", "bias") + DEVICE, ("normalized_shape",)
)
_torch("LocalResponseNorm", "local_response_norm", ("size", "alpha", "beta", "k"), ("size",))
_torch("ReLU ReLU6 SELU SiLU Hardswish Hardsigmoid Mish", "activation", ("inplace",))
_torch("Sigmoid Tanh Softsign Tanhshrink LogSigmoid", "activation", ())
_torch("LeakyReLU", "activation", ("negative_slope", "inplace"))
_torch("ELU CELU", "activation", ("alpha", "inplace"))
_torch("GELU", "activation", ("approximate",))
_torch("Softmax LogSoftmax Softmin", "activation", ("dim",))
_torch("Softplus", "activation", ("beta", "threshold"))
_torch("Hardtanh", "activation", ("min_val", "max_val", "inplace"))
_torch("Threshold", "activation", ("threshold", "value", "inplace"), ("threshold", "value"))
_torch("Hardshrink Softshrink", "activation", ("lambd",))
_torch("RReLU", "activation", ("lower", "upper", "inplace"))
_torch("PReLU", "prelu", ("num_parameters", "init") + DEVICE)
_torch("Dropout Dropout1d Dropout2d Dropout3d AlphaDropout FeatureAlphaDropout", "dropout", ("p", "inplace"))
_torch("Flatten", "flatten", ("start_dim", "end_dim"))
_torch("Unflatten", "unflatten", ("dim", "unflattened_size"), ("dim", "unflattened_size"))
_torch("Identity", "identity", ())
_torch("Linear", "linear", ("in_features", "out_features", "bias") + DEVICE, ("in_features", "out_features"))
_torch("LazyLinear", "linear", ("out_features", "bias") + DEVICE, ("out_features",))
_torch(
    "Bilinear",
    "bilinear",
    ("in1_features", "in2_features", "out_features", "bias") + DEVICE,
    ("in1_features", "in2_features", "out_features"),
)

ACTIVATION_TYPES = {
    "ReLU": "relu",
    "ReLU6": "relu6",
    "SELU": "selu",
    "SiLU": "silu",
    "Hardswish": "hardswish",
    "Hardsigmoid": "hardsigmoid",
    "Mish": "mish",
    "Sigmoid": "sigmoid",
    "Tanh": "tanh",
    "Softsign": "softsign",
    "Tanhshrink": "tanhshrink",
    "LogSigmoid": "logsigmoid",
    "LeakyReLU": "leaky_relu",
    "ELU": "elu",
    "CELU": "celu",
    "GELU": "gelu",
    "Softmax": "softmax",
    "LogSoftmax": "log_softmax",
    "Softmin": "softmin",
    "Softplus": "softplus",
    "Hardtanh": "hardtanh",
    "Threshold": "threshold",
    "Hardshrink": "hardshrink",
    "Softshrink": "softshrink",
    "RReLU": "rrelu",
}
PAD_MODES = {
    "zero_pad": "constant",
    "constant_pad": "constant",
    "reflect_pad": "reflect",
    "replicate_pad": "replicate",
    "circular_pad": "circular",
}


def bind(
    owner: str,
    signature_params: Sequence[str],
    args: Sequence[Value],
    kwargs: Mapping[str, Value],
    required: Iterable[str] = (),
    where: str = "",
    accepts_any: bool = False,
) -> Bound:
    """Positional and keyword arguments by name, as Python would bind them."""
    if len(args) > len(signature_params) and not accepts_any:
        raise ShapeError(
            "code",
            f"{where}{owner} takes at most {len(signature_params)} positional arguments "
            f"({', '.join(signature_params) or 'none'}), got {len(args)}",
        )
    bound = dict(zip(signature_params, args, strict=False))  # fewer arguments than parameters: the rest default
    for key, value in kwargs.items():
        if key in bound:
            raise ShapeError("code", f"{where}{owner} got {key!r} both by position and by keyword")
        if key not in signature_params and not accepts_any:
            raise ShapeError("code", f"{where}{owner} has no argument {key!r}; it takes {', '.join(signature_params)}")
        bound[key] = value
    missing = [p for p in required if p not in bound]
    if missing:
        raise ShapeError("code", f"{where}{owner} needs {', '.join(missing)}")
    return bound


def _torch_pads(padding: Value, dims: int, where: str) -> tuple[tuple[int, int], ...]:
    """nn.ZeroPad2d-style padding (an int, or (left, right, top, bottom, ...) from the last axis)
    as (before, after) per spatial axis, first axis first."""
    if isinstance(padding, int):
        return tuple((padding, padding) for _ in range(dims))
    values = tuple(padding)
    if len(values) != 2 * dims or not all(isinstance(v, int) for v in values):
        raise ShapeError("padding", f"{where}expected an int or {2 * dims} ints, got {padding!r}")
    pairs = [(values[i], values[i + 1]) for i in range(0, len(values), 2)]
    return tuple(reversed(pairs))


def functional_pads(padding: Value, where: str) -> tuple[tuple[int, int], ...]:
    """F.pad's (left, right, top, bottom, ...): pairs from the last axis backwards."""
    values = tuple(padding)
    if len(values) % 2 or not all(isinstance(v, int) for v in values):
        raise ShapeError("pad", f"{where}F.pad needs an even number of ints, got {padding!r}")
    return tuple(reversed([(values[i], values[i + 1]) for i in range(0, len(values), 2)]))


def torch_layer(cls: str, bound: Bound, where: str = "") -> Spec:
    """A planner layer dict from a PyTorch class name and its bound arguments; layers whose
    name fixes their spatial axes (Conv2d: 2) carry ``spatial_dims``, checked against their input."""
    layer = _torch_layer(cls, bound, where)
    dims = TORCH[cls].dims
    if dims is not None and layer["type"] in RANKED:
        layer["spatial_dims"] = dims
    return layer


RANKED = ("conv", "conv_transpose", "max_pool", "avg_pool", "adaptive_avg_pool", "adaptive_max_pool")


def _torch_layer(cls: str, bound: Bound, where: str = "") -> Spec:
    sig = TORCH[cls]
    kind = sig.kind
    if kind in ("conv", "conv_transpose"):
        layer: Spec = {"type": kind, "out_channels": bound["out_channels"], "kernel_size": bound["kernel_size"]}
        for key in ("in_channels", "stride", "padding", "dilation", "groups", "bias", "output_padding"):
            if key in bound:
                layer[key] = bound[key]
        if kind == "conv_transpose" and isinstance(layer.get("padding"), str):
            raise ShapeError("padding", f"{where}{cls} does not accept string padding ({layer['padding']!r})")
        return layer
    if kind in ("max_pool", "avg_pool"):
        layer = {"type": kind, "kernel_size": bound["kernel_size"]}
        for key in ("stride", "padding", "dilation", "ceil_mode"):
            if bound.get(key) is not None:
                layer[key] = bound[key]
        return layer
    if kind in ("adaptive_avg_pool", "adaptive_max_pool"):
        return {"type": kind, "output_size": bound["output_size"]}
    if kind in PAD_MODES:
        return {
            "type": "border_pad",
            "pads": _torch_pads(bound["padding"], sig.dims or 1, where),
            "mode": PAD_MODES[kind],
            "describe": cls,
        }
    if kind in ("pixel_shuffle", "pixel_unshuffle"):
        return {"type": kind, "factor": bound.get("upscale_factor", bound.get("downscale_factor"))}
    if kind.startswith("upsample"):
        mode = {"upsample_nearest": "nearest", "upsample_bilinear": "bilinear"}.get(kind, bound.get("mode", "nearest"))
        if bound.get("size") is None and bound.get("scale_factor") is None:
            raise ShapeError("code", f"{where}{cls} needs size or scale_factor")
        return {"type": "upsample", "mode": mode, "size": bound.get("size"), "scale_factor": bound.get("scale_factor")}
    if kind == "batch_norm":
        terms = (1 + bool(bound.get("bias", True))) if bound.get("affine", True) else 0
        return {
            "type": kind,
            "affine_terms": terms,
            **({"num_features": bound["num_features"]} if "num_features" in bound else {}),
        }
    if kind == "instance_norm":
        terms = (1 + bool(bound.get("bias", True))) if bound.get("affine", False) else 0
        return {"type": kind, "affine_terms": terms}
    if kind == "group_norm":
        return {
            "type": kind,
            "num_groups": bound["num_groups"],
            "num_channels": bound["num_channels"],
            "affine": bound.get("affine", True),
        }
    if kind == "layer_norm":
        return {
            "type": kind,
            "normalized_shape": bound["normalized_shape"],
            "elementwise_affine": bound.get("elementwise_affine", True),
            "bias": bound.get("bias", True),
        }
    if kind == "local_response_norm":
        return {"type": kind}
    if kind == "activation":
        return {"type": ACTIVATION_TYPES[cls]}
    if kind == "prelu":
        return {"type": "prelu", "num_parameters": bound.get("num_parameters", 1)}
    if kind == "dropout":  # p is checked (torch refuses p outside [0, 1]); it changes no shape
        return {"type": "dropout", **({"p": bound["p"]} if bound.get("p") is not None else {})}
    if kind == "flatten":
        return {"type": "flatten", "start_dim": bound.get("start_dim", 1), "end_dim": bound.get("end_dim", -1)}
    if kind == "unflatten":
        return {"type": "unflatten", "dim": bound["dim"], "sizes": tuple(bound["unflattened_size"])}
    if kind == "identity":
        return {"type": "identity"}
    if kind == "linear":
        return {
            "type": "linear",
            "out_features": bound["out_features"],
            "bias": bound.get("bias", True),
            **({"in_features": bound["in_features"]} if "in_features" in bound else {}),
        }
    if kind == "bilinear":
        return {
            "type": "bilinear",
            "in1_features": bound["in1_features"],
            "in2_features": bound["in2_features"],
            "out_features": bound["out_features"],
            "bias": bound.get("bias", True),
        }
    raise AssertionError(kind)
