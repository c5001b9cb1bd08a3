"""One frame as SVG or PDF with matplotlib: the same primitives, as vector shapes."""

from __future__ import annotations

from typing import Any

from .drawing import DASH, Colour, Path, Polygon, Scene, Shade, Text

PX_TO_PT = 72 / 100  # the figure is laid out at 100 px per inch

_HA = {"l": "left", "m": "center", "r": "right"}
_VA = {"t": "top", "m": "center", "s": "baseline", "b": "bottom"}


def save(scene: Scene, index: int, path: str, fmt: str) -> None:
    from matplotlib.figure import Figure  # no pyplot: the caller's backend stays as it was
    from matplotlib.patches import Polygon as Patch

    fig = Figure(figsize=(scene.width / 100, scene.height / 100), dpi=100)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, scene.width)
    ax.set_ylim(scene.height, 0)
    ax.set_axis_off()
    kept = [item for frame in scene.frames[: index + 1] for item in frame.kept]
    for z, item in enumerate(scene.static + kept + scene.frames[index].moving):
        if isinstance(item, Shade):
            for polygon in item.polygons:
                ax.add_patch(
                    Patch(
                        polygon, closed=True, facecolor=_rgb(item.colour), alpha=item.alpha, edgecolor="none", zorder=z
                    )
                )
        elif isinstance(item, Polygon):
            ax.add_patch(
                Patch(
                    item.points,
                    closed=True,
                    zorder=z,
                    facecolor="none" if item.fill is None else _rgb(item.fill),
                    edgecolor="none" if item.outline is None else _rgb(item.outline),
                    linewidth=item.width * PX_TO_PT,
                    joinstyle="miter",
                )
            )
        elif isinstance(item, Path):
            xs, ys = zip(*item.points, strict=True)
            style: dict[str, Any] = {"dashes": (DASH / item.width, DASH / item.width)} if item.dashed else {}
            ax.plot(
                xs,
                ys,
                color=_rgb(item.colour),
                linewidth=item.width * PX_TO_PT,
                zorder=z,
                solid_capstyle="projecting",
                **style,
            )
        elif isinstance(item, Text):
            ax.text(
                item.x,
                item.y,
                item.text,
                fontsize=item.size * PX_TO_PT,
                color=_rgb(item.colour),
                ha=_HA[item.anchor[0]],
                va=_VA[item.anchor[1]],
                zorder=z,
                family="DejaVu Sans",
            )
    fig.savefig(path, format=fmt, dpi=100)


def _rgb(colour: Colour) -> tuple[float, ...]:
    return tuple(v / 255 for v in colour)
