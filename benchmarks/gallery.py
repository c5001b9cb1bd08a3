"""The renderer's speed and size targets, measured.

Run: python benchmarks/gallery.py [--runs 5]
Prints
- the whole `convarith gallery` in a fresh interpreter (start-up included), median wall time;
  target at most 4 s on the project's 2-core machines;
- per-frame rendering and encoding, averaged over every gallery frame in one process
  (median of three passes); targets at most 3 ms each;
- a naive matplotlib loop (a new figure per frame, one patch per cell, savefig), measured
  in the same run as the reference, and our ratio to it;
- each canonical GIF's bytes beside the original's (tests/data/dumoulin_originals.json);
  target at most 0.8x.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def gallery_wall(runs: int) -> float:
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as folder:
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "convarith", "gallery", folder], check=True, capture_output=True)
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def per_frame() -> tuple[float, float, int, dict]:
    from convarith import render
    from convarith.render import encode, gallery, raster

    raster.keep_freed_memory()  # as the gallery's workers do
    rendering = encoding = 0.0
    frames = 0
    sizes = {}
    with tempfile.TemporaryDirectory() as folder:
        for entry in gallery.ENTRIES:
            start = time.perf_counter()
            scene = render.scene(entry.layer(), entry.input, values=entry.values)
            drawer = raster.Rasterizer(scene)
            indices = list(drawer.frames())
            middle = time.perf_counter()
            path = Path(folder) / f"{entry.name}.gif"
            encode.write_gif(path, indices, drawer.palette.colours, 1000)
            drawer.palette.release()  # as render.save does: the next animation reuses the lookup table
            rendering += middle - start
            encoding += time.perf_counter() - middle
            frames += len(indices)
            sizes[entry.name] = path.stat().st_size
    return rendering / frames * 1e3, encoding / frames * 1e3, frames, sizes


def naive_matplotlib(frames: int = 5) -> float:
    """ms a frame for the approach the issue rules out, on padding_strides (7x7 padded, 3x3 out)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Polygon

    def cell(u, r, dy=0.0):
        corners = [(u, r), (u + 1, r), (u + 1, r + 1), (u, r + 1)]
        return [(x - 0.7 * (7 - y), 0.5 * x + 0.65 * (7 - y) + dy) for x, y in corners]

    start = time.perf_counter()
    for _ in range(frames):
        fig, ax = plt.subplots(figsize=(3.95, 3.81), dpi=100)
        for r in range(7):
            for u in range(7):
                inside = 1 <= r <= 5 and 1 <= u <= 5
                ax.add_patch(
                    Polygon(
                        cell(u, r),
                        facecolor="#268BD2" if inside else "none",
                        edgecolor="#002B36",
                        linestyle="-" if inside else "--",
                    )
                )
        for r in range(3):
            for u in range(3):
                ax.add_patch(Polygon(cell(u, r, 8), facecolor="#2AA198", edgecolor="#002B36"))
        ax.set_xlim(-5, 8)
        ax.set_ylim(0, 12)
        ax.set_axis_off()
        fig.savefig(io.BytesIO(), format="png")
        plt.close(fig)
    return (time.perf_counter() - start) / frames * 1e3


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="gallery runs for the median wall time")
    args = parser.parse_args()

    wall = gallery_wall(args.runs)
    passes = [per_frame() for _ in range(3)]  # the first pays one-time costs (fonts, imports)
    render_ms = statistics.median(p[0] for p in passes)
    encode_ms = statistics.median(p[1] for p in passes)
    _, _, frames, sizes = passes[0]
    naive = naive_matplotlib()
    print(
        f"gallery, fresh interpreter: {wall:.2f} s median of {args.runs} ({frames} frames)   target <= 4 s: "
        f"{wall / 4:.2f}x the budget"
    )
    print(f"render  {render_ms:.2f} ms/frame (median of 3 passes)   target <= 3 ms: {render_ms / 3:.2f}x the budget")
    print(f"encode  {encode_ms:.2f} ms/frame   target <= 3 ms: {encode_ms / 3:.2f}x the budget")
    print(
        f"naive matplotlib loop (reference, same run): {naive:.1f} ms/frame; "
        f"ours {naive / (render_ms + encode_ms):.0f}x faster"
    )
    originals = json.loads((ROOT / "tests" / "data" / "dumoulin_originals.json").read_text())["gifs"]
    print(f"\n{'canonical GIF':42s} {'ours':>9s} {'original':>9s} {'ratio':>6s}")
    ratios = []
    for name, original in originals.items():
        ratio = sizes[name] / original["bytes"]
        ratios.append(ratio)
        print(f"{name:42s} {sizes[name]:9,d} {original['bytes']:9,d} {ratio:6.2f}")
    print(f"{'largest ratio':42s} {'':9s} {'':9s} {max(ratios):6.2f}   target <= 0.80")


if __name__ == "__main__":
    main()
