"""Frames of palette indices to files: GIF and PNG through Pillow, written atomically.

GIFs are streamed: each frame is compressed and written as soon as it is drawn, so memory
stays flat in the number of frames (Pillow's own ``save_all`` keeps every frame until the
end). The global palette is only complete once every frame is drawn, so the header holds a
full 256-entry table that is filled in last; index 255 is the transparency slot.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterable
from typing import BinaryIO, NamedTuple

import numpy as np
from numpy.typing import NDArray
from PIL import GifImagePlugin, Image

from ..images import write_atomically
from .drawing import Colour

TRANSPARENT = 255  # the palette keeps indices 0..254 for colours drawn (raster.MAX_COLOURS)


def gif_palette(colours: list[Colour]) -> bytes:
    """The 256-entry palette (index 255, TRANSPARENT, is never a drawn colour).

    Every entry is distinct (unused slots get colours never drawn): Pillow matches palettes
    colour by colour, and repeated entries send it down a slow path.
    """
    if len(colours) > TRANSPARENT:
        raise ValueError("a GIF palette with a transparency slot holds at most 255 colours")
    used = set(colours)
    spares = ((v, 0, w) for v in range(255, -1, -1) for w in range(255, -1, -1) if (v, 0, w) not in used)
    entries = [*colours, *(next(spares) for _ in range(256 - len(colours)))]
    return bytes(v for colour in entries for v in colour)


class _Pending(NamedTuple):
    """A frame held back until the next one is known (an identical next frame lengthens it)."""

    patch: NDArray[np.uint8]  # the rectangle that changed, unchanged pixels TRANSPARENT
    offset: tuple[int, int]  # its top-left corner (x, y)
    duration: int  # milliseconds


class GifWriter:
    """Writes an animated GIF one frame at a time into an open binary file.

    One global palette and ``disposal=1`` (each frame stays under the next): every frame
    after the first is stored as the rectangle that changed, with unchanged pixels in it
    made transparent, exactly as Pillow's ``save_all(optimize=True)`` stores them. A frame
    identical to the one before lengthens that frame's delay instead. Holds two frames.
    """

    def __init__(self, handle: BinaryIO, width: int, height: int, duration_ms: int, loop: int = 0) -> None:
        self.handle = handle
        self.size = (width, height)
        self.duration = duration_ms
        self.previous: NDArray[np.uint8] | None = None
        self.pending: _Pending | None = None  # written when the next frame is known
        self.frames = 0
        self.start = handle.tell()
        # Header, logical screen (global table of 2**8 entries), the table (filled in by close),
        # and the NETSCAPE2.0 loop extension.
        handle.write(b"GIF89a" + struct.pack("<HHBBB", width, height, 0x80 | 0x70 | 7, 0, 0))
        handle.write(bytes(768))
        handle.write(b"!\xff\x0bNETSCAPE2.0\x03\x01" + struct.pack("<H", loop) + b"\x00")

    def add(self, indices: NDArray[np.uint8]) -> None:
        """Append one (height, width) uint8 frame of palette indices (not kept: copied as needed)."""
        if indices.shape != (self.size[1], self.size[0]) or indices.dtype != np.uint8:
            raise ValueError(f"frames must be {self.size[1]}x{self.size[0]} uint8, got {indices.shape} {indices.dtype}")
        previous, self.frames = self.previous, self.frames + 1
        if previous is None or self.pending is None:
            self.previous = indices.copy()
            self.pending = _Pending(self.previous, (0, 0), self.duration)
            return
        changed = indices != previous
        rows, cols = np.flatnonzero(changed.any(axis=1)), np.flatnonzero(changed.any(axis=0))
        if rows.size == 0:  # identical: the frame before stays up longer
            self.pending = self.pending._replace(duration=self.pending.duration + self.duration)
            return
        y0, y1, x0, x1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
        patch = indices[y0:y1, x0:x1].copy()
        patch[~changed[y0:y1, x0:x1]] = TRANSPARENT
        del changed
        self._flush()
        previous[...] = indices
        self.pending = _Pending(patch, (x0, y0), self.duration)

    def _flush(self) -> None:
        if self.pending is None:
            return
        patch, offset, duration = self.pending
        self.pending = None
        image = Image.fromarray(patch, "P")
        for part in GifImagePlugin.getdata(image, offset, duration=duration, disposal=1, transparency=TRANSPARENT):
            self.handle.write(part)

    def close(self, colours: Iterable[Colour]) -> None:
        """Write the last frame, the trailer and the palette of every colour drawn."""
        if self.frames == 0:
            raise ValueError("a GIF needs at least one frame")
        self._flush()
        self.handle.write(b";")
        end = self.handle.tell()
        palette = gif_palette(list(colours))
        self.handle.seek(self.start + 13)
        self.handle.write(palette)
        self.handle.seek(end)
        self.previous = None


def write_gif(
    path: str | os.PathLike[str], frames: Iterable[NDArray[np.uint8]], colours: Iterable[Colour], duration_ms: int
) -> None:
    """Write ``frames`` (an iterable of equal-sized uint8 index arrays, drawn lazily if it is a
    generator) as a looping GIF. ``colours`` is the palette, read after the last frame: pass
    the rasterizer's ``palette.colours`` list, which grows while frames are drawn."""

    def save(target: str) -> None:
        with open(target, "wb") as handle:
            writer = None
            for indices in frames:
                if writer is None:
                    writer = GifWriter(handle, indices.shape[1], indices.shape[0], duration_ms)
                writer.add(indices)
            if writer is None:
                raise ValueError("a GIF needs at least one frame")
            writer.close(colours)

    write_atomically(path, save)


def write_png(path: str | os.PathLike[str], rgb: NDArray[np.uint8]) -> None:
    """An RGB (h, w, 3) uint8 image as a PNG."""
    image = Image.fromarray(rgb, "RGB")

    def write(target: str) -> None:
        with open(target, "wb") as handle:  # ours to close: Pillow leaves its own open on an interruption
            image.save(handle, format="PNG")

    write_atomically(path, write)
