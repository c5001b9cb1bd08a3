"""Planning a network: shapes, parameters, MACs, memory and receptive field, layer by layer.

A network is a list of layer dicts (from a spec file, a preset or a reader of model code),
each with a ``type``, the layer's arguments and optionally a ``name`` and ``inputs`` (names
of earlier layers; default: the previous one). Problems do not raise: they become
diagnostics, one line each with a suggested fix, and planning goes on where it sensibly can;
a fatal one stops the plan (``Plan.complete`` is then False).

Shapes leave out the batch and follow the framework's layout: ``(C, *spatial)`` for torch,
``(*spatial, C)`` for tf and keras. Counts (MACs, memory) are for the whole batch.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from math import prod
from typing import TYPE_CHECKING, Any, NamedTuple

from .. import limits, receptive
from ..arithmetic import AxisArithmetic
from ..dialects.common import fmt
from ..errors import ConvarithError, ShapeError
from ..layers import AdaptiveAvgPool, AdaptiveMaxPool, AvgPool, Conv, ConvTranspose, Layer, MaxPool, _dialect
from .schema import MAX_INT, Spec, Value, check_layer, check_required, check_shape, check_size, is_integer, show

if TYPE_CHECKING:
    from .live_keras import KerasNetwork

Shape = tuple[int, ...]  # one sample's shape, in the framework's layout
Fields = tuple[receptive.Field, ...]  # a receptive field per spatial axis
Pads = tuple[tuple[int, int], ...]  # (before, after) per spatial axis

DTYPES = {"float32": 4, "float16": 2, "bfloat16": 2, "float64": 8, "int8": 1}
ACTIVATIONS = {
    "relu",
    "relu6",
    "leaky_relu",
    "elu",
    "selu",
    "celu",
    "gelu",
    "silu",
    "sigmoid",
    "tanh",
    "softmax",
    "log_softmax",
    "softmin",
    "softplus",
    "softsign",
    "hardswish",
    "hardsigmoid",
    "hardtanh",
    "mish",
    "identity",
    "threshold",
    "tanhshrink",
    "hardshrink",
    "softshrink",
    "logsigmoid",
    "glu_free",
    "rrelu",
    "exponential",
    "linear_activation",
}
SHAPE_KEEPING = ACTIVATIONS | {"dropout", "augment", "rescale", "activation"}
NORMS = {"batch_norm", "instance_norm", "group_norm", "layer_norm", "local_response_norm"}
WINDOW_OPS = {
    "conv",
    "conv_transpose",
    "max_pool",
    "avg_pool",
    "adaptive_avg_pool",
    "adaptive_max_pool",
    "separable_conv",
    "depthwise_conv",
}
MAC_CONVENTIONS = ("multiply", "torchinfo")


@dataclass
class Row:
    """One planned layer (one call of it: a module used twice gives two rows)."""

    index: int
    name: str
    type: str
    shape: Shape | None  # without the batch, in the framework's layout; None once planning stopped
    params: int = 0
    macs: int = 0
    memory: int = 0
    field: Fields = ()  # receptive.Field per spatial axis
    description: str = ""
    non_trainable: int = 0  # part of params (Keras's BatchNormalization moving statistics)
    shared: bool = False  # a second call of a module: its parameters are counted at the first
    torchinfo_macs: int = 0  # the same layer as torchinfo 1.8 counts it
    padding: Pads = ()  # (before, after) per spatial axis, as applied, for window layers
    input_shape: Shape | None = None  # the first input's shape, without the batch
    module: str = ""  # a live model's module path ("layer1.0.conv1"); "" for a spec's layers
    layer_class: str = ""  # a live model's class or function name ("Conv2d", "cat"), shown as the type
    depth: int = 0  # a live model's nesting: 1 for the model's children; a function one below its caller
    torchinfo_leaf: bool = True  # torchinfo counts its bytes (False: a module with children, as attention)


class Sizes(NamedTuple):
    """Memory as torchinfo 1.8 estimates it: the input, twice the outputs of the layers with
    parameters (forward and backward), the parameters, and their sum."""

    input_bytes: int
    forward_backward_bytes: int
    params_bytes: int
    total_bytes: int


@dataclass
class Plan:
    rows: list[Row]
    input_shape: Shape
    framework: str
    dtype: str
    diagnostics: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # assumptions a reader made; not problems
    batch: int = 1
    complete: bool = True
    macs_convention: str = "multiply"
    layers: list[Spec] = field(default_factory=list)  # the layer dicts planned, in order, with their inputs
    loose_params: dict[str, int] = field(default_factory=dict)  # module attribute -> parameters held outside any layer
    loose_non_trainable: int = 0  # of loose_params, those frozen (requires_grad False)
    module_classes: dict[str, str] = field(default_factory=dict)  # a live model's module path -> class name
    steps: list[Row] = field(default_factory=list)  # a folded plan's rows before folding

    @property
    def layout(self) -> str:
        return layout_of(self.framework)

    @property
    def total_params(self) -> int:
        return sum(r.params for r in self.rows if not r.shared) + sum(self.loose_params.values())

    @property
    def non_trainable_params(self) -> int:
        return sum(r.non_trainable for r in self.rows if not r.shared) + self.loose_non_trainable

    @property
    def trainable_params(self) -> int:
        return self.total_params - self.non_trainable_params

    def macs_of(self, row: Row) -> int:
        return row.torchinfo_macs if self.macs_convention == "torchinfo" else row.macs

    @property
    def total_macs(self) -> int:
        return sum(self.macs_of(r) for r in self.rows)

    @property
    def total_memory(self) -> int:
        return sum(r.memory for r in self.rows)

    @property
    def sizes(self) -> Sizes:
        element = DTYPES[self.dtype]
        rows = self.steps or self.rows
        given = self.batch * prod(self.input_shape) * element
        passes = 2 * sum(r.memory for r in rows if r.params > 0 and r.torchinfo_leaf)
        params = element * sum(r.params for r in rows if not r.shared and r.torchinfo_leaf)
        return Sizes(given, passes, params, given + passes + params)

    def folded(self, depth: int) -> Plan:
        """The plan with every step deeper than ``depth`` folded into its module at that depth
        (torchinfo's ``depth``): one row per module, its parameters, MACs and memory summed,
        its output and field those of its last step."""
        if not is_integer(depth) or depth < 0:
            raise ShapeError("depth", f"must be an integer >= 0, got {show(depth)}")
        rows: list[Row] = []
        groups: list[tuple[str | None, list[Row]]] = []
        for r in self.rows:
            key = _ancestor(r, depth)
            if key is not None and groups and groups[-1][0] == key:
                groups[-1][1].append(r)
            else:
                groups.append((key, [r]))
        for key, members in groups:
            if key is None or len(members) == 1 and members[0].module == key:
                rows.append(members[0])
                continue
            first, last = members[0], members[-1]
            counted = [m for m in members if not m.shared]
            rows.append(
                Row(
                    first.index,
                    key,
                    "module",
                    last.shape,
                    params=sum(m.params for m in counted),
                    macs=sum(m.macs for m in members),
                    memory=sum(m.memory for m in members),
                    field=last.field,
                    description=f"{len(members)} steps folded",
                    non_trainable=sum(m.non_trainable for m in counted),
                    shared=not counted,
                    torchinfo_macs=sum(m.torchinfo_macs for m in members),
                    input_shape=first.input_shape,
                    module=key,
                    layer_class=self.module_classes.get(key, "module"),
                    depth=depth,
                )
            )
        return replace(self, rows=rows, steps=self.steps or self.rows)

    @property
    def output_shape(self) -> Shape | None:
        return self.rows[-1].shape if self.rows else self.input_shape

    def __str__(self) -> str:
        from .report import render_text

        return render_text(self)

    def _repr_html_(self) -> str:
        """A notebook's view: the table as HTML, the notes and warnings under it."""
        from .report import to_html

        return to_html(self)

    def to_dict(self, flops: bool = False) -> dict[str, Any]:
        """The plan as JSON-ready data: what ``plan --json`` prints."""
        from .report import to_data

        return to_data(self, flops)


def _ancestor(row: Row, depth: int) -> str | None:
    """The module path at ``depth`` that holds this row, or None when the row is not deeper."""
    if row.depth <= depth or not row.module:
        return None
    return ".".join(row.module.split(".")[:depth]) if depth else ""


def layout_of(framework: str) -> str:
    return "channels_last" if framework in ("tf", "keras") else "channels_first"


def _axis_names(n: int) -> list[str]:
    return {1: ["L"], 2: ["H", "W"], 3: ["D", "H", "W"]}.get(n, [f"axis {i}" for i in range(n)])


def _layer_for(spec: Spec, framework: str, in_channels: int) -> Layer:
    """The shape-engine layer of a window op, from planner arguments (pools ignore ``in_channels``)."""
    t = spec["type"]
    common = {k: spec[k] for k in ("kernel_size", "stride", "padding", "dilation") if k in spec}
    if t == "conv":
        return Conv(
            groups=spec.get("groups", 1),
            in_channels=in_channels,
            out_channels=spec["out_channels"],
            framework=framework,
            **common,
        )
    if t == "separable_conv":
        return Conv(
            groups=in_channels,
            in_channels=in_channels,
            out_channels=in_channels * spec.get("depth_multiplier", 1),
            framework=framework,
            **common,
        )
    if t == "conv_transpose":
        return ConvTranspose(
            groups=spec.get("groups", 1),
            in_channels=in_channels,
            out_channels=spec["out_channels"],
            output_padding=spec.get("output_padding"),
            framework=framework,
            **common,
        )
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


def _scaled(size: int, factor: int | float) -> int:
    """An upsampled size as torch computes it: floor(double(size) * double(scale_factor)), so
    9 x 0.3333333333 gives 2 (and 9 x (1/3) gives 3, the double product rounding to 3.0).
    Integer factors (Keras's UpSampling) multiply exactly."""
    if isinstance(factor, int) or (isinstance(factor, float) and factor.is_integer() and factor < 2**53):
        return size * int(factor)
    return int(math.floor(float(size) * float(factor)))


def _dim(value: int, rank: int, name: str) -> int:
    """A dimension in [-rank, rank) as a non-negative index (torch: IndexError, Dimension out of range)."""
    if not -rank <= value < rank:
        raise ShapeError(
            name, f"dimension {value} is out of range for {rank} dimensions (expected {-rank} to {rank - 1})"
        )
    return value % rank


def _per_axis(value: Value, n: int, name: str) -> tuple[Any, ...]:
    """An int or a per-axis sequence, as n values."""
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ShapeError(name, f"has {len(value)} values for {n} spatial axes: {value!r}")
        return tuple(value)
    return (value,) * n


class Source(NamedTuple):
    """One input of a layer: the shape and fields of what it reads, and its name."""

    shape: Shape | None
    fields: Fields
    name: str


def _planned(sources: Sequence[Source]) -> list[Shape]:
    """The shapes of a layer's inputs, all planned (a row has no shape only after planning stopped)."""
    shapes = [s.shape for s in sources if s.shape is not None]
    if len(shapes) != len(sources):
        raise ShapeError("inputs", "an input was not planned")
    return shapes


class Planner:
    def __init__(
        self, input_shape: Iterable[int], framework: str = "torch", dtype: str = "float32", batch: int = 1
    ) -> None:
        if not isinstance(dtype, str) or dtype not in DTYPES:
            raise ShapeError("dtype", f"must be one of {', '.join(DTYPES)}, got {show(dtype)}")
        self.framework = _dialect(framework).NAME
        shape = check_shape(input_shape, "input")
        if not is_integer(batch) or not 1 <= batch <= MAX_INT:
            raise ShapeError("batch", f"must be a positive integer (at most 10^100), got {show(batch)}")
        self.dtype, self.batch = dtype, int(batch)
        self.channels_last = layout_of(self.framework) == "channels_last"
        self.input_shape = shape
        self.by_name: dict[str, Row] = {}
        self.rows: list[Row] = []
        self.diagnostics: list[str] = []
        self.stopped = False
        self.layers: list[Spec] = []

    # The layout, in one place.
    def channels(self, shape: Shape) -> int:
        return shape[-1] if self.channels_last else shape[0]

    def spatial(self, shape: Shape) -> Shape:
        return tuple(shape[:-1]) if self.channels_last else tuple(shape[1:])

    def join(self, channels: int, sizes: Iterable[int]) -> Shape:
        return (*sizes, channels) if self.channels_last else (channels, *sizes)

    def _input_fields(self) -> Fields:
        return tuple(receptive.INPUT for _ in self.spatial(self.input_shape))

    def _whole(self) -> Fields:
        return tuple(receptive.whole(size) for size in self.spatial(self.input_shape))

    def _fields_for(self, fields: Fields, n: int) -> Fields:
        """Fields for n spatial axes: after a reshape to a new layout, each axis sees the whole input."""
        if len(fields) == n:
            return fields
        return tuple(receptive.whole(prod(self.spatial(self.input_shape)) or 1) for _ in range(n))

    def _source(self, spec: Spec, index: int) -> list[Source]:
        """The layer's inputs: the previous row, or named ones."""
        names = spec.get("inputs")
        if names is None:
            if not self.rows:
                return [Source(self.input_shape, self._input_fields(), "input")]
            last = self.rows[-1]
            return [Source(last.shape, last.field, last.name)]
        found = []
        for n in names:
            if n == "input":
                found.append(Source(self.input_shape, self._input_fields(), "input"))
            elif n in self.by_name:
                found.append(Source(self.by_name[n].shape, self.by_name[n].field, n))
            else:
                raise ShapeError(
                    "inputs",
                    f"layer {index} ({spec.get('name', spec['type'])}) refers to {n!r}, "
                    f"which is not an earlier layer; known: {', '.join(self.by_name) or 'none'}",
                )
        return found

    def add(self, spec: object, checked: bool = False) -> Row:
        index = len(self.rows)
        if index >= limits.layers:
            limits.check("layers", "the network", index + 1, "layers", unit="layers")
        if not isinstance(spec, dict):
            raise ShapeError(f"layers[{index}]", f"must be a dict with a 'type', got {show(spec)}")
        check_required(spec, f"layers[{index}]")
        given = spec.get("name")
        name = given if isinstance(given, str) and given else f"{spec['type']}{index}"
        if name in self.by_name or name == "input":
            name = f"{name}#{index}"
        if self.stopped:
            row = Row(index, name, spec["type"], None)
        else:
            try:
                spec = spec if checked else check_layer(spec, name, strict=False)
            except ConvarithError as exc:
                self.stop(str(exc))
                spec = {**spec, "type": spec["type"]}
            try:
                row = Row(index, name, spec["type"], None) if self.stopped else self._plan(spec, index, name)
                if row.shape is not None:
                    row.input_shape = self._source(spec, index)[0].shape
            except ConvarithError as exc:
                self.stop(f"{name}: {exc}")
                row = Row(index, name, spec["type"], None)
            except (TypeError, KeyError, AttributeError, IndexError, ZeroDivisionError, OverflowError) as exc:
                self.stop(f"{name}: a malformed {spec['type']} layer ({type(exc).__name__}: {str(exc)[:100]})")
                row = Row(index, name, spec["type"], None)
        if spec.get("shared"):
            row.shared = True
        if spec.get("frozen"):  # Keras trainable=False: every parameter is non-trainable
            row.non_trainable = row.params
        for key in ("layer_class", "module", "depth"):  # a live model's own names, kept for the table
            if key in spec:
                setattr(row, key, spec[key])
        self.layers.append(spec)
        self.rows.append(row)
        self.by_name[name] = row
        return row

    def rename(self, row: Row, name: str) -> str:
        """Give a planned row another name (unique), and point the layers that read it at the new one."""
        if name in self.by_name and self.by_name[name] is not row:
            name = f"{name}#{row.index}"
        old = row.name
        self.by_name.pop(old, None)
        row.name = name
        self.by_name[name] = row
        for spec in self.layers:
            if old in (spec.get("inputs") or ()):
                spec["inputs"] = [name if n == old else n for n in spec["inputs"]]
        return name

    def stop(self, message: str) -> None:
        if not self.stopped:
            self.diagnostics.append(f"{message} (planning stops here)")
            self.stopped = True

    def _plan(self, spec: Spec, index: int, name: str) -> Row:
        t = spec["type"]
        sources = self._source(spec, index)
        shape, fields, source = sources[0]
        if shape is None:
            raise ShapeError("input", "its input was not planned")
        if t in ("add", "concat"):
            return self._merge(spec, index, name, sources)
        if t == "traced":
            return self._traced(spec, index, name, sources)
        if t in ("crop", "pad"):
            return self._crop(spec, index, name, shape, fields)
        if t in WINDOW_OPS:
            dims = spec.get("spatial_dims")
            if dims is not None and len(self.spatial(shape)) != dims:
                raise ShapeError(
                    "input",
                    f"a {dims}-D {t} takes {dims} spatial axes, but its input {fmt(shape)} has "
                    f"{len(self.spatial(shape))}",
                )
            return self._window(spec, index, name, shape, fields, source)
        if t == "linear":
            return self._linear(spec, index, name, shape, fields)
        if t == "flatten":
            return self._flatten(spec, index, name, shape)
        if t == "reshape":
            return self._reshape(spec, index, name, shape, fields)
        if t == "unflatten":
            rank = len(shape) + 1
            dim = _dim(spec["dim"], rank, "dim")
            if dim == 0:
                raise ShapeError("dim", "unflattening the batch dimension is not planned")
            target = (*shape[: dim - 1], *spec["sizes"], *shape[dim:])
            return self._reshape({"shape": target}, index, name, shape, fields)
        if t == "bilinear":
            return self._bilinear(spec, index, name, sources)
        if t == "slice":
            return self._slice(spec, index, name, shape, fields)
        if t == "permute":
            order = spec["dims"]
            if sorted(order) != list(range(len(shape))):
                raise ShapeError("dims", f"permute needs each of the {len(shape)} dimensions once, got {tuple(order)}")
            out = tuple(shape[d] for d in order)
            kept = fields if list(order) == sorted(order) else self._whole()
            return self._row(index, name, t, out, fields=kept, description=f"permute {tuple(order)}")
        if t == "reduce":
            return self._reduce(spec, index, name, shape, fields)
        if t == "global_pool":
            out = (self.channels(shape),)
            return self._row(index, name, t, out, fields=self._whole(), description=f"{fmt(shape)} -> {out[0]}")
        if t == "upsample":
            return self._upsample(spec, index, name, shape, fields)
        if t == "border_pad":
            return self._border_pad(spec, index, name, shape, fields)
        if t in ("pixel_shuffle", "pixel_unshuffle"):
            return self._pixel_shuffle(spec, index, name, shape, fields)
        if t in NORMS:
            return self._norm(spec, index, name, shape, fields)
        if t == "prelu" and spec.get("per_element"):  # Keras: one slope per element unless shared_axes
            return self._row(index, name, t, shape, prod(shape), 0, fields, "per-element slopes")
        if t == "prelu":
            count = spec.get("num_parameters", 1)
            if count not in (1, self.channels(shape)):
                self.diagnostics.append(
                    f"{name}: PReLU has {count} parameters but its input has "
                    f"{self.channels(shape)} channels: use num_parameters=1 or {self.channels(shape)}"
                )
            return self._row(
                index, name, t, shape, count, 0, fields, f"{count} slopes", torchinfo_macs=self.batch * count
            )
        if t in SHAPE_KEEPING:
            return self._row(index, name, t, shape, fields=fields, description=spec.get("describe", ""))
        raise ShapeError("type", f"unknown layer type {t!r}")

    def _row(
        self,
        index: int,
        name: str,
        t: str,
        shape: Sequence[int],
        params: int = 0,
        macs: int = 0,
        fields: Iterable[receptive.Field] = (),
        description: str = "",
        non_trainable: int = 0,
        torchinfo_macs: int = 0,
        padding: Iterable[tuple[int, int]] = (),
    ) -> Row:
        check_size(shape, "output")
        memory = self.batch * prod(shape) * DTYPES[self.dtype] if shape else 0
        return Row(
            index,
            name,
            t,
            tuple(shape),
            params=params,
            macs=macs,
            memory=memory,
            field=tuple(fields),
            description=description,
            non_trainable=non_trainable,
            torchinfo_macs=torchinfo_macs,
            padding=tuple(padding),
        )

    def _feature_map(self, t: str, shape: Shape) -> tuple[int, Shape]:
        if len(shape) < 2:
            raise ShapeError(
                "input",
                f"{t} needs channels and spatial axes, but its input is {fmt(shape)} "
                "(a flattened vector): move it before the flatten",
            )
        return self.channels(shape), self.spatial(shape)

    def _window(self, spec: Spec, index: int, name: str, shape: Shape, fields: Fields, source: str) -> Row:
        fields = self._fields_for(fields, len(self.spatial(shape)))
        t = spec["type"]
        channels, sizes = self._feature_map(t, shape)
        if t == "depthwise_conv":  # Keras's DepthwiseConv: a grouped conv with one group per input channel
            multiplier = spec.get("depth_multiplier", 1)
            spec = {**spec, "type": "conv", "groups": channels, "out_channels": channels * multiplier}
            t = "conv"
        if t in ("conv", "conv_transpose", "separable_conv"):
            declared = spec.get("in_channels")
            if declared is not None and declared != channels:
                self._channel_mismatch(name, declared, channels, shape, source)
            groups = spec.get("groups", 1)
            if t == "separable_conv":
                groups = channels
            if channels % groups:
                raise ShapeError("groups", f"{channels} input channels are not divisible by groups={groups}")
            if t != "separable_conv" and spec["out_channels"] % groups:
                raise ShapeError("groups", f"out_channels={spec['out_channels']} is not divisible by groups={groups}")
        layer = _layer_for(spec, self.framework, channels)
        extra = {"output_size": spec["output_size"]} if t == "conv_transpose" and spec.get("output_size") else {}
        axes = layer.arithmetic(sizes, **extra)
        out_sizes = tuple(a.output for a in axes)
        check_size(out_sizes, "output")
        self._coverage(name, axes)
        if t.startswith("adaptive"):
            new_fields = tuple(
                receptive.through_adaptive(f, a.input, a.output) for f, a in zip(fields, axes, strict=True)
            )
        else:
            new_fields = tuple(receptive.through_window(f, a) for f, a in zip(fields, axes, strict=True))
        k = prod(a.kernel_size for a in axes)
        out_positions, in_positions = prod(out_sizes) * self.batch, prod(sizes) * self.batch
        bias = spec.get("bias", True)
        held = spec.get("in_channels") or channels  # a layer holds the weights its arguments declare
        if t == "conv":
            out_c, groups = spec["out_channels"], spec.get("groups", 1)
            weights = out_c * (held // groups) * k
            params = weights + (out_c if bias else 0)
            macs = out_positions * out_c * (channels // groups) * k
            torchinfo = self._torchinfo_conv(
                spec, params + (out_c if spec.get("weight_norm") else 0), out_c, out_positions
            )
        elif t == "separable_conv":
            multiplier, out_c = spec.get("depth_multiplier", 1), spec["out_channels"]
            depthwise = channels * multiplier * k
            pointwise = channels * multiplier * out_c
            params = depthwise + pointwise + (out_c if bias else 0)
            macs = out_positions * (depthwise + pointwise)
            torchinfo = out_positions * params
        elif t == "conv_transpose":
            out_c, groups = spec["out_channels"], spec.get("groups", 1)
            params = held * (out_c // groups) * k + (out_c if bias else 0)
            macs = in_positions * (out_c // groups) * k * channels
            torchinfo = self._torchinfo_conv(
                spec, params + (out_c if spec.get("weight_norm") else 0), out_c, out_positions
            )
        else:
            out_c, params, macs, torchinfo = channels, 0, 0, 0
        described = (
            f"k={fmt(a.kernel_size for a in axes)} s={fmt(a.stride for a in axes)} "
            f"pad={','.join(f'{a.padding[0]}:{a.padding[1]}' for a in axes)}"
        )
        if spec.get("weight_norm"):
            params += out_c
            described += " weight_norm"
        return self._row(
            index,
            name,
            t,
            self.join(out_c, out_sizes),
            params,
            macs,
            new_fields,
            described,
            torchinfo_macs=torchinfo,
            padding=tuple(a.padding for a in axes),
        )

    def _torchinfo_conv(self, spec: Spec, params: int, out_c: int, out_positions: int) -> int:
        """torchinfo 1.8: a parameter named weight or bias of a Conv* layer costs its size per output
        position; weight_norm's weight_g and weight_v cost their size per output channel."""
        if not spec.get("weight_norm"):
            return out_positions * params
        bias = out_c if spec.get("bias", True) else 0
        weight_parts = params - bias
        return out_positions * bias + self.batch * out_c * weight_parts

    def _channel_mismatch(self, name: str, declared: int, channels: int, shape: Shape, source: str) -> None:
        if source == "input" and len(shape) > 1 and declared == (shape[0] if self.channels_last else shape[-1]):
            wanted = (*shape[1:], shape[0]) if self.channels_last else (shape[-1], *shape[:-1])
            layout = "channels-first" if self.channels_last else "channels-last"
            raise ShapeError(
                "input",
                f"the input {fmt(shape)} looks {layout}; {self.framework} wants "
                f"{fmt(wanted)} ({'channels last' if self.channels_last else 'channels first'})",
            )
        self.diagnostics.append(
            f"{name}: expects {declared} input channels but the previous layer gives {channels}: "
            f"use in_channels={channels} (or make the previous layer output {declared})"
        )

    def _coverage(self, name: str, axes: Sequence[AxisArithmetic]) -> None:
        """Input the windows never read: skipped between windows, or left over at the end."""
        names = _axis_names(len(axes))
        messages: dict[str, list[str]] = {}
        for axis_name, a in zip(names, axes, strict=True):
            if not a.unread:
                continue
            if a.effective_kernel < a.stride:
                text = (
                    f"kernel {a.effective_kernel} < stride {a.stride} skips {a.unread} of {a.input} input rows/columns "
                    "(fine for a strided 1x1 projection; otherwise use kernel_size >= stride)"
                )
            else:
                fits = a.input - a.unread
                text = (
                    f"the windows do not divide its input evenly: the last {a.unread} of its {a.input} input "
                    f"rows/columns are never read: feed it {fits} or {fits + a.stride}, or pad by "
                    f"{a.stride - a.unread} more"
                )
            messages.setdefault(text, []).append(axis_name)
        for text, where in messages.items():
            self.diagnostics.append(f"{name} ({', '.join(where)}): {text}")

    def _linear(self, spec: Spec, index: int, name: str, shape: Shape, fields: Fields) -> Row:
        """A Linear/Dense layer acts on the last axis; a feature map must be flattened first."""
        out = spec["out_features"]
        declared = spec.get("in_features")
        last = shape[-1]
        if len(shape) > 1 and declared is not None and declared != last:
            raise ShapeError(
                "input",
                f"linear needs a flat input but gets {fmt(shape)}: add a flatten before it "
                f"(it would give {prod(shape)} features)",
            )
        features = last
        if declared is not None and declared != features:
            self.diagnostics.append(
                f"{name}: in_features={declared} but its input has {features} features: "
                f"use nn.Linear({features}, {out})"
            )
        bias = out if spec.get("bias", True) else 0
        params = (declared or features) * out + bias
        positions = prod(shape[:-1]) * self.batch
        out_shape = (*shape[:-1], out)
        kept = fields if self.channels_last and len(shape) > 1 else self._whole()
        torchinfo = self.batch * params
        if spec.get("weight_norm"):  # weight_g: one per output feature; torchinfo counts weight_g/_v per (N, C)
            torchinfo = self.batch * bias + self.batch * out_shape[0] * (features * out + out)
            params += out
        return self._row(
            index,
            name,
            "linear",
            out_shape,
            params,
            positions * features * out,
            kept,
            f"{features} -> {out}" + (" weight_norm" if spec.get("weight_norm") else ""),
            torchinfo_macs=torchinfo,
        )

    def _slice(self, spec: Spec, index: int, name: str, shape: Shape, fields: Fields) -> Row:
        """Tensor slicing: a (start, stop) range per axis; ``drop`` lists axes indexed by an integer."""
        ranges, drop = spec["ranges"], set(spec.get("drop", ()))
        out = tuple(stop - start for i, (start, stop) in enumerate(ranges) if i not in drop)
        if any(v < 1 for v in out) and not drop:
            raise ShapeError("index", f"slicing {fmt(shape)} leaves an empty tensor")
        channel_axis = len(shape) - 1 if self.channels_last else 0
        spatial_axes = [i for i in range(len(shape)) if i != channel_axis]
        if drop & set(spatial_axes) or len(fields) != len(spatial_axes):
            new_fields = self._whole()
        else:
            new_fields = tuple(
                receptive.through_crop(f, ranges[i][0]) for f, i in zip(fields, spatial_axes, strict=True)
            )
        described = ",".join(str(r[0]) if i in drop else f"{r[0]}:{r[1]}" for i, r in enumerate(ranges))
        return self._row(index, name, "slice", out, fields=new_fields, description=f"[{described}]")

    def _bilinear(self, spec: Spec, index: int, name: str, sources: list[Source]) -> Row:
        if len(sources) != 2:
            raise ShapeError("inputs", "bilinear needs two inputs")
        a, b = _planned(sources)
        n1, n2, out = spec["in1_features"], spec["in2_features"], spec["out_features"]
        if (a[-1], b[-1]) != (n1, n2) or a[:-1] != b[:-1]:
            raise ShapeError("input", f"bilinear({n1}, {n2}, {out}) gets {fmt(a)} and {fmt(b)}")
        params = n1 * n2 * out + (out if spec.get("bias", True) else 0)
        positions = prod(a[:-1]) * self.batch
        return self._row(
            index,
            name,
            "bilinear",
            (*a[:-1], out),
            params,
            positions * n1 * n2 * out,
            self._whole(),
            f"{n1} x {n2} -> {out}",
            torchinfo_macs=self.batch * params,
        )

    def _flatten(self, spec: Spec, index: int, name: str, shape: Shape) -> Row:
        # torch's start_dim/end_dim count the batch as dimension 0.
        rank = len(shape) + 1
        start, end = spec.get("start_dim", 1), spec.get("end_dim", -1)
        start, end = _dim(start, rank, "start_dim"), _dim(end, rank, "end_dim")
        if start == 0:
            raise ShapeError(
                "start_dim",
                "flattening the batch dimension into the features is not planned: "
                "use start_dim=1 (torch.flatten(x, 1))",
            )
        if not 1 <= start <= end < rank:
            raise ShapeError(
                "start_dim",
                f"start_dim={spec.get('start_dim', 1)}, end_dim={spec.get('end_dim', -1)} do not fit a {rank}-D tensor",
            )
        s, e = start - 1, end - 1
        out = (*shape[:s], prod(shape[s : e + 1]), *shape[e + 1 :])
        return self._row(
            index, name, "flatten", out, fields=self._whole(), description=f"flatten {fmt(shape)} -> {fmt(out)}"
        )

    def _reshape(self, spec: Spec, index: int, name: str, shape: Shape, fields: Fields) -> Row:
        target = list(spec["shape"])
        total = prod(shape)
        if target.count(-1) > 1:
            raise ShapeError("shape", f"only one dimension can be -1, got {tuple(target)}")
        if -1 in target:
            known = prod(v for v in target if v != -1)
            if known == 0 or total % known:
                raise ShapeError(
                    "shape", f"cannot reshape {fmt(shape)} ({total} elements per sample) to {tuple(target)}"
                )
            target[target.index(-1)] = total // known
        if prod(target) != total or any(v < 1 for v in target):
            raise ShapeError(
                "shape",
                f"cannot reshape {fmt(shape)} ({total} elements per sample) to {tuple(target)}"
                f" ({prod(target)} elements)",
            )
        kept = fields if tuple(target) == tuple(shape) else self._whole()
        return self._row(
            index, name, "reshape", tuple(target), fields=kept, description=f"{fmt(shape)} -> {fmt(target)}"
        )

    def _reduce(self, spec: Spec, index: int, name: str, shape: Shape, fields: Fields) -> Row:
        axes = sorted({_dim(a, len(shape), "axes") for a in spec["axes"]})
        keep = spec.get("keepdim", False)
        out = (
            tuple(1 if i in axes else v for i, v in enumerate(shape))
            if keep
            else tuple(v for i, v in enumerate(shape) if i not in axes)
        )
        spatial_axes = set(range(len(shape) - 1)) if self.channels_last else set(range(1, len(shape)))
        kept = self._whole() if set(axes) & spatial_axes else fields
        return self._row(
            index, name, "reduce", out, fields=kept, description=f"{spec.get('how', 'mean')} over {tuple(axes)}"
        )

    def _norm(self, spec: Spec, index: int, name: str, shape: Shape, fields: Fields) -> Row:
        t = spec["type"]
        channels = self.channels(shape)
        params, non_trainable, described = 0, 0, ""
        if t == "batch_norm":
            declared = spec.get("num_features", channels)
            if declared != channels:
                self.diagnostics.append(
                    f"{name}: BatchNorm expects {declared} channels but gets {channels}: use num_features={channels}"
                )
            params = declared * spec.get("affine_terms", 2 if spec.get("affine", True) else 0)
            if spec.get("moving_statistics"):  # Keras counts them, as non-trainable
                params, non_trainable = params + 2 * channels, 2 * channels
            described = f"{channels} channels"
        elif t == "instance_norm":
            params = channels * spec.get("affine_terms", 2 if spec.get("affine", False) else 0)
            described = f"{channels} channels"
        elif t == "group_norm":
            groups, declared = spec["num_groups"], spec.get("num_channels", channels)
            if declared != channels:
                self.diagnostics.append(
                    f"{name}: GroupNorm expects {declared} channels but gets {channels}: use num_channels={channels}"
                )
            if channels % groups:
                raise ShapeError("num_groups", f"{channels} channels are not divisible by num_groups={groups}")
            params = 2 * declared if spec.get("affine", True) else 0
            described = f"{groups} groups"
        elif t == "layer_norm":
            normalized = spec["normalized_shape"] or shape[-1]  # None: the last axis (Keras)
            normalized = tuple(normalized) if isinstance(normalized, (list, tuple)) else (normalized,)
            if tuple(shape[-len(normalized) :]) != normalized:
                raise ShapeError("normalized_shape", f"{normalized} does not match the last axes of {fmt(shape)}")
            n = prod(normalized)
            params = (n + (n if spec.get("bias", True) else 0)) if spec.get("elementwise_affine", True) else 0
            if "affine_terms" in spec:
                params = n * spec["affine_terms"]
            described = f"over {fmt(normalized)}"
        return self._row(
            index,
            name,
            t,
            shape,
            params,
            0,
            fields,
            described,
            non_trainable=non_trainable,
            torchinfo_macs=self.batch * (params - non_trainable),
        )

    def _upsample(self, spec: Spec, index: int, name: str, shape: Shape, fields: Fields) -> Row:
        fields = self._fields_for(fields, len(self.spatial(shape)))
        channels, sizes = self._feature_map("upsample", shape)
        mode = spec.get("mode", "nearest")
        if spec.get("size") is not None:
            out = _per_axis(spec["size"], len(sizes), "size")
        else:
            factors = _per_axis(spec.get("scale_factor", 2), len(sizes), "scale_factor")
            out = tuple(_scaled(s, f) for s, f in zip(sizes, factors, strict=True))
        if any(o < 1 for o in out):
            raise ShapeError("scale_factor", f"upsampling {sizes} gives {out}")
        check_size(out, "output")
        field_mode = "nearest" if mode == "nearest" else "linear"
        new_fields = tuple(
            receptive.through_upsample(f, i, o, field_mode) for f, i, o in zip(fields, sizes, out, strict=True)
        )
        return self._row(
            index, name, "upsample", self.join(channels, out), 0, 0, new_fields, f"{mode} {fmt(sizes)} -> {fmt(out)}"
        )

    def _border_pad(self, spec: Spec, index: int, name: str, shape: Shape, fields: Fields) -> Row:
        """Explicit (before, after) per spatial axis: positive pads, negative crops."""
        fields = self._fields_for(fields, len(self.spatial(shape)))
        channels, sizes = self._feature_map("border_pad", shape)
        pads = [tuple(p) for p in spec["pads"]]
        if len(pads) > len(sizes):
            raise ShapeError("padding", f"pads {len(pads)} axes but the input has {len(sizes)} spatial axes")
        pads = [(0, 0)] * (len(sizes) - len(pads)) + pads
        out = tuple(s + b + a for s, (b, a) in zip(sizes, pads, strict=True))
        if any(o < 1 for o in out):
            raise ShapeError("padding", f"{spec.get('describe', 'padding')} {pads} leaves {fmt(out)} of {fmt(sizes)}")
        mode = spec.get("mode", "constant")
        if mode in ("reflect", "replicate", "circular"):
            for s, (b, a) in zip(sizes, pads, strict=True):
                limit = s - 1 if mode == "reflect" else (s if mode == "circular" else None)
                if limit is not None and max(b, a) > limit:
                    raise ShapeError(
                        "padding",
                        f"{mode} padding of {max(b, a)} needs an input larger than it (at most {limit} for size {s})",
                    )
        new_fields = tuple(receptive.through_crop(f, -b) for f, (b, _) in zip(fields, pads, strict=True))
        return self._row(
            index,
            name,
            "border_pad",
            self.join(channels, out),
            fields=new_fields,
            description=f"{mode} {','.join(f'{b}:{a}' for b, a in pads)}",
            padding=tuple(pads),
        )

    def _pixel_shuffle(self, spec: Spec, index: int, name: str, shape: Shape, fields: Fields) -> Row:
        fields = self._fields_for(fields, len(self.spatial(shape)))
        channels, sizes = self._feature_map(spec["type"], shape)
        r = spec["factor"]
        n = len(sizes)
        if spec["type"] == "pixel_shuffle":
            if channels % r**n:
                raise ShapeError(
                    "upscale_factor", f"{channels} channels are not divisible by upscale_factor**{n} = {r**n}"
                )
            out = self.join(channels // r**n, tuple(s * r for s in sizes))
            new_fields = tuple(
                receptive.through_upsample(f, s, s * r, "nearest") for f, s in zip(fields, sizes, strict=True)
            )
        else:
            if any(s % r for s in sizes):
                raise ShapeError("downscale_factor", f"spatial sizes {fmt(sizes)} are not divisible by {r}")
            out = self.join(channels * r**n, tuple(s // r for s in sizes))
            new_fields = tuple(receptive.through_adaptive(f, s, s // r) for f, s in zip(fields, sizes, strict=True))
        return self._row(index, name, spec["type"], out, fields=new_fields, description=f"factor {r}")

    def _merge(self, spec: Spec, index: int, name: str, sources: list[Source]) -> Row:
        t = spec["type"]
        shapes = _planned(sources)
        if len(sources) < 2:
            raise ShapeError("inputs", f"{t} needs at least two inputs")
        first = shapes[0]
        if len({len(s) for s in shapes}) > 1:
            raise ShapeError("inputs", f"cannot {t} tensors of different ranks: {', '.join(map(fmt, shapes))}")
        if t == "concat":
            axis = spec.get("axis")
            axis = (len(first) - 1 if self.channels_last else 0) if axis is None else _dim(axis, len(first), "axis")
        else:
            axis = None
        channel_axis = len(first) - 1 if self.channels_last else 0
        others = [i for i in range(len(first)) if i != (axis if t == "concat" else channel_axis)]
        rest = {tuple(s[i] for i in others) for s in shapes}
        if len(rest) > 1 and (t == "concat" or axis is None):
            spatial = {self.spatial(s) for s in shapes}
            if len(spatial) > 1:
                smallest = min(spatial, key=prod)
                fixes = "; ".join(
                    f"crop {fmt(s)} by {fmt(a - b for a, b in zip(s, smallest, strict=True))} "
                    f"(centre crop to {fmt(smallest)})"
                    for s in spatial
                    if s != smallest
                )
                self.diagnostics.append(
                    f"{name}: cannot {t} spatial sizes {sorted(spatial)}: {fixes}, or pad the smaller one"
                )
        if t == "add" and len({self.channels(s) for s in shapes}) > 1:
            broadcast = all(self.channels(s) in (1, max(self.channels(x) for x in shapes)) for s in shapes)
            if not broadcast:
                self.diagnostics.append(
                    f"{name}: cannot add {sorted({self.channels(s) for s in shapes})} channels: "
                    f"project with a 1x1 convolution to {self.channels(first)} channels first"
                )
        if t == "concat":
            out = tuple(sum(s[axis] for s in shapes) if i == axis else v for i, v in enumerate(first))
        else:
            out = tuple(max(s[i] for s in shapes) for i in range(len(first)))
        spatial_rank = len(self.spatial(first))
        if all(len(fs) == spatial_rank for _, fs, _ in sources) and spatial_rank:
            fields = tuple(receptive.merge([fs[i] for _, fs, _ in sources]) for i in range(spatial_rank))
        else:
            fields = self._whole()
        notes: dict[str, list[str]] = {}
        for axis_name, f in zip(_axis_names(len(fields)), fields, strict=True):
            for note in f.notes:
                notes.setdefault(note, []).append(axis_name)
        for note, where in notes.items():
            self.diagnostics.append(f"{name} ({', '.join(where)}): {note}")
        return self._row(index, name, t, out, fields=fields, description=" + ".join(map(fmt, shapes)))

    def _traced(self, spec: Spec, index: int, name: str, sources: list[Source]) -> Row:
        """An operation of a live model that convarith does not model: its shape is the one the
        framework computed. Each output sees what its inputs see when they keep the output's
        spatial sizes (elementwise work), else the whole input."""
        out = tuple(spec["shape"])
        spatial = self.spatial(out) if len(out) > 1 else ()
        kept = [
            fs
            for s, fs, _ in sources
            if s is not None and len(s) == len(out) and self.spatial(s) == spatial and len(fs) == len(spatial)
        ]
        if spatial and sources and len(kept) == len(sources):
            fields = tuple(receptive.merge([fs[i] for fs in kept]) for i in range(len(spatial)))
        else:
            fields = self._whole()
        return self._row(
            index,
            name,
            str(spec.get("op", "traced")),
            out,
            params=int(spec.get("params", 0)),
            macs=int(spec.get("macs", 0)),
            fields=fields,
            description=str(spec.get("describe", "")),
            torchinfo_macs=int(spec.get("torchinfo_macs", 0)),
        )

    def _crop(self, spec: Spec, index: int, name: str, shape: Shape, fields: Fields) -> Row:
        fields = self._fields_for(fields, len(self.spatial(shape)))
        like = spec.get("like")
        if like != "input" and like not in self.by_name:
            raise ShapeError("like", f"{spec['type']} needs like=<name of an earlier layer or 'input'>, got {like!r}")
        like_shape = self.input_shape if like == "input" else self.by_name[like].shape
        if like_shape is None:
            raise ShapeError("like", f"{like!r} was not planned")
        target = self.spatial(like_shape)
        channels, sizes = self._feature_map(spec["type"], shape)
        cropping = spec["type"] == "crop"
        if any((t > s) if cropping else (t < s) for t, s in zip(target, sizes, strict=True)):
            other = "pad" if cropping else "crop"
            raise ShapeError("like", f"cannot {spec['type']} {sizes} to {target}: {other} instead")
        # Centre crop: drop (s - t) // 2 first. Zero padding (negative offsets): the extra cell goes after.
        offsets = [(s - t) // 2 for s, t in zip(sizes, target, strict=True)]
        new_fields = tuple(receptive.through_crop(f, o) for f, o in zip(fields, offsets, strict=True))
        word = "centre crop" if cropping else "zero pad"
        return self._row(
            index,
            name,
            spec["type"],
            self.join(channels, target),
            fields=new_fields,
            description=f"{word} {fmt(sizes)} -> {fmt(target)}",
        )


def check_options(dtype: object, macs: object) -> None:
    """The element type and the MAC convention of any plan, as a ShapeError when unknown."""
    if not isinstance(dtype, str) or dtype not in DTYPES:
        raise ShapeError("dtype", f"must be one of {', '.join(DTYPES)}, got {show(dtype)}")
    if not isinstance(macs, str) or macs not in MAC_CONVENTIONS:
        raise ShapeError("macs", f"must be one of {', '.join(MAC_CONVENTIONS)}, got {show(macs)}")


def plan(
    layers: object,
    input_shape: Iterable[int],
    framework: str = "torch",
    dtype: str = "float32",
    batch: int = 1,
    macs: object = "multiply",
) -> Plan:
    """Plan a list of layer dicts on one sample's shape (the framework's layout, no batch).

    ``layers`` may also be a live model: a ``torch.nn.Module`` or a ``keras.Model``. Then
    ``input_shape`` is the whole input tensor, batch first, as torchinfo's ``input_size``
    (``(1, 3, 224, 224)``; for Keras ``(1, 224, 224, 3)``, or None for the model's own input
    with batch 1), and the model's own forward is run once (on PyTorch's meta device: no
    weight or activation memory) to see what it does.
    """
    if not isinstance(macs, str) or macs not in MAC_CONVENTIONS:
        raise ShapeError("macs", f"must be one of {', '.join(MAC_CONVENTIONS)}, got {show(macs)}")
    live = _live_kind(layers)
    if live is not None:
        if batch != 1:
            raise ShapeError("batch", "a live model takes its batch from input_shape (batch first)")
        return _plan_live(live, layers, input_shape, dtype, macs)
    if not isinstance(layers, (list, tuple)):
        raise ShapeError("layers", f"must be a list of layer dicts, got {show(layers)}")
    limits.check("layers", "the network", len(layers), "layers", unit="layers")
    checked = []
    for i, spec in enumerate(layers):
        where = f"layers[{i}]"
        if not isinstance(spec, dict):
            raise ShapeError(where, f"must be a dict with a 'type', got {show(spec)}")
        check_required(spec, where)
        checked.append(check_layer(spec, where, strict=False))
    planner = Planner(input_shape, framework, dtype, batch)
    for spec in checked:
        planner.add(spec, checked=True)
    return finish(planner, macs=macs)


def _live_kind(model: object) -> str | None:
    """'torch' or 'keras' for a live model object, told from its classes (nothing imported)."""
    for cls in type(model).__mro__:
        if cls.__name__ == "Module" and cls.__module__ == "torch.nn.modules.module":
            return "torch"
        if cls.__name__ == "Model" and cls.__module__.split(".")[0] in ("keras", "tf_keras"):
            return "keras"
    return None


def _plan_live(kind: str, model: object, input_shape: Iterable[int] | None, dtype: str, macs: str) -> Plan:
    if kind == "torch":
        from .live_torch import plan_module

        if input_shape is None:
            raise ShapeError(
                "input_shape", "is needed for a torch model: the whole input, batch first (1, 3, 224, 224)"
            )
        return plan_module(model, tuple(input_shape), dtype, macs)
    from .live_keras import network_from_model

    return plan_keras(network_from_model(model), input_shape, dtype, macs)


def plan_keras(network: KerasNetwork, input_size: Iterable[int] | None, dtype: str, macs: str) -> Plan:
    """Plan a Keras model's layers on ``input_size`` (batch first; None: the model's own, batch 1)."""
    shape = tuple(input_size) if input_size is not None else None
    if shape is None:
        if network.input_shape is None:
            raise ShapeError("input_shape", "is needed: the model does not fix its input shape (e.g. 1x224x224x3)")
        shape = (1, *network.input_shape)
    full = check_shape(shape, "input_shape")
    if len(full) < 2:
        raise ShapeError("input_shape", f"is the whole input, batch first (1x224x224x3), got {fmt(full)}")
    result = plan(network.layers, full[1:], "keras", dtype, batch=full[0], macs=macs)
    result.notes[:0] = network.notes
    result.module_classes = {
        str(s.get("module", s.get("name"))): str(s.get("layer_class", s["type"])) for s in network.layers
    }
    return result


def finish(planner: Planner, notes: Iterable[str] = (), macs: str = "multiply") -> Plan:
    return Plan(
        planner.rows,
        planner.input_shape,
        planner.framework,
        planner.dtype,
        planner.diagnostics,
        list(notes),
        planner.batch,
        not planner.stopped,
        macs,
        planner.layers,
    )
