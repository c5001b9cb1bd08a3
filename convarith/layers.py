"""The layers: output_shape, tensor_shape and per-axis arithmetic, in pure Python.

A layer is checked and normalised once, in its constructor, by its framework's dialect, and
is immutable afterwards: integers of any type are stored as Python ints, per-axis lists as
tuples, and padding in the framework's canonical spelling.
"""

from __future__ import annotations

from math import gcd
from types import ModuleType
from typing import Any, ClassVar

from .arithmetic import AxisArithmetic
from .axes import check_int_or_axes, check_spatial, common_ndim, expand, flag, is_int, plain
from .dialects import keras as _keras
from .dialects import tf as _tf
from .dialects import torch as _torch
from .dialects.common import fmt
from .errors import ShapeError

DIALECTS: dict[str, ModuleType] = {"torch": _torch, "tf": _tf, "keras": _keras}
FRAMEWORKS = tuple(DIALECTS)

IntOrAxes = int | tuple[int, ...]
"""A size for every axis, or one per spatial axis."""
Padding = int | str | tuple[int, ...] | tuple[tuple[int, int], ...]
"""An int, per-axis ints, a word ('same', 'VALID', 'causal'...) or tf's (before, after) pairs."""


def _dialect(framework: object) -> ModuleType:
    if not isinstance(framework, str):
        raise ShapeError("framework", f"must be one of {', '.join(FRAMEWORKS)}; got {framework!r}")
    key = framework.lower()
    aliases = {"pytorch": "torch", "tensorflow": "tf"}
    key = aliases.get(key, key)
    if key not in DIALECTS:
        raise ShapeError("framework", f"must be one of {', '.join(FRAMEWORKS)}; got {framework!r}")
    return DIALECTS[key]


def _channels(name: str, value: object) -> None:
    if value is not None and (not is_int(value) or value < 1):
        raise ShapeError(name, f"must be a positive integer, got {value!r}")


def split_tensor(shape: tuple[int, ...], framework: str) -> tuple[int, int, tuple[int, ...]]:
    """(batch, channels, spatial) of a whole tensor shape: (N, C, *spatial) in torch,
    (N, *spatial, C) in tf and Keras."""
    if framework == "torch":
        return shape[0], shape[1], shape[2:]
    return shape[0], shape[-1], shape[1:-1]


class Layer:
    """Shared behaviour; subclasses set ``op`` and implement ``arithmetic``."""

    op: ClassVar[str] = "layer"
    _per_axis: ClassVar[tuple[str, ...]] = ()
    _optional: ClassVar[tuple[str, ...]] = ()  # per-axis parameters that may be None (the framework's default)
    _repr_names: ClassVar[tuple[str, ...]] = ()
    dialect: ModuleType
    framework: str
    _frozen: bool = False

    def __setattr__(self, name: str, value: object) -> None:
        if self._frozen:
            raise AttributeError(f"{type(self).__name__} is immutable: build a new layer to change {name}")
        object.__setattr__(self, name, value)

    def _setup(self, framework: object, check: str | None, **params: Any) -> None:
        """Store the parameters, check their types, let the dialect check and normalise them
        (it returns the padding in the framework's spelling), then freeze the layer."""
        self.dialect = _dialect(framework)
        self.framework = self.dialect.NAME
        for name, value in params.items():
            setattr(self, name, plain(value))
        padding = params.get("padding")
        if self.framework != "torch" and is_int(padding) and padding == 0:
            # "no padding", in their words (setattr: Layer has no padding, its subclasses type it)
            setattr(self, "padding", "VALID" if self.framework == "tf" else "valid")  # noqa: B010
        for name in self._per_axis:
            value = getattr(self, name)
            if value is None and name in self._optional:
                continue
            if name == "padding" and isinstance(value, str):
                continue
            if (
                name == "padding"
                and self.framework == "tf"
                and isinstance(value, tuple)
                and value
                and isinstance(value[0], tuple)
            ):
                continue  # explicit ((before, after), ...) pairs, checked by the dialect
            check_int_or_axes(name, value)
        self.ndim  # noqa: B018  (per-axis parameters must agree on the number of axes, checked now)
        if check is not None:
            setattr(self, "padding", getattr(self.dialect, check)(self))  # noqa: B010
        self._frozen = True

    @property
    def ndim(self) -> int | None:
        """Spatial axes fixed by per-axis parameters, or None if any number fits."""
        params = {n: getattr(self, n) for n in self._per_axis}
        params = {n: v for n, v in params.items() if v is not None and not isinstance(v, str)}
        padding = params.get("padding")
        if self.framework == "tf" and isinstance(padding, tuple) and padding and not is_int(padding[0]):
            params["padding"] = tuple(0 for _ in padding)
        return common_ndim(params)

    def _sizes(self, spatial_input: object) -> tuple[int, ...]:
        sizes = check_spatial("input", spatial_input)
        expected = self.ndim
        if expected is not None and len(sizes) != expected:
            raise ShapeError(
                "input", f"has {len(sizes)} spatial axes ({fmt(sizes)}) but the layer's parameters have {expected}"
            )
        return sizes

    def arithmetic(self, spatial_input: object, output_size: object = None) -> tuple[AxisArithmetic, ...]:
        """Per-axis arithmetic for spatial input sizes. ``output_size`` is for transposed
        convolutions only (PyTorch's ``forward(output_size=...)``, tf's ``output_shape``)."""
        if output_size is not None:
            raise ShapeError("output_size", f"applies to transposed convolutions only, not {self.op}")
        return self._arithmetic(self._sizes(spatial_input))

    def _arithmetic(self, sizes: tuple[int, ...]) -> tuple[AxisArithmetic, ...]:
        raise NotImplementedError

    def output_shape(self, spatial_input: object, output_size: object = None) -> tuple[int, ...]:
        """Spatial output sizes for spatial input sizes (an int is a 1-D input)."""
        return tuple(axis.output for axis in self.arithmetic(spatial_input, output_size))

    # The whole tensor: (N, C, *spatial) for torch, (N, *spatial, C) for tf and keras.
    def _split(self, full_shape: object) -> tuple[int, int, tuple[int, ...]]:
        shape = plain((full_shape,) if is_int(full_shape) else full_shape)
        if not isinstance(shape, tuple) or len(shape) < 3 or not all(is_int(v) for v in shape):
            layout = "(N, C, *spatial)" if self.framework == "torch" else "(N, *spatial, C)"
            raise ShapeError(
                "input",
                f"a tensor shape needs batch, channels and at least one spatial size {layout}, got {full_shape!r}",
            )
        if any(v < 1 for v in shape):
            raise ShapeError("input", f"every size must be at least 1, got {shape}")
        return split_tensor(shape, self.framework)

    def _join(self, batch: int, channels: int, spatial: tuple[int, ...]) -> tuple[int, ...]:
        if self.framework == "torch":
            return (batch, channels, *spatial)
        return (batch, *spatial, channels)

    def _out_channels(self, channels: int) -> int:
        return channels

    def tensor_shape(self, full_shape: object, output_size: object = None) -> tuple[int, ...]:
        """The full output shape, in the framework's layout, channels checked."""
        batch, channels, spatial = self._split(full_shape)
        out_channels = self._out_channels(channels)
        return self._join(batch, out_channels, self.output_shape(spatial, output_size))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._repr_items())
        return f"{type(self).__name__}({args})"

    def _repr_items(self) -> list[tuple[str, object]]:
        return [(k, getattr(self, k)) for k in self._repr_names] + [("framework", self.framework)]

    def _repr_html_(self) -> str:
        """A notebook's view: the parameters, the framework's own line, and how to see more."""
        from html import escape

        from .codegen import layer_code

        rows = "".join(
            f"<tr><th style='text-align:left'>{escape(k)}</th><td style='text-align:left'>{escape(repr(v))}</td></tr>"
            for k, v in self._repr_items()
        )
        code = escape(layer_code(self, self.ndim or 2))
        return (
            f"<div><b>{escape(type(self).__name__)}</b> <code>{code}</code>"
            f"<table>{rows}</table>"
            "<div style='color:#586e75'>convarith.show(layer, input_size) draws it on an input, "
            "with its arithmetic.</div></div>"
        )


class _ConvBase(Layer):
    _per_axis: ClassVar[tuple[str, ...]] = ("kernel_size", "stride", "padding", "dilation")
    kernel_size: IntOrAxes
    stride: IntOrAxes
    padding: Padding
    dilation: IntOrAxes
    groups: int
    in_channels: int | None
    out_channels: int | None

    @staticmethod
    def _common(groups: object, in_channels: object, out_channels: object) -> None:
        if not is_int(groups):
            raise ShapeError("groups", f"must be an integer, got {groups!r}")
        _channels("in_channels", in_channels)
        _channels("out_channels", out_channels)

    def _out_channels(self, channels: int) -> int:
        expected = self.in_channels
        if expected is not None and channels != expected:
            raise ShapeError(
                "in_channels",
                f"the input has {channels} channels but the layer expects in_channels={expected}",
            )
        if channels % self.groups:
            raise ShapeError("groups", f"the input's {channels} channels are not divisible by groups={self.groups}")
        if self.out_channels is None:
            raise ShapeError("out_channels", "is needed to compute a full tensor shape")
        return self.out_channels


class Conv(_ConvBase):
    """A convolution (cross-correlation, as every framework computes it)."""

    op = "conv"
    _repr_names = ("kernel_size", "stride", "padding", "dilation", "groups", "in_channels", "out_channels")

    def __init__(
        self,
        kernel_size: IntOrAxes,
        stride: IntOrAxes = 1,
        padding: Padding = 0,
        dilation: IntOrAxes = 1,
        groups: int = 1,
        in_channels: int | None = None,
        out_channels: int | None = None,
        framework: str = "torch",
    ) -> None:
        self._common(groups, in_channels, out_channels)
        self._setup(
            framework,
            "check_conv",
            kernel_size=kernel_size,
            stride=stride,
            padding=padding,
            dilation=dilation,
            groups=groups,
            in_channels=in_channels,
            out_channels=out_channels,
        )

    def _arithmetic(self, sizes: tuple[int, ...]) -> tuple[AxisArithmetic, ...]:
        result: tuple[AxisArithmetic, ...] = self.dialect.conv(self, sizes)
        return result


class ConvTranspose(_ConvBase):
    """A transposed convolution. ``output_padding=None`` means the framework's default
    (0 for torch; for Keras, None picks its own size and differs from 0)."""

    op = "conv_transpose"
    _per_axis = ("kernel_size", "stride", "padding", "output_padding", "dilation")
    _optional: ClassVar[tuple[str, ...]] = ("output_padding",)
    _repr_names = (
        "kernel_size",
        "stride",
        "padding",
        "output_padding",
        "dilation",
        "groups",
        "in_channels",
        "out_channels",
    )
    output_padding: IntOrAxes | None

    def __init__(
        self,
        kernel_size: IntOrAxes,
        stride: IntOrAxes = 1,
        padding: Padding = 0,
        output_padding: IntOrAxes | None = None,
        dilation: IntOrAxes = 1,
        groups: int = 1,
        in_channels: int | None = None,
        out_channels: int | None = None,
        framework: str = "torch",
    ) -> None:
        self._common(groups, in_channels, out_channels)
        if output_padding is None and _dialect(framework).NAME == "torch":
            output_padding = 0
        self._setup(
            framework,
            "check_conv_transpose",
            kernel_size=kernel_size,
            stride=stride,
            padding=padding,
            output_padding=output_padding,
            dilation=dilation,
            groups=groups,
            in_channels=in_channels,
            out_channels=out_channels,
        )

    def arithmetic(self, spatial_input: object, output_size: object = None) -> tuple[AxisArithmetic, ...]:
        """``output_size`` is PyTorch's ``forward(output_size=...)`` / tf's ``output_shape``."""
        sizes = self._sizes(spatial_input)
        if output_size is not None:
            output_size = plain(output_size)
            check_int_or_axes("output_size", output_size)
            expand("output_size", output_size, len(sizes))
        result: tuple[AxisArithmetic, ...] = self.dialect.conv_transpose(self, sizes, output_size)
        return result


class _Pool(Layer):
    _per_axis: ClassVar[tuple[str, ...]] = ("kernel_size", "stride", "padding", "dilation")
    _optional: ClassVar[tuple[str, ...]] = ("stride",)
    kind: ClassVar[str] = ""
    kernel_size: IntOrAxes
    stride: IntOrAxes | None
    padding: Padding
    dilation: IntOrAxes
    ceil_mode: bool

    def _arithmetic(self, sizes: tuple[int, ...]) -> tuple[AxisArithmetic, ...]:
        result: tuple[AxisArithmetic, ...] = self.dialect.pool(self, sizes, self.kind)
        return result


class MaxPool(_Pool):
    op, kind = "max_pool", "max"
    _repr_names = ("kernel_size", "stride", "padding", "dilation", "ceil_mode")

    def __init__(
        self,
        kernel_size: IntOrAxes,
        stride: IntOrAxes | None = None,
        padding: Padding = 0,
        dilation: IntOrAxes = 1,
        ceil_mode: bool = False,
        framework: str = "torch",
    ) -> None:
        ceil_mode = flag("ceil_mode", ceil_mode)
        _check_ceil_mode(ceil_mode, framework)
        self._setup(
            framework,
            "check_pool",
            kernel_size=kernel_size,
            stride=stride,
            padding=padding,
            dilation=dilation,
            ceil_mode=ceil_mode,
        )


class AvgPool(_Pool):
    op, kind = "avg_pool", "avg"
    _repr_names = ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad")
    count_include_pad: bool

    def __init__(
        self,
        kernel_size: IntOrAxes,
        stride: IntOrAxes | None = None,
        padding: Padding = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        framework: str = "torch",
    ) -> None:
        ceil_mode = flag("ceil_mode", ceil_mode)
        _check_ceil_mode(ceil_mode, framework)
        self._setup(
            framework,
            "check_pool",
            kernel_size=kernel_size,
            stride=stride,
            padding=padding,
            dilation=1,
            ceil_mode=ceil_mode,
            count_include_pad=flag("count_include_pad", count_include_pad),
        )


def _check_ceil_mode(ceil_mode: bool, framework: object) -> None:
    name = _dialect(framework).NAME
    if ceil_mode and name != "torch":
        raise ShapeError("ceil_mode", f"exists only in PyTorch; {name} pools with padding='same' or 'valid'")


class _AdaptivePool(Layer):
    """PyTorch's adaptive pools: window j spans [floor(j*i/o), ceil((j+1)*i/o))."""

    _repr_names = ("output_size",)
    output_size: int | tuple[int | None, ...]

    def __init__(self, output_size: int | tuple[int | None, ...]) -> None:
        output_size = plain(output_size)
        check_int_or_axes("output_size", output_size, allow_none_entries=True)
        values: tuple[int | None, ...] = (output_size,) if isinstance(output_size, int) else output_size
        if any(v is not None and v < 0 for v in values):
            raise ShapeError(
                "output_size", f"every size must be 0 or more (0 gives an empty tensor, as in torch), got {output_size}"
            )
        self._setup("torch", None, output_size=output_size)

    @property
    def ndim(self) -> int | None:
        return None if isinstance(self.output_size, int) else len(self.output_size)

    def _arithmetic(self, sizes: tuple[int, ...]) -> tuple[AxisArithmetic, ...]:
        wanted = expand("output_size", self.output_size, len(sizes))
        if len(sizes) == 1 and wanted == (None,):
            raise ShapeError("output_size", "PyTorch's 1-D adaptive pools take an int, not None")
        axes = []
        for i, o in zip(sizes, wanted, strict=True):
            o = i if o is None else o
            if o == 0:  # torch returns an empty tensor and reads nothing
                axes.append(
                    AxisArithmetic(
                        input=i,
                        output=0,
                        kernel_size=0,
                        stride=0,
                        dilation=1,
                        padding=(0, 0),
                        effective_kernel=0,
                        unread=i,
                        notes=("output_size 0: an empty tensor, as torch gives",),
                    )
                )
                continue
            k = _widest_adaptive_window(i, o)
            uniform = i % o == 0
            axes.append(
                AxisArithmetic(
                    input=i,
                    output=o,
                    kernel_size=k,
                    stride=i // o if uniform else 0,
                    dilation=1,
                    padding=(0, 0),
                    effective_kernel=k,
                    notes=() if uniform else (f"windows vary in size (widest {k}); stride shown as 0",),
                )
            )
        return tuple(axes)


def _widest_adaptive_window(i: int, o: int) -> int:
    """max_j ceil((j+1)i/o) - floor(ji/o), in O(1).

    With r = i mod o and g = gcd(i, o), the offsets j*i mod o run over the multiples of g;
    a window straddles two extra cells exactly when some offset exceeds o - r, i.e. r > g.
    """
    r = i % o
    if r == 0:
        return i // o
    return i // o + (2 if r > gcd(i, o) else 1)


class AdaptiveAvgPool(_AdaptivePool):
    op = "adaptive_avg_pool"


class AdaptiveMaxPool(_AdaptivePool):
    op = "adaptive_max_pool"


OPS: dict[str, type[Layer]] = {
    "conv": Conv,
    "conv_transpose": ConvTranspose,
    "max_pool": MaxPool,
    "avg_pool": AvgPool,
    "adaptive_avg_pool": AdaptiveAvgPool,
    "adaptive_max_pool": AdaptiveMaxPool,
}


def make_layer(op: str, **params: Any) -> Layer:
    """A layer from an operation name ('conv', 'conv-transpose', 'max_pool', ...).

    Parameters left as None take the layer's defaults; ones the layer does not have are refused.
    """
    key = op.replace("-", "_").lower() if isinstance(op, str) else ""
    if key not in OPS:
        raise ShapeError("op", f"must be one of {', '.join(OPS)}; got {op!r}")
    cls = OPS[key]
    code = cls.__init__.__code__
    accepted = code.co_varnames[1 : code.co_argcount]
    given = {k: v for k, v in params.items() if v is not None}
    unknown = sorted(set(given) - set(accepted))
    if unknown:
        raise ShapeError(unknown[0], f"does not apply to {key}")
    required = code.co_varnames[1 : code.co_argcount - len(cls.__init__.__defaults__ or ())]
    missing = [name for name in required if name not in given]
    if missing:
        raise ShapeError(missing[0], f"is required for {key}")
    return cls(**given)
