"""Reading images into [0, 1] float arrays and writing results atomically (imageio, NumPy)."""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path

from .errors import ShapeError

MAX_PIXELS = 100_000_000  # refuse decoding more than this without being asked


def default_image_path() -> Path:
    """A photograph that ships with matplotlib: nothing is downloaded."""
    from matplotlib import cbook

    return Path(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))


def read(path, max_pixels: int = MAX_PIXELS):
    """(C, H, W) float64 in [0, 1]: grey gives C=1, RGB 3; an alpha channel is dropped."""
    import imageio.v3 as iio
    import numpy as np

    path = Path(path)
    if not path.is_file():
        raise ShapeError("image", f"{path} does not exist or is not a file")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # imageio warns about plugins it tries; the user asked for pixels
        return _decode(iio, np, path, max_pixels)


def _decode(iio, np, path, max_pixels):
    try:
        props = iio.improps(path)
        if int(np.prod(props.shape[:2])) > max_pixels:
            raise ShapeError("image", f"{path} has {props.shape[0]}x{props.shape[1]} pixels, over {max_pixels:,}: "
                                      "pass --max-pixels to force it")
        image = iio.imread(path)
    except ShapeError:
        raise
    except Exception as exc:  # imageio raises many kinds for a file it cannot decode
        raise ShapeError("image", f"{path} is not a readable image ({type(exc).__name__})") from None
    if image.ndim == 3 and image.shape[0] > 1 and image.shape[-1] not in (1, 2, 3, 4):
        image = image[0]  # the first frame of an animation
    if image.ndim == 2:
        image = image[..., None]
    if image.ndim != 3 or image.shape[-1] not in (1, 2, 3, 4):
        raise ShapeError("image", f"{path} has an unsupported layout {image.shape}")
    if image.shape[-1] in (2, 4):
        image = image[..., :-1]  # drop alpha
    scale = np.iinfo(image.dtype).max if image.dtype.kind in "iu" else 1.0
    return np.moveaxis(image.astype(np.float64) / scale, -1, 0)


def grey(image):
    """ITU-R BT.601 luma of a (3, H, W) image, as (1, H, W)."""
    import numpy as np

    if image.shape[0] == 1:
        return image
    return np.tensordot(np.array([0.299, 0.587, 0.114]), image, axes=1)[None]


def for_viewing(values, signed: bool):
    """(C, H, W) floats -> uint8 (H, W[, C]). Signed results (edges) show their magnitude."""
    import numpy as np

    if signed:
        values = np.abs(values)
        # The 99.5th percentile, not the maximum: a few extreme edges would leave the rest black.
        peak = float(np.percentile(values, 99.5)) if values.size else 0.0
        values = values / peak if peak > 0 else values
    pixels = np.clip(values, 0.0, 1.0)
    pixels = np.round(pixels * 255).astype(np.uint8)
    pixels = np.moveaxis(pixels, 0, -1)
    return pixels[..., 0] if pixels.shape[-1] == 1 else pixels


def check_folder(path) -> None:
    """The folder a file is to be written in must exist, checked before any work is done."""
    parent = Path(path).parent
    if not parent.is_dir():
        what = "is not a folder" if parent.exists() else "does not exist"
        raise ShapeError("output", f"folder {parent} {what}")


def write_atomically(path, write) -> None:
    """Call ``write(temporary_path)``, then rename over ``path``: never a half-written file."""
    path = Path(path)
    check_folder(path)
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=path.suffix, dir=path.parent)
    except OSError as exc:
        raise ShapeError("output", f"cannot write in {path.parent}: {exc.strerror or exc}") from None
    os.close(fd)
    try:
        write(temporary)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # mkstemp makes it private; a result is an ordinary file
        os.replace(temporary, path)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise ShapeError("output", f"could not write {path}: {exc.strerror or exc}") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
