"""Per-axis arithmetic shared by every framework: window counts and who reads what.

Frameworks differ in how they choose padding and what they refuse; once the padding of
an axis is known, the arithmetic below is the same for all of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import gcd


@dataclass(frozen=True)
class TransposedEquivalent:
    """A transposed convolution drawn as a direct one (Dumoulin & Visin, section 4).

    The input gets ``zeros_between`` zeros between neighbouring cells (stretching it to
    ``stretched_input``), is padded by ``padding`` (``extra`` of the after-padding is the
    output padding), then convolved with stride 1 and the same kernel and dilation.
    A negative padding crops.
    """

    zeros_between: int
    stretched_input: int
    padding: tuple[int, int]
    extra: int
    kernel_size: int
    dilation: int
    output: int


@dataclass(frozen=True)
class AxisArithmetic:
    """Everything about one spatial axis of one layer applied to one input size."""

    input: int
    output: int
    kernel_size: int
    stride: int
    dilation: int
    padding: tuple[int, int]
    effective_kernel: int
    unread: int | None = 0  # None: too large to analyse (see MAX_LATTICES)
    unread_padding: int | None = 0
    read_padding: tuple[int, int] | None = None  # padding cells some window reads, per side
    ceil_mode: bool = False
    output_padding: int = 0
    transposed: TransposedEquivalent | None = None
    valid_outputs: tuple[int, int] | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def padded_input(self) -> int:
        return self.input + self.padding[0] + self.padding[1]

    @property
    def asymmetric(self) -> bool:
        return self.padding[0] != self.padding[1]


def effective_kernel(kernel_size: int, dilation: int) -> int:
    return dilation * (kernel_size - 1) + 1


def window_count(padded: int, k_eff: int, stride: int) -> int:
    """Windows of size ``k_eff`` at ``stride`` that fit in ``padded`` cells (may be <= 0)."""
    return (padded - k_eff) // stride + 1


def ceil_window_count(size: int, k_eff: int, stride: int, padding: tuple[int, int]) -> int:
    """PyTorch's ``ceil_mode`` count: round up, but drop a last window starting in the right padding."""
    count = (size + padding[0] + padding[1] - k_eff + stride - 1) // stride + 1
    if (count - 1) * stride >= size + padding[0]:
        count -= 1
    return count


def _merged_length(intervals: list[tuple[int, int]]) -> int:
    """Number of integers in a union of closed intervals."""
    total, reach = 0, None
    for lo, hi in sorted(i for i in intervals if i[0] <= i[1]):
        if reach is None or lo > reach:
            total += hi - lo + 1
            reach = hi
        elif hi > reach:
            total += hi - reach
            reach = hi
    return total


def _ceil_div(a: int, b: int) -> int:
    return -((-a) // b)


# Past this many distinct tap lattices an axis is not analysed (unread is None): only kernels
# and strides both above it get here, and counting them would take seconds.
MAX_LATTICES = 200_000


def _covered_below(x: int, first_start: int, step: int, count: int, length: int) -> int:
    """Cells below ``x`` covered by ``count`` disjoint runs of ``length`` cells, ``step`` apart."""
    if count <= 0 or x <= first_start:
        return 0
    last = min(count - 1, (x - first_start - 1) // step)
    full = min(last, (x - first_start - length) // step) if x - first_start >= length else -1
    partial = x - (first_start + last * step) if last > full else 0
    return (full + 1) * length + partial


def read_by_windows(first: int, last: int, output: int, kernel_size: int, stride: int, dilation: int) -> int | None:
    """How many cells of the padded axis in ``[first, last]`` some tap of some window reads.

    Cell ``x`` is read when ``x = j*stride + t*dilation`` for an output ``j`` and a tap ``t``.
    Taps ``t0, t0 + P, t0 + 2P, ...`` (``P = stride / gcd``) land on the same residue ``r``
    mod stride; in lattice coordinates ``q = (x - r) / stride`` each covers ``output``
    consecutive cells, the next one ``dilation / gcd`` further on. So every residue class is a
    run of equally spaced equal intervals, counted in closed form: O(min(k, P)).
    """
    if dilation == 1:  # windows are runs of k cells, s apart: O(1)
        if kernel_size >= stride:  # they touch or overlap: one interval
            return max(0, min(last, (output - 1) * stride + kernel_size - 1) - max(first, 0) + 1)
        return _covered_below(last + 1, 0, stride, output, kernel_size) - _covered_below(
            first, 0, stride, output, kernel_size
        )
    g = gcd(dilation, stride)
    period, shift = stride // g, dilation // g
    classes = min(period, kernel_size)
    if classes > MAX_LATTICES:
        return None
    total = 0
    for t0 in range(classes):
        taps = (kernel_size - t0 + period - 1) // period
        residue, base = (t0 * dilation) % stride, (t0 * dilation) // stride
        q_lo, q_hi = _ceil_div(first - residue, stride), (last - residue) // stride
        if q_lo > q_hi:
            continue
        if taps == 1 or shift <= output:  # the runs touch or overlap: one interval
            lo, hi = base, base + (taps - 1) * shift + output - 1
            total += max(0, min(hi, q_hi) - max(lo, q_lo) + 1)
        else:
            total += _covered_below(q_hi + 1, base, shift, taps, output) - _covered_below(
                q_lo, base, shift, taps, output
            )
    return total


def unread_by_windows(
    size: int, padding: tuple[int, int], output: int, kernel_size: int, stride: int, dilation: int
) -> tuple[int, int, tuple[int, int]] | tuple[None, None, None]:
    """(input cells, padding cells) that no window reads, and the padding cells read per side.

    Dumoulin & Visin's Fig. 2.7 case: i=6, k=3, s=2, p=1 never reads the last padding row.
    """
    before, after = padding
    args = (output, kernel_size, stride, dilation)
    read_real = read_by_windows(before, before + size - 1, *args)
    read_before = read_by_windows(0, before - 1, *args) if before > 0 else 0
    read_after = read_by_windows(before + size, before + size + after - 1, *args) if after > 0 else 0
    if read_real is None or read_before is None or read_after is None:
        return None, None, None
    return size - read_real, (before - read_before) + (after - read_after), (read_before, read_after)


def unread_by_transposed(
    size: int, output: int, kernel_size: int, stride: int, dilation: int, before: int
) -> int | None:
    """Input cells of a transposed convolution whose every contribution is cropped away (None:
    too many taps to analyse, see MAX_LATTICES).

    Input cell ``m`` lands on output ``m*stride + t*dilation - before`` for each tap ``t``, so
    tap ``t`` keeps the cells in ``[ceil((before - t*d)/s), floor((before + O - 1 - t*d)/s)]``.
    Once the output spans at least ``d + s - 1`` and ``2s - 1`` cells, consecutive taps' ranges
    are non-empty and touch, and their union is one interval.
    """
    if output >= max(dilation + stride - 1, 2 * stride - 1):
        lo = max(0, _ceil_div(before - (kernel_size - 1) * dilation, stride))
        hi = min(size - 1, (before + output - 1) // stride)
        return size - max(0, hi - lo + 1)
    if kernel_size > MAX_LATTICES:
        return None
    spans = []
    for tap in range(kernel_size):
        offset = tap * dilation - before
        spans.append((max(0, _ceil_div(-offset, stride)), min(size - 1, (output - 1 - offset) // stride)))
    return size - _merged_length(spans)
