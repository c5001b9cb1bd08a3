"""Options shared by several commands."""

from __future__ import annotations

from typing import Annotated

import typer

from .. import limits

MaxMemoryOpt = Annotated[str | None, typer.Option(
    "--max-memory", metavar="SIZE",
    help="Largest array, decoded image or scratch buffer allowed, e.g. 16G or 512M "
         f"(default: {limits.output_bytes // limits.GiB} GiB results, {limits.temporary_bytes // limits.MiB} MiB scratch).")]


def use_max_memory(text: str | None) -> None:
    """Apply --max-memory to every byte budget of convarith.limits for this run."""
    if text is None:
        return
    size = limits.parse_size("--max-memory", text)
    limits.output_bytes = size
    limits.image_bytes = size
    limits.temporary_bytes = size
