"""Where networks come from: spec files (TOML/JSON) and PyTorch-style code, parsed safely.

Nothing is ever evaluated: TOML and JSON are data, and code is read with ``ast`` and
``ast.literal_eval`` only.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, NoReturn, TypedDict

from ..errors import ConvarithError, InputFileError, SpecError
from .schema import Spec, Value, check_layer, check_shape, is_integer, show
from .signatures import RANKED, TORCH, bind, torch_layer

if TYPE_CHECKING:
    from .readers import Network

ALIASES = {
    "conv": "conv",
    "conv1d": "conv",
    "conv2d": "conv",
    "conv3d": "conv",
    "conv_transpose": "conv_transpose",
    "convtranspose": "conv_transpose",
    "deconv": "conv_transpose",
    "convtranspose1d": "conv_transpose",
    "convtranspose2d": "conv_transpose",
    "convtranspose3d": "conv_transpose",
    "max_pool": "max_pool",
    "maxpool": "max_pool",
    "maxpool1d": "max_pool",
    "maxpool2d": "max_pool",
    "maxpool3d": "max_pool",
    "avg_pool": "avg_pool",
    "avgpool": "avg_pool",
    "avgpool1d": "avg_pool",
    "avgpool2d": "avg_pool",
    "avgpool3d": "avg_pool",
    "adaptive_avg_pool": "adaptive_avg_pool",
    "adaptiveavgpool1d": "adaptive_avg_pool",
    "adaptiveavgpool2d": "adaptive_avg_pool",
    "adaptiveavgpool3d": "adaptive_avg_pool",
    "adaptive_max_pool": "adaptive_max_pool",
    "adaptivemaxpool2d": "adaptive_max_pool",
    "linear": "linear",
    "dense": "linear",
    "flatten": "flatten",
    "batch_norm": "batch_norm",
    "batchnorm": "batch_norm",
    "batchnorm1d": "batch_norm",
    "batchnorm2d": "batch_norm",
    "batchnorm3d": "batch_norm",
    "dropout": "dropout",
    "dropout2d": "dropout",
    "dropout3d": "dropout",
    "upsample": "upsample",
    "add": "add",
    "concat": "concat",
    "cat": "concat",
    "crop": "crop",
    "pad": "pad",
    "relu": "relu",
    "relu6": "relu6",
    "leakyrelu": "leaky_relu",
    "leaky_relu": "leaky_relu",
    "elu": "elu",
    "gelu": "gelu",
    "silu": "silu",
    "sigmoid": "sigmoid",
    "tanh": "tanh",
    "softmax": "softmax",
    "logsoftmax": "log_softmax",
    "hardswish": "hardswish",
    "mish": "mish",
    "identity": "identity",
}
KNOWN_TYPES = sorted(set(ALIASES.values()))
PARAMETERS: dict[str, set[str]] = {
    "conv": {
        "in_channels",
        "out_channels",
        "kernel_size",
        "stride",
        "padding",
        "dilation",
        "groups",
        "bias",
        "padding_mode",
        "weight_norm",
    },
    "conv_transpose": {
        "in_channels",
        "out_channels",
        "kernel_size",
        "stride",
        "padding",
        "output_padding",
        "groups",
        "bias",
        "dilation",
        "output_size",
        "weight_norm",
    },
    "max_pool": {"kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices"},
    "avg_pool": {"kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override"},
    "adaptive_avg_pool": {"output_size"},
    "adaptive_max_pool": {"output_size", "return_indices"},
    "linear": {"in_features", "out_features", "bias", "weight_norm"},
    "flatten": {"start_dim", "end_dim"},
    "batch_norm": {"num_features", "eps", "momentum", "affine", "track_running_stats"},
    "dropout": {"p", "inplace"},
    "upsample": {"size", "scale_factor", "mode", "align_corners"},
    "add": set(),
    "concat": {"dim"},
    "crop": {"like"},
    "pad": {"like"},
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "conv": ("out_channels", "kernel_size"),
    "conv_transpose": ("out_channels", "kernel_size"),
    "max_pool": ("kernel_size",),
    "avg_pool": ("kernel_size",),
    "adaptive_avg_pool": ("output_size",),
    "adaptive_max_pool": ("output_size",),
    "linear": ("out_features",),
    "crop": ("like",),
    "pad": ("like",),
}
ALWAYS = {"type", "name", "inputs"}


def _spec_error(origin: str, where: str, rule: str) -> SpecError:
    return SpecError("spec", f"{origin}: {where}: {rule}")


def normalise(layer: Value, where: str, origin: str = "<spec>") -> Spec:
    """Check one layer table of a spec: known type, known parameters, required ones present,
    every value of the right type and range (``where`` is its path, e.g. ``layers[2]``)."""
    if isinstance(layer, dict) and "block" in layer and where.startswith("blocks."):
        raise _spec_error(
            origin, where, "a block cannot refer to a block: list its layers, or repeat blocks in 'layers'"
        )
    if not isinstance(layer, dict) or "type" not in layer:
        raise _spec_error(origin, where, f"expected a table with a 'type', got {show(layer)}")
    if not isinstance(layer["type"], str) or not layer["type"] or len(layer["type"]) > 100:
        raise _spec_error(origin, f"{where}.type", f"must be a layer type name, got {show(layer['type'])}")
    kind = ALIASES.get(layer["type"].lower().replace("-", "_").replace("nn.", ""))
    torch_class = TORCH_NAMES.get(layer["type"].replace("nn.", "").lower())
    if kind is None and torch_class is not None:
        return _torch_class_layer(torch_class, layer, where, origin)
    if kind is None:
        raise _spec_error(
            origin,
            where,
            f"unknown layer type {show(layer['type'])}; known: {', '.join(KNOWN_TYPES)}, "
            "or a PyTorch layer class name (ZeroPad2d, PixelShuffle, GroupNorm, ...)",
        )
    allowed = PARAMETERS.get(kind, ACTIVATION_PARAMETERS) | ALWAYS
    unknown = sorted(set(map(str, layer)) - allowed)
    if unknown:
        raise _spec_error(
            origin,
            where,
            f"{kind} has no parameter {show(unknown[0])}; it takes {', '.join(sorted(allowed - ALWAYS)) or 'none'}",
        )
    missing = [p for p in REQUIRED.get(kind, ()) if layer.get(p) is None]
    if missing:
        raise _spec_error(origin, where, f"{kind} needs {', '.join(missing)}")
    try:
        out = check_layer({k: v for k, v in layer.items() if k != "type"}, where, strict=True)
    except ConvarithError as exc:
        raise _spec_error(origin, exc.parameter, exc.rule) from None
    out = {k: list(v) if k == "inputs" else v for k, v in out.items()}
    out["type"] = kind
    ranked = RANK_SUFFIX.search(layer["type"].lower())
    if ranked and kind in RANKED:  # conv2d, MaxPool1d...: the name fixes the spatial axes
        out["spatial_dims"] = int(ranked.group(1))
    if kind == "upsample" and out.get("mode") is not None and out["mode"] not in UPSAMPLE_MODES:
        raise _spec_error(
            origin, f"{where}.mode", f"must be one of {', '.join(UPSAMPLE_MODES)}, got {show(out['mode'])}"
        )
    if (
        kind == "upsample"
        and out.get("size") is None
        and out.get("scale_factor") is None
        and ("size" in out or "scale_factor" in out)
    ):
        raise _spec_error(origin, where, "upsample needs size or scale_factor (not null)")
    if kind == "concat" and out.get("dim") is not None:  # torch's dim counts the batch; the planner's axis does not
        d = out.pop("dim")
        if d == 0:
            raise _spec_error(origin, f"{where}.dim", "0 is the batch: concatenating samples is not planned")
        out["axis"] = d - 1 if d > 0 else d
    return out


TORCH_NAMES = {name.lower(): name for name in TORCH}
RANK_SUFFIX = re.compile(r"([123])d$")
UPSAMPLE_MODES = ("nearest", "linear", "bilinear", "bicubic", "trilinear", "area", "nearest-exact")
ACTIVATION_PARAMETERS = {"inplace", "negative_slope", "dim", "approximate", "alpha"}


def _torch_class_layer(cls: str, layer: Spec, where: str, origin: str) -> Spec:
    """A layer written with a PyTorch class name and its keyword arguments, through the shared signature table."""
    try:
        checked = check_layer({k: v for k, v in layer.items() if k != "type"}, where, strict=True)
    except ConvarithError as exc:
        raise _spec_error(origin, exc.parameter, exc.rule) from None
    arguments = {k: v for k, v in checked.items() if k not in ALWAYS | {"weight_norm"}}
    sig = TORCH[cls]
    try:
        out = torch_layer(cls, bind(cls, sig.params, (), arguments, sig.required, accepts_any=cls == "Identity"))
        out = check_layer(out, where, strict=False)
    except ConvarithError as exc:
        if exc.parameter.startswith(where):
            raise _spec_error(origin, exc.parameter, exc.rule) from None
        raise _spec_error(
            origin, where, exc.rule if exc.parameter == "code" else f"{exc.parameter}: {exc.rule}"
        ) from None
    except (TypeError, ValueError, KeyError, IndexError) as exc:
        raise _spec_error(origin, where, f"{cls}: invalid arguments ({type(exc).__name__})") from None
    out.update({k: list(checked[k]) if k == "inputs" else checked[k] for k in ("name", "inputs") if k in checked})
    if checked.get("weight_norm"):
        out["weight_norm"] = True
    return out


TOP_LEVEL = ("input", "framework", "dtype", "layers", "blocks")
FRAMEWORKS = ("torch", "tf", "keras")


class SpecContents(TypedDict):
    """A spec file's contents, checked."""

    layers: list[Spec]  # blocks expanded
    input: tuple[int, ...] | None  # (C, *spatial), if the spec gives it
    framework: str  # as written, lower case (pytorch and tensorflow not yet mapped)
    dtype: str | None


class _Entry(NamedTuple):
    """One item of a spec's ``layers`` list: a layer table, or a block repeated."""

    layer: Value = None  # the layer table as given (checked when expanded)
    block: str | None = None
    repeat: int = 0


def read_spec(data: Value, origin: str) -> SpecContents:
    """The checked contents of a parsed spec: ``layers`` (blocks expanded), ``input``, ``framework``, ``dtype``.

    Everything is checked before anything is expanded: the layer count (repeats included)
    against ``limits.layers`` first, so a ``repeat`` of 10^300 costs nothing.
    """
    from .. import limits
    from .model import DTYPES

    if not isinstance(data, dict):
        raise SpecError("spec", f"{origin}: the top level must be a table/object, got {show(data)}")
    unknown = sorted(set(map(str, data)) - set(TOP_LEVEL))
    if unknown:
        raise SpecError("spec", f"{origin}: unknown top-level key {show(unknown[0])}; expected {', '.join(TOP_LEVEL)}")
    if not isinstance(data.get("layers"), list):
        raise SpecError("spec", f"{origin}: expected a 'layers' list, got {show(data.get('layers'))}")
    framework = data.get("framework", "torch")
    if not isinstance(framework, str) or framework.lower() not in FRAMEWORKS + ("pytorch", "tensorflow"):
        raise _spec_error(origin, "framework", f"must be one of {', '.join(FRAMEWORKS)}, got {show(framework)}")
    dtype = data.get("dtype")
    if dtype is not None and (not isinstance(dtype, str) or dtype not in DTYPES):
        raise _spec_error(
            origin,
            "dtype",
            f"must be one of {', '.join(DTYPES)} (the element type of the memory column), got {show(dtype)}",
        )
    shape = data.get("input")
    if shape is not None:
        try:
            shape = check_shape(shape, "input") if isinstance(shape, list) else check_shape("not a list", "input")
        except ConvarithError as exc:
            raise _spec_error(
                origin,
                exc.parameter,
                f"{exc.rule} (C, *spatial)"
                if isinstance(shape, list)
                else f"must be a list of sizes (C, *spatial), got {show(shape)}",
            ) from None
    blocks = data.get("blocks", {})
    if not isinstance(blocks, dict):
        raise _spec_error(origin, "blocks", f"must be a table of named blocks, got {show(blocks)}")
    for name, block in blocks.items():
        if not isinstance(block, dict) or not isinstance(block.get("layers"), list):
            raise _spec_error(origin, f"blocks.{name}", f"must be a table with a 'layers' list, got {show(block)}")
        extra = sorted(set(map(str, block)) - {"layers"})
        if extra:
            raise _spec_error(origin, f"blocks.{name}", f"unknown key {show(extra[0])}; a block has only 'layers'")
    # Count first, expand after.
    total, entries = 0, []
    for n, entry in enumerate(data["layers"]):
        where = f"layers[{n}]"
        if isinstance(entry, dict) and "block" in entry:
            extra = sorted(set(map(str, entry)) - {"block", "repeat"})
            if extra:
                raise _spec_error(
                    origin,
                    where,
                    f"unknown key {show(extra[0])} next to 'block'; a block reference takes block and repeat",
                )
            name = entry["block"]
            if not isinstance(name, str) or name not in blocks:
                raise _spec_error(
                    origin,
                    f"{where}.block",
                    f"unknown block {show(name)}; defined: {', '.join(map(str, blocks)) or 'none'}",
                )
            repeat = entry.get("repeat", 1)
            if not is_integer(repeat) or not repeat >= 0:
                raise _spec_error(origin, f"{where}.repeat", f"must be an integer >= 0, got {show(repeat)}")
            count = int(repeat) * len(blocks[name]["layers"])
            entries.append(_Entry(block=name, repeat=int(repeat) if count else 0))
        else:
            count = 1
            entries.append(_Entry(layer=entry))
        total += count
        if total > limits.layers:
            limits.check(f"{origin}: {where}", "the spec (blocks repeated)", total, "layers", unit="layers")
    checked_blocks = {
        name: [normalise(layer, f"blocks.{name}.layers[{i}]", origin) for i, layer in enumerate(block["layers"])]
        for name, block in blocks.items()
    }
    layers = []
    for n, entry in enumerate(entries):
        if entry.block is None:
            layers.append(normalise(entry.layer, f"layers[{n}]", origin))
            continue
        for _ in range(entry.repeat):
            layers += [_copy(layer) for layer in checked_blocks[entry.block]]
    return {"layers": layers, "input": shape, "framework": framework.lower(), "dtype": dtype}


def _copy(layer: Spec) -> Spec:
    return {k: list(v) if isinstance(v, list) else v for k, v in layer.items()}


def from_spec_data(data: Value, origin: str) -> tuple[list[Spec], tuple[int, ...] | None, str]:
    """(layers, input_shape, framework) from parsed TOML/JSON; blocks expanded."""
    spec = read_spec(data, origin)
    return spec["layers"], spec["input"], spec["framework"]


def _refuse_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a JSON number (JSON has no NaN or Infinity: give a finite number)")


def parse_spec_text(text: object, origin: str = "<spec>", kind: str | None = None) -> Value:
    """The parsed TOML or JSON data (JSON when it starts with '{' unless ``kind`` says otherwise)."""
    if not isinstance(text, str):
        raise SpecError("spec", f"{origin}: expected the text of a spec, got {show(text)}")
    if kind not in (None, "json", "toml"):
        raise SpecError("kind", f"must be 'json', 'toml' or None, got {show(kind)}")
    if len(text) > MAX_SOURCE_BYTES:
        raise SpecError("spec", f"{origin}: {len(text):,} characters; specs over {MAX_SOURCE_BYTES:,} are refused")
    if "\x00" in text:
        raise SpecError("spec", f"{origin}: contains NUL characters: not a text spec")
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise SpecError("spec", f"{origin}: is empty: expected a TOML or JSON spec with a 'layers' list")
    kind = kind or ("json" if text.lstrip().startswith("{") else "toml")
    try:
        if kind == "json":
            return json.loads(text, parse_constant=_refuse_constant)
        if sys.version_info >= (3, 11):
            import tomllib
        else:  # the backport pyproject requires before 3.11 (mypy's 3.10 target looks for it; dev installs may lack it)
            import tomli as tomllib
        return tomllib.loads(text)
    except RecursionError:
        raise SpecError("spec", f"{origin}: nests too deeply to read (a spec nests lists a few levels deep)") from None
    except json.JSONDecodeError as exc:
        raise SpecError("spec", f"{origin}: line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except ValueError as exc:  # tomllib.TOMLDecodeError says "(at line L, column C)"; int digit limits
        message = str(exc)
        if "integer string conversion" in message:
            message = "an integer literal is too long (sizes are at most 10^100)"
        raise SpecError("spec", f"{origin}: {_one_line(message)}") from None


def _one_line(message: str) -> str:
    message = " ".join(message.split())
    return message if len(message) < 300 else message[:300] + "..."


def from_spec_text(
    text: object, origin: str = "<spec>", kind: str | None = None
) -> tuple[list[Spec], tuple[int, ...] | None, str]:
    """Parse TOML or JSON text (JSON when it starts with '{' unless ``kind`` says otherwise)."""
    return from_spec_data(parse_spec_text(text, origin, kind), origin)


def from_spec_file(path: object) -> tuple[list[Spec], tuple[int, ...] | None, str]:
    path = _path("spec", path)
    suffix = path.suffix.lower()
    if suffix == ".py":
        return from_code(_read_text(path, MAX_CODE_CHARS), origin=display(path)) + ("torch",)
    if suffix not in (".toml", ".json"):
        raise SpecError("spec", f"{display(path)}: expected a .toml, .json or .py file")
    return from_spec_text(_read_text(path), origin=display(path), kind=suffix[1:])


def from_code(text: object, origin: str = "<code>") -> tuple[list[Spec], None]:
    """Layers from bare PyTorch layer code (``nn.Conv2d(3, 64, 7, 2, 3), nn.ReLU()``), in order.
    Returns (layers, None). Module classes need :func:`load_network` (their forward decides the order)."""
    from .readers.torch_code import Leaf, read_torch

    model = read_torch(_check_text("code", text, origin), origin)
    if model.label != "the layers":
        raise SpecError(
            "code",
            f"{origin}: defines nn.Module classes: plan it with load_network (forward decides the order of the layers)",
        )
    return [{**leaf.layer, "name": leaf.name} for leaf in model.leaves() if isinstance(leaf, Leaf)], None


def _check_text(parameter: str, text: object, origin: object) -> str:
    """``text`` if it is model code of a size that can be read (``origin`` names it)."""
    if not isinstance(origin, str):
        raise SpecError("origin", f"must be a string, got {show(origin)}")
    if not isinstance(text, str):
        raise SpecError(parameter, f"must be the text of the model, got {show(text)}")
    if len(text) > MAX_CODE_CHARS:
        raise SpecError(
            parameter,
            f"{origin} is {len(text):,} characters; model code over {MAX_CODE_CHARS:,} is "
            "refused (reading it would take seconds and gigabytes)",
        )
    if "\x00" in text:
        raise SpecError(parameter, "contains NUL characters: not model code")
    return text


def _optional_text(parameter: str, value: object) -> None:
    if value is not None and not isinstance(value, str):
        raise SpecError(parameter, f"must be a string or None, got {show(value)}")


def load_network(
    spec: object = None,
    preset: str | None = None,
    code: str | None = None,
    framework: str | None = None,
    cls: str | None = None,
    args: str | None = None,
) -> Network:
    """The network from exactly one source: a spec/code file, a preset name or code text."""
    from . import presets
    from .model import layout_of
    from .readers import LayerList, layer_dims, read

    if sum(x is not None for x in (spec, preset, code)) != 1:
        raise SpecError("spec", "give exactly one of a spec file, a preset name or code")
    for parameter, value in (("preset", preset), ("cls", cls), ("args", args)):
        _optional_text(parameter, value)
    if framework is not None:
        if not isinstance(framework, str) or framework.lower() not in FRAMEWORKS + ("pytorch", "tensorflow"):
            raise SpecError("framework", f"must be one of {', '.join(FRAMEWORKS)}, got {show(framework)}")
        framework = _framework_name(framework.lower())
    if preset is not None:
        layers, shape = presets.preset(preset)
        if framework is not None and layout_of(framework) == "channels_last":
            shape = (*shape[1:], shape[0])
        return LayerList(layers, tuple(shape), framework or "torch", dims=len(shape) - 1)
    if code is not None:
        return read(_check_text("code", code, "--code"), "--code", framework, cls, args)
    path = _path("spec", spec)
    suffix = path.suffix.lower()
    if suffix in (".py", ".txt"):
        text = _check_text("code", _read_text(path, MAX_CODE_CHARS), display(path))
        return read(text, display(path), framework, cls, args)
    if suffix not in (".toml", ".json"):
        raise SpecError("spec", f"{display(path)}: expected a .toml, .json, .py or .txt file")
    spec_data = read_spec(parse_spec_text(_read_text(path), display(path), suffix[1:]), display(path))
    layers, given = spec_data["layers"], spec_data["input"]
    effective = framework or _framework_name(spec_data["framework"])
    if given is not None and layout_of(effective) == "channels_last":  # a spec's input is (C, *spatial) always
        given = (*given[1:], given[0])
    return LayerList(
        layers,
        given,
        effective,
        dims=layer_dims(layers) or (len(given) - 1 if given else None),
        dtype=spec_data["dtype"],
    )


def _framework_name(name: str) -> str:
    """A framework's name as the planner spells it (pytorch and tensorflow are torch and tf)."""
    return {"pytorch": "torch", "tensorflow": "tf"}.get(name, name)


MAX_SOURCE_BYTES = 4_000_000  # a spec file (JSON/TOML)
MAX_CODE_CHARS = 1_000_000  # model code or print(model) text: Python's parser takes ~10 us and ~2 KB a statement


def display(path: object) -> str:
    """A path as one printable line (a name with a newline or control characters is quoted)."""
    text = str(path)
    if text.isprintable() and len(text) <= 300:
        return text
    shown = repr(text)
    return shown if len(shown) <= 300 else shown[:300] + "...'"


def _path(parameter: str, value: object) -> Path:
    if not isinstance(value, (str, os.PathLike)):
        raise InputFileError(parameter, f"must be a file path, got {show(value)}")
    try:
        path = Path(value)
        if not path.exists():
            raise InputFileError(parameter, f"{display(path)} does not exist")
        if path.is_dir():
            raise InputFileError(parameter, f"{display(path)} is a directory, not a file")
        if not path.is_file():
            raise InputFileError(parameter, f"{display(path)} is not a regular file")
    except ConvarithError:
        raise
    except (OSError, ValueError, TypeError) as exc:  # a NUL in the name, a name too long, no permission
        raise InputFileError(parameter, f"{display(value)}: cannot open it ({type(exc).__name__})") from None
    return path


def _read_text(path: Path, limit: int = MAX_SOURCE_BYTES) -> str:
    try:
        size = path.stat().st_size
        if size > limit * 4:  # UTF-8: at most 4 bytes a character
            raise SpecError(
                "spec", f"{display(path)} is {size:,} bytes; model sources over {limit:,} characters are refused"
            )
        with open(path, "rb") as stream:
            data = stream.read(limit * 4 + 1)
    except OSError as exc:
        raise InputFileError(
            "spec", f"{display(path)}: cannot read it ({exc.strerror or type(exc).__name__})"
        ) from None
    if len(data) > limit * 4:
        raise SpecError("spec", f"{display(path)} is over {limit:,} characters; model sources that large are refused")
    if b"\x00" in data:
        raise SpecError("spec", f"{display(path)}: contains NUL bytes: not a text file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(
            "spec", f"{display(path)}: not UTF-8 text (byte {exc.start} is {data[exc.start]:#04x})"
        ) from None
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise SpecError("spec", f"{display(path)} is empty")
    if len(text) > limit:
        raise SpecError(
            "spec", f"{display(path)} is {len(text):,} characters; model sources over {limit:,} are refused"
        )
    return text
