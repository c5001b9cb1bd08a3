"""Porting one layer between PyTorch, TensorFlow and Keras with identical outputs.

The source layer goes through the shape engine in its own framework's dialect, which gives,
per spatial axis and for the given input, exactly which cells the layer pads (or, for a
transposed convolution, crops). The target code reproduces that geometry with the target
framework's own layers: its padding argument where it can express the pair, an explicit
pad (zeros, or -inf for max pooling) or crop where it cannot, and a masked average where
the two frameworks count different cells in an average's divisor. No padding formula is
written here twice: both sides come from the dialects.

Pure Python: the emitted code imports the target framework, convarith does not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .arithmetic import AxisArithmetic
from .dialects.common import fmt
from .errors import ShapeError
from .layers import AvgPool, Conv, ConvTranspose, Layer, MaxPool

FRAMEWORKS = ("torch", "tf", "keras")
OPS = ("conv", "conv_transpose", "max_pool", "avg_pool")
TARGETS = ("torch", "keras", "tf")
PADDING_MODES = ("zeros", "reflect", "replicate", "circular")
Pairs = tuple[tuple[int, int], ...]


class NoExactPort(ShapeError):
    """The target framework has no layer (or composition) that gives the same outputs."""


@dataclass(frozen=True)
class Port:
    source: str
    target: str
    op: str
    input: tuple[int, ...]  # with the batch, in the source's layout
    output: tuple[int, ...]  # with the batch, in the source's layout
    code: str
    notes: tuple[str, ...] = field(default=())
    exact: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "from": self.source,
            "to": self.target,
            "op": self.op,
            "input": list(self.input),
            "output": list(self.output),
            "exact": self.exact,
            "notes": list(self.notes),
            "code": self.code,
        }

    def __str__(self) -> str:
        return self.code


@dataclass(frozen=True)
class Request:
    """The source layer, in the source framework's own arguments."""

    op: str
    kernel_size: Any = None
    stride: Any = None
    padding: Any = 0
    dilation: Any = 1
    groups: int = 1
    out_channels: int | None = None
    bias: bool = True
    output_padding: Any = None
    output_size: Any = None
    ceil_mode: bool = False
    count_include_pad: bool = True
    padding_mode: str = "zeros"
    depth_multiplier: int | None = None  # a depthwise source (Keras DepthwiseConv, tf.nn.depthwise_conv2d)


@dataclass(frozen=True)
class Geometry:
    """What the source layer does, per spatial axis, in framework-free terms."""

    op: str
    spatial: tuple[int, ...]
    out_spatial: tuple[int, ...]
    in_channels: int
    out_channels: int
    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    dilation: tuple[int, ...]
    pads: Pairs  # conv and pools: cells added before/after; transposed: cells cropped
    groups: int = 1
    bias: bool = True
    divisor: str = ""  # avg pool: "real" (padding not counted), "padded" (declared padding counted)
    declared: Pairs = ()  # avg pool: the padding the source declares (counted when divisor == "padded")
    padding_mode: str = "zeros"
    depthwise: bool = False  # the source's weight is (*k, in, multiplier)


def _channels_first(framework: str) -> bool:
    return framework == "torch"


def _split(shape: Sequence[int], framework: str) -> tuple[int, int, tuple[int, ...]]:
    if len(shape) < 3 or len(shape) > 5:
        raise ShapeError("input", f"is the whole input with batch and channels (3 to 5 axes), got {fmt(shape)}")
    if _channels_first(framework):
        return shape[0], shape[1], tuple(shape[2:])
    return shape[0], shape[-1], tuple(shape[1:-1])


def _join(batch: int, channels: int, spatial: Sequence[int], framework: str) -> tuple[int, ...]:
    if _channels_first(framework):
        return (batch, channels, *spatial)
    return (batch, *spatial, channels)


def _source_layer(request: Request, framework: str, channels: int) -> Layer:
    r = request
    if r.op == "conv":
        return Conv(r.kernel_size, r.stride or 1, r.padding, r.dilation, r.groups, channels, r.out_channels, framework)
    if r.op == "conv_transpose":
        return ConvTranspose(
            r.kernel_size, r.stride or 1, r.padding, r.output_padding, r.dilation, r.groups, channels, r.out_channels,
            framework,
        )  # fmt: skip
    if r.op == "max_pool":
        return MaxPool(r.kernel_size, r.stride, r.padding, r.dilation, r.ceil_mode, framework)
    if r.op == "avg_pool":
        if framework == "torch":
            return AvgPool(r.kernel_size, r.stride, r.padding, r.ceil_mode, r.count_include_pad, framework)
        return AvgPool(r.kernel_size, r.stride, r.padding, framework=framework)
    raise ShapeError("op", f"ports {', '.join(OPS)}, not {r.op!r}")


def _depthwise(request: Request, source: str, shape: tuple[int, ...]) -> Request:
    """A Keras/tf depthwise convolution as the grouped convolution it is: one group per input
    channel, ``depth_multiplier`` outputs each."""
    from dataclasses import replace

    multiplier = request.depth_multiplier
    if source == "torch" or request.op != "conv":
        raise ShapeError("depth_multiplier", "is a Keras/tf depthwise convolution's argument (torch: groups)")
    if not isinstance(multiplier, int) or multiplier < 1:
        raise ShapeError("depth_multiplier", f"must be a positive integer, got {multiplier!r}")
    channels = _split(shape, source)[1]
    return replace(request, groups=channels, out_channels=channels * multiplier)


def geometry(request: Request, framework: str, input_shape: Sequence[int]) -> Geometry:
    """The source layer's per-axis geometry on this input, from the shape engine."""
    _, channels, spatial = _split(input_shape, framework)
    layer = _source_layer(request, framework, channels)
    axes = (
        layer.arithmetic(spatial, request.output_size) if request.op == "conv_transpose" else layer.arithmetic(spatial)
    )
    out_spatial = tuple(a.output for a in axes)
    if request.op == "conv_transpose":
        pads = tuple(_crop(a) for a in axes)
    elif request.op in ("max_pool", "avg_pool"):
        pads = tuple(_pool_pads(a) for a in axes)
    else:
        pads = tuple(a.padding for a in axes)
    out_channels = channels if request.op in ("max_pool", "avg_pool") else int(request.out_channels or 0)
    if out_channels < 1:
        raise ShapeError("out_channels", f"is needed to port a {request.op.replace('_', '-')}")
    divisor = ""
    if request.op == "avg_pool":
        divisor = "padded" if framework == "torch" and request.count_include_pad else "real"
    return Geometry(
        request.op,
        spatial,
        out_spatial,
        channels,
        out_channels,
        tuple(a.kernel_size for a in axes),
        tuple(a.stride for a in axes),
        tuple(a.dilation for a in axes),
        pads,
        request.groups,
        request.bias,
        divisor,
        tuple(a.padding for a in axes),
        request.padding_mode,
        request.depth_multiplier is not None,
    )


def _crop(a: AxisArithmetic) -> tuple[int, int]:
    """A transposed convolution as its full output cropped: (before, after) cells removed."""
    full = (a.input - 1) * a.stride + a.effective_kernel
    before, after = a.padding[0], a.padding[1] - a.output_padding
    if full - before - after != a.output:
        raise AssertionError(f"transposed geometry {a} does not add up")  # a bug: the dialect and this disagree
    return before, after


def _pool_pads(a: AxisArithmetic) -> tuple[int, int]:
    """Padding that makes a VALID pooling read exactly the source's windows (ceil_mode's
    last window may reach past the declared padding: the pad covers it)."""
    reach = (a.output - 1) * a.stride + a.effective_kernel - a.input - a.padding[0]
    return a.padding[0], max(reach, 0) if a.ceil_mode else a.padding[1]


def port(
    op: str,
    input_shape: Sequence[int],
    source: str,
    target: str,
    **arguments: Any,
) -> Port:
    """The target framework's code for the source layer on ``input_shape`` (with the batch,
    in the source's layout); ``arguments`` are the source layer's, in convarith's names."""
    if source not in FRAMEWORKS:
        raise ShapeError("source", f"must be one of {', '.join(FRAMEWORKS)}, got {source!r}")
    if target not in TARGETS:
        raise ShapeError("target", f"must be one of {', '.join(TARGETS)}, got {target!r}")
    request = Request(op, **arguments)
    if request.padding_mode not in PADDING_MODES:
        raise ShapeError("padding_mode", f"must be one of {', '.join(PADDING_MODES)}, got {request.padding_mode!r}")
    if request.padding_mode != "zeros" and (source != "torch" or op != "conv"):
        raise ShapeError("padding_mode", "is a PyTorch convolution's argument")
    shape = tuple(int(v) for v in input_shape)
    if request.depth_multiplier is not None:
        request = _depthwise(request, source, shape)
    batch = shape[0]
    g = geometry(request, source, shape)
    _check_padding_mode(g)
    out = _join(batch, g.out_channels, g.out_spatial, source)
    notes: list[str] = []
    if source in ("tf", "keras") and str(request.padding).upper() == "SAME" and any(s > 1 for s in g.stride):
        notes.append(
            f"{source}'s SAME padding depends on the input size, through its remainder modulo the stride: "
            f"this code holds for every input with {_same_sizes(g)}; other sizes need their own port"
        )
    emit = {"torch": _emit_torch, "keras": _emit_keras, "tf": _emit_tf}[target]
    code = emit(g, source, shape, notes)
    return Port(source, target, op, shape, out, code, tuple(notes))


def _check_padding_mode(g: Geometry) -> None:
    """PyTorch's own limits: a reflection must be shorter than the axis, a wrap at most as long."""
    for (before, after), size in zip(g.pads, g.spatial, strict=True):
        if g.padding_mode == "reflect" and max(before, after) >= size:
            raise ShapeError("padding", f"reflect padding {max(before, after)} must be smaller than the input {size}")
        if g.padding_mode == "circular" and max(before, after) > size:
            raise ShapeError("padding", f"circular padding {max(before, after)} must be at most the input {size}")


def _same_sizes(g: Geometry) -> str:
    """SAME's padding depends only on each size's remainder modulo the stride."""
    from .explain import axis_names

    parts = [
        f"{name} = {size % stride} mod {stride}" if stride > 1 else f"any {name}"
        for name, size, stride in zip(axis_names(len(g.spatial)), g.spatial, g.stride, strict=True)
    ]
    return ", ".join(parts)


# --------------------------------------------------------------------------- torch


def _flat_torch(pairs: Pairs, sign: int = 1) -> tuple[int, ...]:
    """nn.ZeroPad2d's order: last axis first, (left, right, top, bottom, ...)."""
    return tuple(sign * v for pair in reversed(pairs) for v in pair)


def _torch_weight(source: str, op: str, g: Geometry) -> str:
    """The expression converting the source's weight array to torch's layout."""
    n = len(g.kernel)
    if source == "torch":
        return "weight"
    if op == "conv" and g.depthwise:  # (*k, in, multiplier) -> (in * multiplier, 1, *k), channel c * m + j
        order = (n + 1, n, *range(n))
        return f"np.transpose(weight.reshape(*weight.shape[:{n}], 1, -1), {order})"
    if op == "conv":  # tf/keras (*k, in/groups, out) -> (out, in/groups, *k)
        order = (n + 1, n, *range(n))
        return f"np.transpose(weight, {order})"
    # conv_transpose: tf/keras (*k, out, in) -> torch (in, out/groups, *k)
    order = (n + 1, n, *range(n))
    return f"np.transpose(weight, {order})"


def torch_modules(g: Geometry, helper: list[str], notes: list[str]) -> tuple[list[str], str | None]:
    """The torch modules (applied in order) that reproduce the geometry, with ``"layer"`` in
    place of the weighted module, and that module's constructor (None for pools). They use a
    ``dtype`` variable; ``helper`` gains the code of any class they need (WindowAverage)."""
    n = len(g.spatial)
    layers: list[str] = []
    weighted: str | None = None
    if g.op == "conv":
        symmetric = all(b == a for b, a in g.pads)
        padding = tuple(b for b, _ in g.pads) if symmetric else (0,) * n
        mode = g.padding_mode
        if not symmetric or (mode != "zeros" and any(g.pads)):
            pad_class = {"zeros": "ZeroPad", "reflect": "ReflectionPad", "replicate": "ReplicationPad"}.get(
                mode, "CircularPad"
            )
            layers.append(f"nn.{pad_class}{n}d({_flat_torch(g.pads)})")
            padding = (0,) * n
        weighted = (
            f"nn.Conv{n}d({g.in_channels}, {g.out_channels}, kernel_size={g.kernel}, stride={g.stride}, "
            f"padding={padding}, dilation={g.dilation}, groups={g.groups}, bias={g.bias}, dtype=dtype)"
        )
        layers.append("layer")
    elif g.op == "conv_transpose":
        padding, output_padding, crop = _torch_transpose_padding(g)
        weighted = (
            f"nn.ConvTranspose{n}d({g.in_channels}, {g.out_channels}, kernel_size={g.kernel}, "
            f"stride={g.stride}, padding={padding}, output_padding={output_padding}, groups={g.groups}, "
            f"bias={g.bias}, dilation={g.dilation}, dtype=dtype)"
        )
        layers.append("layer")
        if crop is not None:
            layers.append(f"nn.ZeroPad{n}d({_flat_torch(crop, -1)})")
            notes.append("the crop is a ZeroPad with negative padding, which removes cells")
    elif g.op == "max_pool":
        symmetric = all(b == a for b, a in g.pads)
        allowed = all(b <= k // 2 for (b, _), k in zip(g.pads, g.kernel, strict=True))
        if symmetric and allowed:
            padding = tuple(b for b, _ in g.pads)
        else:
            layers.append(f"nn.ConstantPad{n}d({_flat_torch(g.pads)}, float('-inf'))")
            notes.append("max pooling pads with -inf, so padding is never the maximum")
            padding = (0,) * n
        layers.append(f"nn.MaxPool{n}d({g.kernel}, stride={g.stride}, padding={padding}, dilation={g.dilation})")
    else:
        layers += _torch_average(g, helper, notes)
    return layers, weighted


def _emit_torch(g: Geometry, source: str, shape: tuple[int, ...], notes: list[str]) -> str:
    lines = ["import numpy as np", "import torch", "from torch import nn", ""]
    helper: list[str] = []
    layers, weighted = torch_modules(g, helper, notes)
    body = [] if weighted is None else [f"layer = {weighted}", *_load_torch_weights(source, g)]
    code = lines + helper + ([""] if helper else [])
    code += [
        "",
        "def build(weight=None, bias=None):",
        f'    """{_describe(g, source, shape)} as PyTorch: input and output (N, C, *spatial)."""',
        "    dtype = torch.float64 if weight is not None and weight.dtype == np.float64 else torch.float32",
    ]
    code += ["    " + line for line in body]
    if len(layers) == 1:
        code.append(f"    return {layers[0]}")
    else:
        code.append("    return nn.Sequential(")
        code += [f"        {layer}," for layer in layers]
        code.append("    )")
    return "\n".join(line for line in code if line is not None).replace("\n\n\n\n", "\n\n\n") + "\n"


def _load_torch_weights(source: str, g: Geometry) -> list[str]:
    out = [
        "with torch.no_grad():",
        "    if weight is not None:",
        f"        layer.weight.copy_(torch.as_tensor(np.ascontiguousarray({_torch_weight(source, g.op, g)})))",
    ]
    if g.bias:
        out += ["    if bias is not None:", "        layer.bias.copy_(torch.as_tensor(bias))"]
    return out


def _torch_transpose_padding(g: Geometry) -> tuple[tuple[int, ...], tuple[int, ...], Pairs | None]:
    """torch's (padding, output_padding) for the crops, and what is left to crop explicitly.

    Cells added at the end must come from output_padding, not a pad: they hold the bias."""
    chosen: list[tuple[int, int, tuple[int, int]]] = []  # (padding, output_padding, explicit crop) per axis
    for (before, after), stride, dilation in zip(g.pads, g.stride, g.dilation, strict=True):
        limit = max(stride, dilation)  # torch: output_padding < max(stride, dilation)
        if before < 0:
            raise NoExactPort("padding", "the source adds cells before its output; torch cannot: no exact port")
        if after >= 0 and (before == after or 0 < before - after < limit):
            chosen.append((before, before - after, (0, 0)))
        elif after >= 0:
            chosen.append((0, 0, (before, after)))
        elif before - after < limit:
            chosen.append((before, before - after, (0, 0)))
        elif -after < limit:
            chosen.append((0, -after, (before, 0)))
        else:
            raise NoExactPort("output_padding", f"torch's output_padding must stay below {limit}: no exact port")
    crop = tuple(c for _, _, c in chosen)
    explicit = None if all(c == (0, 0) for c in crop) else crop
    return tuple(p for p, _, _ in chosen), tuple(e for _, e, _ in chosen), explicit


def _torch_average(g: Geometry, helper: list[str], notes: list[str]) -> list[str]:
    n = len(g.spatial)
    counted = g.declared if g.divisor == "padded" else tuple((0, 0) for _ in g.pads)
    symmetric = all(b == a for b, a in g.pads)
    fits = all(b <= k // 2 for (b, _), k in zip(g.pads, g.kernel, strict=True))
    plain_pads = g.pads == g.declared or g.divisor == "real"
    if symmetric and fits and plain_pads and not any(b != a for b, a in g.declared):
        padding = tuple(b for b, _ in g.pads)
        include = g.divisor == "padded"
        return [f"nn.AvgPool{n}d({g.kernel}, stride={g.stride}, padding={padding}, count_include_pad={include})"]
    notes.append(
        "the average divides by the cells the source counts, which no torch pooling argument expresses: "
        "a small module sums the window and divides by the count of those cells (equal to float rounding)"
    )
    helper += [
        "",
        "class WindowAverage(nn.Module):",
        '    """Sum over each window of the zero-padded input, divided by how many of its cells the',
        '    source framework counts (the real cells, or those and its declared padding)."""',
        "",
        "    def __init__(self, kernel_size, stride, pads, counted):",
        "        super().__init__()",
        "        self.kernel_size, self.stride, self.pads, self.counted = kernel_size, stride, pads, counted",
        "",
        "    def forward(self, x):",
        f"        pool = nn.functional.avg_pool{n}d",
        "        summed = pool(nn.functional.pad(x, self.pads), self.kernel_size, self.stride)",
        "        ones = torch.ones_like(x[:, :1])",
        "        mask = nn.functional.pad(nn.functional.pad(ones, self.counted, value=1.0), self._rest(), value=0.0)",
        "        return summed / pool(mask, self.kernel_size, self.stride)",
        "",
        "    def _rest(self):",
        "        return tuple(p - c for p, c in zip(self.pads, self.counted))",
    ]
    return [f"WindowAverage({g.kernel}, {g.stride}, {_flat_torch(g.pads)}, {_flat_torch(counted)})"]


# --------------------------------------------------------------------------- keras

DILATED = [
    "",
    "def _dilated(kernel, dilation):",
    '    """The kernel with dilation - 1 zeros between its taps: a dilated layer as an undilated one."""',
    "    n = len(dilation)",
    "    size = [d * (k - 1) + 1 for k, d in zip(kernel.shape[:n], dilation)] + list(kernel.shape[n:])",
    "    out = np.zeros(size, dtype=kernel.dtype)",
    "    out[tuple(slice(None, None, d) for d in dilation)] = kernel",
    "    return out",
    "",
]

WINDOW_AVERAGE = [
    "",
    "def _window_average(x, pool_size, strides, counted, rest):",
    '    """Window sums of the zero-padded input over the count of cells the source counts."""',
    "    padded = keras.ops.pad(keras.ops.pad(x, counted), rest)",
    "    ones = keras.ops.ones_like(x[..., :1])",
    "    mask = keras.ops.pad(keras.ops.pad(ones, counted, constant_values=1.0), rest)",
    "    summed = keras.ops.average_pool(padded, pool_size, strides, padding='valid')",
    "    return summed / keras.ops.average_pool(mask, pool_size, strides, padding='valid')",
    "",
]


def _keras_same(g: Geometry) -> Pairs | None:
    """What Keras's padding='same' would pad on this input (from the keras dialect), or None
    where Keras refuses the layer as given (strides > 1 with dilation > 1)."""
    try:
        if g.op in ("max_pool", "avg_pool"):
            layer: Layer = MaxPool(g.kernel, g.stride, "same", framework="keras")
        else:
            kernel, dilation = _keras_kernel(g, [], any(s > 1 for s in g.stride))
            layer = Conv(kernel, g.stride, "same", dilation, framework="keras")
        return tuple(a.padding for a in layer.arithmetic(g.spatial))
    except ShapeError:
        return None


def _keras_kernel(g: Geometry, notes: list[str], undilate: bool) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(kernel_size, dilation_rate) for Keras. Keras refuses strides > 1 with dilation > 1 and
    TensorFlow's CPU has no dilated transposed convolution: there the kernel itself is dilated
    (zeros between its taps), which computes the same sums."""
    if not undilate or all(d == 1 for d in g.dilation):
        return g.kernel, g.dilation
    notes.append("the dilation is written into the kernel (zeros between its taps): Keras cannot run it as given")
    effective = tuple(d * (k - 1) + 1 for k, d in zip(g.kernel, g.dilation, strict=True))
    return effective, (1,) * len(g.kernel)


def _keras_weight(source: str, g: Geometry, dilated: bool = False) -> str:
    n = len(g.kernel)
    expression = f"weight.reshape(*weight.shape[:{n}], 1, -1)" if g.depthwise else "weight"
    if source not in ("tf", "keras"):
        # torch conv (out, in/groups, *k) -> (*k, in/groups, out); transposed (in, out/groups, *k) -> (*k, out, in)
        order = (*range(2, n + 2), 1, 0)
        expression = f"np.transpose(weight, {order})"
    return f"_dilated({expression}, {g.dilation})" if dilated else expression


def keras_layers(g: Geometry, notes: list[str]) -> list[str]:
    """The Keras layer constructors (in order, each called on the previous one's output) that
    reproduce the geometry; they use a ``dtype`` variable, and ``_window_average`` /
    ``_dilated`` where the notes say so (see ``keras_helpers``)."""
    n = len(g.spatial)
    layers: list[str] = []
    zero = tuple((0, 0) for _ in g.pads)
    if g.op == "conv":
        if g.padding_mode not in ("zeros",) and any(b or a for b, a in g.pads):
            if g.padding_mode != "reflect":
                raise NoExactPort(
                    "padding_mode",
                    f"Keras has no {g.padding_mode} padding (keras.ops.pad on TensorFlow pads constant, "
                    "reflect or symmetric): no exact port",
                )
            layers.append(
                f"keras.layers.Lambda(lambda x: keras.ops.pad(x, {_keras_pairs(g.pads)}, mode='reflect'), dtype=dtype)"
            )
            padding = "valid"
        elif g.pads == zero:
            padding = "valid"
        elif g.pads == _keras_same(g):
            padding = "same"
        else:
            layers.append(f"keras.layers.ZeroPadding{n}D({_keras_layer_pairs(g.pads)}, dtype=dtype)")
            padding = "valid"
        kernel, dilation = _keras_kernel(g, notes, any(s > 1 for s in g.stride))
        layers.append(
            f"keras.layers.Conv{n}D({g.out_channels}, {kernel}, strides={g.stride}, padding={padding!r}, "
            f"dilation_rate={dilation}, groups={g.groups}, use_bias={g.bias}, dtype=dtype)"
        )
    elif g.op == "conv_transpose":
        if g.groups != 1:
            raise NoExactPort("groups", "Keras's ConvTranspose layers have no groups: no exact port")
        kernel, dilation = _keras_kernel(g, notes, True)  # TF's CPU kernels have no dilated transpose
        extras, crop = _grow_and_crop(g, "Keras's output_padding")
        layers.append(
            f"keras.layers.Conv{n}DTranspose({g.out_channels}, {kernel}, strides={g.stride}, padding='valid', "
            f"output_padding={tuple(extras)}, dilation_rate={dilation}, use_bias={g.bias}, dtype=dtype)"
        )
        if tuple(crop) != zero:
            layers.append(f"keras.layers.Cropping{n}D({_keras_layer_pairs(tuple(crop))}, dtype=dtype)")
    elif g.op == "max_pool":
        if any(d > 1 for d in g.dilation):
            raise NoExactPort("dilation", "Keras pooling has no dilation: no exact port")
        if g.pads == zero:
            padding = "valid"
        elif g.pads == _keras_same(g):
            padding = "same"
        else:
            layers.append(
                f"keras.layers.Lambda(lambda x: keras.ops.pad(x, {_keras_pairs(g.pads)}, "
                "constant_values=float('-inf')), dtype=dtype)"
            )
            notes.append("max pooling pads with -inf, so padding is never the maximum")
            padding = "valid"
        layers.append(f"keras.layers.MaxPooling{n}D({g.kernel}, strides={g.stride}, padding={padding!r}, dtype=dtype)")
    else:
        counted = g.declared if g.divisor == "padded" else zero
        if g.pads == zero:
            layers.append(f"keras.layers.AveragePooling{n}D({g.kernel}, strides={g.stride}, dtype=dtype)")
        elif g.divisor == "real" and g.pads == _keras_same(g):
            layers.append(
                f"keras.layers.AveragePooling{n}D({g.kernel}, strides={g.stride}, padding='same', dtype=dtype)"
            )
        elif counted == g.pads:
            layers.append(f"keras.layers.ZeroPadding{n}D({_keras_layer_pairs(g.pads)}, dtype=dtype)")
            layers.append(f"keras.layers.AveragePooling{n}D({g.kernel}, strides={g.stride}, dtype=dtype)")
        else:
            notes.append(
                "the average divides by the cells the source counts, which no Keras pooling expresses: "
                "a Lambda sums each window and divides by the count of those cells (equal to float rounding)"
            )
            rest = tuple((p[0] - c[0], p[1] - c[1]) for p, c in zip(g.pads, counted, strict=True))
            layers.append(
                "keras.layers.Lambda(lambda x: _window_average(x, "
                f"{g.kernel}, {g.stride}, {_keras_pairs(counted)}, {_keras_pairs(rest)}), dtype=dtype)"
            )
    return layers


def keras_helpers(layers: Sequence[str], notes: Sequence[str]) -> list[str]:
    """The helper functions the layers of ``keras_layers`` call."""
    code: list[str] = []
    if any("the dilation is written into the kernel" in note for note in notes):
        code += DILATED
    if any("_window_average" in layer for layer in layers):
        code += WINDOW_AVERAGE
    return code


def _emit_keras(g: Geometry, source: str, shape: tuple[int, ...], notes: list[str]) -> str:
    layers = keras_layers(g, notes)
    weighted = g.op in ("conv", "conv_transpose")
    dilated = any("the dilation is written into the kernel" in note for note in notes)
    code = ["import numpy as np", "import keras", "", *keras_helpers(layers, notes)]
    spatial_in = ", ".join(str(s) for s in g.spatial)
    code += [
        "",
        "def build(weight=None, bias=None):",
        f'    """{_describe(g, source, shape)} as Keras: input and output (N, *spatial, C)."""',
        "    dtype = 'float64' if weight is not None and weight.dtype == np.float64 else 'float32'",
        f"    inputs = keras.Input(shape=({spatial_in}, {g.in_channels}), dtype=dtype)",
        "    x = inputs",
    ]
    for layer in layers:
        code.append(f"    x = {layer}(x)")
    code.append("    model = keras.Model(inputs, x)")
    if weighted:
        code += [
            "    layer = next(l for l in model.layers if l.weights)",
            "    if weight is not None:",
            f"        arrays = [{_keras_weight(source, g, dilated)}]"
            + (" + ([bias] if bias is not None else [])" if g.bias else ""),
            "        if len(arrays) < len(layer.weights):",
            "            arrays.append(layer.weights[1].numpy())",
            "        layer.set_weights(arrays)",
        ]
    code.append("    return model")
    return "\n".join(code) + "\n"


def _grow_and_crop(g: Geometry, what: str) -> tuple[list[int], list[tuple[int, int]]]:
    """A transposed convolution's crops as cells added at the end (they hold the bias, so they
    come from the layer itself, below the stride) and a crop of what is left."""
    extras, crop = [], []
    for (before, after), stride in zip(g.pads, g.stride, strict=True):
        if before < 0 or -after >= stride:
            raise NoExactPort("output_padding", f"{what} can add fewer cells than the stride: no exact port")
        extras.append(max(-after, 0))
        crop.append((before, max(after, 0)))
    return extras, crop


def _keras_layer_pairs(pairs: Pairs) -> object:
    """ZeroPadding1D/Cropping1D take one (before, after); the 2-D and 3-D layers a pair per axis."""
    return pairs[0] if len(pairs) == 1 else pairs


def _keras_pairs(pairs: Pairs) -> list[list[int]]:
    """keras.ops.pad's pairs over every axis of a channels-last batch."""
    return [[0, 0], *([b, a] for b, a in pairs), [0, 0]]


def _describe(g: Geometry, source: str, shape: tuple[int, ...]) -> str:
    names = {"conv": "convolution", "conv_transpose": "transposed convolution", "max_pool": "max pool"}
    what = names.get(g.op, "average pool")
    return f"The {source} {len(g.spatial)}-D {what} (kernel {fmt(g.kernel)}, stride {fmt(g.stride)}) on {fmt(shape)}"


# --------------------------------------------------------------------------- tf.nn


def _torch_or_keras_layout(source: str, g: Geometry, name: str) -> str:
    """Random weights drawn in tf's layout, turned into the source's, so that build() converts them back."""
    n = len(g.kernel)
    if source == "torch":
        return f"np.transpose({name}, ({n + 1}, {n}, {', '.join(map(str, range(n)))}))"
    if g.depthwise:
        return f"{name}.reshape(*{name}.shape[:{n}], -1, {g.out_channels // g.in_channels})"
    return name


def _emit_tf(g: Geometry, source: str, shape: tuple[int, ...], notes: list[str]) -> str:
    """A tf.Module whose __call__ runs tf.nn ops: explicit tf.pad, then VALID windows."""
    pairs = _keras_pairs(g.pads)
    zero = tuple((0, 0) for _ in g.pads)
    init = ["        self.weight = self.bias = None"]
    call: list[str] = []
    weighted = g.op in ("conv", "conv_transpose")
    kernel, dilation = g.kernel, g.dilation
    if weighted:
        undilate = g.op == "conv_transpose" or any(s > 1 for s in g.stride)
        kernel, dilation = _keras_kernel(g, notes, undilate)  # TF refuses what Keras refuses, on the CPU too
        dilated = kernel != g.kernel
        layout = _keras_weight(source, g, dilated)
        per_group = g.in_channels // g.groups
        channels = (g.out_channels, g.in_channels) if g.op == "conv_transpose" else (per_group, g.out_channels)
        init = [
            "        if weight is None:  # untrained: small random weights in tf's layout",
            f"            weight = np.random.default_rng(0).normal(0, 0.1, {(*g.kernel, *channels)})",
            "            weight = " + _torch_or_keras_layout(source, g, "weight"),
            f"        self.weight = tf.constant({layout}, dtype)",
            "        self.bias = tf.constant(bias, dtype) if bias is not None else None",
        ]
    if g.op == "conv":
        if g.pads != zero:
            mode = {"zeros": "CONSTANT", "reflect": "REFLECT"}.get(g.padding_mode)
            if mode is None:
                raise NoExactPort("padding_mode", f"tf.pad has no {g.padding_mode} mode: no exact port")
            call.append(f"x = tf.pad(x, {pairs}, mode={mode!r})")
        call.append(
            f"y = tf.nn.convolution(x, self.weight, strides={list(g.stride)}, padding='VALID', "
            f"dilations={list(dilation)})"
        )
    elif g.op == "conv_transpose":
        if g.groups != 1:
            raise NoExactPort("groups", "tf.nn.conv_transpose has no groups: no exact port")
        extras, crop = _grow_and_crop(g, "tf's output_shape")
        full = [
            (size - 1) * stride + k + extra
            for size, stride, k, extra in zip(g.spatial, g.stride, kernel, extras, strict=True)
        ]
        call.append(f"shape = tf.stack([tf.shape(x)[0], {', '.join(map(str, full))}, {g.out_channels}])")
        call.append(f"y = tf.nn.conv_transpose(x, self.weight, shape, strides={list(g.stride)}, padding='VALID')")
        if tuple(crop) != zero:
            index = ", ".join(f"{b}:{size - a}" for (b, a), size in zip(crop, full, strict=True))
            call.append(f"y = y[:, {index}, :]")
    elif g.op == "max_pool":
        if any(d > 1 for d in g.dilation):
            raise NoExactPort("dilation", "tf.nn.max_pool has no dilation: no exact port")
        if g.pads != zero:
            call.append(f"x = tf.pad(x, {pairs}, constant_values=float('-inf'))")
            notes.append("max pooling pads with -inf, so padding is never the maximum")
        call.append(f"y = tf.nn.max_pool(x, {list(g.kernel)}, {list(g.stride)}, 'VALID')")
    else:
        counted = g.declared if g.divisor == "padded" else zero
        if g.pads == zero or counted == g.pads:
            if g.pads != zero:
                call.append(f"x = tf.pad(x, {pairs})")
            call.append(f"y = tf.nn.avg_pool(x, {list(g.kernel)}, {list(g.stride)}, 'VALID')")
        else:
            notes.append(
                "the average divides by the cells the source counts: window sums over the count of those "
                "cells (equal to float rounding)"
            )
            rest = tuple((p[0] - c[0], p[1] - c[1]) for p, c in zip(g.pads, counted, strict=True))
            call += [
                f"ones = tf.pad(tf.pad(tf.ones_like(x[..., :1]), {_keras_pairs(counted)}, constant_values=1), "
                f"{_keras_pairs(rest)})",
                f"x = tf.pad(x, {pairs})",
                f"y = tf.nn.avg_pool(x, {list(g.kernel)}, {list(g.stride)}, 'VALID') / "
                f"tf.nn.avg_pool(ones, {list(g.kernel)}, {list(g.stride)}, 'VALID')",
            ]
    if weighted and g.bias:
        call.append("y = y + self.bias if self.bias is not None else y")
    code = ["import numpy as np", "import tensorflow as tf", ""]
    if weighted and kernel != g.kernel:
        code += DILATED
    code += [
        "",
        "class Ported(tf.Module):",
        f'    """{_describe(g, source, shape)} as tf.nn ops: input and output (N, *spatial, C)."""',
        "",
        "    def __init__(self, weight=None, bias=None):",
        "        super().__init__()",
        "        dtype = tf.float64 if weight is not None and weight.dtype == np.float64 else tf.float32",
        *init,
        "",
        "    def __call__(self, x):",
        "        x = tf.convert_to_tensor(x)  # a NumPy array keeps its dtype (tf.nn.max_pool would take float32)",
        *[f"        {line}" for line in call],
        "        return y",
        "",
        "",
        "def build(weight=None, bias=None):",
        "    return Ported(weight, bias)",
    ]
    return "\n".join(code) + "\n"
