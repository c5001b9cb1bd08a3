"""Frames of palette indices to files: GIF and PNG through Pillow, written atomically."""

from __future__ import annotations

import numpy as np
from PIL import Image

from ..images import write_atomically


def gif_palette(colours: list[tuple[int, int, int]]) -> tuple[bytes, int]:
    """The palette bytes and the transparency index: one spare colour after the used ones.

    Every entry is distinct: Pillow matches palettes colour by colour, and repeated entries
    send it down a slow path.
    """
    if len(colours) > 255:
        raise ValueError("a GIF palette with a transparency slot holds at most 255 colours")
    used = set(colours)
    spare = next((v, 0, v) for v in range(255, -1, -1) if (v, 0, v) not in used)
    return bytes(v for colour in [*colours, spare] for v in colour), len(colours)


def write_gif(path, frames, colours, duration_ms: int) -> None:
    """One global palette and ``disposal=1`` (each frame stays under the next), so Pillow
    stores only the rectangle that changed, with unchanged pixels in it made transparent."""
    palette, transparent = gif_palette(colours)
    images = []
    for indices in frames:
        image = Image.fromarray(indices, "P")
        image.putpalette(palette)
        images.append(image)

    def save(target):
        images[0].save(target, format="GIF", save_all=True, append_images=images[1:], loop=0,
                       duration=duration_ms, disposal=1, optimize=True, transparency=transparent,
                       palette=palette)

    write_atomically(path, save)


def write_png(path, rgb: np.ndarray) -> None:
    image = Image.fromarray(rgb, "RGB")
    write_atomically(path, lambda target: image.save(target, format="PNG"))
