"""An animation as drawing primitives in pixel coordinates, backend-agnostic.

The Dumoulin & Visin look, measured from their TikZ source: a cell is 0.5 cm at 150 dpi,
planes are slanted (x by -0.7, y by 0.5 per unit), the output plane floats one cell above
the top of the input plane, and the standalone border is 10 pt. With these numbers our
canvases come out at the originals' exact pixel sizes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import overload

from .cells import CellMap, PlaneCells
from .geometry import AxisLayout, frame_count, frame_position

Colour = tuple[int, int, int]
Point = tuple[float, float]  # pixels, or plane units before projection
Outline = tuple[Point, ...]  # a closed polygon's corners

INPUT: Colour = (38, 139, 210)  # Solarized blue
OUTPUT: Colour = (42, 161, 152)  # Solarized cyan
LINE: Colour = (0, 43, 54)  # base03
SHADE: Colour = (7, 54, 66)  # base02, laid at SHADE_ALPHA
SHADE_ALPHA = 0.4
WHITE: Colour = (255, 255, 255)
KERNEL: Colour = (253, 246, 227)  # base3, kernel values over the shaded footprint

UNIT = 150 / 2.54 * 0.5  # px per cell
THICK, THIN = 2.0, 1.0  # px; TikZ's thick (0.8 pt) and default (0.4 pt) at 150 dpi, rounded
MARGIN = 10 / 72.27 * 150 + 0.4 / 72.27 * 150  # border plus half a thick line
DASH = 3 / 72.27 * 150  # TikZ 'dashed': 3 pt on, 3 pt off
OUTPUT_XSHIFT = -2.5 / 72.27 * 150  # their -5 pt, scaled by the picture's 0.5
LABEL_SIZE = 12


@dataclass(frozen=True)
class Polygon:
    points: Outline
    fill: Colour | None
    outline: Colour | None = None
    width: float = 0.0


@dataclass(frozen=True)
class Path:
    points: tuple[Point, ...]
    colour: Colour
    width: float
    dashed: bool = False
    hairline: bool = False  # a one-pixel line the raster backend may lay over the finished frame


@dataclass(frozen=True)
class Shade:
    """Polygons darkened by ``alpha`` of ``colour``. Callers give polygons that do not overlap
    (a footprint is one polygon, or cells that only share edges), so nothing darkens twice."""

    polygons: tuple[Outline, ...]
    colour: Colour = SHADE
    alpha: float = SHADE_ALPHA


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    size: float
    colour: Colour = LINE
    anchor: str = "mm"  # Pillow's anchors: l/m/r then t/m/b (top, middle, baseline-ish bottom)


Item = Polygon | Path | Shade | Text  # what a scene is drawn from


@dataclass
class Frame:
    moving: list[Item] = field(default_factory=list)  # this frame only: footprint, lines, current cell
    kept: list[Item] = field(default_factory=list)  # appears now and stays (computed output values)


class Frames(Sequence[Frame]):
    """The frames of a scene, each built when asked for: a thousand-frame animation holds
    one frame's primitives at a time, not a thousand."""

    def __init__(self, count: int, make: Callable[[int], Frame], accumulates: bool) -> None:
        self._count = count
        self._make = make
        self.accumulates = accumulates  # frames have kept items, so they render in order

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> Frame: ...

    @overload
    def __getitem__(self, index: slice) -> list[Frame]: ...

    def __getitem__(self, index: int | slice) -> Frame | list[Frame]:
        if isinstance(index, slice):
            return [self._make(k) for k in range(*index.indices(self._count))]
        if isinstance(index, bool) or not isinstance(index, int):
            raise TypeError(f"frame indices are integers, not {type(index).__name__}")
        if index < 0:
            index += self._count
        if not 0 <= index < self._count:
            raise IndexError("frame index out of range")
        return self._make(index)

    def __iter__(self) -> Iterator[Frame]:
        return (self._make(k) for k in range(self._count))


@dataclass
class Scene:
    width: int
    height: int
    static: list[Item]  # drawn once, under the moving parts
    frames: Sequence[Frame]  # a Frames (built on demand) or a list
    projection: Projection  # (plane "in"/"out", column, row) -> pixel, for tests and tools
    cells: CellMap | None = None  # which drawn cell is which, and what each frame reads (the HTML player)
    values: Values | None = None  # the numbers drawn (--values), for the player's window products

    def centre(self, plane: str, row: int, column: int) -> tuple[int, int]:
        """The pixel at the centre of a cell of the input or output plane."""
        x, y = self.projection(plane, column + 0.5, row + 0.5)
        return round(x), round(y)


@dataclass(frozen=True)
class Values:
    """Numbers to print: ``plane[r][c]`` per drawn input cell (None: leave empty), the kernel
    as the direct convolution applies it, and the outputs as text."""

    plane: list[list[float | None]]
    kernel: list[list[float]] | None
    outputs: list[list[str]]


class Projection:
    """Plane coordinates (column u, row-from-top r) of either plane to pixels."""

    def __init__(self, rows_in: int, cols_in: int, rows_out: int, oblique: bool) -> None:
        self.oblique = oblique
        # A single row rising to the right would run into the output row above it: keep rows level.
        self.rise = 0.0 if rows_in == 1 else 0.5
        self.rows = {"in": rows_in, "out": rows_out}
        self.shift: dict[str, Point]
        if oblique:
            lift = rows_in + 1.0 if rows_in > 1 else 2.5  # a single row needs room for the lines
            self.shift = {"in": (0.0, 0.0), "out": (OUTPUT_XSHIFT / UNIT, lift)}
        else:
            self.shift = {"in": (0.0, 0.0), "out": (cols_in + 1.0, float((rows_in - rows_out) // 2))}
        self.origin: Point = (0.0, 0.0)

    def raw(self, plane: str, u: float, r: float) -> Point:
        x, y = u, self.rows[plane] - r  # TikZ's y points up
        if self.oblique:
            x, y = x - 0.7 * y, self.rise * x + 0.65 * y
        sx, sy = self.shift[plane]
        return x + sx, y + sy

    def __call__(self, plane: str, u: float, r: float) -> Point:
        x, y = self.raw(plane, u, r)
        return self.origin[0] + x * UNIT, self.origin[1] - y * UNIT


def _cell(p: Projection, plane: str, r: int, c: int, r2: int | None = None, c2: int | None = None) -> Outline:
    """The cell at row ``r``, column ``c``, or the block of cells up to (not including) ``r2``, ``c2``."""
    r2 = r + 1 if r2 is None else r2
    c2 = c + 1 if c2 is None else c2
    return (p(plane, c, r), p(plane, c2, r), p(plane, c2, r2), p(plane, c, r2))


def _grid(
    p: Projection, plane: str, r0: int, c0: int, r1: int, c1: int, width: float, dashed: bool = False
) -> list[Item]:
    paths: list[Item] = [Path((p(plane, c0, r), p(plane, c1, r)), LINE, width, dashed) for r in range(r0, r1 + 1)]
    paths += [Path((p(plane, c, r0), p(plane, c, r1)), LINE, width, dashed) for c in range(c0, c1 + 1)]
    return paths


def build(
    rows: AxisLayout, cols: AxisLayout, *, style: str = "dumoulin", labels: bool = True, values: Values | None = None
) -> Scene:
    """The scene of a layer laid out by ``rows`` and ``cols`` (see geometry.plane_layouts)."""
    p, width, height = canvas(rows, cols, style=style, labels=labels, values=values is not None)

    static = _grid(p, "in", 0, 0, rows.cells, cols.cells, THICK, dashed=True)
    for r in rows.units:
        for c in cols.units:
            static.append(Polygon(_cell(p, "in", r, c), INPUT, LINE, THICK))
    static.append(Polygon(_cell(p, "out", 0, 0, rows.output, cols.output), OUTPUT))
    static += _grid(p, "out", 0, 0, rows.output, cols.output, THICK)
    unit_cells = _Units(rows, cols)
    if values is not None:
        static += _plane_values(p, values.plane, unit_cells)
    if labels:
        static += _labels(p, rows, cols, width)

    def make(index: int) -> Frame:
        i, j = frame_position(cols, index)
        return _frame(p, rows, cols, i, j, values, unit_cells)

    frames = Frames(frame_count(rows, cols), make, accumulates=values is not None)
    cells = PlaneCells(rows, cols, lambda plane, r, c: _cell(p, plane, r, c))
    return Scene(width, height, static, frames, p, cells, values)


class _Units:
    """``(r, c) in units``: whether a drawn cell holds an input value, in O(1)."""

    def __init__(self, rows: AxisLayout, cols: AxisLayout) -> None:
        self.rows, self.cols = rows.units, cols.units

    def __contains__(self, cell: tuple[int, int]) -> bool:
        r, c = cell
        return r in self.rows and c in self.cols


def canvas(
    rows: AxisLayout, cols: AxisLayout, *, style: str, labels: bool, values: bool
) -> tuple[Projection, int, int]:
    """(projection, width, height): cheap, so sizes can be checked before anything is built."""
    oblique = style == "dumoulin" and not values
    p = Projection(rows.cells, cols.cells, rows.output, oblique)
    width, height = _fit(p, rows, cols, labels and not oblique, labels and oblique and rows.cells == 1)
    return p, width, height


def _frame(
    p: Projection, rows: AxisLayout, cols: AxisLayout, i: int, j: int, values: Values | None, units: _Units
) -> Frame:
    """The moving parts of the frame of output position (``i``, ``j``), and its kept value."""
    r0, c0 = rows.starts[i], cols.starts[j]
    r1, c1 = r0 + rows.span, c0 + cols.span
    frame = Frame()
    if rows.dilation == cols.dilation == 1:
        frame.moving.append(Shade((_cell(p, "in", r0, c0, r1, c1),)))  # the same union, one polygon
    else:
        frame.moving.append(Shade(tuple(_cell(p, "in", r, c) for r in rows.taps(i) for c in cols.taps(j))))
    frame.moving += _grid(p, "in", r0, c0, r1, c1, THICK)
    if p.oblique:  # a line from each corner of the footprint to the same corner of the output cell
        plane = _cell(p, "out", 0, 0, rows.output, cols.output)
        for (window_row, window_col), (out_row, out_col) in zip(
            ((r1, c0), (r1, c1), (r0, c0), (r0, c1)), ((i + 1, j), (i + 1, j + 1), (i, j), (i, j + 1)), strict=True
        ):
            start, end = p("in", window_col, window_row), p("out", out_col, out_row)
            frame.moving.append(Path((start, _until_hidden(start, end, plane)), LINE, THIN, hairline=True))
    out_cell = _cell(p, "out", i, j)
    frame.moving.append(Shade((out_cell,)))
    frame.moving.append(Polygon(out_cell, None, LINE, THICK))
    if values is not None:
        if values.kernel is not None:
            taps = ((r, c) for r in rows.taps(i) for c in cols.taps(j))
            for (r, c), (kernel_row, kernel_col) in zip(
                taps, ((a, b) for a in range(rows.kernel_size) for b in range(cols.kernel_size)), strict=True
            ):
                x, y = p("in", c + 0.93, r + 0.93)
                ink = KERNEL if (r, c) in units else LINE  # light on shaded blue, dark on shaded grey
                frame.moving.append(Text(x, y, number(values.kernel[kernel_row][kernel_col]), 9, ink, "rs"))
        x, y = p("out", j + 0.5, i + 0.5)
        frame.kept.append(Text(x, y, values.outputs[i][j], 11, LINE, "mm"))
    return frame


def _until_hidden(start: Point, end: Point, plane: Outline) -> Point:
    """Where the line from ``start`` to ``end`` (a point of the convex ``plane``) passes
    behind the plane: the picture draws the output plane over the connecting lines."""
    (x0, y0), (x1, y1) = start, end
    dx, dy = x1 - x0, y1 - y0
    t_in, t_out = 0.0, 1.0
    n = len(plane)
    # Cyrus-Beck clipping against the plane, with each edge normal turned outwards.
    orientation = sum(plane[k][0] * plane[(k + 1) % n][1] - plane[(k + 1) % n][0] * plane[k][1] for k in range(n))
    for k in range(n):
        (ax, ay), (bx, by) = plane[k], plane[(k + 1) % n]
        nx, ny = (by - ay), -(bx - ax)
        if orientation < 0:
            nx, ny = -nx, -ny
        num = (x0 - ax) * nx + (y0 - ay) * ny
        den = dx * nx + dy * ny
        if abs(den) < 1e-12:
            if num > 1e-9:
                return end  # parallel and outside: never hidden
            continue
        t = -num / den
        if den < 0:
            t_in = max(t_in, t)
        else:
            t_out = min(t_out, t)
    if t_in >= t_out - 1e-9 or t_in >= 1.0 - 1e-9:
        return end
    return x0 + dx * t_in, y0 + dy * t_in


def _plane_values(p: Projection, plane: list[list[float | None]], units: _Units) -> list[Text]:
    texts = []
    for r, row in enumerate(plane):
        for c, value in enumerate(row):
            if value is None:
                continue
            x, y = p("in", c + 0.5, r + 0.45)
            texts.append(Text(x, y, number(value), 13, WHITE if (r, c) in units else LINE, "mm"))
    return texts


def number(value: float) -> str:
    """A value as the picture prints it: whole numbers as integers, others to one decimal."""
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _corners(p: Projection, rows: AxisLayout, cols: AxisLayout) -> list[Point]:
    pts = [p.raw("in", u, r) for u in (0, cols.cells) for r in (0, rows.cells)]
    pts += [p.raw("out", u, r) for u in (0, cols.output) for r in (0, rows.output)]
    return pts


def _fit(p: Projection, rows: AxisLayout, cols: AxisLayout, flat_labels: bool, row_labels: bool) -> tuple[int, int]:
    """Canvas size and origin: the planes' bounding box plus the border."""
    pts = _corners(p, rows, cols)
    xs, ys = [x for x, _ in pts], [y for _, y in pts]
    top = max(ys) + (1.0 if flat_labels else 0.0)  # flat labels sit above the planes
    right = max(xs) + (2.4 if row_labels else 0.0)  # a single row's labels sit at its right end
    width = round((right - min(xs)) * UNIT + 2 * MARGIN)
    height = round((top - min(ys)) * UNIT + 2 * MARGIN)
    p.origin = (MARGIN - min(xs) * UNIT, MARGIN + top * UNIT)
    return width, height


def _labels(p: Projection, rows: AxisLayout, cols: AxisLayout, width: int) -> list[Text]:
    if not p.oblique:
        return [
            Text(*p("in", 0, -0.25), "input", LABEL_SIZE, LINE, "ls"),
            Text(*p("out", 0, -0.25), "output", LABEL_SIZE, LINE, "ls"),
        ]
    if rows.cells == 1:
        return [
            Text(*_add(p("in", cols.cells, 0.5), 0.4 * UNIT), "input", LABEL_SIZE, LINE, "lm"),
            Text(*_add(p("out", cols.output, 0.5), 0.4 * UNIT), "output", LABEL_SIZE, LINE, "lm"),
        ]
    # Below the right corner of each plane, where the slanted planes leave the canvas empty.
    x_in, y_in = p("in", cols.cells, rows.cells)
    x_out, y_out = p("out", cols.output, rows.output)
    text_width = 0.6 * LABEL_SIZE * len("output")  # DejaVu Sans averages 0.6 em a letter
    if width - MARGIN - x_out > text_width + 0.3 * UNIT:
        out_label = Text(x_out + 0.3 * UNIT, y_out, "output", LABEL_SIZE, LINE, "lm")
    else:  # under the corner, clear of the lower edge that falls 0.5 px per px to the left
        out_label = Text(x_out, y_out + 0.5 * text_width + 0.3 * UNIT, "output", LABEL_SIZE, LINE, "rt")
    return [Text(x_in, y_in + 0.9 * UNIT, "input", LABEL_SIZE, LINE, "rt"), out_label]


def _add(point: Point, dx: float) -> Point:
    return point[0] + dx, point[1]
