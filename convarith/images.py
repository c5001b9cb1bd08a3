"""Reading images into [0, 1] float arrays and writing results atomically (Pillow, NumPy).

An image is judged by its header before a pixel is decoded: its size against
``limits.image_pixels`` (--max-pixels) and the bytes decoding and converting it take against
``limits.image_bytes`` (--max-memory). Pillow's own decompression-bomb limit is replaced by
these for the one read, and restored after. Only the first frame of an animation is read.
"""

from __future__ import annotations

import contextlib
import os
import struct
import tempfile
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from . import limits
from .errors import ConvarithError, InputFileError

if TYPE_CHECKING:  # Pillow and NumPy are imported on use: the command line starts without them
    import numpy as np
    from numpy.typing import NDArray
    from PIL.Image import Image as PillowImage
    from PIL.ImageFile import ImageFile

PathLike = str | os.PathLike[str]
"""A file name, as ``pathlib.Path`` takes it."""


def shown(path: str | bytes | os.PathLike[str] | os.PathLike[bytes]) -> str:
    """A path as it can appear in a one-line message: quoted and escaped if it holds
    control characters (a newline in a file name must not split the line)."""
    text = os.fspath(path)
    if isinstance(text, bytes):
        text = text.decode("utf-8", "backslashreplace")
    if text.isprintable():
        return text
    return repr(text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace"))


def default_image_path() -> Path:
    """A photograph that ships with matplotlib: nothing is downloaded."""
    from matplotlib import cbook

    return Path(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))


# Bytes a pixel takes in Pillow's memory, by mode (multi-band 8-bit modes are padded to 4).
_STORED = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16L": 2, "I;16B": 2, "I;16N": 2}
_GREY = ("1", "L", "LA", "La", "I;16", "I;16L", "I;16B", "I;16N", "I", "F")
_DIRECT = {"L", "LA", "La", "I;16", "I;16L", "I;16B", "I;16N", "I", "F", "1", "RGB", "RGBA", "RGBX", "RGBa"}


@dataclass(frozen=True)
class ImageInfo:
    """What the header of an image says, before anything is decoded."""

    width: int
    height: int
    mode: str  # Pillow's mode of the decoded first frame
    bits: int  # bits per sample in the file
    channels: int  # channels read() returns: 1 (grey) or 3 (colour); alpha is dropped
    format: str

    @property
    def pixels(self) -> int:
        return self.width * self.height

    def decoded_bytes(self, grey: bool = False) -> int:
        """Peak bytes read() holds: the decoded frame (at least pixels x samples x bytes per
        sample), a conversion to RGB when the mode needs one, one band's scratch, and the
        float64 result (one plane and a scratch plane when ``grey`` mixes colours)."""
        samples = len(self.mode) if self.mode in ("RGB", "RGBA", "RGBX", "RGBa", "CMYK", "LA", "La", "PA") else 1
        stored = max(_STORED.get(self.mode, 4), samples * max(1, self.bits // 8))
        converted = 0 if self.mode in _DIRECT else 4
        band = 2 * (2 if self.mode.startswith("I;16") else 1 if self.mode not in ("I", "F") else 4)
        result = 16 if grey and self.channels > 1 else 8 * self.channels
        return self.pixels * (stored + converted + band + result)


_PILLOW_LIMIT = threading.Lock()


@contextmanager
def _pillow_limit() -> Iterator[None]:
    """Pillow's MAX_IMAGE_PIXELS off for this read (our own checks, made from the header,
    replace it; it would refuse what --max-pixels allows), then put back as it was."""
    from PIL import Image

    with _PILLOW_LIMIT, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a damaged file is refused, not warned about
        saved = Image.MAX_IMAGE_PIXELS
        Image.MAX_IMAGE_PIXELS = None
        try:
            yield
        finally:
            Image.MAX_IMAGE_PIXELS = saved


def _bits(image: PillowImage) -> int:
    tile = getattr(image, "tile", None) or []
    raw = tile[0].args if tile else None
    raw = raw[0] if isinstance(raw, tuple) and raw else raw
    if isinstance(raw, str):
        for bits in (32, 16, 12):
            if f";{bits}" in raw:
                return bits
    return {"1": 1, "I": 32, "F": 32}.get(image.mode, 16 if image.mode.startswith("I;16") else 8)


# Raster formats read: not EPS (Pillow would run Ghostscript on it) nor other exotic plugins,
# nor ICO, whose plugin decodes the embedded image while opening it: before any size check.
FORMATS = (
    "PNG",
    "JPEG",
    "MPO",
    "GIF",
    "TIFF",
    "BMP",
    "DIB",
    "WEBP",
    "PPM",
    "TGA",
    "PCX",
    "QOI",
    "SGI",
    "PSD",
    "JPEG2000",
)


def _formats() -> list[str]:
    from PIL import Image

    Image.init()
    return [name for name in FORMATS if name in Image.OPEN]


@contextmanager
def _opened(path: Path) -> Iterator[ImageFile]:
    """The opened Pillow image (header read, nothing decoded), closed on leaving.

    The file is opened here, not by Pillow, so that it is closed whatever interrupts
    Pillow (a signal turned into an exception included).
    """
    name = shown(path)
    if path.is_dir():
        raise InputFileError("image", f"{name} is a folder, not an image")
    if not path.is_file():
        raise InputFileError("image", f"{name} does not exist or is not a file")
    try:
        handle = open(path, "rb")  # noqa: SIM115  (closed below, whatever happens)
    except OSError as exc:
        raise InputFileError("image", f"{name} is not a readable image ({exc.strerror or exc})") from None
    with handle:
        image = _identify(handle, name)
        try:
            yield image
        finally:
            image.close()


def _identify(handle: IO[bytes], name: str) -> ImageFile:
    from PIL import Image, UnidentifiedImageError

    try:
        return Image.open(handle, formats=_formats())
    except UnidentifiedImageError:
        raise InputFileError(
            "image",
            f"{name} is not a readable image (not PNG, JPEG, GIF, TIFF, BMP, WebP "
            "or another raster format convarith reads)",
        ) from None
    except PermissionError:
        raise InputFileError("image", f"{name} is not a readable image (permission denied)") from None
    except (OSError, ValueError, SyntaxError, EOFError, MemoryError, OverflowError, struct.error) as exc:
        raise InputFileError("image", f"{name} is not a readable image ({_reason(exc)})") from None


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split())[:120]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _info(image: PillowImage) -> ImageInfo:
    width, height = image.size
    mode = image.mode
    channels = 1 if mode in _GREY else 3
    return ImageInfo(int(width), int(height), mode, _bits(image), channels, image.format or "unknown")


def inspect(path: PathLike, max_pixels: int | None = None, grey: bool = False) -> ImageInfo:
    """The header of an image, checked against ``limits.image_pixels`` (or ``max_pixels``)
    and ``limits.image_bytes``: refused as too large before anything is decoded."""
    path = Path(path)
    with _pillow_limit(), _opened(path) as image:
        info = _info(image)
    _check(info, path, max_pixels, grey)
    return info


def _check(info: ImageInfo, path: Path, max_pixels: int | None, grey: bool = False) -> None:
    name = shown(path)
    if info.width < 1 or info.height < 1:
        raise InputFileError("image", f"{name} has no pixels ({info.width}x{info.height})")
    limit = limits.image_pixels if max_pixels is None else max_pixels
    if info.pixels > limit:
        lift = "raise it with --max-pixels (max_pixels=, or convarith.limits.image_pixels, in Python)"
        from .errors import LimitError

        raise LimitError(
            "image",
            f"{name} is too large: {info.width}x{info.height} is "
            f"{limits.count_text(info.pixels)} pixels, over the limit of "
            f"{limits.count_text(limit)}",
            lift,
        )
    limits.check_bytes(
        "image",
        f"{name} is too large: decoding its {info.width}x{info.height} pixels "
        f"({info.mode}, {info.bits}-bit) as float64",
        info.decoded_bytes(grey),
        "image_bytes",
    )


def read(path: PathLike, max_pixels: int | None = None, grey: bool = False) -> NDArray[np.float64]:
    """(C, H, W) float64 in [0, 1]: grey gives C=1, colour 3; an alpha channel is dropped.

    Integer samples are divided by their largest value (255, 65535, 2**31 - 1); float
    images ("F") are taken as they are. Only the first frame of an animation is read.
    The header is checked first (see ``inspect``); ``max_pixels`` overrides
    ``limits.image_pixels`` for this read. With ``grey`` a colour image comes back as its
    BT.601 luma (``grey(read(path))``), made band by band without the colour array.
    """
    path = Path(path)
    name = shown(path)
    with _pillow_limit(), _opened(path) as image:
        info = _info(image)
        _check(info, path, max_pixels, grey)
        try:
            image.load()
            return _to_float(image, info, grey)
        except ConvarithError:
            raise
        except MemoryError:
            raise InputFileError("image", f"{name} is too large to decode in the memory available") from None
        except Exception as exc:  # Pillow's decoders raise many kinds for a damaged file
            raise InputFileError("image", f"{name} is not a readable image ({_reason(exc)})") from None


LUMA = (0.299, 0.587, 0.114)  # ITU-R BT.601


def _to_float(image: PillowImage, info: ImageInfo, grey: bool = False) -> NDArray[np.float64]:
    import numpy as np

    mode = image.mode
    if mode not in _DIRECT:
        image = image.convert("RGBA" if mode in ("P", "PA") else "RGB")
    if mode == "1":
        image = image.convert("L")
    mix = grey and info.channels > 1
    out = np.empty((1 if mix else info.channels, info.height, info.width), dtype=np.float64)
    # With ``mix``, each band goes through this plane and is added into out[0] with its weight.
    plane = np.empty((info.height, info.width) if mix else (0, 0), dtype=np.float64)
    for c in range(info.channels):
        band = image.getchannel(c) if len(image.getbands()) > 1 else image
        values = np.asarray(band)
        target = plane if mix else out[c]
        if values.dtype.kind in "iu":
            scale = np.iinfo(values.dtype).max
            if image.mode.startswith("I;16") or (image.mode == "I" and info.bits == 16):
                scale = 65535
            np.divide(values, scale, out=target)
        else:
            target[...] = values
        del values, band
        if mix:  # as grey() does: 0.299 r, then + 0.587 g, then + 0.114 b
            if c == 0:
                np.multiply(plane, LUMA[0], out=out[0])
            else:
                np.multiply(plane, LUMA[c], out=plane)
                np.add(out[0], plane, out=out[0])
    return out


def grey(image: NDArray[np.float64]) -> NDArray[np.float64]:
    """ITU-R BT.601 luma of a (3, H, W) image, as (1, H, W): one new plane, no temporaries."""
    import numpy as np

    if image.shape[0] == 1:
        return image
    out: NDArray[np.float64] = np.multiply(image[0], LUMA[0])[None]
    scratch = np.empty_like(out[0])
    for weight, plane in zip(LUMA[1:], image[1:3], strict=True):
        np.multiply(plane, weight, out=scratch)
        np.add(out[0], scratch, out=out[0])
    return out


CHUNK_ELEMENTS = 1 << 20  # float64 scratch of 8 MiB for the chunked conversions below


def _blocks(values: NDArray[Any], size: int = CHUNK_ELEMENTS) -> Iterator[tuple[int, int, int, NDArray[Any]]]:
    """Views of a (C, H, W) array, a few rows of one channel at a time (about ``size``
    elements each): whatever its memory layout, nothing full-size is copied."""
    channels, height, width = values.shape
    rows = max(1, size // max(1, width))
    for c in range(channels):
        for r0 in range(0, height, rows):
            yield c, r0, min(height, r0 + rows), values[c, r0 : r0 + rows]


def all_finite(values: NDArray[Any]) -> bool:
    """Whether every value of a (C, H, W) array is finite, checked in blocks."""
    import numpy as np

    return all(bool(np.isfinite(block).all()) for *_, block in _blocks(values))


SELECT_GATHER_BYTES = 64 * 2**20  # candidates gathered for an exact partition


def _select(values: NDArray[Any], ranks: Sequence[int]) -> list[float]:
    """The ``ranks``-th smallest (0-based) of the non-negative floats of a (C, H, W) array,
    exactly, without sorting or copying it.

    For non-negative doubles the order is that of their uint64 bit patterns, so this is a
    radix selection, 16 bits a pass, each pass a histogram over blocks of ``values``. As
    soon as the values left in the running are few they are gathered and partitioned; a
    rank that falls on zeros (most of an edge map) is answered after the first pass.
    """
    import numpy as np

    def patterns() -> Iterator[NDArray[np.uint64]]:
        for *_, block in _blocks(values):
            yield np.ascontiguousarray(block, dtype=np.float64).reshape(-1).view(np.uint64)

    # Pass 1, shared by every rank: the top 16 bits, and the zeros.
    counts = np.zeros(1 << 16, dtype=np.int64)
    zeros = 0
    for part in patterns():
        top = (part >> np.uint64(48)).astype(np.intp)
        counts += np.bincount(top, minlength=1 << 16)
        zeros += part.size - np.count_nonzero(part)
    first = np.cumsum(counts)
    out = []
    for rank in ranks:
        if rank < zeros:
            out.append(0.0)
            continue
        digit = int(np.searchsorted(first, rank, side="right"))
        rank -= int(first[digit - 1]) if digit else 0
        prefix, shift, left = digit, 48, int(counts[digit])
        while shift:
            if left * 8 <= SELECT_GATHER_BYTES:
                gathered = [part[(part >> np.uint64(shift)) == np.uint64(prefix)] for part in patterns()]
                candidates = np.concatenate(gathered) if gathered else np.empty(0, np.uint64)
                prefix, shift = int(np.partition(candidates, rank)[rank]), 0
                break
            shift -= 16
            level = np.zeros(1 << 16, dtype=np.int64)
            for part in patterns():
                part = part[(part >> np.uint64(shift + 16)) == np.uint64(prefix)]
                level += np.bincount(
                    ((part >> np.uint64(shift)) & np.uint64(0xFFFF)).astype(np.intp), minlength=1 << 16
                )
            cumulative = np.cumsum(level)
            digit = int(np.searchsorted(cumulative, rank, side="right"))
            rank -= int(cumulative[digit - 1]) if digit else 0
            prefix, left = (prefix << 16) | digit, int(level[digit])
        out.append(float(np.array(prefix, dtype=np.uint64).view(np.float64)))
    return out


def percentile_of_magnitude(magnitudes: NDArray[Any], q: float) -> float:
    """``np.percentile(magnitudes, q)`` (linear interpolation) of non-negative floats,
    exactly, in O(1) extra memory: two order statistics, then NumPy's own interpolation."""
    import numpy as np

    values = np.asarray(magnitudes)
    values = values.reshape(1, 1, -1) if values.ndim != 3 else values
    n = values.size
    if n == 0:
        return 0.0
    virtual = np.float64(q) / 100 * (n - 1)
    below = int(np.floor(virtual))
    gamma = float(virtual - below)
    a, b = _select(values, [below, min(below + 1, n - 1)])
    diff = b - a
    return (b - diff * (1 - gamma)) if gamma >= 0.5 else (a + diff * gamma)


def for_viewing(values: NDArray[Any], signed: bool, in_place: bool = False) -> NDArray[np.uint8]:
    """(C, H, W) floats -> uint8 (H, W[, C]). Signed results (edges) show their magnitude,
    scaled so that the 99.5th percentile is white.

    With ``in_place`` the magnitudes are taken in ``values`` itself; the conversion works in
    blocks of rows, so apart from the uint8 result it holds 8 MiB, never a full-size copy
    (whatever the array's memory layout).
    """
    import numpy as np

    if values.ndim != 3:
        raise ValueError("for_viewing takes (C, H, W) arrays")
    channels, height, width = values.shape
    if signed:
        if in_place and values.flags.writeable and values.dtype == np.float64:
            np.abs(values, out=values)
            magnitudes = values
        else:
            magnitudes = np.abs(values, dtype=np.float64)
        # The 99.5th percentile, not the maximum: a few extreme edges would leave the rest black.
        peak = percentile_of_magnitude(magnitudes, 99.5) if magnitudes.size else 0.0
        values = magnitudes
    out = np.empty((height, width, channels), dtype=np.uint8)
    scratch = np.empty(CHUNK_ELEMENTS + width, dtype=np.float64)
    for c, r0, r1, block in _blocks(values):
        part = scratch[: block.size].reshape(block.shape)
        if signed and peak > 0:
            np.divide(block, peak, out=part)
        else:
            part[...] = block
        np.clip(part, 0.0, 1.0, out=part)
        np.multiply(part, 255, out=part)
        np.rint(part, out=part)
        out[r0:r1, :, c] = part
    return out[..., 0] if channels == 1 else out


def check_folder(path: PathLike) -> None:
    """The folder a file is to be written in must exist, checked before any work is done."""
    parent = Path(path).parent
    if not parent.is_dir():
        what = "is not a folder" if parent.exists() else "does not exist"
        raise InputFileError("output", f"folder {shown(parent)} {what}")


def write_atomically(path: PathLike, write: Callable[[str], object]) -> None:
    """Call ``write(temporary_path)``, then rename over ``path``: never a half-written file.

    The temporary file is removed on any failure or interruption (KeyboardInterrupt, and
    SIGTERM/SIGHUP once the command line has turned them into exceptions).
    """
    path = Path(path)
    check_folder(path)
    temporary = None
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{path.stem[:40]}-", suffix=path.suffix, dir=path.parent)
        os.close(fd)
        write(temporary)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # mkstemp makes it private; a result is an ordinary file
        os.replace(temporary, path)
        temporary = None
    except OSError as exc:
        if temporary is None:
            raise InputFileError("output", f"cannot write in {shown(path.parent)}: {exc.strerror or exc}") from None
        raise InputFileError("output", f"could not write {shown(path)}: {exc.strerror or exc}") from None
    finally:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
