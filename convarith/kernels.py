"""Named 2-D kernels for ``convarith apply`` and the renderer, and kernel files.

Kernels are cross-correlation weights, as every framework applies them.
"""

from __future__ import annotations

from pathlib import Path

from .errors import ShapeError

_NAMED = {
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


def named(name: str):
    """A named kernel as a float64 (k, k) array."""
    import numpy as np

    if name not in _NAMED:
        raise ShapeError("kernel", f"unknown kernel {name!r}; known: {', '.join(NAMES)}")
    return np.array(_NAMED[name], dtype=np.float64)


def load(path) -> "np.ndarray":  # noqa: F821
    """A 2-D kernel from .npy, .csv or .txt (whitespace or comma separated numbers)."""
    import numpy as np

    path = Path(path)
    if not path.is_file():
        raise ShapeError("kernel-file", f"{path} does not exist or is not a file")
    try:
        if path.suffix.lower() == ".npy":
            kernel = np.load(path, allow_pickle=False)
        else:
            text = path.read_text().replace(",", " ")
            rows = [line.split() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
            if not rows or len({len(r) for r in rows}) != 1:
                raise ShapeError("kernel-file", f"{path}: rows must all have the same number of values")
            kernel = np.array([[float(v) for v in row] for row in rows], dtype=np.float64)
    except ShapeError:
        raise
    except (ValueError, OSError) as exc:
        raise ShapeError("kernel-file", f"{path}: not a numeric kernel ({str(exc).splitlines()[0]})") from None
    if kernel.ndim != 2 or 0 in kernel.shape:
        raise ShapeError("kernel-file", f"{path}: a kernel must be a non-empty 2-D array, got shape {kernel.shape}")
    if kernel.dtype.kind not in "fiu" or not np.all(np.isfinite(kernel)):
        raise ShapeError("kernel-file", f"{path}: values must be finite numbers")
    return kernel.astype(np.float64)
