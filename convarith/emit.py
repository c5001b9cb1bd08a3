"""A planned network as a runnable model file: ``plan --emit torch`` (an ``nn.Module``) or
``plan --emit keras`` (a Keras functional model).

Each planned row becomes one module (or one tensor operation in ``forward``), built from the
layer's arguments and the input shape the planner computed for it, so the file reproduces
the plan's shapes and parameter counts exactly (tests build it in torch and compare).
"""

from __future__ import annotations

import keyword
import re
from typing import Any

from .errors import SpecError
from .plan.model import Plan, Row
from .plan.schema import Spec

ACTIVATIONS = {
    "relu": "nn.ReLU()",
    "relu6": "nn.ReLU6()",
    "elu": "nn.ELU()",
    "selu": "nn.SELU()",
    "celu": "nn.CELU()",
    "gelu": "nn.GELU()",
    "silu": "nn.SiLU()",
    "sigmoid": "nn.Sigmoid()",
    "tanh": "nn.Tanh()",
    "softplus": "nn.Softplus()",
    "softsign": "nn.Softsign()",
    "hardswish": "nn.Hardswish()",
    "hardsigmoid": "nn.Hardsigmoid()",
    "hardtanh": "nn.Hardtanh()",
    "mish": "nn.Mish()",
    "identity": "nn.Identity()",
    "logsigmoid": "nn.LogSigmoid()",
    "tanhshrink": "nn.Tanhshrink()",
    "linear_activation": "nn.Identity()",
}
PAD_CLASSES = {
    "constant": "ZeroPad",
    "reflect": "ReflectionPad",
    "replicate": "ReplicationPad",
    "circular": "CircularPad",
}


def _identifier(name: str, taken: set[str]) -> str:
    base = re.sub(r"\W", "_", name).strip("_") or "layer"
    if base[0].isdigit() or keyword.iskeyword(base):
        base = f"layer_{base}"
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}_{n}"
    taken.add(candidate)
    return candidate


def _value(v: Any) -> str:
    if isinstance(v, (list, tuple)):
        return "(" + ", ".join(_value(x) for x in v) + ("," if len(v) == 1 else "") + ")"
    return repr(v)


def emit_torch(plan: Plan, class_name: str = "Net") -> str:
    """An ``nn.Module`` class whose forward computes the planned network."""
    if not plan.complete:
        raise SpecError("--emit", "the plan stopped early: fix its errors first")
    if plan.framework != "torch":
        return _keras_plan_as_torch(plan, class_name)
    taken = {"x", "self", "torch", "nn", "F"}
    variables = {"input": "x"}
    init: list[str] = []
    body: list[str] = []
    for row, spec in zip(plan.rows, plan.layers, strict=True):
        var = _identifier(row.name, taken)
        sources = _sources(plan, row, spec, variables)
        module, expression = _layer(plan, row, spec, sources)
        if module is not None:
            init.append(f"        self.{var} = {module}")
            call_args = ", ".join(sources[:1])
            if spec["type"] == "conv_transpose" and spec.get("output_size") is not None:
                call_args += f", output_size={_value(spec['output_size'])}"
            body.append(f"        {var} = self.{var}({call_args})  # {_shape(row)}")
        else:
            body.append(f"        {var} = {expression}  # {_shape(row)}")
        variables[row.name] = var
    last = variables[plan.rows[-1].name] if plan.rows else "x"
    lines = [
        f'"""{class_name}: planned by convarith on input {"x".join(map(str, plan.input_shape))} '
        f'(total parameters {plan.total_params:,})."""',
        "",
        "import torch",
        "from torch import nn",
        "",
        *_module_class(class_name, init, body, last),
    ]
    return "\n".join(lines)


def _module_class(class_name: str, init: list[str], body: list[str], last: str) -> list[str]:
    return [
        "",
        f"class {class_name}(nn.Module):",
        "    def __init__(self):",
        "        super().__init__()",
        *init,
        "",
        "    def forward(self, x):",
        *body,
        f"        return {last}",
        "",
    ]


def _sources(plan: Plan, row: Row, spec: Spec, variables: dict[str, str]) -> list[str]:
    """The variables holding a row's inputs: its named inputs, or the previous row's output."""
    names = spec.get("inputs")
    previous = [plan.rows[row.index - 1].name] if row.index else ["input"]
    return [variables[n] for n in (names if names is not None else previous)]


def _shape(row: Row) -> str:
    return "x".join(map(str, row.shape or ()))


def _layer(plan: Plan, row: Row, spec: Spec, sources: list[str]) -> tuple[str | None, str]:
    """(module constructor, None) or (None, tensor expression) for one row."""
    t = spec["type"]
    given = row.input_shape or plan.input_shape
    n = len(given) - 1  # spatial axes, torch layout
    if t == "conv":
        args = [str(given[0]), str(spec["out_channels"]), f"kernel_size={_value(spec['kernel_size'])}"]
        for key, default in (("stride", 1), ("padding", 0), ("dilation", 1), ("groups", 1), ("bias", True)):
            if spec.get(key, default) != default:
                args.append(f"{key}={_value(spec[key])}")
        if spec.get("padding_mode", "zeros") != "zeros":
            args.append(f"padding_mode={spec['padding_mode']!r}")
        return f"nn.Conv{n}d({', '.join(args)})", ""
    if t == "conv_transpose":
        args = [str(given[0]), str(spec["out_channels"]), f"kernel_size={_value(spec['kernel_size'])}"]
        defaults = (
            ("stride", 1),
            ("padding", 0),
            ("output_padding", 0),
            ("groups", 1),
            ("bias", True),
            ("dilation", 1),
        )
        for key, default in defaults:
            if spec.get(key) not in (None, default):
                args.append(f"{key}={_value(spec[key])}")
        return f"nn.ConvTranspose{n}d({', '.join(args)})", ""
    if t in ("max_pool", "avg_pool"):
        cls = "MaxPool" if t == "max_pool" else "AvgPool"
        args = [_value(spec["kernel_size"])]
        pool_defaults: dict[str, Any] = {"stride": None, "padding": 0, "ceil_mode": False}
        pool_defaults.update({"dilation": 1} if t == "max_pool" else {"count_include_pad": True})
        args += [f"{k}={_value(spec[k])}" for k, default in pool_defaults.items() if spec.get(k, default) != default]
        return f"nn.{cls}{n}d({', '.join(args)})", ""
    if t in ("adaptive_avg_pool", "adaptive_max_pool"):
        cls = "AdaptiveAvgPool" if t == "adaptive_avg_pool" else "AdaptiveMaxPool"
        return f"nn.{cls}{n}d({_value(spec['output_size'])})", ""
    if t == "linear":
        bias = "" if spec.get("bias", True) else ", bias=False"
        return f"nn.Linear({given[-1]}, {spec['out_features']}{bias})", ""
    if t == "batch_norm":
        affine = "" if spec.get("affine_terms", 2) else ", affine=False"
        return f"nn.BatchNorm{max(n, 1)}d({given[0]}{affine})", ""
    if t == "dropout":
        return f"nn.Dropout({spec.get('p', 0.5)})", ""
    if t in ACTIVATIONS:
        return ACTIVATIONS[t], ""
    if t == "leaky_relu":
        return f"nn.LeakyReLU({spec.get('negative_slope', 0.01)})", ""
    if t == "softmax":
        return f"nn.Softmax(dim={spec.get('dim', 1)})", ""
    if t == "flatten":
        return f"nn.Flatten({spec.get('start_dim', 1)}, {spec.get('end_dim', -1)})", ""
    if t == "add":
        return None, " + ".join(sources)
    if t == "concat":
        axis = spec.get("axis", 0)
        return None, f"torch.cat([{', '.join(sources)}], dim={axis + 1 if axis >= 0 else axis})"
    if t == "crop":
        return None, _crop(plan, row, sources[0])
    if t == "upsample":
        keys = ("size", "scale_factor", "mode", "align_corners")
        args = [f"{k}={_value(spec[k])}" for k in keys if spec.get(k) is not None]
        return f"nn.Upsample({', '.join(args)})", ""
    if t == "border_pad":
        flat = tuple(v for pair in reversed(spec["pads"]) for v in pair)
        mode = spec.get("mode", "constant")
        return f"nn.{PAD_CLASSES.get(mode, 'ZeroPad')}{n}d({_value(flat)})", ""
    if t == "reshape":
        return None, f"{sources[0]}.reshape({sources[0]}.shape[0], {', '.join(map(str, row.shape or ()))})"
    if t in ("pixel_shuffle", "pixel_unshuffle"):
        cls = "PixelShuffle" if t == "pixel_shuffle" else "PixelUnshuffle"
        return f"nn.{cls}({spec['factor']})", ""
    raise SpecError("--emit", f"{row.name}: a {t} layer has no torch emitter yet")


def _crop(plan: Plan, row: Row, source: str) -> str:
    """A centre crop, as the planner computes it: drop (size - target) // 2 first."""
    before = row.input_shape or ()
    after = row.shape or ()
    parts = [":", ":"]
    for size, target in zip(before[1:], after[1:], strict=True):
        start = (size - target) // 2
        parts.append(f"{start}:{start + target}")
    return f"{source}[{', '.join(parts)}]"


KERAS_ACTIVATIONS = {
    "relu": "relu",
    "relu6": "relu6",
    "leaky_relu": "leaky_relu",
    "elu": "elu",
    "selu": "selu",
    "gelu": "gelu",
    "silu": "silu",
    "sigmoid": "sigmoid",
    "tanh": "tanh",
    "softmax": "softmax",
    "log_softmax": "log_softmax",
    "softplus": "softplus",
    "softsign": "softsign",
    "hardswish": "hard_silu",
    "hardsigmoid": "hard_sigmoid",
    "mish": "mish",
    "exponential": "exponential",
    "linear_activation": "linear",
}


def emit_keras(plan: Plan) -> str:
    """A Keras functional model (``model``) that computes the planned network."""
    if plan.framework == "torch":
        return _torch_plan_as_keras(plan)
    if not plan.complete:
        raise SpecError("--emit", "the plan stopped early: fix its errors first")
    taken = {"inputs", "model", "keras", "layers"}
    variables = {"input": "inputs"}
    lines = [
        f'"""Planned by convarith on input {"x".join(map(str, plan.input_shape))} '
        f'(total parameters {plan.total_params:,})."""',
        "",
        "import keras",
        "from keras import layers",
        "",
        f"inputs = keras.Input(shape={_value(plan.input_shape)})",
    ]
    for row, spec in zip(plan.rows, plan.layers, strict=True):
        var = _identifier(row.name, taken)
        sources = _sources(plan, row, spec, variables)
        layer = _keras_layer(row, spec, len(row.input_shape or plan.input_shape) - 1)
        argument = f"[{', '.join(sources)}]" if spec["type"] in ("add", "concat") else sources[0]
        lines.append(f"{var} = {layer}({argument})  # {_shape(row)}")
        variables[row.name] = var
    last = variables[plan.rows[-1].name] if plan.rows else "inputs"
    lines += [f"model = keras.Model(inputs, {last})", ""]
    return "\n".join(lines)


def _keras_args(pairs: list[tuple[str, Any, Any]]) -> list[str]:
    """Keyword arguments that differ from Keras's defaults; per-axis values that agree written once."""
    from .codegen import is_default, short

    return [f"{k}={short(v)}" for k, v, default in pairs if v is not None and not is_default(v, default)]


def _keras_layer(row: Row, spec: Spec, n: int) -> str:
    t = spec["type"]
    name = f"name={_value(row.name)}"
    padding = spec.get("padding", "valid")
    if t in ("conv", "conv_transpose", "depthwise_conv", "separable_conv"):
        if not isinstance(padding, str):
            raise SpecError("--emit", f"{row.name}: Keras layers take 'valid', 'same' or 'causal' padding")
        cls = {
            "conv": f"Conv{n}D",
            "conv_transpose": f"Conv{n}DTranspose",
            "depthwise_conv": f"DepthwiseConv{n}D",
            "separable_conv": f"SeparableConv{n}D",
        }[t]
        head = [] if t == "depthwise_conv" else [str(spec["out_channels"])]
        head.append(_keras_args([("kernel_size", spec["kernel_size"], None)])[0].split("=", 1)[1])
        pairs: list[tuple[str, Any, Any]] = [("strides", spec.get("stride"), 1), ("padding", padding, "valid")]
        pairs += [("dilation_rate", spec.get("dilation"), 1), ("groups", spec.get("groups"), 1)]
        pairs += [("output_padding", spec.get("output_padding"), None)]
        pairs += [("depth_multiplier", spec.get("depth_multiplier"), 1), ("use_bias", spec.get("bias", True), True)]
        pairs += [("activation", spec.get("activation"), None)]
        return f"layers.{cls}({', '.join([*head, *_keras_args(pairs), name])})"
    if t in ("max_pool", "avg_pool"):
        cls = f"MaxPooling{n}D" if t == "max_pool" else f"AveragePooling{n}D"
        pairs = [("strides", spec.get("stride"), spec["kernel_size"]), ("padding", padding, "valid")]
        size = _keras_args([("pool_size", spec["kernel_size"], None)])[0].split("=", 1)[1]
        return f"layers.{cls}({', '.join([size, *_keras_args(pairs), name])})"
    if t in ("global_pool", "adaptive_avg_pool", "adaptive_max_pool"):
        maximum = spec.get("how") == "max" or t == "adaptive_max_pool"
        keep = ", keepdims=True" if t != "global_pool" else ""
        return f"layers.Global{'Max' if maximum else 'Average'}Pooling{max(n, 1)}D({name}{keep})"
    if t == "border_pad":
        pads = tuple(tuple(p) for p in spec["pads"])
        value = pads[0] if len(pads) == 1 else pads
        if all(b <= 0 and a <= 0 for b, a in pads):
            crops = tuple((-b, -a) for b, a in pads)
            return f"layers.Cropping{n}D({_value(crops[0] if len(crops) == 1 else crops)}, {name})"
        if any(b < 0 or a < 0 for b, a in pads) or spec.get("mode", "constant") != "constant":
            raise SpecError(
                "--emit", f"{row.name}: mixed crop and pad, or {spec.get('mode')} padding, has no Keras layer"
            )
        return f"layers.ZeroPadding{n}D({_value(value)}, {name})"
    if t == "upsample":
        if spec.get("size") is not None:
            return f"layers.Resizing({', '.join(map(str, spec['size']))}, interpolation='bilinear', {name})"
        interpolation = "nearest" if spec.get("mode", "nearest") == "nearest" else "bilinear"
        return f"layers.UpSampling{n}D({_value(spec['scale_factor'])}, interpolation={interpolation!r}, {name})"
    if t == "linear":
        pairs = [("use_bias", spec.get("bias", True), True), ("activation", spec.get("activation"), None)]
        return f"layers.Dense({', '.join([str(spec['out_features']), *_keras_args(pairs), name])})"
    simple = {
        "flatten": "Flatten",
        "rescale": "Rescaling",
        "dropout": "Dropout",
        "add": "Add",
    }
    if t in ("augment", "identity"):  # random augmentation is the identity at inference
        return f"layers.Activation('linear', {name})"
    if t == "rescale":
        return f"layers.Rescaling(1.0, {name})"
    if t == "dropout":
        return f"layers.Dropout({spec.get('p', 0.5)}, {name})"
    if t in simple:
        return f"layers.{simple[t]}({name})"
    if t == "concat":
        return f"layers.Concatenate(axis={spec.get('axis', -1) + 1 if spec.get('axis', -1) >= 0 else -1}, {name})"
    if t == "reshape":
        return f"layers.Reshape({_value(tuple(spec['shape']))}, {name})"
    if t == "permute":
        return f"layers.Permute({_value(tuple(d + 1 for d in spec['dims']))}, {name})"
    if t == "batch_norm":
        terms = spec.get("affine_terms", 2)
        return f"layers.BatchNormalization(center={terms >= 1}, scale={terms == 2}, {name})"
    if t == "layer_norm":
        terms = spec.get("affine_terms", 2)
        return f"layers.LayerNormalization(center={terms >= 1}, scale={terms == 2}, {name})"
    if t == "group_norm":
        return f"layers.GroupNormalization({spec.get('num_groups', 32)}, {name})"
    if t == "prelu":
        shared = "" if spec.get("per_element") else f", shared_axes={list(range(1, n + 1))}"
        return f"layers.PReLU({name}{shared})"
    if t in KERAS_ACTIVATIONS:
        return f"layers.Activation({KERAS_ACTIVATIONS[t]!r}, {name})"
    raise SpecError("--emit", f"{row.name}: a {t} layer has no Keras emitter yet")


WINDOW_KEYS = (
    "kernel_size",
    "stride",
    "padding",
    "dilation",
    "groups",
    "out_channels",
    "bias",
    "output_padding",
    "output_size",
    "ceil_mode",
    "count_include_pad",
    "padding_mode",
)


def _last(row: Row) -> str:
    """A torch row's shape as the Keras tensor has it: channels last."""
    shape = row.shape or ()
    return "x".join(map(str, (*shape[1:], shape[0]) if len(shape) > 1 else shape))


def _torch_plan_as_keras(plan: Plan) -> str:
    """A torch plan as Keras (channels last): window layers through the port rules, so each
    pads, crops and averages exactly as torch does; the rest by their Keras equivalents."""
    from .port import Request, geometry, keras_helpers, keras_layers

    if not plan.complete:
        raise SpecError("--emit", "the plan stopped early: fix its errors first")
    taken = {"inputs", "model", "keras", "layers", "dtype"}
    variables = {"input": "inputs"}
    channels_last = (*plan.input_shape[1:], plan.input_shape[0])
    body = [f"inputs = keras.Input(shape={_value(channels_last)}, dtype=dtype)"]
    notes: list[str] = []
    all_layers: list[str] = []
    for row, spec in zip(plan.rows, plan.layers, strict=True):
        var = _identifier(row.name, taken)
        sources = _sources(plan, row, spec, variables)
        given = row.input_shape or plan.input_shape
        t = spec["type"]
        if t in ("conv", "conv_transpose", "max_pool", "avg_pool"):
            request = Request(t, **{k: spec[k] for k in WINDOW_KEYS if spec.get(k) is not None})
            made = keras_layers(geometry(request, "torch", (1, *given)), notes)
            all_layers += made
            value = sources[0]
            for layer in made:
                body.append(f"{var} = {layer}({value})")
                value = var
            body[-1] += f"  # {_last(row)}"
        else:
            body.append(f"{var} = {_keras_from_torch(row, spec, given)}({_argument(t, sources)})  # {_last(row)}")
        variables[row.name] = var
    last = variables[plan.rows[-1].name] if plan.rows else "inputs"
    head = [
        f'"""Planned by convarith (torch layout, input {"x".join(map(str, plan.input_shape))}) as Keras, channels '
        f"last (total parameters {plan.total_params:,}).",
        "",
        "Flatten works on channels-last tensors, so the order of the flattened features (and of a",
        'following Dense layer\'s weights) differs from torch\'s; the shapes and counts are the same."""',
        "",
        "import keras",
        "from keras import layers",
        "",
        'dtype = "float32"',
        *keras_helpers(all_layers, notes),
    ]
    return "\n".join([*head, "", *body, f"model = keras.Model(inputs, {last})", ""])


def _argument(t: str, sources: list[str]) -> str:
    return f"[{', '.join(sources)}]" if t in ("add", "concat") else sources[0]


def _keras_from_torch(row: Row, spec: Spec, given: tuple[int, ...]) -> str:
    """A non-window row of a torch plan as a Keras layer on channels-last tensors."""
    t = spec["type"]
    n = len(given) - 1
    if t in ("adaptive_avg_pool", "adaptive_max_pool"):
        size = spec["output_size"]
        if any(v not in (1, None) for v in (size if isinstance(size, (tuple, list)) else (size,))):
            raise SpecError("--emit", f"{row.name}: only adaptive pools to 1 have a Keras layer (global pooling)")
        kind = "Average" if t == "adaptive_avg_pool" else "Max"
        return f"layers.Global{kind}Pooling{n}D(keepdims=True)"
    if t == "concat":
        axis = spec.get("axis", 0)
        return f"layers.Concatenate(axis={-1 if axis in (0, -len(given)) else axis})"
    if t == "crop":
        before, after = given[1:], (row.shape or ())[1:]
        crops = tuple(((s - a) // 2, s - a - (s - a) // 2) for s, a in zip(before, after, strict=True))
        return f"layers.Cropping{n}D({_value(crops[0] if n == 1 else crops)})"
    if t == "batch_norm":
        return "layers.BatchNormalization()"
    if t == "flatten":
        return "layers.Flatten()"
    if t == "linear":
        bias = "" if spec.get("bias", True) else ", use_bias=False"
        return f"layers.Dense({spec['out_features']}{bias})"
    if t == "add":
        return "layers.Add()"
    if t == "dropout":
        return f"layers.Dropout({spec.get('p', 0.5)})"
    if t == "upsample" and spec.get("scale_factor") is not None:
        mode = "nearest" if spec.get("mode", "nearest") == "nearest" else "bilinear"
        return f"layers.UpSampling{n}D({_value(spec['scale_factor'])}, interpolation={mode!r})"
    if t in KERAS_ACTIVATIONS:
        return f"layers.Activation({KERAS_ACTIVATIONS[t]!r})"
    if t == "identity":
        return "layers.Activation('linear')"
    raise SpecError("--emit", f"{row.name}: a torch {t} layer has no Keras emitter yet")


def _first(shape: tuple[int, ...] | None) -> tuple[int, ...] | None:
    """A channels-last shape with channels first (vectors unchanged)."""
    if shape is None or len(shape) < 2:
        return shape
    return (shape[-1], *shape[:-1])


def _reshape_channels_last(given: tuple[int, ...], out: tuple[int, ...], source: str) -> str:
    """Keras's Reshape, which orders elements channels last, on channels-first tensors: back to
    channels last, reshape, and channels first again."""
    n_in, n_out = len(given) - 1, len(out) - 1
    last = source if n_in < 1 else f"{source}.permute(0, {', '.join(map(str, range(2, n_in + 2)))}, 1)"
    shaped = f"{last}.reshape({source}.shape[0], {', '.join(map(str, out))})"
    if n_out < 1:
        return shaped
    return f"{shaped}.permute(0, {n_out + 1}, {', '.join(map(str, range(1, n_out + 1)))})"


def _keras_plan_as_torch(plan: Plan, class_name: str) -> str:
    """A Keras/tf plan as an nn.Module (channels first): window layers through the port rules,
    so each pads, crops and averages exactly as Keras does; the rest by their torch equivalents."""
    from dataclasses import replace

    from .port import Request, geometry, torch_modules

    taken = {"x", "self", "torch", "nn", "F", "dtype"}
    variables = {"input": "x"}
    init: list[str] = []
    body: list[str] = []
    helper: list[str] = []
    notes: list[str] = []
    for row, spec in zip(plan.rows, plan.layers, strict=True):
        var = _identifier(row.name, taken)
        sources = _sources(plan, row, spec, variables)
        given = row.input_shape or plan.input_shape
        t = spec["type"]
        module: str | None
        expression = ""
        if t in ("conv", "conv_transpose", "max_pool", "avg_pool", "depthwise_conv", "separable_conv"):
            arguments = {k: spec[k] for k in WINDOW_KEYS if spec.get(k) is not None}
            if t in ("depthwise_conv", "separable_conv"):  # a grouped conv, one group per channel
                multiplier = int(spec.get("depth_multiplier", 1))
                arguments.update(groups=given[-1], out_channels=given[-1] * multiplier)
                arguments["bias"] = spec.get("bias", True) and t == "depthwise_conv"
            kind = "conv" if t in ("depthwise_conv", "separable_conv") else t
            g = geometry(Request(kind, **arguments), plan.framework, (1, *given))
            layers, weighted = torch_modules(g, helper, notes)
            made = [weighted if layer == "layer" and weighted else layer for layer in layers]
            if t == "separable_conv":  # then the 1x1 convolution that mixes the channels
                bias = spec.get("bias", True)
                made.append(f"nn.Conv{len(g.spatial)}d({g.out_channels}, {spec['out_channels']}, 1, bias={bias})")
            module = made[0] if len(made) == 1 else f"nn.Sequential({', '.join(made)})"
        elif t == "reshape":
            module, expression = None, _reshape_channels_last(given, row.shape or (), sources[0])
        elif t == "global_pool":
            kind = "Max" if spec.get("how") == "max" else "Avg"
            module = f"nn.Sequential(nn.Adaptive{kind}Pool{len(given) - 1}d(1), nn.Flatten())"
        elif t in ("rescale", "augment"):
            module = "nn.Identity()"
            notes.append(f"{row.name}: {t} is the identity here (its scale or randomness is not planned)")
        else:
            first = replace(row, input_shape=_first(given), shape=_first(row.shape))
            converted = dict(spec)
            if t == "concat":
                axis = spec.get("axis", -1)
                converted["axis"] = 0 if axis in (-1, len(given) - 1) else axis + 1
            if t in ("permute", "layer_norm", "prelu"):
                raise SpecError("--emit", f"{row.name}: a Keras {t} layer has no torch emitter yet")
            module, expression = _layer(
                replace(plan, input_shape=_first(plan.input_shape) or ()), first, converted, sources
            )
        if module is not None:
            init.append(f"        self.{var} = {module}")
            body.append(f"        {var} = self.{var}({sources[0]})  # {_shape(replace(row, shape=_first(row.shape)))}")
        else:
            body.append(f"        {var} = {expression}  # {_shape(replace(row, shape=_first(row.shape)))}")
        variables[row.name] = var
    last = variables[plan.rows[-1].name] if plan.rows else "x"
    header = (
        f'"""{class_name}: a {plan.framework} plan (input {"x".join(map(str, plan.input_shape))}, channels last) as '
        "PyTorch, channels first.\n\nFlatten works on channels-first tensors, so the order of the flattened "
        'features differs from Keras\'s; the shapes and counts are the same."""'
    )
    lines = [
        header,
        "",
        "import torch",
        "from torch import nn",
        "",
        "dtype = torch.float32",
        *helper,
        "",
        *_module_class(class_name, init, body, last),
    ]
    return "\n".join(lines)
