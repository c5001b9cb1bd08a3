"""Named 2-D kernels for ``convarith apply`` and the renderer, and kernel files.

Kernels are cross-correlation weights, as every framework applies them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ConvarithError, InputFileError, ShapeError

if TYPE_CHECKING:  # NumPy is imported on use: the command line starts without it
    from numpy.typing import NDArray

_NAMED: dict[str, list[list[float]]] = {
    "identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
    "box-blur": [[1 / 9] * 3] * 3,
    "gaussian": [[1 / 16, 2 / 16, 1 / 16], [2 / 16, 4 / 16, 2 / 16], [1 / 16, 2 / 16, 1 / 16]],
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    "sobel-x": [[1, 0, -1], [2, 0, -2], [1, 0, -1]],
    "sobel-y": [[1, 2, 1], [0, 0, 0], [-1, -2, -1]],
    "scharr-x": [[3, 0, -3], [10, 0, -10], [3, 0, -3]],
    "scharr-y": [[3, 10, 3], [0, 0, 0], [-3, -10, -3]],
    "laplacian": [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
    "emboss": [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]],
    "vertical-edge": [[1, 0, -1], [1, 0, -1], [1, 0, -1]],
    "horizontal-edge": [[1, 1, 1], [0, 0, 0], [-1, -1, -1]],
}
NAMES = tuple(_NAMED)


def named(name: str) -> NDArray[Any]:
    """A named kernel as a float64 (k, k) array."""
    import numpy as np

    if name not in _NAMED:
        raise ShapeError("kernel", f"unknown kernel {name!r}; known: {', '.join(NAMES)}")
    return np.array(_NAMED[name], dtype=np.float64)


def load(path: str | os.PathLike[str]) -> NDArray[Any]:
    """A 2-D kernel from .npy, .csv or .txt (whitespace or comma separated numbers).

    Its size is checked before it is read (the .npy header, the text file's length against
    ``limits.temporary_bytes``); every value must be a finite number.
    """
    import numpy as np

    from . import limits
    from .images import shown

    path = Path(path)
    name = shown(path)
    if path.is_dir():
        raise InputFileError("kernel-file", f"{name} is a folder, not a kernel file")
    if not path.is_file():
        raise InputFileError("kernel-file", f"{name} does not exist or is not a file")
    try:
        if path.suffix.lower() == ".npy":
            header = np.load(path, mmap_mode="r", allow_pickle=False)  # the header only: nothing is read yet
            if not isinstance(header, np.ndarray):
                raise ValueError("not a single array")
            if header.dtype.kind not in "fiu":
                raise InputFileError("kernel-file", f"{name}: values must be real numbers, got dtype {header.dtype}")
            limits.check_bytes(
                "kernel-file",
                f"the kernel {tuple(header.shape)} in {name}",
                limits.array_bytes(header.shape, 8),
                "temporary_bytes",
            )
            kernel = np.array(header, dtype=np.float64)
            del header
        else:
            limits.check_bytes(
                "kernel-file", f"reading the kernel text {name}", 16 * path.stat().st_size, "temporary_bytes"
            )
            text = path.read_text(encoding="utf-8").replace(",", " ")
            rows = [line.split() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
            if not rows or len({len(r) for r in rows}) != 1:
                raise InputFileError("kernel-file", f"{name}: rows must all have the same number of values")
            kernel = np.array([[float(v) for v in row] for row in rows], dtype=np.float64)
    except ConvarithError:
        raise
    except (ValueError, OSError, EOFError, MemoryError) as exc:
        reason = " ".join(str(exc).split())[:120] or type(exc).__name__
        raise InputFileError("kernel-file", f"{name}: not a numeric kernel ({reason})") from None
    if kernel.ndim != 2 or 0 in kernel.shape:
        raise InputFileError("kernel-file", f"{name}: a kernel must be a non-empty 2-D array, got shape {kernel.shape}")
    check_finite(kernel, "kernel-file", name)
    return kernel


def check_finite(kernel: NDArray[Any], parameter: str = "kernel", name: str = "the kernel") -> None:
    """Refuse NaN and infinite weights: the result would be garbage."""
    import numpy as np

    if not np.all(np.isfinite(kernel)):
        raise InputFileError(parameter, f"{name}: values must be finite numbers (no nan or inf)")
