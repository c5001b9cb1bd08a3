"""Planning a network: shapes, parameters, MACs, memory and receptive field, layer by layer.

A network is a list of layer dicts (from a spec file, a preset or parsed PyTorch code), each
with a ``type``, the layer's arguments and optionally a ``name`` and ``inputs`` (names of
earlier layers; default: the previous one). Problems do not raise: they become diagnostics,
one line each with a suggested fix, and planning goes on where it sensibly can.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from math import prod

from .. import receptive
from ..errors import ShapeError
from ..layers import AdaptiveAvgPool, AdaptiveMaxPool, AvgPool, Conv, ConvTranspose, MaxPool

DTYPES = {"float32": 4, "float16": 2, "bfloat16": 2, "float64": 8, "int8": 1}
ACTIVATIONS = {"relu", "relu6", "leaky_relu", "elu", "gelu", "silu", "sigmoid", "tanh", "softmax", "log_softmax",
               "hardswish", "mish", "identity"}
SHAPE_KEEPING = ACTIVATIONS | {"dropout", "batch_norm"}


@dataclass
class Row:
    """One planned layer."""

    index: int
    name: str
    type: str
    shape: tuple | None  # (C, *spatial) or (features,); None once planning stopped
    params: int = 0
    macs: int = 0
    memory: int = 0
    field: tuple = ()  # receptive.Field per spatial axis
    description: str = ""


@dataclass
class Plan:
    rows: list[Row]
    input_shape: tuple
    framework: str
    dtype: str
    diagnostics: list[str] = field(default_factory=list)

    @property
    def total_params(self) -> int:
        return sum(r.params for r in self.rows)

    @property
    def total_macs(self) -> int:
        return sum(r.macs for r in self.rows)

    @property
    def total_memory(self) -> int:
        return sum(r.memory for r in self.rows)

    @property
    def output_shape(self):
        return self.rows[-1].shape if self.rows else self.input_shape

    def __str__(self) -> str:
        from .report import render_text

        return render_text(self)


def _axis_names(n):
    return {1: ["L"], 2: ["H", "W"], 3: ["D", "H", "W"]}.get(n, [f"axis {i}" for i in range(n)])


def _layer_for(spec, framework):
    """The shape-engine layer of a window op, from planner arguments."""
    t = spec["type"]
    common = {k: spec[k] for k in ("kernel_size", "stride", "padding", "dilation") if k in spec}
    if t == "conv":
        return Conv(groups=spec.get("groups", 1), in_channels=spec.get("in_channels"), out_channels=spec["out_channels"],
                    framework=framework, **common)
    if t == "conv_transpose":
        return ConvTranspose(groups=spec.get("groups", 1), in_channels=spec.get("in_channels"),
                             out_channels=spec["out_channels"], output_padding=spec.get("output_padding"),
                             framework=framework, **common)
    if t == "max_pool":
        return MaxPool(ceil_mode=spec.get("ceil_mode", False), framework=framework, **common)
    if t == "avg_pool":
        common.pop("dilation", None)
        return AvgPool(ceil_mode=spec.get("ceil_mode", False), framework=framework, **common)
    if t == "adaptive_avg_pool":
        return AdaptiveAvgPool(spec["output_size"])
    if t == "adaptive_max_pool":
        return AdaptiveMaxPool(spec["output_size"])
    raise AssertionError(t)


WINDOW_OPS = {"conv", "conv_transpose", "max_pool", "avg_pool", "adaptive_avg_pool", "adaptive_max_pool"}


class Planner:
    def __init__(self, input_shape, framework="torch", dtype="float32"):
        if dtype not in DTYPES:
            raise ShapeError("dtype", f"must be one of {', '.join(DTYPES)}, got {dtype!r}")
        shape = tuple(input_shape)
        if len(shape) < 1 or any(not isinstance(v, int) or v < 1 for v in shape):
            raise ShapeError("input", f"must be positive sizes (C, *spatial), got {input_shape!r}")
        self.framework, self.dtype = framework, dtype
        self.input_shape = shape
        self.by_name: dict[str, Row] = {}
        self.rows: list[Row] = []
        self.diagnostics: list[str] = []
        self.stopped = False

    def _source(self, spec, index):
        """(shape, field) of the layer's input: the previous row, or named ones."""
        names = spec.get("inputs")
        if names is None:
            if not self.rows:
                return [(self.input_shape, tuple(receptive.INPUT for _ in self.input_shape[1:]))]
            last = self.rows[-1]
            return [(last.shape, last.field)]
        found = []
        for n in names:
            if n == "input":
                found.append((self.input_shape, tuple(receptive.INPUT for _ in self.input_shape[1:])))
            elif n in self.by_name:
                found.append((self.by_name[n].shape, self.by_name[n].field))
            else:
                raise ShapeError("inputs", f"layer {index} ({spec.get('name', spec['type'])}) refers to {n!r}, "
                                           f"which is not an earlier layer; known: {', '.join(self.by_name) or 'none'}")
        return found

    def add(self, spec):
        index = len(self.rows)
        name = spec.get("name") or f"{spec['type']}{index}"
        if self.stopped:
            row = Row(index, name, spec["type"], None)
        else:
            try:
                row = self._plan(spec, index, name)
            except ShapeError as exc:
                self.diagnostics.append(f"{name}: {exc} (planning stops here)")
                self.stopped = True
                row = Row(index, name, spec["type"], None)
        self.rows.append(row)
        self.by_name[name] = row

    def _plan(self, spec, index, name):
        t = spec["type"]
        sources = self._source(spec, index)
        shape, fields = sources[0]
        if t in ("add", "concat"):
            return self._merge(spec, index, name, sources)
        if t in ("crop", "pad"):
            return self._crop(spec, index, name, shape, fields)
        if t in WINDOW_OPS:
            return self._window(spec, index, name, shape, fields)
        if t == "linear":
            return self._linear(spec, index, name, shape, fields)
        if t == "flatten":
            n = prod(shape)
            whole = tuple(receptive.whole(size) for size in self.input_shape[1:])
            return self._row(index, name, t, (n,), 0, 0, whole, f"flatten {'x'.join(map(str, shape))} -> {n}")
        if t == "upsample":
            return self._upsample(spec, index, name, shape, fields)
        if t == "batch_norm":
            channels = spec.get("num_features", shape[0])
            if channels != shape[0]:
                self.diagnostics.append(f"{name}: BatchNorm expects {channels} channels but gets {shape[0]}: "
                                        f"use num_features={shape[0]}")
            return self._row(index, name, t, shape, 2 * shape[0], 0, fields, f"{shape[0]} channels")
        if t in SHAPE_KEEPING:
            return self._row(index, name, t, shape, 0, 0, fields, spec.get("describe", ""))
        raise ShapeError("type", f"unknown layer type {t!r}")

    def _row(self, index, name, t, shape, params, macs, fields, description=""):
        memory = prod(shape) * DTYPES[self.dtype] if shape else 0
        return Row(index, name, t, tuple(shape), params=params, macs=macs, memory=memory, field=tuple(fields),
                   description=description)

    def _window(self, spec, index, name, shape, fields):
        t = spec["type"]
        if len(shape) < 2:
            raise ShapeError("input", f"{t} needs channels and spatial axes, but its input is {shape} "
                                      "(a flattened vector): move it before the flatten")
        channels, sizes = shape[0], shape[1:]
        if t in ("conv", "conv_transpose"):
            declared = spec.get("in_channels")
            if declared is not None and declared != channels:
                self.diagnostics.append(
                    f"{name}: expects {declared} input channels but the previous layer gives {channels}: "
                    f"use in_channels={channels} (or make the previous layer output {declared})")
            spec = {**spec, "in_channels": channels}
            groups = spec.get("groups", 1)
            if channels % groups:
                raise ShapeError("groups", f"{channels} input channels are not divisible by groups={groups}")
        layer = _layer_for(spec, self.framework)
        axes = layer.arithmetic(sizes, **({"output_size": spec["output_size"]} if t == "conv_transpose" and spec.get("output_size") else {}))
        out_sizes = tuple(a.output for a in axes)
        self._coverage(name, axes)
        if t.startswith("adaptive"):
            new_fields = tuple(receptive.through_adaptive(f, a.input, a.output) for f, a in zip(fields, axes))
        else:
            new_fields = tuple(receptive.through_window(f, a) for f, a in zip(fields, axes))
        k = prod(a.kernel_size for a in axes)
        if t == "conv":
            out_c, groups = spec["out_channels"], spec.get("groups", 1)
            params = out_c * (channels // groups) * k + (out_c if spec.get("bias", True) else 0)
            macs = out_c * prod(out_sizes) * (channels // groups) * k
        elif t == "conv_transpose":
            out_c, groups = spec["out_channels"], spec.get("groups", 1)
            params = channels * (out_c // groups) * k + (out_c if spec.get("bias", True) else 0)
            macs = channels * prod(sizes) * (out_c // groups) * k
        else:
            out_c, params, macs = channels, 0, 0
        described = f"k={'x'.join(str(a.kernel_size) for a in axes)} s={'x'.join(str(a.stride) for a in axes)} " \
                    f"pad={','.join(f'{a.padding[0]}:{a.padding[1]}' for a in axes)}"
        return self._row(index, name, t, (out_c, *out_sizes), params, macs, new_fields, described)

    def _coverage(self, name, axes):
        """Input the windows never read: skipped between windows, or left over at the end."""
        names = _axis_names(len(axes))
        messages = {}
        for axis_name, a in zip(names, axes):
            if not a.unread:
                continue
            if a.effective_kernel < a.stride:
                text = (f"kernel {a.effective_kernel} < stride {a.stride} skips {a.unread} of {a.input} input rows/columns "
                        "(fine for a strided 1x1 projection; otherwise use kernel_size >= stride)")
            else:
                fits = a.input - a.unread
                text = (f"the windows do not divide its input evenly: the last {a.unread} of its {a.input} input "
                        f"rows/columns are never read: feed it {fits} or {fits + a.stride}, or pad by "
                        f"{a.stride - a.unread} more")
            messages.setdefault(text, []).append(axis_name)
        for text, where in messages.items():
            self.diagnostics.append(f"{name} ({', '.join(where)}): {text}")

    def _linear(self, spec, index, name, shape, fields):
        features = prod(shape) if len(shape) == 1 else None
        if features is None:
            raise ShapeError("input", f"linear needs a flat input but gets {shape}: add a flatten before it "
                                      f"(it would give {prod(shape)} features)")
        declared = spec.get("in_features", features)
        if declared != features:
            self.diagnostics.append(f"{name}: in_features={declared} but its input has {features} features: "
                                    f"use nn.Linear({features}, {spec['out_features']})")
        out = spec["out_features"]
        params = features * out + (out if spec.get("bias", True) else 0)
        whole = tuple(receptive.whole(s) for s in self.input_shape[1:])
        return self._row(index, name, "linear", (out,), params, features * out, whole, f"{features} -> {out}")

    def _upsample(self, spec, index, name, shape, fields):
        sizes = shape[1:]
        mode = spec.get("mode", "nearest")
        if spec.get("size") is not None:
            wanted = spec["size"] if isinstance(spec["size"], (list, tuple)) else [spec["size"]] * len(sizes)
            out = tuple(wanted)
        else:
            factor = spec.get("scale_factor", 2)
            factors = factor if isinstance(factor, (list, tuple)) else [factor] * len(sizes)
            out = tuple(int(s * Fraction(f).limit_denominator(1000)) for s, f in zip(sizes, factors))
        if any(o < 1 for o in out):
            raise ShapeError("scale_factor", f"upsampling {sizes} gives {out}")
        new_fields = tuple(receptive.through_upsample(f, i, o, mode) for f, i, o in zip(fields, sizes, out))
        return self._row(index, name, "upsample", (shape[0], *out), 0, 0, new_fields,
                         f"{mode} {'x'.join(map(str, sizes))} -> {'x'.join(map(str, out))}")

    def _merge(self, spec, index, name, sources):
        t = spec["type"]
        shapes = [s for s, _ in sources]
        if len(sources) < 2:
            raise ShapeError("inputs", f"{t} needs at least two inputs")
        spatial = {tuple(s[1:]) for s in shapes}
        if len(spatial) > 1:
            smallest = min(spatial, key=prod)
            fixes = "; ".join(f"crop {'x'.join(map(str, s))} by {'x'.join(str(a - b) for a, b in zip(s, smallest))} "
                              f"(centre crop to {'x'.join(map(str, smallest))})" for s in spatial if s != smallest)
            self.diagnostics.append(f"{name}: cannot {t} spatial sizes {sorted(spatial)}: {fixes}, or pad the smaller one")
        if t == "add" and len({s[0] for s in shapes}) > 1:
            self.diagnostics.append(f"{name}: cannot add {sorted({s[0] for s in shapes})} channels: "
                                    f"project with a 1x1 convolution to {shapes[0][0]} channels first")
        first = shapes[0]
        out = (sum(s[0] for s in shapes), *first[1:]) if t == "concat" else first
        fields = tuple(receptive.merge([fs[i] for _, fs in sources]) for i in range(len(first) - 1))
        notes = {}
        for axis_name, f in zip(_axis_names(len(fields)), fields):
            for note in f.notes:
                notes.setdefault(note, []).append(axis_name)
        for note, where in notes.items():
            self.diagnostics.append(f"{name} ({', '.join(where)}): {note}")
        return self._row(index, name, t, out, 0, 0, fields, " + ".join("x".join(map(str, s)) for s in shapes))

    def _crop(self, spec, index, name, shape, fields):
        like = spec.get("like")
        if like != "input" and like not in self.by_name:
            raise ShapeError("like", f"{spec['type']} needs like=<name of an earlier layer or 'input'>, got {like!r}")
        target = (self.input_shape if like == "input" else self.by_name[like].shape)[1:]
        sizes = shape[1:]
        cropping = spec["type"] == "crop"
        if any((t > s) if cropping else (t < s) for t, s in zip(target, sizes)):
            other = "pad" if cropping else "crop"
            raise ShapeError("like", f"cannot {spec['type']} {sizes} to {target}: {other} instead")
        # Centre crop: drop (s - t) // 2 first. Zero padding (negative offsets): the extra cell goes after.
        offsets = [(s - t) // 2 for s, t in zip(sizes, target)]
        new_fields = tuple(receptive.through_crop(f, o) for f, o in zip(fields, offsets))
        word = "centre crop" if cropping else "zero pad"
        return self._row(index, name, spec["type"], (shape[0], *target), 0, 0, new_fields,
                         f"{word} {'x'.join(map(str, sizes))} -> {'x'.join(map(str, target))}")


def plan(layers, input_shape, framework="torch", dtype="float32") -> Plan:
    """Plan a list of layer dicts on a (C, *spatial) input; see the module docstring."""
    planner = Planner(input_shape, framework, dtype)
    for spec in layers:
        planner.add(spec)
    return Plan(planner.rows, planner.input_shape, framework, dtype, planner.diagnostics)
