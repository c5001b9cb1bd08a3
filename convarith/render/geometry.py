"""Which cell is where in each frame: pure Python, no drawing and no NumPy.

A transposed convolution is laid out as its equivalent direct convolution (input cells
spread ``stride`` apart with zeros between them, padding ``d*(k-1) - p``, the output
padding after the last cell), so every operation becomes the same picture: a plane of
cells, some of them input units, and one window per output position.

Everything here is O(1) in the sizes: the input cells and the window starts of an axis are
arithmetic progressions (``Progression``), never lists, so a layout of a 10**12-cell axis
costs nothing, and the renderer can check the frame count and the canvas before it draws.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, overload

from ..arithmetic import AxisArithmetic
from ..errors import ShapeError


class Progression(Sequence[int]):
    """``count`` integers ``start, start + step, ...``: a ``range`` that compares equal to
    any sequence holding the same numbers (``Progression(1, 3, 2) == (1, 3, 5)``)."""

    __slots__ = ("_range", "size")

    def __init__(self, start: int, count: int, step: int = 1) -> None:
        self._range = range(start, start + max(0, count) * step, step)
        self.size = max(0, count)  # len() is capped at sys.maxsize; this is not

    def __len__(self) -> int:
        return len(self._range)

    @overload
    def __getitem__(self, index: int) -> int: ...

    @overload
    def __getitem__(self, index: slice) -> Progression: ...

    def __getitem__(self, index: int | slice) -> int | Progression:
        if isinstance(index, slice):
            return _wrap(self._range[index])
        return self._range[index]

    def __iter__(self) -> Iterator[int]:
        return iter(self._range)

    def __reversed__(self) -> Iterator[int]:
        return reversed(self._range)

    def __contains__(self, value: object) -> bool:
        return value in self._range

    def index(self, value: Any, start: int = 0, stop: int | None = None) -> int:
        """O(1), as ``range.index`` is; ``start`` and ``stop`` bound the position as for a list."""
        position = self._range.index(value)
        first, end, _ = slice(start, stop).indices(self.size)
        if not first <= position < end:
            raise ValueError(f"{value!r} is not in the progression")
        return position

    def count(self, value: Any) -> int:
        return self._range.count(value)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Progression):
            return self._range == other._range
        if isinstance(other, range):
            return self._range == other
        if isinstance(other, (tuple, list)):
            return len(other) == self.size and all(a == b for a, b in zip(self._range, other, strict=True))
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._range)

    def __repr__(self) -> str:
        r = self._range
        return f"Progression(start={r.start}, count={self.size}, step={r.step})"


def _wrap(r: range) -> Progression:
    count = (r.stop - r.start + r.step - (1 if r.step > 0 else -1)) // r.step  # len() without its cap
    return Progression(r.start, max(0, count), r.step)


@dataclass(frozen=True)
class AxisLayout:
    """One axis of the drawn input plane."""

    cells: int  # padding, inserted zeros and a ceil_mode overhang included
    units: Sequence[int]  # the cells holding input values (a Progression); the rest are drawn empty
    starts: Sequence[int]  # first cell of each window, one per output position (a Progression)
    kernel_size: int
    dilation: int
    padded: int = 0  # cells up to the end of the padding; a ceil_mode overhang lies beyond

    @property
    def span(self) -> int:
        return self.dilation * (self.kernel_size - 1) + 1

    @property
    def output(self) -> int:
        starts = self.starts
        return starts.size if isinstance(starts, Progression) else len(starts)

    def taps(self, position: int) -> range:
        start = self.starts[position]
        return range(start, start + self.span, self.dilation)


def axis_layout(ax: AxisArithmetic) -> AxisLayout:
    if ax.transposed is not None:
        eq = ax.transposed
        before, after = eq.padding
        lead, crop = max(0, before), max(0, -before)  # negative padding crops the stretched input
        units = Progression(lead, ax.input, ax.stride)
        starts = Progression(crop, ax.output)
        filled = lead + eq.stretched_input + max(0, after)
        span = eq.dilation * (eq.kernel_size - 1) + 1
        return AxisLayout(max(filled, starts[-1] + span), units, starts, eq.kernel_size, eq.dilation, filled)
    before = ax.padding[0]
    units = Progression(before, ax.input)
    starts = Progression(0, ax.output, ax.stride)
    cells = max(ax.padded_input, starts[-1] + ax.effective_kernel)  # ceil_mode windows overhang
    return AxisLayout(cells, units, starts, ax.kernel_size, ax.dilation, ax.padded_input)


SINGLE_ROW = AxisLayout(1, Progression(0, 1), Progression(0, 1), 1, 1, 1)


def plane_layouts(axes: Sequence[AxisArithmetic]) -> tuple[AxisLayout, AxisLayout]:
    """(rows, columns) of the picture; a 1-D layer is a single row. O(1): nothing per cell."""
    if len(axes) not in (1, 2):
        raise ShapeError(
            "input",
            f"animations draw 1-D and 2-D layers; this one has {len(axes)} spatial axes "
            "(use `convarith shape` for its arithmetic)",
        )
    if any(ax.output < 1 for ax in axes):
        raise ShapeError("input", "the layer has no output position to animate")
    layouts = [axis_layout(ax) for ax in axes]
    return (SINGLE_ROW, layouts[0]) if len(layouts) == 1 else (layouts[0], layouts[1])


def frame_count(rows: AxisLayout, cols: AxisLayout) -> int:
    return rows.output * cols.output


def frame_position(cols: AxisLayout, index: int) -> tuple[int, int]:
    """The output position (row, column) of frame ``index``, in raster order."""
    return divmod(index, cols.output)
