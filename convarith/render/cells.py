"""Which drawn cell is which, for pictures a person points at (the HTML player): pure Python.

A scene draws planes of cells; a ``CellMap`` names them and says, for every frame, which
cells the frame's window reads and which output cell it writes. The player embeds exactly
this, so hovering can never disagree with the frames, nor the frames with the engine.

A cell is ``(plane, row, column)`` in the plane's drawn coordinates: an input plane counts
its padding, the zeros a transposed convolution inserts, and a ceil_mode overhang.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from .geometry import AxisLayout, frame_position

Cell = tuple[str, int, int]  # (plane name, row, column)
Point = tuple[float, float]
Outline = tuple[Point, ...]
OutlineOf = Callable[[str, int, int], Outline]  # (plane, row, column) -> the cell's polygon in pixels

ROLES = ("input", "output", "kernel")


@dataclass(frozen=True)
class Plane:
    name: str  # unique in the scene: "in", "out"; a channel view numbers them ("in.2", "kernel.1.0")
    role: str  # one of ROLES
    rows: int
    cols: int
    label: str  # what a reader is told: "input", "input channel 2", ...


@dataclass(frozen=True)
class Step:
    """What one frame shows."""

    reads: tuple[Cell, ...]  # every input cell under the window, padding and inserted zeros too
    writes: Cell  # the output cell computed
    kernel: tuple[Cell, ...] = ()  # kernel cells applied, where the scene draws kernels


class CellMap(Protocol):
    """The cells of a scene and the frames' windows over them."""

    @property
    def planes(self) -> Sequence[Plane]: ...

    @property
    def frames(self) -> int: ...

    def outline(self, cell: Cell) -> Outline:
        """The cell's polygon in scene pixels."""
        ...

    def holds_value(self, cell: Cell) -> bool:
        """Whether an input cell holds an input value (not padding, an inserted zero or overhang)."""
        ...

    def step(self, index: int) -> Step: ...

    def name(self, cell: Cell) -> str:
        """What a reader is told the cell is (the player's hover line)."""
        ...

    def index(self, cell: Cell) -> tuple[int, ...] | None:
        """The spatial tensor index of an output cell or of an input cell holding a value."""
        ...


class PlaneCells:
    """The cells of a one-input, one-output scene (``drawing.build``)."""

    def __init__(self, rows: AxisLayout, cols: AxisLayout, outline: OutlineOf) -> None:
        self.rows, self.cols = rows, cols
        self._outline = outline
        self.planes: Sequence[Plane] = (
            Plane("in", "input", rows.cells, cols.cells, "input"),
            Plane("out", "output", rows.output, cols.output, "output"),
        )
        self.frames = rows.output * cols.output

    def outline(self, cell: Cell) -> Outline:
        plane, r, c = cell
        return self._outline(plane, r, c)

    def holds_value(self, cell: Cell) -> bool:
        plane, r, c = cell
        return plane == "in" and r in self.rows.units and c in self.cols.units

    def name(self, cell: Cell, output: str = "output", input: str = "input") -> str:
        """What a reader is told the cell is: its input or output index, or why it is empty
        (``output`` and ``input`` name the planes: a channel view names the channel)."""
        plane, r, c = cell
        if plane == "out":
            return f"{output} at {self._where(r, c)}"
        if self.holds_value(cell):
            return f"{input} at {self._where(self.rows.units.index(r), self.cols.units.index(c))}"
        kinds = {_kind(self.rows, r), _kind(self.cols, c)} - {"input"}
        kind = next(k for k in ("past the padded input", "padding", "inserted zero") if k in kinds)
        if _spacing(self.rows) == _spacing(self.cols) == 1:  # no inserted zeros: input coordinates hold
            return f"{kind} at {self._where(r - self.rows.units[0], c - self.cols.units[0])} of the {input}"
        return f"{kind} at {self._where(r, c)} of the stretched, padded {input}"

    def index(self, cell: Cell) -> tuple[int, ...] | None:
        """The tensor index of an output cell or of an input cell holding a value (None for
        padding and inserted zeros); one number for a 1-D layer."""
        plane, r, c = cell
        if plane == "in":
            if not self.holds_value(cell):
                return None
            r, c = self.rows.units.index(r), self.cols.units.index(c)
        return (c,) if self.rows.cells == 1 else (r, c)

    def _where(self, r: int, c: int) -> str:
        return f"{c}" if self.rows.cells == 1 else f"({r}, {c})"

    def step(self, index: int) -> Step:
        i, j = frame_position(self.cols, index)
        reads = tuple(("in", r, c) for r in self.rows.taps(i) for c in self.cols.taps(j))
        return Step(reads, ("out", i, j))


def _spacing(axis: AxisLayout) -> int:
    """Cells from one input unit to the next (a transposed layer's stride); 1 for one unit."""
    units = axis.units
    return units[1] - units[0] if len(units) > 1 else 1


def _kind(axis: AxisLayout, position: int) -> str:
    """What a drawn position of one axis is: an input, padding, an inserted zero or an overhang."""
    if position >= axis.padded:
        return "past the padded input"
    if position in axis.units:
        return "input"
    units = axis.units
    return "inserted zero" if units[0] < position < units[-1] else "padding"
