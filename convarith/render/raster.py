"""Scenes to frames of palette indices with Pillow, fast enough for hundreds of frames.

Everything is drawn at SUPERSAMPLE times the size and box-reduced, which anti-aliases
edges with few distinct colours. The static picture is drawn once; a frame redraws only
the rectangle its moving parts cover and maps just that rectangle to palette indices.
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Iterable, Iterator
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import cast

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

from .drawing import DASH, WHITE, Colour, Frames, Item, Point, Polygon, Scene, Shade, Text
from .drawing import Path as Stroke

Box = tuple[int, int, int, int]  # left, top, right, bottom: a region of the canvas in pixels


def keep_freed_memory() -> None:
    """Ask glibc to keep freed memory for reuse rather than hand it back to the system.

    An animation keeps every frame for the encoder while allocating and freeing many
    temporaries of a few hundred KB; by default each of those is a fresh mmap and a round of
    page faults, about a third of the drawing time. The command line calls this; a program
    using the API decides for itself. Elsewhere than glibc it does nothing.
    """
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(-1, 256 << 20)  # M_TRIM_THRESHOLD
        libc.mallopt(-3, 32 << 20)  # M_MMAP_THRESHOLD, glibc's largest
    except (OSError, AttributeError):
        pass


SUPERSAMPLE = 2
MAX_COLOURS = 255  # of a GIF's 256 palette slots, one stays free for transparency
LOOKUP_BYTES = 1 << 24  # one palette's lookup table


def canvas_bytes(width: int, height: int) -> int:
    """Peak bytes a Rasterizer of a ``width`` x ``height`` canvas holds, with one frame out.

    The supersampled base (Pillow keeps RGB as 4 bytes a pixel) and its reduction, the
    palette mapping's scratch (the RGBX bytes, uint32 keys, uint8 indices), the base and one
    frame of indices, and a moving part covering the whole canvas (its supersampled crop and
    reduction): 38 bytes a pixel, measured, plus the lookup table.
    """
    return 38 * width * height + LOOKUP_BYTES


@cache
def font(size_px: float) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """DejaVu Sans from matplotlib's data folder (found without importing matplotlib)."""
    spec = importlib.util.find_spec("matplotlib")
    if spec and spec.submodule_search_locations:
        path = Path(list(spec.submodule_search_locations)[0]) / "mpl-data" / "fonts" / "ttf" / "DejaVuSans.ttf"
        if path.is_file():
            return ImageFont.truetype(str(path), round(size_px))
    return ImageFont.load_default(round(size_px))


_SPARE_TABLES: list[NDArray[np.uint8]] = []  # lookup tables of released palettes, zeroed again, for the next animation


class Palette:
    """An exact global palette: every colour keeps its own index until 255 are taken, then
    new colours go to the nearest existing one. A 2**24 lookup table makes mapping a gather;
    it holds index + 1 so that it can start as zeros (calloc'ed, touched only where used)."""

    def __init__(self) -> None:
        self.colours: list[Colour] = []
        self.table = np.full((256, 3), 255, dtype=np.uint8)  # the colours, padded with white
        self._used: list[int] = []  # lookup-table entries to clear on release
        self._lut: NDArray[np.uint8] | None = (
            _SPARE_TABLES.pop() if _SPARE_TABLES else np.zeros(1 << 24, dtype=np.uint8)
        )
        self._scratch_keys = np.empty(0, dtype=np.uint32)
        self._scratch_index = np.empty(0, dtype=np.uint8)

    def _lookup(self) -> NDArray[np.uint8]:
        if self._lut is None:
            raise ValueError("this palette was released")
        return self._lut

    def map(self, image: Image.Image) -> NDArray[np.uint8]:
        """(height, width) uint8 palette indices of an RGB image, valid until the next call
        (the work buffers are reused: frames allocate nothing they do not keep)."""
        lut = self._lookup()
        size = image.width * image.height
        if size > self._scratch_keys.size:
            self._scratch_keys = np.empty(size, dtype=np.uint32)
            self._scratch_index = np.empty(size, dtype=np.uint8)
        # Pillow keeps RGB as 4 bytes a pixel: R | G << 8 | B << 16 once the padding byte is masked
        keys = np.bitwise_and(
            np.frombuffer(image.tobytes("raw", "RGBX"), dtype="<u4"), 0xFFFFFF, out=self._scratch_keys[:size]
        )
        index = np.take(lut, keys, out=self._scratch_index[:size])
        if not index.all():  # colours not seen before: Pillow lists an image's colours fast
            # (count, (r, g, b)) pairs of an RGB image; never None, as it has at most ``size`` colours
            counted = cast("list[tuple[int, Colour]]", image.getcolors(size))
            self._learn(colour for _, colour in counted)
            np.take(lut, keys, out=index)
        index -= 1
        return index.reshape(image.height, image.width)

    def map_array(self, rgb: NDArray[np.uint8]) -> NDArray[np.uint8]:
        """Palette indices of (..., 3) uint8 colours."""
        lut = self._lookup()
        wide = rgb.astype(np.uint32)
        keys = wide[..., 0] | wide[..., 1] << 8 | wide[..., 2] << 16
        index: NDArray[np.uint8] = lut[keys]
        if not index.all():
            self._learn((k & 255, k >> 8 & 255, k >> 16) for k in np.unique(keys[index == 0]).tolist())
            index = lut[keys]
        index -= 1
        return index

    def _learn(self, colours: Iterable[Colour]) -> None:
        lut = self._lookup()
        for colour in colours:
            key = colour[0] | colour[1] << 8 | colour[2] << 16
            if not lut[key]:
                lut[key] = self._add(colour) + 1
                self._used.append(key)

    def _add(self, colour: Colour) -> int:
        if len(self.colours) < MAX_COLOURS:
            self.table[len(self.colours)] = colour
            self.colours.append(colour)
            return len(self.colours) - 1
        known = np.array(self.colours, dtype=np.int32)
        return int(np.argmin(((known - np.array(colour)) ** 2).sum(axis=1)))

    def release(self) -> None:
        """Hand the lookup table on to the next palette of this process; this one is done."""
        lut = self._lookup()
        lut[self._used] = 0
        _SPARE_TABLES.append(lut)
        self._lut = None


def _scaled(points: Iterable[Point], dx: float = 0, dy: float = 0) -> list[Point]:
    return [(x * SUPERSAMPLE - dx, y * SUPERSAMPLE - dy) for x, y in points]


def _segments(points: list[Point], dashed: bool) -> list[tuple[Point, Point]]:
    pairs = list(pairwise(points))
    if not dashed:
        return pairs
    out = []
    for (x0, y0), (x1, y1) in pairs:
        length = math.hypot(x1 - x0, y1 - y0)
        step = DASH * SUPERSAMPLE
        t = 0.0
        while t < length:
            t1 = min(t + step, length)
            out.append(
                (
                    (x0 + (x1 - x0) * t / length, y0 + (y1 - y0) * t / length),
                    (x0 + (x1 - x0) * t1 / length, y0 + (y1 - y0) * t1 / length),
                )
            )
            t += 2 * step
    return out


def _capped(a: Point, b: Point, half: float) -> list[Point]:
    """A segment lengthened by half its width at each end (a square cap), so grids close."""
    (x0, y0), (x1, y1) = a, b
    length = math.hypot(x1 - x0, y1 - y0) or 1.0
    ux, uy = (x1 - x0) / length * half, (y1 - y0) / length * half
    return [(x0 - ux, y0 - uy), (x1 + ux, y1 + uy)]


def draw(image: Image.Image, items: Iterable[Item], offset: tuple[int, int] = (0, 0)) -> None:
    """Draw primitives (scene coordinates) on a supersampled image whose corner is ``offset``."""
    pen = ImageDraw.Draw(image)
    pen.fontmode = "1"  # anti-aliasing comes from the reduction, with few colours
    dx, dy = offset
    for item in items:
        if isinstance(item, Shade):
            # Pillow blends RGBA fills into an RGB image, rounding as the originals do. The
            # scene gives a footprint as one polygon, or as cells that only share edges
            # (covered by the grid drawn next), so nothing is darkened twice.
            glass = ImageDraw.Draw(image, "RGBA")
            ink = (*item.colour, round(item.alpha * 255))
            for polygon in item.polygons:
                glass.polygon(_scaled(polygon, dx, dy), fill=ink)
        elif isinstance(item, Polygon):
            points = _scaled(item.points, dx, dy)
            if item.fill is not None:
                pen.polygon(points, fill=item.fill)
            if item.outline is not None:
                width = round(item.width * SUPERSAMPLE)
                for a, b in zip(points, points[1:] + points[:1], strict=True):
                    pen.line(_capped(a, b, width / 2), fill=item.outline, width=width)
        elif isinstance(item, Stroke):
            width = round(item.width * SUPERSAMPLE)
            for a, b in _segments(_scaled(item.points, dx, dy), item.dashed):
                pen.line(_capped(a, b, width / 2) if width > 2 else [a, b], fill=item.colour, width=width)
        elif isinstance(item, Text):
            pen.text(
                (item.x * SUPERSAMPLE - dx, item.y * SUPERSAMPLE - dy),
                item.text,
                fill=item.colour,
                font=font(item.size * SUPERSAMPLE),
                anchor=item.anchor,
            )


def bbox(items: Iterable[Item]) -> tuple[float, float, float, float]:
    """Scene-pixel bounds of primitives, with room for line widths and text."""
    xs: list[float] = []
    ys: list[float] = []
    for item in items:
        if isinstance(item, Text):
            left, top, right, bottom = font(item.size * SUPERSAMPLE).getbbox(item.text, anchor=item.anchor)
            xs += [item.x + left / SUPERSAMPLE, item.x + right / SUPERSAMPLE]
            ys += [item.y + top / SUPERSAMPLE, item.y + bottom / SUPERSAMPLE]
            continue
        polygons = item.polygons if isinstance(item, Shade) else (item.points,)
        pad = 1 if isinstance(item, Shade) else item.width + 1
        for polygon in polygons:
            for x, y in polygon:
                xs += [x - pad, x + pad]
                ys += [y - pad, y + pad]
    return min(xs), min(ys), max(xs), max(ys)


class Rasterizer:
    """Renders a scene frame by frame as (height, width) uint8 palette indices."""

    def __init__(self, scene: Scene, palette: Palette | None = None) -> None:
        self.scene = scene
        self.palette = palette or Palette()
        self.base = Image.new("RGB", (scene.width * SUPERSAMPLE, scene.height * SUPERSAMPLE), WHITE)
        draw(self.base, scene.static)
        self.next = 0  # frames before this one have left their kept items in the base
        frames = scene.frames  # a Frames knows whether frames keep items without building them
        self.accumulates = frames.accumulates if isinstance(frames, Frames) else any(frame.kept for frame in frames)
        self.base_index = self.palette.map(self.base.reduce(SUPERSAMPLE)).copy()

    def _region(self, items: Iterable[Item]) -> Box:
        x0, y0, x1, y1 = bbox(items)
        x0, y0 = max(0, math.floor(x0)), max(0, math.floor(y0))
        x1, y1 = min(self.scene.width, math.ceil(x1)), min(self.scene.height, math.ceil(y1))
        return x0, y0, max(x1, x0 + 1), max(y1, y0 + 1)

    def _draw_region(self, items: list[Item]) -> tuple[Box, Image.Image]:
        """Draw items over the base in their bounding box: (region, supersampled crop)."""
        region = self._region(items)
        left, top, right, bottom = (v * SUPERSAMPLE for v in region)
        crop = self.base.crop((left, top, right, bottom))
        draw(crop, items, (left, top))
        return region, crop

    def _indices(self, crop: Image.Image) -> NDArray[np.uint8]:
        return self.palette.map(crop.reduce(SUPERSAMPLE))

    def frame(self, index: int) -> NDArray[np.uint8]:
        """Frame ``index``; kept items of earlier frames accumulate, so go forwards (or start anew)."""
        frames = self.scene.frames
        if index < self.next - 1 and self.accumulates:
            raise ValueError("frames with kept items render in order; make a new Rasterizer to go back")
        for earlier in range(self.next, index + 1):
            if frames[earlier].kept:
                (x0, y0, x1, y1), crop = self._draw_region(frames[earlier].kept)
                self.base.paste(crop, (x0 * SUPERSAMPLE, y0 * SUPERSAMPLE))
                self.base_index[y0:y1, x0:x1] = self._indices(crop)
        self.next = max(self.next, index + 1)
        out: NDArray[np.uint8] = self.base_index.copy()
        moving = frames[index].moving
        hairlines = [item for item in moving if isinstance(item, Stroke) and item.hairline]
        # The footprint and the output cell are far apart: two small regions cost less than one
        # spanning both, and the connecting lines are laid over the indices afterwards.
        for cluster in _clusters([item for item in moving if item not in hairlines]):
            (x0, y0, x1, y1), crop = self._draw_region(cluster)
            out[y0:y1, x0:x1] = self._indices(crop)
        for line in hairlines:
            self._hairline(out, line)
        return out

    def _hairline(self, out: NDArray[np.uint8], line: Stroke) -> None:
        """A one-pixel anti-aliased line (Wu's algorithm) blended into palette indices;
        coverage in quarters, as a 2x supersampled line would have."""
        for (x0, y0), (x1, y1) in pairwise(line.points):
            rows, cols, cover = _wu(x0, y0, x1, y1)
            inside = (rows >= 0) & (rows < out.shape[0]) & (cols >= 0) & (cols < out.shape[1]) & (cover > 0)
            rows, cols, cover = rows[inside], cols[inside], cover[inside, None]
            under = self.palette.table[out[rows, cols]]
            mixed = np.rint(under * (1 - cover) + np.array(line.colour) * cover).astype(np.uint8)
            out[rows, cols] = self.palette.map_array(mixed)

    def frames(self) -> Iterator[NDArray[np.uint8]]:
        for index in range(len(self.scene.frames)):
            yield self.frame(index)

    def colours(self) -> NDArray[np.uint8]:
        """(256, 3) uint8: the palette padded with white, to turn indices back into RGB."""
        return self.palette.table


def _wu(x0: float, y0: float, x1: float, y1: float) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    """Pixels (rows, columns) along a segment and their coverage, two per step of the major axis."""
    steep = abs(y1 - y0) > abs(x1 - x0)
    if steep:
        x0, y0, x1, y1 = y0, x0, y1, x1
    if x1 < x0:
        x0, y0, x1, y1 = x1, y1, x0, y0
    major = np.arange(math.floor(x0), math.ceil(x1))
    slope = (y1 - y0) / (x1 - x0) if x1 != x0 else 0.0
    minor = y0 + (major + 0.5 - x0) * slope - 0.5  # the line at each pixel centre, in pixel units
    low = np.floor(minor).astype(np.int64)
    frac = np.round((minor - low) * 4) / 4
    majors = np.concatenate([major, major])
    minors = np.concatenate([low, low + 1])
    cover = np.concatenate([1 - frac, frac])
    return (majors, minors, cover) if steep else (minors, majors, cover)


def _clusters(items: list[Item]) -> list[list[Item]]:
    """Items grouped so that groups' bounding boxes (with a margin) do not overlap."""
    groups = [([item], bbox([item])) for item in items]
    merged = True
    while merged and len(groups) > 1:
        merged = False
        for a in range(len(groups)):
            for b in range(a + 1, len(groups)):
                (ia, ba), (ib, bb) = groups[a], groups[b]
                if ba[0] - 2 < bb[2] and bb[0] - 2 < ba[2] and ba[1] - 2 < bb[3] and bb[1] - 2 < ba[3]:
                    groups[a] = (ia + ib, (min(ba[0], bb[0]), min(ba[1], bb[1]), max(ba[2], bb[2]), max(ba[3], bb[3])))
                    del groups[b]
                    merged = True
                    break
            if merged:
                break
    # keep each group in the scene's drawing order
    order = {id(item): k for k, item in enumerate(items)}
    return [sorted(group, key=lambda item: order[id(item)]) for group, _ in groups]
