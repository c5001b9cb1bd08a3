"""Receptive fields: how far each output sees, per axis, through whole networks (pure Python).

A field is described in network-input pixels by three numbers per axis:

* ``size``: the span of input positions that can influence one output (the largest over
  outputs, when it varies, as it does after transposed convolutions and bilinear upsampling);
* ``jump``: the distance in input pixels between neighbouring outputs (a Fraction below 1
  after upsampling or transposed convolution);
* ``start``: the input coordinate where output 0's field begins (negative inside padding).

Positions outside the input (padding) count as positions, as in Araujo et al. and
google-research/receptive_field, so fields compose exactly: position ``x`` of any layer sees
``[start + x*jump, start + x*jump + size - 1]`` for direct layers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from math import ceil, floor, gcd

from .arithmetic import AxisArithmetic
from .axes import check_spatial
from .errors import ShapeError


@dataclass(frozen=True)
class Field:
    size: Fraction
    jump: Fraction
    start: Fraction
    whole_input: bool = False  # after a flatten/linear/global pool every output sees everything
    notes: tuple[str, ...] = field(default=())
    # Where output 0 sits in input coordinates, continuously: after a stride-2 transposed
    # convolution outputs 0 and 1 read the same input, but sit a quarter cell either side of it.
    position: Fraction | None = None

    @property
    def centre(self) -> Fraction:
        return self.position if self.position is not None else self.start + (self.size - 1) / 2

    @property
    def end(self) -> Fraction:
        return self.start + self.size - 1


INPUT = Field(size=Fraction(1), jump=Fraction(1), start=Fraction(0))


def through_window(f: Field, ax: AxisArithmetic) -> Field:
    """A convolution or pool whose per-axis arithmetic is ``ax`` (padding as actually applied)."""
    if ax.transposed is not None:
        return through_transposed(f, ax)
    size = f.size + (ax.effective_kernel - 1) * f.jump
    position = f.centre + (Fraction(ax.effective_kernel - 1, 2) - ax.padding[0]) * f.jump
    return Field(size=size, jump=f.jump * ax.stride, start=f.start - ax.padding[0] * f.jump, whole_input=f.whole_input,
                 position=position)


def through_transposed(f: Field, ax: AxisArithmetic) -> Field:
    """Output y of a transposed convolution reads inputs m with m*s + t*d = y + before.

    Only taps with t*d = y + before (mod s) reach y; the taps of one residue are P = s/gcd(s, d)
    apart, so their inputs are d/gcd(s, d) apart. The field grows by the span of the largest
    residue class, and output 0 starts at the input its last reaching tap comes from.
    """
    s, d, k, before = ax.stride, ax.dilation, ax.kernel_size, ax.padding[0]
    g = gcd(s, d)
    widest = -(-k // (s // g))  # taps in the largest residue class
    size = f.size + (widest - 1) * (d // g) * f.jump
    reaching = [t for t in range(k) if (t * d - before) % s == 0]
    first = (before - reaching[-1] * d) // s if reaching else ceil(Fraction(before - (k - 1) * d, s))
    position = f.centre + Fraction(2 * before - (k - 1) * d, 2 * s) * f.jump  # the adjoint of the forward window
    return Field(size=size, jump=f.jump / s, start=f.start + first * f.jump, whole_input=f.whole_input,
                 position=position)


def through_adaptive(f: Field, size_in: int, size_out: int) -> Field:
    """Adaptive pooling: window j spans [floor(j*i/o), ceil((j+1)*i/o))."""
    widest = max(ceil(Fraction((j + 1) * size_in, size_out)) - floor(Fraction(j * size_in, size_out))
                 for j in range(min(size_out, 2 * size_out)))
    whole = size_out == 1 or f.whole_input
    position = f.centre + (Fraction(size_in, size_out) - 1) / 2 * f.jump
    return Field(size=f.size + (widest - 1) * f.jump, jump=f.jump * Fraction(size_in, size_out), start=f.start,
                 whole_input=whole, position=position)


def through_upsample(f: Field, scale: Fraction, mode: str) -> Field:
    """Nearest: output y reads floor(y / scale). Bilinear (align_corners=False): two neighbours."""
    grow = f.jump if mode == "bilinear" else 0
    position = f.centre + (Fraction(1, 2) / scale - Fraction(1, 2)) * f.jump  # half-pixel centres
    return Field(size=f.size + grow, jump=f.jump / scale, start=f.start, whole_input=f.whole_input, position=position)


def whole(f: Field, input_size: int) -> Field:
    """After flatten/linear: every output depends on every input position."""
    return Field(size=Fraction(input_size), jump=Fraction(0), start=Fraction(0), whole_input=True)


def merge(fields: list[Field]) -> Field:
    """Add or concatenate branches: the field is the union; misaligned branches are noted."""
    start = min(f.start for f in fields)
    end = max(f.end for f in fields)
    notes = []
    jumps = {f.jump for f in fields}
    centres = {f.centre for f in fields}
    if len(jumps) > 1:
        notes.append(f"branches have different jumps {sorted(map(str, jumps))}: their grids do not line up")
    elif len(centres) > 1:
        offset = max(centres) - min(centres)
        notes.append(f"branches are misaligned: their field centres differ by {offset} input pixels "
                     f"({offset / max(jumps)} of a cell): a crop or pad of that much would align them")
    return Field(size=end - start + 1, jump=max(jumps), start=start,
                 whole_input=any(f.whole_input for f in fields), notes=tuple(notes), position=min(centres))


def receptive_field(layers, input_size) -> list[tuple[Field, ...]]:
    """Per layer, per axis, the field of a stack of convarith layers applied to ``input_size``.

    Layers are Conv, ConvTranspose, MaxPool, AvgPool, AdaptiveAvgPool or AdaptiveMaxPool; the
    spatial sizes are tracked too, since TensorFlow's SAME padding and ceil_mode depend on them.
    """
    sizes = check_spatial("input", tuple(input_size) if not isinstance(input_size, int) else (input_size,))
    fields = tuple(INPUT for _ in sizes)
    out = []
    for n, layer in enumerate(layers):
        if not hasattr(layer, "arithmetic"):
            raise ShapeError("layers", f"entry {n} ({layer!r}) is not a convarith layer")
        axes = layer.arithmetic(sizes)
        if layer.op.startswith("adaptive"):
            fields = tuple(through_adaptive(f, a.input, a.output) for f, a in zip(fields, axes))
        else:
            fields = tuple(through_window(f, a) for f, a in zip(fields, axes))
        sizes = tuple(a.output for a in axes)
        out.append(fields)
    return out
