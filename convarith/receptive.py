"""Receptive fields: how far each output sees, per axis, through whole networks (pure Python).

Fields are counted on an unbounded line: positions outside the input (padding) count as
positions, as in Araujo et al. and google-research/receptive_field, so fields compose exactly.

Along one axis, output ``y = q*P + r`` of a layer sees the network-input positions
``[lo[r] + q*shift, hi[r] + q*shift]``: the pattern repeats every ``P`` outputs (P > 1 after
upsampling or transposed convolution, whose outputs do not all see the same amount). From it:

* ``size``: the largest span an output sees; ``start``: where output 0's field begins;
* ``jump = shift / P``: the distance in input pixels between neighbouring outputs (a fraction
  after upsampling);
* ``position``: where output 0 sits, continuously (used to tell whether merged branches line
  up: after a stride-2 transposed convolution outputs 0 and 1 read the same input but sit a
  quarter cell either side of it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from math import floor, gcd
from typing import TYPE_CHECKING

from . import limits
from .arithmetic import AxisArithmetic
from .axes import check_spatial
from .errors import ShapeError

if TYPE_CHECKING:
    from .layers import Layer

MAX_PERIOD = 4096  # phases tracked per axis; beyond this an upsampling chain is refused


@dataclass(frozen=True)
class Field:
    lo: tuple[int | None, ...]  # per phase: first input position (None: that output reads nothing)
    hi: tuple[int | None, ...]
    shift: int
    position: Fraction = Fraction(0)
    whole_input: bool = False  # after a flatten/linear/global pool every output sees everything
    notes: tuple[str, ...] = field(default=())

    @property
    def period(self) -> int:
        return len(self.lo)

    @property
    def jump(self) -> Fraction:
        return Fraction(self.shift, self.period)

    @property
    def size(self) -> int:
        return max(
            (h - lo + 1 for lo, h in zip(self.lo, self.hi, strict=True) if lo is not None and h is not None), default=0
        )

    @property
    def start(self) -> int | None:
        return self.lo[0]

    @property
    def centre(self) -> Fraction:
        return self.position

    def at(self, y: int) -> tuple[int, int] | None:
        """(first, last) input position output y sees, or None."""
        q, r = divmod(y, self.period)
        lo, hi = self.lo[r], self.hi[r]
        if lo is None or hi is None:
            return None
        return lo + q * self.shift, hi + q * self.shift


INPUT = Field(lo=(0,), hi=(0,), shift=1)


MAX_WORK = 2_000_000  # phase x tap visits per layer; only reachable with periods in the thousands


@dataclass(frozen=True)
class Reads:
    """Input positions ``first, first + step, ..., first + (count - 1) * step`` of a layer."""

    first: int
    step: int
    count: int


NOTHING = Reads(0, 1, 0)


def _span(f: Field, reads: Reads) -> tuple[int, int] | None:
    """The union of the fields of the positions ``reads``, in closed form.

    Positions whose index t differs by a multiple of T = P / gcd(step, P) share a phase of
    ``f`` and differ by whole periods, so their fields are the same span moved by a multiple
    of ``shift`` (never backwards): the first T positions hold every minimum and the last T
    every maximum. Cost: at most 2 * min(count, P), whatever the sizes involved.
    """
    period = f.period
    cycle = period // gcd(reads.step, period)
    firsts = [f.at(reads.first + t * reads.step) for t in range(min(reads.count, cycle))]
    lasts = [f.at(reads.first + t * reads.step) for t in range(max(0, reads.count - cycle), reads.count)]
    lows = [span[0] for span in firsts if span is not None]
    highs = [span[1] for span in lasts if span is not None]
    return (min(lows), max(highs)) if lows else None


def _through(
    f: Field,
    reads: Callable[[int], Reads],
    out_period: int,
    in_advance: int,
    position: Fraction,
    note: str | None = None,
    taps: int = 1,
) -> Field:
    """Compose a layer whose output y reads the layer-input positions ``reads(y)``, and whose
    output y + out_period reads what y reads moved by in_advance."""
    repeat = f.period // gcd(f.period, in_advance)  # layer periods until the input pattern repeats too
    period = out_period * repeat
    if period > MAX_PERIOD:
        raise ShapeError(
            "layers",
            f"the receptive-field pattern repeats only every {period} outputs "
            f"(over {MAX_PERIOD}): too many upsampling steps to track",
        )
    if period * min(taps, f.period) > MAX_WORK:
        raise ShapeError(
            "layers",
            f"tracking this receptive field needs {period * min(taps, f.period):,} steps "
            f"(over {MAX_WORK:,}): too many upsampling steps before a large window",
        )
    spans = [_span(f, reads(y)) for y in range(period)]
    lo = tuple(None if s is None else s[0] for s in spans)
    hi = tuple(None if s is None else s[1] for s in spans)
    shift = f.shift * in_advance * repeat // f.period
    return Field(lo, hi, shift, position, f.whole_input, (note,) if note else ())


def through_window(f: Field, ax: AxisArithmetic) -> Field:
    """A convolution or pool whose per-axis arithmetic is ``ax`` (padding as actually applied)."""
    if ax.transposed is not None:
        return through_transposed(f, ax)
    s, d, k, before = ax.stride, ax.dilation, ax.kernel_size, ax.padding[0]
    position = f.centre + (Fraction(ax.effective_kernel - 1, 2) - before) * f.jump
    return _through(f, lambda u: Reads(u * s - before, d, k), 1, s, position, taps=k)


def through_transposed(f: Field, ax: AxisArithmetic) -> Field:
    """Output y of a transposed convolution reads inputs m with m*s + t*d = y + before."""
    s, d, k, before = ax.stride, ax.dilation, ax.kernel_size, ax.padding[0]
    position = f.centre + Fraction(2 * before - (k - 1) * d, 2 * s) * f.jump  # the adjoint of the forward window
    return _through(f, lambda y: _transposed_reads(y + before, s, d, k), s, 1, position, taps=k)


def _transposed_reads(target: int, s: int, d: int, k: int) -> Reads:
    """The m with m*s + t*d = target for some tap t in [0, k): the taps that land are
    t = t0, t0 + s/g, ... (g = gcd(s, d)), so the m form a progression of step d/g."""
    g = gcd(s, d)
    if target % g:
        return NOTHING
    cycle = s // g
    t0 = (target // g) * pow(d // g, -1, cycle) % cycle if cycle > 1 else 0
    if t0 >= k:
        return NOTHING
    count = (k - 1 - t0) // cycle + 1
    last_tap = t0 + (count - 1) * cycle
    return Reads((target - last_tap * d) // s, d // g, count)


def through_adaptive(f: Field, size_in: int, size_out: int) -> Field:
    """Adaptive pooling: window j spans [floor(j*i/o), ceil((j+1)*i/o))."""
    if size_out == 0:  # an empty output (torch allows output_size 0): nothing is read
        return Field((None,), (None,), 0, f.position, f.whole_input)
    g = gcd(size_in, size_out)
    position = f.centre + (Fraction(size_in, size_out) - 1) / 2 * f.jump

    def reads(j: int) -> Reads:
        first = j * size_in // size_out
        return Reads(first, 1, -(-(j + 1) * size_in // size_out) - first)

    result = _through(f, reads, size_out // g, size_in // g, position, taps=-(-size_in // size_out) + 1)
    if size_out == 1:
        result = Field(result.lo, result.hi, result.shift, result.position, True, result.notes)
    return result


def through_upsample(f: Field, size_in: int, size_out: int, mode: str) -> Field:
    """Nearest reads floor(y * i / o); bilinear (align_corners=False) the two cells around
    (y + 0.5) * i / o - 0.5, on the unbounded line."""
    g = gcd(size_in, size_out)
    ratio = Fraction(size_in, size_out)
    if mode == "nearest":
        reads = lambda y: Reads(floor(y * ratio), 1, 1)  # noqa: E731
    else:
        reads = lambda y: Reads(floor((y + Fraction(1, 2)) * ratio - Fraction(1, 2)), 1, 2)  # noqa: E731
    position = f.centre + (ratio / 2 - Fraction(1, 2)) * f.jump
    return _through(f, reads, size_out // g, size_in // g, position, taps=2)


def through_crop(f: Field, offset: int) -> Field:
    return _through(f, lambda y: Reads(y + offset, 1, 1), 1, 1, f.centre + offset * f.jump)


def whole(size: int) -> Field:
    """After flatten/linear: every output depends on every input position."""
    return Field(lo=(0,), hi=(size - 1,), shift=0, position=Fraction(size - 1, 2), whole_input=True)


def merge(fields: list[Field]) -> Field:
    """Add or concatenate branches: each output sees the union of what its branches see."""
    notes = []
    jumps = {f.jump for f in fields}
    centres = {f.centre for f in fields}
    if len(jumps) > 1:
        notes.append(f"branches have different jumps {sorted(map(str, jumps))}: their grids do not line up")
    elif len(centres) > 1:
        offset = max(centres) - min(centres)
        notes.append(
            f"branches are misaligned: their outputs sit {offset} input pixels apart "
            f"({offset / max(jumps)} of a cell): crop or pad one branch to align them"
        )
    period = 1
    for f in fields:
        period = period * f.period // gcd(period, f.period)
        if period > MAX_PERIOD:
            raise ShapeError(
                "layers",
                f"merged branches repeat their receptive-field pattern only every {period} "
                f"outputs (over {MAX_PERIOD}): too many upsampling steps to track",
            )
    lo, hi = [], []
    for y in range(period):
        spans = [s for s in (f.at(y) for f in fields) if s is not None]
        lo.append(min(s[0] for s in spans) if spans else None)
        hi.append(max(s[1] for s in spans) if spans else None)
    shift = max(f.shift * period // f.period for f in fields)
    return Field(tuple(lo), tuple(hi), shift, min(centres), any(f.whole_input for f in fields), tuple(notes))


def receptive_field(layers: Sequence[Layer], input_size: int | Sequence[int]) -> list[tuple[Field, ...]]:
    """Per layer, per axis, the field of a stack of convarith layers applied to ``input_size``.

    Layers are Conv, ConvTranspose, MaxPool, AvgPool, AdaptiveAvgPool or AdaptiveMaxPool; the
    spatial sizes are tracked too, since TensorFlow's SAME padding and ceil_mode depend on them.
    """
    sizes = check_spatial("input", input_size)
    if not isinstance(layers, (list, tuple)):
        raise ShapeError("layers", f"must be a list of convarith layers, got {type(layers).__name__}")
    limits.check("layers", "the stack", len(layers), "layers", unit="layers")
    fields = tuple(INPUT for _ in sizes)
    out = []
    for n, layer in enumerate(layers):
        if not hasattr(layer, "arithmetic"):
            raise ShapeError("layers", f"entry {n} ({layer!r}) is not a convarith layer")
        axes = layer.arithmetic(sizes)
        if layer.op.startswith("adaptive"):
            fields = tuple(through_adaptive(f, a.input, a.output) for f, a in zip(fields, axes, strict=True))
        else:
            fields = tuple(through_window(f, a) for f, a in zip(fields, axes, strict=True))
        sizes = tuple(a.output for a in axes)
        out.append(fields)
    return out
