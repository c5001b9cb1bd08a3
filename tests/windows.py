"""Who reads what, by the frameworks' definitions, for tests of pictures and players.

A forward window of output ``o`` reads input ``x = o*s - p + t*d`` (t < k); a transposed
layer's input ``x`` writes output ``o = x*s - p + t*d``. Written from an axis's numbers
(stride, dilation, kernel, the padding before), never from the renderer's layout.
"""

from __future__ import annotations

from convarith.arithmetic import AxisArithmetic


def reads(ax: AxisArithmetic, o: int) -> set[int]:
    """Input indices of one axis that output ``o`` depends on."""
    s, d, k, before = ax.stride, ax.dilation, ax.kernel_size, ax.padding[0]
    if ax.transposed is None:
        taps = {o * s - before + t * d for t in range(k)}
    else:
        taps = {x for x in range(ax.input) for t in range(k) if x * s - before + t * d == o}
    return {x for x in taps if 0 <= x < ax.input}
