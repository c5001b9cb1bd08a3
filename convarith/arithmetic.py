"""Per-axis arithmetic shared by every framework: window counts and who reads what.

Frameworks differ in how they choose padding and what they refuse; once the padding of
an axis is known, the arithmetic below is the same for all of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field


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
    stride: int = 1


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
    unread: int = 0
    unread_padding: int = 0
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


def read_by_windows(first: int, last: int, output: int, kernel_size: int, stride: int, dilation: int) -> int:
    """How many cells of the padded axis in ``[first, last]`` some tap of some window reads.

    Cell ``x`` is read when ``x = j*stride + t*dilation`` for an output ``j`` and a tap ``t``.
    Taps with the same ``t*dilation mod stride`` walk the same lattice, so each residue class
    is a union of intervals: O(k log k), whatever the size.
    """
    by_residue: dict[int, list[tuple[int, int]]] = {}
    for tap in range(kernel_size):
        offset = tap * dilation
        j_lo = max(0, _ceil_div(first - offset, stride))
        j_hi = min(output - 1, (last - offset) // stride)
        residue, base = offset % stride, offset // stride
        by_residue.setdefault(residue, []).append((j_lo + base, j_hi + base))
    return sum(_merged_length(spans) for spans in by_residue.values())


def unread_by_windows(size: int, padding: tuple[int, int], output: int, kernel_size: int, stride: int, dilation: int):
    """(input cells, padding cells) that no window reads: Dumoulin & Visin's Fig. 2.7 case."""
    before, after = padding
    real = size - read_by_windows(before, before + size - 1, output, kernel_size, stride, dilation)
    padded = before + size + after
    every = padded - read_by_windows(0, padded - 1, output, kernel_size, stride, dilation) if padded else 0
    return real, every - real


def unread_by_transposed(size: int, output: int, kernel_size: int, stride: int, dilation: int, before: int) -> int:
    """Input cells of a transposed convolution whose every contribution is cropped away.

    Input cell ``m`` lands on output ``m*stride + t*dilation - before`` for each tap ``t``.
    """
    spans = []
    for tap in range(kernel_size):
        offset = tap * dilation - before
        spans.append((max(0, _ceil_div(-offset, stride)), min(size - 1, (output - 1 - offset) // stride)))
    return size - _merged_length(spans)
