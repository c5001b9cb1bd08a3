"""Animations of convolution arithmetic in the style of Dumoulin & Visin (arXiv:1603.07285).

``geometry`` and ``scene`` are pure Python; ``raster`` and ``encode`` need NumPy and Pillow;
``vector`` (SVG/PDF) needs matplotlib and is imported only for those formats.
"""

from __future__ import annotations

from math import ceil, sqrt
from pathlib import Path

from ..errors import ShapeError
from ..images import check_folder
from .geometry import plane_layouts
from .scene import Scene, build, canvas

MAX_FRAMES = 400
MAX_SIDE = 4096
STYLES = ("dumoulin", "flat")
FORMATS = (".gif", ".png", ".svg", ".pdf")


def scene(layer, spatial_input, *, style: str = "dumoulin", labels: bool = True, values: bool = False,
          seed: int = 1234, output_size=None, force: bool = False) -> Scene:
    """The animation of ``layer`` on a 1-D or 2-D input: one frame per output position."""
    if style not in STYLES:
        raise ShapeError("style", f"must be one of {', '.join(STYLES)}, got {style!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ShapeError("seed", f"must be a whole number, 0 or more, got {seed!r}")
    kwargs = {"output_size": output_size} if layer.op == "conv_transpose" else {}
    if output_size is not None and not kwargs:
        raise ShapeError("output_size", "applies to conv-transpose only")
    axes = layer.arithmetic(tuple(spatial_input), **kwargs)
    rows, cols = plane_layouts(axes)
    frames = rows.output * cols.output
    if frames > MAX_FRAMES and not force:
        raise ShapeError("frames", f"this animation has {frames} frames (one per output position), over "
                                   f"{MAX_FRAMES}: pass --force (force=True in Python) to draw it anyway")
    _, width, height = canvas(rows, cols, style=style, labels=labels, values=values)
    _check_side("canvas", max(width, height), force)
    numbers = None
    if values:
        from .values import compute

        numbers = compute(layer, spatial_input, rows, cols, seed, output_size)
    return build(rows, cols, style=style, labels=labels, values=numbers)


MAX_DURATION = 655_350  # GIF stores delays in hundredths of a second, in 16 bits


def check_duration(duration) -> None:
    if isinstance(duration, bool) or not isinstance(duration, int) or not 10 <= duration <= MAX_DURATION:
        raise ShapeError("duration", f"must be a whole number of milliseconds from 10 to {MAX_DURATION:,} "
                                     f"(GIF counts hundredths of a second), got {duration!r}")


def _check_side(what: str, side: int, force: bool) -> None:
    if side > MAX_SIDE and not force:
        raise ShapeError(what, f"would be {side} px on a side, over {MAX_SIDE}: pass --force (force=True in Python) "
                               "to draw it anyway")


def output_format(path) -> str:
    """The format a path asks for, checked before any drawing."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ShapeError("output", f"unknown file type {path.suffix or '(none)'!r} for {path}: "
                                   f"use one of {', '.join(FORMATS)}")
    check_folder(path)
    return suffix[1:]


def save(scene: Scene, path, *, duration: int = 1000, frame: int | None = None, sheet: bool = False,
         force: bool = False) -> None:
    """Write ``scene`` to ``path``: .gif (all frames, looping), .png (one frame, or all as a
    contact sheet), .svg or .pdf (one frame). The file appears complete or not at all."""
    fmt = output_format(path)
    count = len(scene.frames)
    if fmt == "gif" and (frame is not None or sheet):
        raise ShapeError("frame", "--frame and --sheet make stills: write a .png, .svg or .pdf")
    if sheet and fmt != "png":
        raise ShapeError("sheet", "a contact sheet is a .png")
    if sheet and frame is not None:
        raise ShapeError("frame", "--frame picks one frame, --sheet shows them all: give one of them")
    if fmt == "gif":
        check_duration(duration)
    index = 0 if frame is None else frame
    if not isinstance(index, int) or not 0 <= index < count:
        raise ShapeError("frame", f"must be between 0 and {count - 1} (the animation has {count} frames), got {frame!r}")
    if fmt in ("svg", "pdf"):
        from ..images import write_atomically
        from .vector import save as save_vector

        write_atomically(path, lambda target: save_vector(scene, index, target, fmt))
        return
    from . import raster

    rasterizer = raster.Rasterizer(scene)
    try:
        _save_raster(rasterizer, path, fmt, duration, index, sheet, force)
    finally:
        rasterizer.palette.release()


def _save_raster(rasterizer, path, fmt, duration, index, sheet, force):
    from . import encode

    scene = rasterizer.scene
    count = len(scene.frames)
    if fmt == "gif":
        encode.write_gif(path, list(rasterizer.frames()), rasterizer.palette.colours, duration)
    elif sheet:
        columns = ceil(sqrt(count))
        rows = ceil(count / columns)
        _check_side("sheet", max(columns * scene.width, rows * scene.height), force)
        encode.write_png(path, _contact_sheet(rasterizer, columns, rows))
    else:
        indices = rasterizer.frame(index)  # kept values of earlier frames are drawn on the way
        encode.write_png(path, rasterizer.colours()[indices])


def _contact_sheet(rasterizer, columns: int, rows: int):
    import numpy as np

    scene = rasterizer.scene
    frames = list(rasterizer.frames())
    blank = len(rasterizer.palette.colours)  # colours() pads the palette with white from here on
    sheet = np.full((rows * scene.height, columns * scene.width), blank, dtype=np.uint8)
    for k, frame in enumerate(frames):
        r, c = divmod(k, columns)
        sheet[r * scene.height:(r + 1) * scene.height, c * scene.width:(c + 1) * scene.width] = frame
    return rasterizer.colours()[sheet]
