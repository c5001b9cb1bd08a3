"""Animations of convolution arithmetic in the style of Dumoulin & Visin (arXiv:1603.07285).

``geometry`` and ``scene`` are pure Python; ``raster`` and ``encode`` need NumPy and Pillow;
``vector`` (SVG/PDF) needs matplotlib and is imported only for those formats.

Every size is known from the arithmetic before anything is drawn: the frame count (one per
output position), the canvas (from the cell counts) and the bytes the drawing holds. They
are checked against ``convarith.limits`` (``frames``, ``side``: lifted by ``force``;
``output_bytes``: lifted by ``--max-memory``) before a single cell is built.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from math import ceil, sqrt
from numbers import Integral
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from .. import limits
from ..axes import flag
from ..errors import LimitError, ShapeError
from ..images import check_folder
from . import channels
from .drawing import Scene, build, canvas
from .geometry import AxisLayout, frame_count, plane_layouts

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from ..arithmetic import AxisArithmetic
    from ..layers import Layer
    from .raster import Rasterizer

T = TypeVar("T")
STYLES = ("dumoulin", "flat")
FORMATS = (".gif", ".png", ".svg", ".pdf", ".html")

# Past this many cells on an axis a canvas would be over 2**31 px on a side, more than Pillow
# draws at any budget: refused outright, so that no float of the layout ever overflows.
MAX_CELLS = 2**31 // 30
SCENE_BYTES_PER_CELL = 1024  # a drawn cell's primitives (polygon, its points, a value's text)
GIF_BYTES_PER_PIXEL = 5  # the encoder's previous frame, change mask, patch and its image
STILL_BYTES_PER_PIXEL = 7  # a still's RGB array and Pillow's copy of it (4 bytes a pixel)


def _whole(name: str, value: object, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or int(value) < minimum:
        raise ShapeError(name, f"must be a whole number, {minimum} or more, got {value!r}")
    return int(value)


DRAWABLE = ("conv", "conv_transpose", "max_pool", "avg_pool")  # windows a picture can show, one per frame


def scene(
    layer: Layer,
    spatial_input: Sequence[int],
    *,
    style: str = "dumoulin",
    labels: bool = True,
    values: bool = False,
    seed: int = 1234,
    output_size: int | Sequence[int] | None = None,
    force: bool = False,
) -> Scene:
    """The animation of ``layer`` on a 1-D or 2-D input: one frame per output position.

    A convolution with both ``in_channels`` and ``out_channels`` is drawn by its channels
    (``channels``: every channel's plane, the kernel slices, one frame per output channel
    and position); one with ``groups`` > 1 but no channel counts, or only one of them, is
    refused. The frame count, the canvas and the bytes the drawing needs are computed and
    checked first (see ``check``, ``channels.check``); nothing per cell is built before.
    """
    if style not in STYLES:
        raise ShapeError("style", f"must be one of {', '.join(STYLES)}, got {style!r}")
    if getattr(layer, "op", None) not in DRAWABLE:
        raise ShapeError("layer", f"only {', '.join(DRAWABLE)} layers are drawn, not {layer!r}")
    seed = _whole("seed", seed)
    labels, values, force = flag("labels", labels), flag("values", values), flag("force", force)
    if output_size is not None and layer.op != "conv_transpose":
        raise ShapeError("output_size", "applies to conv-transpose only")
    layout = channels.channel_layout(layer)  # None: the one-plane view (see its rule)
    if layout is not None and values:
        raise ShapeError("values", "numbers are drawn for one channel: leave out --values, or the channel counts")
    axes = layer.arithmetic(tuple(spatial_input), output_size)
    if layout is not None:
        return channels.build(channels.check(axes, layout, style=style, labels=labels, force=force))
    rows, cols = check(axes, style=style, labels=labels, values=values, force=force)
    numbers = None
    if values:
        from .values import compute

        numbers = compute(layer, spatial_input, rows, cols, seed, output_size)
    return build(rows, cols, style=style, labels=labels, values=numbers)


def check(
    axes: Sequence[AxisArithmetic],
    *,
    style: str = "dumoulin",
    labels: bool = True,
    values: bool = False,
    force: bool = False,
) -> tuple[AxisLayout, AxisLayout]:
    """(rows, columns) layouts, once the animation of ``axes`` is known to fit the limits.

    In order, each from the arithmetic alone: the frame count (``limits.frames``), the
    cells per axis and the canvas (``limits.side``), both lifted by ``force``; then the
    bytes drawing it holds (``limits.output_bytes``, lifted by --max-memory only).
    """
    rows, cols = plane_layouts(axes)  # O(1): progressions, not lists
    frames = frame_count(rows, cols)
    if frames > limits.frames and not force:
        raise LimitError(
            "frames",
            f"this animation would have {limits.count_text(frames)} frames (one per output "
            f"position), over {limits.frames}",
            limits.LIFT["frames"],
        )
    extent = max(rows.cells, cols.cells, rows.output, cols.output)
    if extent > MAX_CELLS:
        if not force:
            _check_side("canvas", 29 * extent, force)
        raise ShapeError(
            "canvas",
            f"would be over {limits.count_text(29 * extent)} px on a side "
            f"({limits.count_text(extent)} cells), more than can be drawn",
        )
    _, width, height = canvas(rows, cols, style=style, labels=labels, values=values)
    _check_side("canvas", max(width, height), force)
    from .raster import canvas_bytes

    cells = rows.cells * cols.cells + frames
    nbytes = canvas_bytes(width, height) + GIF_BYTES_PER_PIXEL * width * height + SCENE_BYTES_PER_CELL * cells
    limits.check_bytes("canvas", f"drawing {width}x{height} px with {limits.count_text(cells)} cells", nbytes)
    return rows, cols


MAX_DURATION = 655_350  # GIF stores delays in hundredths of a second, in 16 bits


def check_duration(duration: object) -> int:
    """``duration`` as an int, once it is known to be a GIF frame delay."""
    if isinstance(duration, bool) or not isinstance(duration, Integral) or not 10 <= int(duration) <= MAX_DURATION:
        raise ShapeError(
            "duration",
            f"must be a whole number of milliseconds from 10 to {MAX_DURATION:,} "
            f"(GIF counts hundredths of a second), got {duration!r}",
        )
    return int(duration)


def _check_side(what: str, side: int, force: bool) -> None:
    if side > limits.side and not force:
        raise LimitError(what, f"would be {side} px on a side, over {limits.side}", limits.LIFT["side"])


def output_format(path: str | os.PathLike[str]) -> str:
    """The format a path asks for, checked before any drawing."""
    if not isinstance(path, (str, os.PathLike)) or isinstance(path, bytes):
        raise ShapeError("output", f"must be a file path (str or pathlib.Path), got {path!r}")
    if "\x00" in os.fspath(path):
        raise ShapeError("output", f"a file name cannot hold a NUL character: {os.fspath(path)!r}")
    file = Path(path)
    suffix = file.suffix.lower()
    if suffix not in FORMATS:
        from ..images import shown

        raise ShapeError(
            "output",
            f"unknown file type {file.suffix or '(none)'!r} for {shown(file)}: use one of {', '.join(FORMATS)}",
        )
    check_folder(file)
    return suffix[1:]


def save(
    scene: Scene,
    path: str | os.PathLike[str],
    *,
    duration: int = 1000,
    frame: int | None = None,
    sheet: bool = False,
    force: bool = False,
    on_frame: Callable[[], object] | None = None,
) -> None:
    """Write ``scene`` to ``path``: .gif (all frames, looping), .png (one frame, or all as a
    contact sheet), .svg or .pdf (one frame). The file appears complete or not at all.
    ``on_frame()`` is called after each frame of a GIF or sheet is drawn (a progress bar).
    An .html player needs the layer: ``render.player.player(layer, input).save(path)``.

    A GIF is streamed: frames are drawn, compressed and written one at a time, so memory
    does not grow with their number. Stills and sheets are checked against
    ``limits.side`` and ``limits.output_bytes`` before anything is drawn.
    """
    if not isinstance(scene, Scene):
        raise ShapeError("scene", f"must be a Scene from render.scene(...), got {scene!r}")
    sheet, force = flag("sheet", sheet), flag("force", force)
    fmt = output_format(path)
    if fmt == "html":
        raise ShapeError(
            "output", "an HTML player is made from the layer: render.player.player(layer, input).save(path)"
        )
    count = len(scene.frames)
    if fmt == "gif" and (frame is not None or sheet):
        raise ShapeError("frame", "--frame and --sheet make stills: write a .png, .svg or .pdf")
    if sheet and fmt != "png":
        raise ShapeError("sheet", "a contact sheet is a .png")
    if sheet and frame is not None:
        raise ShapeError("frame", "--frame picks one frame, --sheet shows them all: give one of them")
    if fmt == "gif":
        duration = check_duration(duration)
    index = _frame_index(frame, count)
    if fmt in ("svg", "pdf"):
        from ..images import write_atomically
        from .vector import save as save_vector

        write_atomically(path, lambda target: save_vector(scene, index, target, fmt))
        return
    from . import raster

    pixels = scene.width * scene.height
    if sheet:
        columns = ceil(sqrt(count))
        rows = ceil(count / columns)
        _check_side("sheet", max(columns * scene.width, rows * scene.height), force)
        sheet_pixels = columns * rows * pixels
        limits.check_bytes(
            "sheet",
            f"a {columns * scene.width}x{rows * scene.height} px contact sheet",
            raster.canvas_bytes(scene.width, scene.height) + (1 + STILL_BYTES_PER_PIXEL) * sheet_pixels,
        )
    elif fmt == "png":
        limits.check_bytes(
            "canvas",
            f"a {scene.width}x{scene.height} px still",
            raster.canvas_bytes(scene.width, scene.height) + STILL_BYTES_PER_PIXEL * pixels,
        )
    rasterizer = raster.Rasterizer(scene)
    try:
        _save_raster(rasterizer, path, fmt, duration, index, sheet, on_frame)
    finally:
        rasterizer.palette.release()


def _frame_index(frame: object, count: int) -> int:
    """The frame a still shows: ``frame`` (None: the first), checked against the ``count`` frames."""
    index = 0 if frame is None else frame
    if isinstance(index, bool) or not isinstance(index, Integral) or not 0 <= int(index) < count:
        raise ShapeError(
            "frame", f"must be between 0 and {count - 1} (the animation has {count} frames), got {frame!r}"
        )
    return int(index)


def _save_raster(
    rasterizer: Rasterizer,
    path: str | os.PathLike[str],
    fmt: str,
    duration: int,
    index: int,
    sheet: bool,
    on_frame: Callable[[], object] | None = None,
) -> None:
    from . import encode

    scene = rasterizer.scene
    count = len(scene.frames)
    if fmt == "gif":
        encode.write_gif(path, _reported(rasterizer.frames(), on_frame), rasterizer.palette.colours, duration)
    elif sheet:
        columns = ceil(sqrt(count))
        rows = ceil(count / columns)
        encode.write_png(path, _contact_sheet(rasterizer, columns, rows, on_frame))
    else:
        indices = rasterizer.frame(index)  # kept values of earlier frames are drawn on the way
        encode.write_png(path, rasterizer.colours()[indices])


def _reported(frames: Iterable[T], on_frame: Callable[[], object] | None) -> Iterator[T]:
    for frame in frames:
        yield frame
        if on_frame is not None:
            on_frame()


def _contact_sheet(
    rasterizer: Rasterizer, columns: int, rows: int, on_frame: Callable[[], object] | None = None
) -> NDArray[np.uint8]:
    """Every frame in a grid, each placed as soon as it is drawn."""
    import numpy as np

    from . import raster

    scene = rasterizer.scene
    blank = raster.MAX_COLOURS  # never a drawn colour: colours() pads the palette with white
    sheet = np.full((rows * scene.height, columns * scene.width), blank, dtype=np.uint8)
    for k, frame in enumerate(_reported(rasterizer.frames(), on_frame)):
        r, c = divmod(k, columns)
        sheet[r * scene.height : (r + 1) * scene.height, c * scene.width : (c + 1) * scene.width] = frame
    return rasterizer.colours()[sheet]
