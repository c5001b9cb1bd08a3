"""Where networks come from: spec files (TOML/JSON) and PyTorch-style code, parsed safely.

Nothing is ever evaluated: TOML and JSON are data, and code is read with ``ast`` and
``ast.literal_eval`` only.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

from ..errors import ShapeError
from .signatures import TORCH, bind, torch_layer

ALIASES = {
    "conv": "conv", "conv1d": "conv", "conv2d": "conv", "conv3d": "conv",
    "conv_transpose": "conv_transpose", "convtranspose": "conv_transpose", "deconv": "conv_transpose",
    "convtranspose1d": "conv_transpose", "convtranspose2d": "conv_transpose", "convtranspose3d": "conv_transpose",
    "max_pool": "max_pool", "maxpool": "max_pool", "maxpool1d": "max_pool", "maxpool2d": "max_pool", "maxpool3d": "max_pool",
    "avg_pool": "avg_pool", "avgpool": "avg_pool", "avgpool1d": "avg_pool", "avgpool2d": "avg_pool", "avgpool3d": "avg_pool",
    "adaptive_avg_pool": "adaptive_avg_pool", "adaptiveavgpool1d": "adaptive_avg_pool",
    "adaptiveavgpool2d": "adaptive_avg_pool", "adaptiveavgpool3d": "adaptive_avg_pool",
    "adaptive_max_pool": "adaptive_max_pool", "adaptivemaxpool2d": "adaptive_max_pool",
    "linear": "linear", "dense": "linear", "flatten": "flatten",
    "batch_norm": "batch_norm", "batchnorm": "batch_norm", "batchnorm1d": "batch_norm", "batchnorm2d": "batch_norm",
    "batchnorm3d": "batch_norm", "dropout": "dropout", "dropout2d": "dropout", "dropout3d": "dropout",
    "upsample": "upsample", "add": "add", "concat": "concat", "cat": "concat", "crop": "crop", "pad": "pad",
    "relu": "relu", "relu6": "relu6", "leakyrelu": "leaky_relu", "leaky_relu": "leaky_relu", "elu": "elu",
    "gelu": "gelu", "silu": "silu", "sigmoid": "sigmoid", "tanh": "tanh", "softmax": "softmax",
    "logsoftmax": "log_softmax", "hardswish": "hardswish", "mish": "mish", "identity": "identity",
}
KNOWN_TYPES = sorted(set(ALIASES.values()))
PARAMETERS = {
    "conv": {"in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups", "bias", "padding_mode",
             "weight_norm"},
    "conv_transpose": {"in_channels", "out_channels", "kernel_size", "stride", "padding", "output_padding", "groups",
                       "bias", "dilation", "output_size", "weight_norm"},
    "max_pool": {"kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices"},
    "avg_pool": {"kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override"},
    "adaptive_avg_pool": {"output_size"}, "adaptive_max_pool": {"output_size", "return_indices"},
    "linear": {"in_features", "out_features", "bias", "weight_norm"}, "flatten": {"start_dim", "end_dim"},
    "batch_norm": {"num_features", "eps", "momentum", "affine", "track_running_stats"},
    "dropout": {"p", "inplace"}, "upsample": {"size", "scale_factor", "mode", "align_corners"},
    "add": set(), "concat": {"dim"}, "crop": {"like"}, "pad": {"like"},
}
REQUIRED = {"conv": ("out_channels", "kernel_size"), "conv_transpose": ("out_channels", "kernel_size"),
            "max_pool": ("kernel_size",), "avg_pool": ("kernel_size",), "adaptive_avg_pool": ("output_size",),
            "adaptive_max_pool": ("output_size",), "linear": ("out_features",), "crop": ("like",), "pad": ("like",)}
ALWAYS = {"type", "name", "inputs"}


def normalise(layer: dict, where: str) -> dict:
    """Check one layer dict: known type, known parameters, required ones present."""
    if not isinstance(layer, dict) or "type" not in layer:
        raise ShapeError("spec", f"{where}: expected a table with a 'type', got {layer!r}")
    kind = ALIASES.get(str(layer["type"]).lower().replace("-", "_").replace("nn.", ""))
    torch_class = TORCH_NAMES.get(str(layer["type"]).replace("nn.", "").lower())
    if kind is None and torch_class is not None:
        return _torch_class_layer(torch_class, layer, where)
    if kind is None:
        raise ShapeError("spec", f"{where}: unknown layer type {layer['type']!r}; known: {', '.join(KNOWN_TYPES)}, "
                                 "or a PyTorch layer class name (ZeroPad2d, PixelShuffle, GroupNorm, ...)")
    allowed = PARAMETERS.get(kind, {"inplace", "negative_slope", "dim", "approximate", "alpha"}) | ALWAYS
    unknown = sorted(set(layer) - allowed)
    if unknown:
        raise ShapeError("spec", f"{where}: {kind} has no parameter {unknown[0]!r}; it takes {', '.join(sorted(allowed - ALWAYS)) or 'none'}")
    missing = [p for p in REQUIRED.get(kind, ()) if p not in layer]
    if missing:
        raise ShapeError("spec", f"{where}: {kind} needs {', '.join(missing)}")
    out = {k: tuple(v) if isinstance(v, list) and k not in ("inputs",) else v for k, v in layer.items()}
    out["type"] = kind
    return out


TORCH_NAMES = {name.lower(): name for name in TORCH}


def _torch_class_layer(cls: str, layer: dict, where: str) -> dict:
    """A layer written with a PyTorch class name and its keyword arguments, through the shared signature table."""
    arguments = {k: tuple(v) if isinstance(v, list) else v for k, v in layer.items() if k not in ALWAYS | {"weight_norm"}}
    sig = TORCH[cls]
    try:
        out = torch_layer(cls, bind(cls, sig.params, (), arguments, sig.required, accepts_any=cls == "Identity"))
    except ShapeError as exc:
        raise ShapeError("spec", f"{where}: {exc.rule}") from None
    out.update({k: layer[k] for k in ("name", "inputs") if k in layer})
    if layer.get("weight_norm"):
        out["weight_norm"] = True
    return out


def from_spec_data(data: dict, origin: str):
    """(layers, input_shape, framework) from parsed TOML/JSON; blocks expanded."""
    if not isinstance(data, dict):
        raise ShapeError("spec", f"{origin}: the top level must be a table/object")
    unknown = sorted(set(data) - {"input", "framework", "layers", "blocks", "dtype"})
    if unknown:
        raise ShapeError("spec", f"{origin}: unknown top-level key {unknown[0]!r}; expected input, framework, layers, blocks")
    if "layers" not in data or not isinstance(data["layers"], list):
        raise ShapeError("spec", f"{origin}: expected a 'layers' list")
    blocks = data.get("blocks", {})
    layers = []
    for n, entry in enumerate(data["layers"]):
        where = f"{origin}: layers[{n}]"
        if isinstance(entry, dict) and "block" in entry:
            name = entry["block"]
            if name not in blocks or "layers" not in blocks[name]:
                raise ShapeError("spec", f"{where}: unknown block {name!r}; defined: {', '.join(blocks) or 'none'}")
            for _ in range(int(entry.get("repeat", 1))):
                layers += [normalise(dict(layer), f"{origin}: blocks.{name}.layers[{i}]") for i, layer in enumerate(blocks[name]["layers"])]
        else:
            layers.append(normalise(dict(entry), where))
    shape = data.get("input")
    if shape is not None and (not isinstance(shape, list) or not all(isinstance(v, int) for v in shape)):
        raise ShapeError("spec", f"{origin}: input must be a list of ints (C, *spatial), got {shape!r}")
    return layers, tuple(shape) if shape else None, data.get("framework", "torch")


def from_spec_text(text: str, origin: str = "<spec>", kind: str | None = None):
    """Parse TOML or JSON text (JSON when it starts with '{' unless ``kind`` says otherwise)."""
    kind = kind or ("json" if text.lstrip().startswith("{") else "toml")
    try:
        if kind == "json":
            data = json.loads(text)
        else:
            import tomllib

            data = tomllib.loads(text)
    except json.JSONDecodeError as exc:
        raise ShapeError("spec", f"{origin}: line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except ValueError as exc:  # tomllib.TOMLDecodeError says "(at line L, column C)"
        raise ShapeError("spec", f"{origin}: {exc}") from None
    return from_spec_data(data, origin)


def from_spec_file(path):
    path = Path(path)
    if not path.is_file():
        raise ShapeError("spec", f"{path} does not exist or is not a file")
    suffix = path.suffix.lower()
    if suffix == ".py":
        return from_code(_read_text(path), origin=str(path)) + ("torch",)
    if suffix not in (".toml", ".json"):
        raise ShapeError("spec", f"{path}: expected a .toml, .json or .py file")
    return from_spec_text(path.read_text(), origin=str(path), kind=suffix[1:])


def from_code(text: str, origin: str = "<code>"):
    """Layers from bare PyTorch layer code (``nn.Conv2d(3, 64, 7, 2, 3), nn.ReLU()``), in order.
    Returns (layers, None). Module classes need :func:`load_network` (their forward decides the order)."""
    from .readers.torch_code import Leaf, read_torch

    model = read_torch(text, origin)
    if model.label != "the layers":
        raise ShapeError("code", f"{origin}: defines nn.Module classes: plan it with load_network (forward decides "
                                 "the order of the layers)")
    layers = []
    return [{**leaf.layer, "name": leaf.name} for leaf in model.leaves() if isinstance(leaf, Leaf)], None


def load_network(spec=None, preset=None, code=None, framework=None, cls=None, args=None):
    """The network from exactly one source: a spec/code file, a preset name or code text."""
    from . import presets
    from .model import layout_of
    from .readers import LayerList, layer_dims, read

    if preset is not None:
        layers, shape = presets.preset(preset)
        if framework is not None and layout_of(framework) == "channels_last":
            shape = (*shape[1:], shape[0])
        return LayerList(layers, tuple(shape), framework or "torch", dims=len(shape) - 1)
    if code is not None:
        return read(code, "--code", framework, cls, args)
    path = Path(spec)
    if not path.is_file():
        raise ShapeError("spec", f"{path} does not exist or is not a file")
    suffix = path.suffix.lower()
    if suffix in (".py", ".txt"):
        return read(_read_text(path), str(path), framework, cls, args)
    if suffix not in (".toml", ".json"):
        raise ShapeError("spec", f"{path}: expected a .toml, .json, .py or .txt file")
    layers, shape, spec_framework = from_spec_text(_read_text(path), origin=str(path), kind=suffix[1:])
    return LayerList(layers, shape, spec_framework, dims=layer_dims(layers) or (len(shape) - 1 if shape else None))


MAX_SOURCE_BYTES = 4_000_000


def _read_text(path: Path) -> str:
    size = path.stat().st_size
    if size > MAX_SOURCE_BYTES:
        raise ShapeError("spec", f"{path} is {size:,} bytes; model sources over {MAX_SOURCE_BYTES:,} are refused")
    try:
        return path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError) as exc:
        raise ShapeError("spec", f"{path}: cannot read it as UTF-8 text ({exc})") from None
