"""A scene as one self-contained HTML page: the offline player. Pure Python.

The page holds the frames as inline SVG (the same primitives the GIF is drawn from), the
cells of every plane with their names, and for every frame the cells its window reads and
the output cell it writes (``Scene.cells``). Its script only looks these up: it computes
nothing about the layer, so it cannot disagree with the shape engine. No network, no
external fonts or scripts: the file works from a USB stick.

``page`` is a whole document; ``fragment`` is the same player as one ``<div>`` for a
notebook cell (every id is scoped to the fragment, so several players share a page).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from html import escape
from itertools import count
from pathlib import Path as FilePath

from .. import limits
from ..errors import ShapeError
from .cells import Cell, CellMap, Step
from .drawing import DASH, Colour, Item, Path, Polygon, Scene, Shade, Text

# Per frame, at most: the footprint (a polygon a tap when dilated), its grid, four lines, the
# output cell twice, a kernel value a tap; and its JSON. Measured: under 130 bytes an item.
BYTES_PER_ITEM = 160
BYTES_PER_CELL = 200  # a cell's hit polygon and its name

_ids = count(1)
SHOWN_WIDTH = 720  # px a picture is shown at, at least, up to twice its drawn size

_ANCHOR_X = {"l": "start", "m": "middle", "r": "end"}
_ANCHOR_Y = {"t": "hanging", "m": "central", "s": "alphabetic", "b": "text-after-edge"}


@dataclass(frozen=True)
class Caption:
    """What the page says about the layer: its title, the formula of each axis, and per
    frame (``--values``) the window's numbers and products."""

    title: str
    formulas: Sequence[str]
    windows: Sequence[str] | None = None
    table: Sequence[Sequence[str]] = ()  # the arithmetic per axis, headers first


def table_html(rows: Sequence[Sequence[str]]) -> str:
    """A small HTML table, the first row its headers."""
    if not rows:
        return ""
    head = "".join(f"<th>{escape(h)}</th>" for h in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows[1:])
    return f'<table class="arithmetic"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def arithmetic(caption: Caption) -> str:
    """The title, the per-axis table and the formulas, without a picture (a notebook's view
    of a layer that is not drawn, such as a 3-D one)."""
    return (
        f'<div class="convarith-arithmetic"><div><b>{escape(caption.title)}</b></div>'
        f"{table_html(caption.table)}<ul>{_formulas(caption)}</ul></div>"
    )


def _formulas(caption: Caption) -> str:
    return "".join(f"<li><code>{escape(text)}</code></li>" for text in caption.formulas)


def check(scene: Scene, items_per_frame: int) -> None:
    """Refuse a page past ``limits.output_bytes`` from the counts alone, before it is built."""
    if scene.cells is None:
        raise ShapeError("scene", "has no cell map: build it with render.scene(...)")
    cells = sum(p.rows * p.cols for p in scene.cells.planes)
    nbytes = BYTES_PER_ITEM * (len(scene.static) + len(scene.frames) * items_per_frame) + BYTES_PER_CELL * cells
    limits.check_bytes("output", f"an HTML player of {limits.count_text(len(scene.frames))} frames", nbytes)


def page(scene: Scene, caption: Caption, *, duration: int = 1000, on_frame: Callable[[], object] | None = None) -> str:
    """The whole HTML document."""
    body = fragment(scene, caption, duration=duration, keys_on_document=True, on_frame=on_frame)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(caption.title)}</title>\n"
        "<style>body{margin:16px;font-family:'DejaVu Sans',Verdana,Arial,sans-serif;color:#002b36;"
        "background:#fff}</style>\n</head>\n<body>\n"
        f"{body}\n</body>\n</html>\n"
    )


def fragment(
    scene: Scene,
    caption: Caption,
    *,
    duration: int = 1000,
    keys_on_document: bool = False,
    on_frame: Callable[[], object] | None = None,
) -> str:
    """The player as one ``<div>``: its style and script are scoped to it. ``on_frame()``
    is called as each frame is built (a progress bar)."""
    cells = scene.cells
    if cells is None:
        raise ShapeError("scene", "has no cell map: build it with render.scene(...)")
    if caption.windows is not None and len(caption.windows) != len(scene.frames):
        raise ShapeError("caption", f"has {len(caption.windows)} window texts for {len(scene.frames)} frames")
    uid = f"convarith-player-{os.getpid()}-{next(_ids)}"
    hit, index_of = _hit_cells(cells)
    frames_svg: list[str] = []
    kept: list[str] = []
    steps: list[dict[str, object]] = []
    for k, frame in enumerate(scene.frames):
        frames_svg.append(_svg(frame.moving))
        if frame.kept:
            kept.append(f'<g data-kept="{k}" style="display:none">{_svg(frame.kept)}</g>')
        steps.append(_step_data(cells.step(k), index_of))
        if on_frame is not None:
            on_frame()
    data = {
        "frames": frames_svg,
        "steps": steps,
        "windows": list(caption.windows) if caption.windows is not None else None,
        "names": [name for _, name in hit],
        "duration": duration,
        "keysOnDocument": keys_on_document,
    }
    w, h = scene.width, scene.height
    zoom = max(1.0, min(2.0, SHOWN_WIDTH / w))  # small pictures are shown larger (SVG stays sharp)
    svg = (
        f'<svg class="stage" viewBox="0 0 {w} {h}" width="{round(w * zoom)}" height="{round(h * zoom)}" '
        f'xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(caption.title)}">'
        f'<rect width="{w}" height="{h}" fill="#fff"/>'
        f'<g>{_svg(scene.static)}</g><g>{"".join(kept)}</g><g class="moving"></g>'
        f'<g class="hit">{"".join(polygon for polygon, _ in hit)}</g></svg>'
    )
    count_frames = len(scene.frames)
    return (
        f'<div class="convarith-player" id="{uid}" tabindex="0">'
        f"<style>{_asset('player.css').replace('#ID', '#' + uid)}</style>"
        f'<div class="title">{escape(caption.title)}</div>'
        f"{svg}"
        '<div class="controls"><button type="button" class="play" aria-label="play">&#9654;</button>'
        f'<input type="range" class="scrub" min="0" max="{count_frames - 1}" value="0" step="1" '
        'aria-label="frame">'
        f'<span class="label">frame 1 of {count_frames}</span></div>'
        '<div class="window"></div><div class="hover">Point at a cell: an output shows the window it reads, '
        "an input every output it feeds.</div>"
        f'<ul class="formulas">{_formulas(caption)}</ul><div class="tables">{table_html(caption.table)}</div>'
        f'<script type="application/json" class="data">{_json(data)}</script>'
        f"<script>{_asset('player.js').strip()}({_json(uid)});</script></div>"
    )


def _hit_cells(cells: CellMap) -> tuple[list[tuple[str, str]], dict[Cell, int]]:
    """(polygon, name) of every input and output cell, on top of the picture to point at;
    and each cell's index in that list."""
    hit: list[tuple[str, str]] = []
    index_of: dict[Cell, int] = {}
    for plane in cells.planes:
        if plane.role == "kernel":
            continue
        for r in range(plane.rows):
            for c in range(plane.cols):
                cell = (plane.name, r, c)
                points = _points(cells.outline(cell))
                unit = plane.role == "output" or cells.holds_value(cell)
                index_of[cell] = len(hit)
                hit.append(
                    (
                        f'<polygon points="{points}" data-i="{len(hit)}" data-plane="{plane.name}" '
                        f'data-role="{plane.role}" data-row="{r}" data-col="{c}" data-unit="{int(unit)}"'
                        f"{_index_attribute(cells, cell)}/>",
                        cells.name(cell),
                    )
                )
    return hit, index_of


def _index_attribute(cells: CellMap, cell: Cell) -> str:
    """``data-index="a,b"``: the tensor index of a cell that has one."""
    index = cells.index(cell)
    return "" if index is None else f' data-index="{",".join(map(str, index))}"'


def _step_data(step: Step, index_of: dict[Cell, int]) -> dict[str, object]:
    return {"reads": [index_of[cell] for cell in step.reads], "writes": index_of[step.writes]}


def _json(value: object) -> str:
    # "</" would end the script element early
    return json.dumps(value, separators=(",", ":")).replace("</", "<\\/")


def _hex(colour: Colour) -> str:
    return "#" + "".join(f"{v:02x}" for v in colour)


def _points(points: Iterable[tuple[float, float]]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in points)


def _svg(items: Iterable[Item]) -> str:
    """Primitives as SVG elements, in drawing order."""
    parts = []
    for item in items:
        if isinstance(item, Shade):
            fill = _hex(item.colour)
            parts += [
                f'<polygon points="{_points(p)}" fill="{fill}" fill-opacity="{item.alpha}"/>' for p in item.polygons
            ]
        elif isinstance(item, Polygon):
            fill = "none" if item.fill is None else _hex(item.fill)
            stroke = (
                ""
                if item.outline is None
                else f' stroke="{_hex(item.outline)}" stroke-width="{item.width:g}" stroke-linejoin="miter"'
            )
            parts.append(f'<polygon points="{_points(item.points)}" fill="{fill}"{stroke}/>')
        elif isinstance(item, Path):
            dash = f' stroke-dasharray="{DASH:.2f}"' if item.dashed else ""
            parts.append(
                f'<polyline points="{_points(item.points)}" fill="none" stroke="{_hex(item.colour)}" '
                f'stroke-width="{item.width:g}" stroke-linecap="square"{dash}/>'
            )
        elif isinstance(item, Text):
            parts.append(
                f'<text x="{item.x:.1f}" y="{item.y:.1f}" font-size="{item.size:g}" fill="{_hex(item.colour)}" '
                f'text-anchor="{_ANCHOR_X[item.anchor[0]]}" dominant-baseline="{_ANCHOR_Y[item.anchor[1]]}">'
                f"{escape(item.text)}</text>"
            )
    return "".join(parts)


@cache
def _asset(name: str) -> str:
    """player.js or player.css, read once a process."""
    return (FilePath(__file__).parent / name).read_text(encoding="utf-8")
