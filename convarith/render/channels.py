"""The channel view: a convolution with its input and output channels, in the manner of
Dumoulin & Visin's Figure 1.3 (a convolution from two input feature maps to three output
feature maps), so that grouped and depthwise convolutions show which input channels each
output channel reads. Pure Python, like ``geometry`` and ``drawing``.

Bottom to top: the input channel planes side by side; above them, per output channel, its
"pathway": the kernel slices it applies (one per input channel it reads, ``in/groups`` of
them) under its output plane. A group's pathways stand over the group's input planes, and
groups are set apart and coloured apart. Frames run output channel by output channel, each
over every output position in raster order. In a frame the footprint is shaded on every
input plane the output channel reads (and no other), lines run from each footprint to the
kernel slice applied to it and from the slices to the output cell.

A transposed convolution is drawn as its equivalent direct convolution (``geometry``), with
the same channel connections as torch's ``ConvTranspose(groups=g)``: output channel ``o``
of group ``o // (out/g)`` reads that group's input channels, and its kernel slice for the
group's ``j``-th input channel is ``weight[g * in/g + j, o % (out/g)]`` flipped.

Everything is sized before it is built, in O(1) of the channel counts (every group has the
same shape), and checked against ``limits``: a cap on the channels drawn, the frame count
and the canvas (lifted by ``force``), then the bytes (``--max-memory``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from math import ceil
from numbers import Integral
from typing import TYPE_CHECKING, Any, overload

from .. import limits
from ..errors import LimitError, ShapeError
from .cells import Cell, Plane, PlaneCells, Step
from .drawing import (
    INPUT,
    LABEL_SIZE,
    LINE,
    MARGIN,
    OUTPUT,
    THICK,
    THIN,
    UNIT,
    Colour,
    Frame,
    Frames,
    Item,
    Outline,
    Path,
    Point,
    Polygon,
    Projection,
    Scene,
    Shade,
    Text,
    _cell,
    _grid,
    _until_hidden,
)
from .geometry import AxisLayout, frame_count, frame_position, plane_layouts

if TYPE_CHECKING:
    from ..arithmetic import AxisArithmetic

MAX_CHANNELS = 16  # channels a side drawn without force: past it the planes are too small to read
# Solarized accents for the groups, blue first (the one-plane scene's input colour); cyan stays
# the outputs'. Six, so that neighbouring groups always differ and the GIF palette stays small.
GROUP_COLOURS: tuple[Colour, ...] = (
    INPUT,
    (108, 113, 196),  # violet
    (211, 54, 130),  # magenta
    (203, 75, 22),  # orange
    (133, 153, 0),  # green
    (181, 137, 0),  # yellow
)
KERNEL_TINT = 0.35  # kernel cells: the group's colour at this strength over white

# Spacing, in cells: between planes of a row, between groups, between pathways, between
# kernel slices; the vertical room the connecting lines need; room for labels.
PLANE_GAP, GROUP_GAP, PATH_GAP, KERNEL_GAP = 1.0, 2.5, 1.5, 0.6
TO_KERNELS, TO_OUTPUT = 2.5, 2.0
SLICES_PER_ROW = 4
LABEL_ROOM, TITLE_ROOM = 1.0, 1.2
SMALL_LABEL = 10


@dataclass(frozen=True)
class ChannelLayout:
    """Which input channels each output channel reads, and through which kernel slices."""

    in_channels: int
    out_channels: int
    groups: int = 1
    transposed: bool = False

    def __post_init__(self) -> None:
        for name in ("in_channels", "out_channels", "groups"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, Integral) or int(value) < 1:
                raise ShapeError(name, f"must be a positive integer, got {value!r}")
            object.__setattr__(self, name, int(value))
        for name in ("in_channels", "out_channels"):
            count = getattr(self, name)
            if count % self.groups:
                raise ShapeError(name, f"must be divisible by groups: {name}={count}, groups={self.groups}")

    @property
    def in_per_group(self) -> int:
        return self.in_channels // self.groups

    @property
    def out_per_group(self) -> int:
        return self.out_channels // self.groups

    @property
    def kernels(self) -> int:
        """Kernel slices drawn: one per (output channel, input channel it reads)."""
        return self.out_channels * self.in_per_group

    def group_of_output(self, out_channel: int) -> int:
        return self._index("out_channel", out_channel, self.out_channels) // self.out_per_group

    def group_of_input(self, in_channel: int) -> int:
        return self._index("in_channel", in_channel, self.in_channels) // self.in_per_group

    def reads(self, out_channel: int) -> range:
        """The input channels output channel ``out_channel`` reads; kernel slice ``j`` is applied to the ``j``-th."""
        first = self.group_of_output(out_channel) * self.in_per_group
        return range(first, first + self.in_per_group)

    def readers(self, in_channel: int) -> range:
        """The output channels that read input channel ``in_channel``."""
        first = self.group_of_input(in_channel) * self.out_per_group
        return range(first, first + self.out_per_group)

    def weight_index(self, out_channel: int, slot: int) -> tuple[int, int]:
        """The weight tensor's first two indices of kernel slice ``slot`` of ``out_channel``:
        (out, in/groups, *k) for a convolution, (in, out/groups, *k) for a transposed one."""
        self._index("slot", slot, self.in_per_group)
        if self.transposed:
            return self.reads(out_channel)[slot], out_channel % self.out_per_group
        return self._index("out_channel", out_channel, self.out_channels), slot

    def frame(self, index: int, positions: int) -> tuple[int, int]:
        """(output channel, output position) of frame ``index``: output channel major."""
        return divmod(self._index("frame", index, self.out_channels * positions), positions)

    @staticmethod
    def _index(name: str, value: object, count: int) -> int:
        if isinstance(value, bool) or not isinstance(value, Integral) or not 0 <= int(value) < count:
            raise ShapeError(name, f"must be between 0 and {count - 1}, got {value!r}")
        return int(value)


def channel_layout(layer: Any) -> ChannelLayout | None:
    """The channel layout ``render.scene`` draws for ``layer``, or None for the one-plane view.

    The rule: a convolution (or transposed one) with both ``in_channels`` and
    ``out_channels`` is drawn by its channels; with neither, as one plane, unless it has
    ``groups`` > 1, which only the channel view can show (refused, rather than drawn as if
    dense); with only one of them, refused.
    """
    if getattr(layer, "op", None) not in ("conv", "conv_transpose"):
        return None
    in_channels, out_channels, groups = layer.in_channels, layer.out_channels, layer.groups
    if in_channels is None and out_channels is None:
        if groups != 1:
            raise ShapeError(
                "groups", f"groups={groups} is drawn in the channel view: give in_channels and out_channels too"
            )
        return None
    if in_channels is None or out_channels is None:
        missing, given = ("in_channels", "out_channels") if in_channels is None else ("out_channels", "in_channels")
        raise ShapeError(missing, f"the channel view needs both in_channels and out_channels; only {given} was given")
    return ChannelLayout(in_channels, out_channels, groups, layer.op == "conv_transpose")


# -- where each plane goes ------------------------------------------------------------------------


class Placement:
    """Where each plane of the channel view lies, in cell units (y up), computed in O(1) for
    any plane: every group has the same shape, so a plane's place is arithmetic on its index."""

    def __init__(self, rows: AxisLayout, cols: AxisLayout, layout: ChannelLayout, oblique: bool, labels: bool) -> None:
        self.rows, self.cols, self.layout = rows, cols, layout
        self.oblique = oblique
        # as in the one-plane scene, a single row rising to the right would run into what lies above it
        self.rise = 0.5 if oblique and rows.cells > 1 else 0.0
        self.labels = labels
        kernel_side = max(rows.kernel_size, cols.kernel_size)
        self.kernel_scale = max(0.5, min(1.0, 1.5 / kernel_side))  # a slice is at least 1.5 cells across
        self.in_box = self._box(rows.cells, cols.cells, 1.0)
        self.out_box = self._box(rows.output, cols.output, 1.0)
        self.kernel_box = self._box(rows.kernel_size, cols.kernel_size, self.kernel_scale)
        in_pg, out_pg = layout.in_per_group, layout.out_per_group
        self.slices_per_row = min(in_pg, SLICES_PER_ROW)
        slice_rows = ceil(in_pg / self.slices_per_row)
        self.slice_rows = slice_rows
        kw, kh = self.kernel_box[:2]
        self.kernels_width = self.slices_per_row * kw + (self.slices_per_row - 1) * KERNEL_GAP
        self.kernels_height = slice_rows * kh + (slice_rows - 1) * KERNEL_GAP
        self.path_width = max(self.out_box[0], self.kernels_width)
        self.inputs_width = in_pg * self.in_box[0] + (in_pg - 1) * PLANE_GAP
        self.outputs_width = out_pg * self.path_width + (out_pg - 1) * PATH_GAP
        self.block_width = max(self.inputs_width, self.outputs_width)
        self.width = layout.groups * self.block_width + (layout.groups - 1) * GROUP_GAP
        self.kernel_base = self.in_box[1] + TO_KERNELS
        self.out_base = self.kernel_base + self.kernels_height + TO_OUTPUT
        self.top = self.out_base + self.out_box[1]
        self._anchors: dict[str, tuple[float, float, float, int]] = {}

    def _box(self, rows: int, cols: int, scale: float) -> tuple[float, float, float]:
        """(width, height, x of the lower-left corner from the box's left side) of a plane."""
        if self.oblique:
            return scale * (cols + 0.7 * rows), scale * (self.rise * cols + 0.65 * rows), scale * 0.7 * rows
        return scale * cols, scale * rows, 0.0

    def _group_left(self, group: int) -> float:
        return group * (self.block_width + GROUP_GAP)

    def input_left(self, channel: int) -> float:
        group, local = divmod(channel, self.layout.in_per_group)
        start = self._group_left(group) + (self.block_width - self.inputs_width) / 2
        return start + local * (self.in_box[0] + PLANE_GAP)

    def path_left(self, out_channel: int) -> float:
        group, local = divmod(out_channel, self.layout.out_per_group)
        start = self._group_left(group) + (self.block_width - self.outputs_width) / 2
        return start + local * (self.path_width + PATH_GAP)

    def anchor(self, plane: str) -> tuple[float, float, float, int]:
        """(x, y of the plane's lower-left corner, scale, rows) of a plane named as in ``cells``."""
        known = self._anchors.get(plane)
        if known is not None:
            return known
        kind, *numbers = plane.split(".")
        index = [int(n) for n in numbers if n.isascii() and n.isdigit()]
        layout = self.layout
        if kind == "in" and len(index) == 1 == len(numbers) and index[0] < layout.in_channels:
            x = self.input_left(index[0]) + self.in_box[2]
            found = (x, 0.0, 1.0, self.rows.cells)
        elif kind == "out" and len(index) == 1 == len(numbers) and index[0] < layout.out_channels:
            left = self.path_left(index[0]) + (self.path_width - self.out_box[0]) / 2
            found = (left + self.out_box[2], self.out_base, 1.0, self.rows.output)
        elif (
            kind == "kernel"
            and len(index) == 2 == len(numbers)
            and index[0] < layout.out_channels
            and index[1] < layout.in_per_group
        ):
            row, column = divmod(index[1], self.slices_per_row)
            kw, kh, corner = self.kernel_box
            left = self.path_left(index[0]) + (self.path_width - self.kernels_width) / 2 + column * (kw + KERNEL_GAP)
            bottom = self.kernel_base + (self.slice_rows - 1 - row) * (kh + KERNEL_GAP)  # the first row on top
            found = (left + corner, bottom, self.kernel_scale, self.rows.kernel_size)
        else:
            raise ShapeError("plane", f"the channel view has no plane {plane!r}")
        if len(self._anchors) < 4096:  # a forced huge view is drawn plane by plane, not cached whole
            self._anchors[plane] = found
        return found

    def bounds(self) -> tuple[float, float, float, float]:
        """(left, bottom, right, top) of everything drawn, labels included, in cell units."""
        left, bottom, right, top = 0.0, 0.0, self.width, self.top
        if self.labels:
            bottom -= LABEL_ROOM
            top += LABEL_ROOM + TITLE_ROOM
            # the first output label runs leftwards from its plane's top right corner
            x_out, _ = self.out_label_corner(0)
            left = min(left, x_out - _text_units(self.out_label(0), LABEL_SIZE))
            last = self.layout.in_channels - 1
            right = max(right, self.input_left(last) + self.in_box[2] + _text_units(self.in_label(last), LABEL_SIZE))
            right = max(right, left + _text_units(self.title(), LABEL_SIZE))
        return left, bottom, right, top

    def out_label_corner(self, out_channel: int) -> Point:
        x, y, _, _ = self.anchor(f"out.{out_channel}")
        cols = self.cols.output
        if self.oblique:
            return x + cols - 0.7 * self.rows.output, y + self.rise * cols + 0.65 * self.rows.output
        return x + cols, y + self.rows.output

    def in_label(self, channel: int) -> str:
        full = f"input channel {channel}"
        return full if _text_units(full, LABEL_SIZE) < self.in_box[0] + PLANE_GAP / 2 else f"in {channel}"

    def out_label(self, out_channel: int) -> str:
        full = f"output channel {out_channel}"
        return full if _text_units(full, LABEL_SIZE) < self.path_width + PATH_GAP / 2 else f"out {out_channel}"

    def title(self) -> str:
        layout = self.layout
        reads = layout.in_per_group
        each = f"{reads} input channel{'s' if reads > 1 else ''}"
        kind = " (depthwise)" if layout.groups == layout.in_channels > 1 else ""
        return f"groups={layout.groups}{kind}: each output channel reads {each} of {layout.in_channels}"


def _text_units(text: str, size: float) -> float:
    return 0.6 * size * len(text) / UNIT  # DejaVu Sans averages 0.6 em a letter


class ChannelProjection(Projection):
    """Plane coordinates (column u, row-from-top r) of any plane of the channel view to pixels."""

    def __init__(self, placement: Placement) -> None:  # the one-plane shifts do not apply: no super().__init__
        self.placement = placement
        self.oblique = placement.oblique
        self.rise = placement.rise
        self.rows = {}
        self.shift = {}
        self.origin = (0.0, 0.0)

    def raw(self, plane: str, u: float, r: float) -> Point:
        x0, y0, scale, rows = self.placement.anchor(plane)
        x, y = u, rows - r
        if self.oblique:
            x, y = x - 0.7 * y, self.rise * x + 0.65 * y
        return x0 + scale * x, y0 + scale * y


# -- sizes first, then the scene ----------------------------------------------------------------


@dataclass(frozen=True)
class ChannelPlan:
    """Everything ``build`` needs, once ``check`` has found it within the limits."""

    rows: AxisLayout
    cols: AxisLayout
    layout: ChannelLayout
    placement: Placement
    width: int
    height: int


def check(
    axes: Sequence[AxisArithmetic],
    layout: ChannelLayout,
    *,
    style: str = "dumoulin",
    labels: bool = True,
    force: bool = False,
) -> ChannelPlan:
    """The channel view's sizes, once known to fit the limits; nothing per cell or per channel is built.

    In order: the channels a side (``MAX_CHANNELS``), the frames (``limits.frames``: one per
    output channel and output position), the canvas (``limits.side``), all lifted by
    ``force``; then the bytes drawing it holds (``limits.output_bytes``).
    """
    from . import GIF_BYTES_PER_PIXEL, MAX_CELLS, SCENE_BYTES_PER_CELL

    for name in ("in_channels", "out_channels"):
        count = getattr(layout, name)
        if count > MAX_CHANNELS and not force:
            raise LimitError(
                name,
                f"the channel view draws up to {MAX_CHANNELS} channels a side, got {name}={limits.count_text(count)}",
                "pass --force (force=True, or convarith.render.channels.MAX_CHANNELS, in Python) to draw it anyway",
            )
    rows, cols = plane_layouts(axes)
    positions = frame_count(rows, cols)
    frames = layout.out_channels * positions
    if frames > limits.frames and not force:
        raise LimitError(
            "frames",
            f"this animation would have {limits.count_text(frames)} frames (one per output channel and output "
            f"position: {layout.out_channels} x {limits.count_text(positions)}), over {limits.frames}",
            limits.LIFT["frames"],
        )
    extent = max(rows.cells, cols.cells, rows.output, cols.output, layout.in_channels, layout.out_channels)
    if extent > MAX_CELLS:
        side = 29 * extent
        if not force:
            _check_side(side, force)
        raise ShapeError("canvas", f"would be over {limits.count_text(side)} px on a side, more than can be drawn")
    placement = Placement(rows, cols, layout, style == "dumoulin", labels)
    left, bottom, right, top = placement.bounds()
    width_px, height_px = (right - left) * UNIT + 2 * MARGIN, (top - bottom) * UNIT + 2 * MARGIN
    if max(width_px, height_px) > 2**31:
        if not force:
            _check_side(round(max(width_px, height_px)), force)
        raise ShapeError("canvas", f"would be {round(max(width_px, height_px)):,} px on a side, more than can be drawn")
    width, height = round(width_px), round(height_px)
    _check_side(max(width, height), force)
    from .raster import canvas_bytes

    kernel_cells = layout.kernels * rows.kernel_size * cols.kernel_size
    cells = (
        layout.in_channels * rows.cells * cols.cells
        + layout.out_channels * positions
        + kernel_cells
        + layout.in_per_group * rows.kernel_size * cols.kernel_size * 2  # one frame's footprints and slices
    )
    nbytes = canvas_bytes(width, height) + GIF_BYTES_PER_PIXEL * width * height + SCENE_BYTES_PER_CELL * cells
    limits.check_bytes("canvas", f"drawing {width}x{height} px with {limits.count_text(cells)} cells", nbytes)
    return ChannelPlan(rows, cols, layout, placement, width, height)


def _check_side(side: int, force: bool) -> None:
    if side > limits.side and not force:
        raise LimitError("canvas", f"would be {side} px on a side, over {limits.side}", limits.LIFT["side"])


def build(plan: ChannelPlan) -> Scene:
    """The channel view's scene: planes and labels drawn once, frames built when asked for."""
    rows, cols, layout, placement = plan.rows, plan.cols, plan.layout, plan.placement
    p = ChannelProjection(placement)
    left, _, _, top = placement.bounds()
    p.origin = (MARGIN - left * UNIT, MARGIN + top * UNIT)

    static: list[Item] = []
    for channel in range(layout.in_channels):
        plane = f"in.{channel}"
        colour = group_colour(layout.group_of_input(channel))
        static += _grid(p, plane, 0, 0, rows.cells, cols.cells, THICK, dashed=True)
        static += [Polygon(_cell(p, plane, r, c), colour, LINE, THICK) for r in rows.units for c in cols.units]
    for out_channel in range(layout.out_channels):
        plane = f"out.{out_channel}"
        static.append(Polygon(_cell(p, plane, 0, 0, rows.output, cols.output), OUTPUT))
        static += _grid(p, plane, 0, 0, rows.output, cols.output, THICK)
        tint = _tint(group_colour(layout.group_of_output(out_channel)))
        for slot in range(layout.in_per_group):
            kernel = f"kernel.{out_channel}.{slot}"
            static.append(Polygon(_cell(p, kernel, 0, 0, rows.kernel_size, cols.kernel_size), tint))
            static += _grid(p, kernel, 0, 0, rows.kernel_size, cols.kernel_size, THIN)
            static.append(Polygon(_cell(p, kernel, 0, 0, rows.kernel_size, cols.kernel_size), None, LINE, THICK))
    if placement.labels:
        static += _labels(p, placement)

    positions = frame_count(rows, cols)

    def make(index: int) -> Frame:
        out_channel, position = layout.frame(index, positions)
        i, j = frame_position(cols, position)
        return _frame(p, rows, cols, layout, out_channel, i, j)

    frames = Frames(layout.out_channels * positions, make, accumulates=False)
    cells = ChannelCells(rows, cols, layout, lambda plane, r, c: _cell(p, plane, r, c))
    return Scene(plan.width, plan.height, static, frames, p, cells)


def group_colour(group: int) -> Colour:
    return GROUP_COLOURS[group % len(GROUP_COLOURS)]


def _tint(colour: Colour) -> Colour:
    r, g, b = (round(255 + KERNEL_TINT * (v - 255)) for v in colour)
    return r, g, b


def _frame(
    p: ChannelProjection, rows: AxisLayout, cols: AxisLayout, layout: ChannelLayout, out_channel: int, i: int, j: int
) -> Frame:
    """Output channel ``out_channel`` at output position (``i``, ``j``): the footprint on each
    input plane it reads, the slice applied there, and lines from footprint to slice to output."""
    r0, c0 = rows.starts[i], cols.starts[j]
    r1, c1 = r0 + rows.span, c0 + cols.span
    kr, kc = rows.kernel_size, cols.kernel_size
    out_plane = f"out.{out_channel}"
    out_outline = _cell(p, out_plane, 0, 0, rows.output, cols.output)
    frame = Frame()
    lines: list[Item] = []
    for slot, channel in enumerate(layout.reads(out_channel)):
        plane, kernel = f"in.{channel}", f"kernel.{out_channel}.{slot}"
        if rows.dilation == cols.dilation == 1:
            frame.moving.append(Shade((_cell(p, plane, r0, c0, r1, c1),)))  # the same union, one polygon
        else:
            frame.moving.append(Shade(tuple(_cell(p, plane, r, c) for r in rows.taps(i) for c in cols.taps(j))))
        frame.moving += _grid(p, plane, r0, c0, r1, c1, THICK)
        slice_outline = _cell(p, kernel, 0, 0, kr, kc)
        frame.moving.append(Shade((slice_outline,)))
        frame.moving.append(Polygon(slice_outline, None, LINE, THICK))
        ends: list[tuple[Point, Point, Point]]  # (row, column) on the input plane, the slice, the output plane
        if p.oblique:  # each corner of the footprint to the same corner of its slice, and on to the output cell's
            ends = [
                ((r1, c0), (kr, 0), (i + 1, j)),
                ((r1, c1), (kr, kc), (i + 1, j + 1)),
                ((r0, c0), (0, 0), (i, j)),
                ((r0, c1), (0, kc), (i, j + 1)),
            ]
        else:  # side by side, corner lines would cross: one line from edge to edge
            ends = [((r0, (c0 + c1) / 2), (kr, kc / 2), (i + 1, j + 0.5))]
        for (window_row, window_col), (kernel_row, kernel_col), (out_row, out_col) in ends:
            start, corner = p(plane, window_col, window_row), p(kernel, kernel_col, kernel_row)
            end = p(out_plane, out_col, out_row)
            lines.append(Path((start, _until_hidden(start, corner, slice_outline)), LINE, THIN, hairline=True))
            if not p.oblique:  # from the slice's far edge, not across it
                corner = p(kernel, kc / 2, 0)
            lines.append(Path((corner, _until_hidden(corner, end, out_outline)), LINE, THIN, hairline=True))
    out_cell = _cell(p, out_plane, i, j)
    frame.moving.append(Shade((out_cell,)))
    frame.moving.append(Polygon(out_cell, None, LINE, THICK))
    frame.moving += lines
    return frame


def _labels(p: ChannelProjection, placement: Placement) -> list[Item]:
    layout, rows = placement.layout, placement.rows
    texts: list[Item] = []
    for channel in range(layout.in_channels):
        x, y = p(f"in.{channel}", 0, rows.cells)  # the lowest corner: the front edge rises to the right of it
        texts.append(Text(x, y + 0.35 * UNIT, placement.in_label(channel), LABEL_SIZE, LINE, "lt"))
    for out_channel in range(layout.out_channels):
        cx, cy = placement.out_label_corner(out_channel)
        x, y = p.origin[0] + cx * UNIT, p.origin[1] - cy * UNIT  # the top edge falls to the left of it
        texts.append(Text(x, y - 0.3 * UNIT, placement.out_label(out_channel), LABEL_SIZE, LINE, "rb"))
        if placement.slice_rows == 1:  # under each slice, the input channel it is applied to
            for slot, channel in enumerate(layout.reads(out_channel)):
                x, y = p(f"kernel.{out_channel}.{slot}", 0, rows.kernel_size)
                texts.append(Text(x, y + 0.15 * UNIT, f"in {channel}", SMALL_LABEL, LINE, "lt"))
    texts.append(Text(MARGIN, MARGIN, placement.title(), LABEL_SIZE, LINE, "lt"))
    return texts


# -- which cell is which (the HTML player) ---------------------------------------------------------


class _Planes(Sequence[Plane]):
    """The planes of a channel view, each made when asked for: inputs, outputs, then kernel
    slices output channel by output channel."""

    def __init__(self, rows: AxisLayout, cols: AxisLayout, layout: ChannelLayout) -> None:
        self.rows, self.cols, self.layout = rows, cols, layout
        self._count = layout.in_channels + layout.out_channels + layout.kernels

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> Plane: ...

    @overload
    def __getitem__(self, index: slice) -> list[Plane]: ...

    def __getitem__(self, index: int | slice) -> Plane | list[Plane]:
        if isinstance(index, slice):
            return [self._plane(k) for k in range(*index.indices(self._count))]
        if index < 0:
            index += self._count
        if not 0 <= index < self._count:
            raise IndexError("plane index out of range")
        return self._plane(index)

    def __iter__(self) -> Iterator[Plane]:
        return (self._plane(k) for k in range(self._count))

    def _plane(self, index: int) -> Plane:
        rows, cols, layout = self.rows, self.cols, self.layout
        if index < layout.in_channels:
            return Plane(f"in.{index}", "input", rows.cells, cols.cells, f"input channel {index}")
        index -= layout.in_channels
        if index < layout.out_channels:
            return Plane(f"out.{index}", "output", rows.output, cols.output, f"output channel {index}")
        out_channel, slot = divmod(index - layout.out_channels, layout.in_per_group)
        channel = layout.reads(out_channel)[slot]
        return Plane(
            f"kernel.{out_channel}.{slot}",
            "kernel",
            rows.kernel_size,
            cols.kernel_size,
            f"kernel of output channel {out_channel} on input channel {channel}",
        )


class ChannelCells:
    """The cells of a channel view (see ``cells.CellMap``). A step's ``reads`` and ``kernel``
    pair up index by index: the ``n``-th kernel cell multiplies the ``n``-th cell read (kernel
    slices as the drawn direct convolution applies them: flipped for a transposed one)."""

    def __init__(
        self, rows: AxisLayout, cols: AxisLayout, layout: ChannelLayout, outline: Callable[[str, int, int], Outline]
    ) -> None:
        self.rows, self.cols, self.layout = rows, cols, layout
        self._outline = outline
        self.planes: Sequence[Plane] = _Planes(rows, cols, layout)
        self.positions = frame_count(rows, cols)
        self.frames = layout.out_channels * self.positions
        self._one_plane = PlaneCells(rows, cols, outline)  # names and indices within one channel's plane

    def outline(self, cell: Cell) -> Outline:
        plane, r, c = cell
        return self._outline(plane, r, c)

    def holds_value(self, cell: Cell) -> bool:
        plane, r, c = cell
        return plane.startswith("in.") and r in self.rows.units and c in self.cols.units

    def name(self, cell: Cell) -> str:
        plane, r, c = cell
        role, _, channel = plane.partition(".")
        if role == "kernel":
            out_channel, slot = map(int, channel.split("."))
            return f"kernel of output channel {out_channel} on input channel {self.layout.reads(out_channel)[slot]}"
        return self._one_plane.name((role, r, c), f"output channel {channel}", f"input channel {channel}")

    def index(self, cell: Cell) -> tuple[int, ...] | None:
        plane, r, c = cell
        role = plane.partition(".")[0]
        return None if role == "kernel" else self._one_plane.index((role, r, c))

    def step(self, index: int) -> Step:
        out_channel, position = self.layout.frame(index, self.positions)
        i, j = frame_position(self.cols, position)
        window = [(r, c) for r in self.rows.taps(i) for c in self.cols.taps(j)]
        taps = [(a, b) for a in range(self.rows.kernel_size) for b in range(self.cols.kernel_size)]
        reads = tuple((f"in.{channel}", r, c) for channel in self.layout.reads(out_channel) for r, c in window)
        kernel = tuple(
            (f"kernel.{out_channel}.{slot}", a, b) for slot in range(self.layout.in_per_group) for a, b in taps
        )
        return Step(reads, (f"out.{out_channel}", i, j), kernel)
