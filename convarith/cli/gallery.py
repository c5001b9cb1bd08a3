"""``convarith gallery``: redraw every animation of the gallery and its index."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from . import app


@app.command()
def gallery(
    dir: Annotated[
        Path, typer.Argument(help="Folder to write the GIFs and README.md into (created if missing).")
    ] = Path("gallery"),
    workers: Annotated[
        int | None, typer.Option("--workers", help="Processes drawing in parallel (default: one per core).")
    ] = None,
    duration: Annotated[int, typer.Option("--duration", help="Milliseconds per frame.")] = 1000,
    html: Annotated[
        bool,
        typer.Option("--html", help="Also write each animation's HTML player and index.html linking them all."),
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Write into a folder that holds other files of the same names.")
    ] = False,
) -> None:
    """Dumoulin & Visin's 15 animations under their original names, plus dilated transposed,
    rectangular, TF SAME, pooling, ceil_mode, 1-D and numerical ones, with an index.

    All or nothing: the animations are drawn in a hidden folder inside DIR and moved into
    place at the end; an error or an interruption leaves DIR as it was."""
    import time

    from ..render import check_duration
    from ..render import gallery as render_gallery
    from .progress import LateProgress

    render_gallery.check_workers(workers)
    check_duration(duration)
    render_gallery.prepare(dir, force, create=False)  # refused before the progress bar
    start = time.perf_counter()
    total = sum(render_gallery.frames(e) for e in render_gallery.ENTRIES)
    with LateProgress(total, f"drawing {len(render_gallery.ENTRIES)} animations") as bar:
        results = render_gallery.build(
            dir,
            force,
            on_done=lambda drawn: bar.advance(drawn.frames),
            workers=workers,
            duration=duration,
            html=html,
        )
    frames = sum(drawn.frames for drawn in results)
    size = sum(drawn.size for drawn in results)
    pages = f", their players and {dir / 'index.html'}" if html else ""
    typer.echo(
        f"wrote {len(results)} animations ({frames} frames, {size / 1e6:.1f} MB){pages} and {dir / 'README.md'} "
        f"in {time.perf_counter() - start:.1f} s"
    )
