"""How much memory the NumPy backend may use, and the check that enforces it.

``temporary_bytes`` bounds scratch buffers: large inputs are processed in chunks so that no
more than this is materialised at once. ``output_bytes`` refuses outputs that would not fit
comfortably in memory; raise it (``limits.output_bytes = ...``) to force such work.
"""

from __future__ import annotations

from ..errors import ShapeError

temporary_bytes = 512 * 2**20
output_bytes = 8 * 2**30


def check_output(shape, itemsize: int) -> None:
    size = itemsize
    for n in shape:
        size *= n
    if size > output_bytes:
        raise ShapeError(
            "input",
            f"the output {tuple(shape)} would take {size / 2**30:.1f} GiB, over the "
            f"{output_bytes / 2**30:.1f} GiB limit; set convarith.functional.limits.output_bytes to force it",
        )
