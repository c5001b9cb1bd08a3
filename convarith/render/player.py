"""The interactive player of one layer: a scene, the words around it, and where it goes
(an HTML file, a notebook cell, a script's string)."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import cast

from ..codegen import layer_code
from ..errors import ShapeError
from ..explain import axis_names, formula
from ..layers import Layer
from . import DRAWABLE
from .cells import Step
from .drawing import Scene, Values, number
from .html import Caption, arithmetic, check, fragment, page


@dataclass(frozen=True, repr=False)
class Player:
    """A layer on an input: ``str()`` is its arithmetic; in a notebook it is the player (the
    arithmetic alone for a layer that is not drawn, ``scene`` None); ``save`` writes the page."""

    scene: Scene | None
    caption: Caption
    duration: int = 1000

    def page(self, on_frame: Callable[[], object] | None = None) -> str:
        """The whole self-contained HTML document (``on_frame()`` after each frame is built)."""
        if self.scene is None:
            raise ShapeError("input", "only 1-D and 2-D layers are drawn; this player has no picture to save")
        return page(self.scene, self.caption, duration=self.duration, on_frame=on_frame)

    def _repr_html_(self) -> str:
        if self.scene is None:
            return arithmetic(self.caption)
        return fragment(self.scene, self.caption, duration=self.duration)

    def save(self, path: str | os.PathLike[str], on_frame: Callable[[], object] | None = None) -> None:
        """Write the page to ``path`` (.html), atomically."""
        from ..images import write_atomically
        from . import output_format

        if output_format(path) != "html":  # also checks that it is a path, in a folder that exists
            raise ShapeError("output", f"a player is an .html file, got {os.fspath(path)!r}")
        text = self.page(on_frame)

        def write(target: str) -> None:
            with open(target, "w", encoding="utf-8") as handle:
                handle.write(text)

        write_atomically(path, write)

    def __repr__(self) -> str:
        frames = "not drawn" if self.scene is None else f"{len(self.scene.frames)} frames"
        return f"<convarith player: {self.caption.title} ({frames})>"

    def __str__(self) -> str:
        return "\n".join([self.caption.title, *(f"  {line}" for line in self.caption.formulas)])


def caption(layer: Layer, spatial: Sequence[int], output_size: object = None) -> Caption:
    """The title and the formula of each axis, with the numbers."""
    axes = layer.arithmetic(tuple(spatial), output_size)
    sizes = "x".join(str(ax.input) for ax in axes)
    outputs = "x".join(str(ax.output) for ax in axes)
    title = f"{sizes} -> {outputs}: {layer_code(layer, len(axes))}"
    if output_size is not None:  # the layer's line alone would give the smallest size
        implied = ", ".join(str(ax.output_padding) for ax in axes)
        asked = "forward(output_size=...)" if layer.framework == "torch" else "output_shape"
        title += f"  [{asked} {outputs}: output padding {implied}]"
    names = axis_names(len(axes))
    formulas = [f"{name}: {formula(layer, ax)}" for name, ax in zip(names, axes, strict=True)]
    transposed = layer.op == "conv_transpose"
    headers = ["axis", "input", "padding", "kernel", "stride", "dilation", *(["output padding"] if transposed else [])]
    table: list[list[str]] = [[*headers, "output"]]
    for name, ax in zip(names, axes, strict=True):
        row = [name, str(ax.input), f"{ax.padding[0]} + {ax.padding[1]}", str(ax.kernel_size), str(ax.stride)]
        row += [str(ax.dilation), *([str(ax.output_padding)] if transposed else []), str(ax.output)]
        table.append(row)
    return Caption(title, formulas, table=table)


def window_texts(scene: Scene, op: str, values: Values) -> list[str]:
    """Per frame, the numbers of the window and what is done with them, ending in the
    output the backend computed (so a wrong picture would show as a wrong sum)."""
    cells = scene.cells
    if cells is None:
        raise ShapeError("scene", "has no cell map")
    texts = []
    for k in range(cells.frames):
        step = cells.step(k)
        texts.append(_window_text(step, op, values))
    return texts


def _window_text(step: Step, op: str, values: Values) -> str:
    _, i, j = step.writes
    result = values.outputs[i][j]
    numbers = [values.plane[r][c] for _, r, c in step.reads]
    shown = [number(v) for v in numbers if v is not None]
    if op in ("conv", "conv_transpose"):
        kernel = values.kernel
        if kernel is None:
            raise ShapeError("values", "a convolution's values need its kernel")
        weights = [w for row in kernel for w in row]
        terms = [f"{number(x or 0.0)}\u00d7{number(w)}" for x, w in zip(numbers, weights, strict=True)]
        return " + ".join(terms) + f" = {result}"
    if op == "max_pool":
        return f"max({', '.join(shown)}) = {result}"
    return f"({' + '.join(shown)}) / {len(shown)} = {result}"


def _items_per_frame(scene: Scene) -> int:
    first = scene.frames[0]
    return len(first.moving) + len(first.kept)


def player(
    layer: Layer,
    spatial: Sequence[int],
    *,
    style: str = "dumoulin",
    labels: bool = True,
    values: bool = False,
    seed: int = 1234,
    output_size: int | Sequence[int] | None = None,
    force: bool = False,
    duration: int = 1000,
) -> Player:
    """The player of ``layer`` on a 1-D or 2-D input (see ``render.scene``); sizes are
    checked against the limits before the page is built."""
    from . import check_duration, scene

    duration = check_duration(duration)
    built = scene(
        layer, spatial, style=style, labels=labels, values=values, seed=seed, output_size=output_size, force=force
    )
    check(built, _items_per_frame(built))
    text = caption(layer, spatial, output_size)
    if built.values is not None:  # the numbers the scene drew, not computed again
        text = Caption(text.title, text.formulas, window_texts(built, layer.op, built.values), text.table)
    return Player(built, text, duration)


def show(
    layer: Layer,
    input_size: int | Sequence[int],
    *,
    output_size: int | Sequence[int] | None = None,
    values: bool = False,
    style: str = "dumoulin",
    seed: int = 1234,
    duration: int = 1000,
    force: bool = False,
) -> Player:
    """``layer`` on an input of ``input_size`` (spatial sizes): in a notebook, the arithmetic
    and the interactive player; ``.page()`` the HTML; ``.save("layer.html")`` the file.
    A 3-D layer gets its arithmetic without a picture."""
    spatial = (input_size,) if isinstance(input_size, int) and not isinstance(input_size, bool) else input_size
    if not isinstance(layer, Layer):
        raise ShapeError("layer", f"must be a convarith layer (Conv, ConvTranspose, MaxPool, ...), got {layer!r}")
    axes = layer.arithmetic(spatial, output_size)
    if len(axes) > 2 or layer.op not in DRAWABLE:
        return Player(None, caption(layer, [ax.input for ax in axes], output_size), duration)
    sizes = cast("int | tuple[int, ...] | None", output_size)
    return player(
        layer,
        [ax.input for ax in axes],
        style=style,
        values=values,
        seed=seed,
        output_size=sizes,
        duration=duration,
        force=force,
    )
