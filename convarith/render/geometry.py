"""Which cell is where in each frame: pure Python, no drawing and no NumPy.

A transposed convolution is laid out as its equivalent direct convolution (input cells
spread ``stride`` apart with zeros between them, padding ``d*(k-1) - p``, the output
padding after the last cell), so every operation becomes the same picture: a plane of
cells, some of them input units, and one window per output position.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..arithmetic import AxisArithmetic
from ..errors import ShapeError


@dataclass(frozen=True)
class AxisLayout:
    """One axis of the drawn input plane."""

    cells: int  # padding, inserted zeros and a ceil_mode overhang included
    units: tuple[int, ...]  # the cells holding input values; the rest are drawn empty
    starts: tuple[int, ...]  # first cell of each window, one per output position
    kernel_size: int
    dilation: int
    padded: int = 0  # cells up to the end of the padding; a ceil_mode overhang lies beyond

    @property
    def span(self) -> int:
        return self.dilation * (self.kernel_size - 1) + 1

    @property
    def output(self) -> int:
        return len(self.starts)

    def taps(self, position: int) -> range:
        start = self.starts[position]
        return range(start, start + self.span, self.dilation)


def axis_layout(ax: AxisArithmetic) -> AxisLayout:
    if ax.transposed is not None:
        eq = ax.transposed
        before, after = eq.padding
        lead, crop = max(0, before), max(0, -before)  # negative padding crops the stretched input
        units = tuple(lead + i * ax.stride for i in range(ax.input))
        starts = tuple(crop + j for j in range(ax.output))
        filled = lead + eq.stretched_input + max(0, after)
        span = eq.dilation * (eq.kernel_size - 1) + 1
        return AxisLayout(max(filled, starts[-1] + span), units, starts, eq.kernel_size, eq.dilation, filled)
    before = ax.padding[0]
    units = tuple(before + i for i in range(ax.input))
    starts = tuple(j * ax.stride for j in range(ax.output))
    cells = max(ax.padded_input, starts[-1] + ax.effective_kernel)  # ceil_mode windows overhang
    return AxisLayout(cells, units, starts, ax.kernel_size, ax.dilation, ax.padded_input)


SINGLE_ROW = AxisLayout(1, (0,), (0,), 1, 1, 1)


def plane_layouts(axes) -> tuple[AxisLayout, AxisLayout]:
    """(rows, columns) of the picture; a 1-D layer is a single row."""
    if len(axes) not in (1, 2):
        raise ShapeError("input", f"animations draw 1-D and 2-D layers; this one has {len(axes)} spatial axes "
                                  "(use `convarith shape` for its arithmetic)")
    if any(ax.output < 1 for ax in axes):
        raise ShapeError("input", "the layer has no output position to animate")
    layouts = tuple(axis_layout(ax) for ax in axes)
    return (SINGLE_ROW, layouts[0]) if len(layouts) == 1 else layouts


def frame_positions(rows: AxisLayout, cols: AxisLayout) -> list[tuple[int, int]]:
    """Output positions in raster order: one frame each."""
    return [(r, c) for r in range(rows.output) for c in range(cols.output)]
