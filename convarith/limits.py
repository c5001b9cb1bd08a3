"""Every budget convarith enforces, in one place (pure Python: no NumPy).

Each entry point first computes, from the arithmetic alone, what a request will produce
(frames, pixels, array elements, bytes, layers) and the scratch memory it needs, and checks
it here before allocating anything. A refusal is a ``LimitError`` naming the option that
lifts it. The defaults suit a 2-core machine with 24 GiB; change them by assignment
(``convarith.limits.output_bytes = 32 * 2**30``) or with the command-line options named
in each message. See docs/limits.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from .errors import LimitError

MiB = 2**20
GiB = 2**30

output_bytes = 4 * GiB
"""Largest single result: an array from ``convarith.functional``, an image or a file."""

temporary_bytes = 512 * MiB
"""Scratch the NumPy backend holds at once; larger work is done in chunks under it."""

frames = 400
"""Frames in one animation (one per output position)."""

side = 4096
"""Pixels on the longer side of one picture."""

image_pixels = 100_000_000
"""Pixels decoded from one input image."""

image_bytes = 1 * GiB
"""Bytes one input image takes once decoded (pixels x channels x bytes per sample)."""

layers = 10_000
"""Layers in one planned network, after blocks are repeated (planning costs about 0.1 ms a layer)."""

LIFT = {
    "output_bytes": "raise it with --max-memory (convarith.limits.output_bytes in Python)",
    "temporary_bytes": "raise it with --max-memory (convarith.limits.temporary_bytes in Python)",
    "frames": "pass --force (force=True, or convarith.limits.frames, in Python) to draw it anyway",
    "side": "pass --force (force=True, or convarith.limits.side, in Python) to draw it anyway",
    "image_pixels": "raise it with --max-pixels (convarith.limits.image_pixels in Python)",
    "image_bytes": "raise it with --max-memory (convarith.limits.image_bytes in Python)",
    "layers": "raise it with --max-layers (convarith.limits.layers in Python)",
}


BUDGETS = ("output_bytes", "temporary_bytes", "frames", "side", "image_pixels", "image_bytes", "layers")


@contextmanager
def restored() -> Iterator[None]:
    """Every budget as it was on entry, put back on exit: the command line changes them for
    one command only, even when several run in one process (tests, notebooks)."""
    saved = {name: globals()[name] for name in BUDGETS}
    try:
        yield
    finally:
        globals().update(saved)


def product(values: Iterable[int]) -> int:
    """The product of integer sizes (exact: Python ints do not overflow)."""
    total = 1
    for v in values:
        total *= int(v)
    return total


def size_text(nbytes: int) -> str:
    """Bytes for a person: '3.2 GiB', '512.0 MiB', or powers of ten past exabytes."""
    if nbytes >= 2**60 * 1024:
        return f"about 10^{len(str(nbytes)) - 1} bytes"
    for unit, scale in (("EiB", 2**60), ("PiB", 2**50), ("TiB", 2**40), ("GiB", GiB), ("MiB", MiB), ("KiB", 2**10)):
        if nbytes >= scale:
            return f"{nbytes / scale:.1f} {unit}"
    return f"{nbytes} bytes"


def count_text(n: int) -> str:
    return f"{n:,}" if n < 10**15 else f"about 10^{len(str(n)) - 1}"


def check(parameter: str, what: str, amount: int, limit_name: str, *, unit: str = "") -> None:
    """Refuse ``amount`` of a resource past the named limit.

    ``what`` completes the sentence "... would take/have <amount>": for instance
    ``"the output (1, 64, 5000, 5000) float64"``. ``unit`` is ``"bytes"`` for sizes in
    bytes (shown as GiB), else a plural noun such as ``"frames"``.
    """
    limit: int = globals()[limit_name]
    if amount <= limit:
        return
    if unit == "bytes":
        rule = f"{what} would take {size_text(amount)}, over the {size_text(limit)} limit"
    else:
        rule = f"{what} would have {count_text(amount)} {unit}, over the limit of {count_text(limit)}"
    raise LimitError(parameter, rule, LIFT[limit_name])


def check_bytes(parameter: str, what: str, nbytes: int, limit_name: str = "output_bytes") -> None:
    check(parameter, what, nbytes, limit_name, unit="bytes")


def array_bytes(shape: Iterable[int], itemsize: int) -> int:
    return product(shape) * int(itemsize)


def parse_size(option: str, text: str) -> int:
    """'16G', '512M', '2.5GiB', '1000000' (bytes) -> bytes; for --max-memory."""
    import re

    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([kmgt]?)(?:i?b)?\s*", text.lower())
    if not match or len(text) > 40:
        raise LimitError(option, f"expected a size like 16G, 512M or 2.5GiB, got {text!r}")
    scale = {"": 1, "k": 2**10, "m": MiB, "g": GiB, "t": 2**40}[match.group(2)]
    value = int(float(match.group(1)) * scale)
    if value < 1:
        raise LimitError(option, f"must be at least 1 byte, got {text!r}")
    return value


def check_output(shape: Iterable[int], itemsize: int, parameter: str = "input") -> None:
    """Refuse an array result past ``output_bytes`` before it is allocated."""
    check_bytes(parameter, f"the output {tuple(int(n) for n in shape)}", array_bytes(shape, itemsize))


def check_temporary(parameter: str, what: str, nbytes: int) -> None:
    """Refuse scratch that cannot be split into chunks and is past ``temporary_bytes``."""
    check_bytes(parameter, what, nbytes, "temporary_bytes")
