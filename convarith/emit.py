"""A planned network as a runnable PyTorch model file: ``plan --emit torch``.

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
    if plan.framework != "torch":
        raise SpecError("--emit", f"emits torch code for torch plans; this plan is in {plan.framework}'s layout")
    if not plan.complete:
        raise SpecError("--emit", "the plan stopped early: fix its errors first")
    taken = {"x", "self", "torch", "nn", "F"}
    variables = {"input": "x"}
    init: list[str] = []
    body: list[str] = []
    for row, spec in zip(plan.rows, plan.layers, strict=True):
        var = _identifier(row.name, taken)
        names = spec.get("inputs")
        previous = [plan.rows[row.index - 1].name] if row.index else ["input"]
        sources = [variables[n] for n in (names if names is not None else previous)]
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
    return "\n".join(lines)


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
