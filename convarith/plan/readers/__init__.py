"""Where networks come from, one reader per form, all giving a :class:`Network` to plan.

* spec files (TOML/JSON) and presets: a list of layer dicts (``..sources``);
* PyTorch code: ``nn.Module`` classes with ``forward``, or bare layer expressions (``torch_code``);
* the text of ``print(model)`` (``torch_repr``);
* Keras code: Sequential, ``.add`` and the functional API (``keras_code``).

Code is parsed with ``ast`` and never executed or imported.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from ...errors import ShapeError
from ..model import Plan, layout_of
from ..model import plan as plan_layers
from ..schema import Spec, Value


class Network(Protocol):
    """What every reader gives: a network planned on an input shape (framework: its own by default)."""

    framework: str  # whose rules the network is written in
    default_input: tuple[int, ...] | None  # per-sample shape the source states, if any

    def plan(
        self, input_shape: tuple[int, ...], framework: str = ..., dtype: str = "float32", macs: str = "multiply"
    ) -> Plan: ...


@dataclass
class LayerList:
    """A spec file or preset: layer dicts planned in order (or along their ``inputs``)."""

    layers: list[Spec]
    default_input: tuple[int, ...] | None
    framework: str = "torch"
    dims: int | None = None  # spatial axes, when the layers fix them
    dtype: str | None = None  # the spec's element type, for the memory column

    def plan(
        self,
        input_shape: Value = None,
        framework: str | None = None,
        dtype: str | None = None,
        macs: str = "multiply",
    ) -> Plan:
        from ..schema import check_shape

        if input_shape is None:
            input_shape = self.default_input
        if input_shape is None:
            raise ShapeError("input", "is needed: the network does not say its input shape")
        framework = self.framework if framework is None else framework
        shape, batch = with_batch(check_shape(input_shape), self.dims, framework)
        return plan_layers(self.layers, shape, framework, dtype or self.dtype or "float32", batch=batch, macs=macs)


def with_batch(shape: tuple[int, ...], dims: int | None, framework: str) -> tuple[tuple[int, ...], int]:
    """(per-sample shape, batch) from -i given with or without the batch dimension."""
    if dims is not None and len(shape) == dims + 2:
        return shape[1:], shape[0]
    if dims is not None and len(shape) != dims + 1:
        layout = "H x W x C" if layout_of(framework) == "channels_last" else "C x H x W"
        raise ShapeError(
            "input",
            f"has {len(shape)} dimensions ({'x'.join(map(str, shape))}) but the network is "
            f"{dims}-D: give {dims + 1} ({layout} style) or {dims + 2} with the batch first",
        )
    return shape, 1


def layer_dims(layers: Iterable[Spec]) -> int | None:
    """Spatial axes the layers fix (the length of the first per-axis kernel_size/output_size), if any."""
    for layer in layers:
        for key in ("kernel_size", "output_size"):
            value = layer.get(key)
            if isinstance(value, (list, tuple)):
                return len(value)
    return None


REPR_HEAD = re.compile(r"^\s*[A-Za-z_][\w.]*\($")
REPR_CHILD = re.compile(r"^\s+\([\w.-]+\): [A-Za-z_]")
KERAS_HINT = re.compile(r"\b(keras|layers\.(Conv[123]D|Dense|Input|MaxPooling|Flatten)|Sequential\(\s*\[)")


def detect(text: str) -> str:
    """'repr' for print(model) text, 'keras' for Keras code, else 'torch'."""
    lines = [line for line in text.splitlines() if line.strip()]
    if lines and REPR_HEAD.match(lines[0]) and any(REPR_CHILD.match(line) for line in lines[1:3]):
        return "repr"
    if KERAS_HINT.search(text) and not re.search(r"\bnn\.(Module|Conv|Linear|Sequential)", text):
        return "keras"
    return "torch"


def read(
    text: str, origin: str, framework: str | None = None, cls: str | None = None, args: str | None = None
) -> Network:
    """The network in a text: PyTorch code, print(model) output or Keras code."""
    form = "keras" if framework == "keras" else detect(text)
    if framework == "tf" and form != "repr":
        form = "keras"
    if form == "repr":
        from .torch_repr import read_repr

        return read_repr(text, origin)
    if form == "keras":
        from .keras_code import read_keras

        return read_keras(text, origin, variable=cls, args=args)
    from .torch_code import read_torch

    return read_torch(text, origin, cls=cls, args=args)
