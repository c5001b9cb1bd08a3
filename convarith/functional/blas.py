"""``c += a @ b`` in place, through the BLAS NumPy itself loaded, when that is safe to call.

``np.matmul`` has no accumulating form: summing k products costs a temporary result per
product and a pass over it. BLAS's GEMM has one (``beta = 1``), adding each tile of the
product to ``c`` while it is still in registers. NumPy does not expose it, so this module
calls it with ctypes, in the one case where the call's contract is known exactly: NumPy's
own wheels, whose OpenBLAS (scipy-openblas64) exports ``scipy_cblas_sgemm64_`` and
``scipy_cblas_dgemm64_`` with 64-bit integers (the ``64_`` suffix). Anything else (another
BLAS, a build without those symbols, a platform where the library is not found) leaves
``accumulate`` returning False and the caller sums with NumPy.

The arithmetic is the same as NumPy's: each element is ``c + fl(a @ b)`` with the product
rounded as ``np.matmul`` rounds it, and the same OpenBLAS threads run it. Every argument is
checked before the call (dtype, 2-D shapes that agree, unit inner strides, row strides that
hold a row, ``c`` writable and not overlapping ``a`` or ``b``): a call that does not fit the
contract is refused, never made.
"""

from __future__ import annotations

import ctypes
import glob
import os
from collections.abc import Callable
from functools import cache

import numpy as np
from numpy.typing import DTypeLike

from .checks import Array

_ROW_MAJOR, _NO_TRANS = 101, 111
_SYMBOLS = {np.dtype(np.float32): "scipy_cblas_sgemm64_", np.dtype(np.float64): "scipy_cblas_dgemm64_"}

enabled = True
"""Set False to have ``accumulate`` always decline (the NumPy sums are then used)."""


def _library_paths() -> list[str]:
    """Where NumPy's wheels keep their OpenBLAS: numpy.libs (Linux, Windows) or numpy/.dylibs."""
    package = os.path.dirname(os.path.abspath(np.__file__))
    patterns = [
        os.path.join(os.path.dirname(package), "numpy.libs", "*scipy_openblas64_*"),
        os.path.join(package, ".dylibs", "*scipy_openblas64_*"),
    ]
    return sorted(path for pattern in patterns for path in glob.glob(pattern))


def _numpy_uses_scipy_openblas64() -> bool:
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    except Exception:  # an older or unusual NumPy: no contract to rely on
        return False
    return bool(blas.get("name") == "scipy-openblas" and "USE64BITINT" in str(blas.get("openblas configuration", "")))


@cache
def _gemm(dtype: np.dtype[np.generic]) -> Callable[..., None] | None:
    if dtype not in _SYMBOLS or not _numpy_uses_scipy_openblas64():
        return None
    scalar = ctypes.c_float if dtype == np.float32 else ctypes.c_double
    for path in _library_paths():
        try:
            function: ctypes._CFunctionType = getattr(ctypes.CDLL(path), _SYMBOLS[dtype])
        except (OSError, AttributeError):
            continue
        index, enum, pointer = ctypes.c_int64, ctypes.c_int, ctypes.c_void_p
        function.argtypes = [enum, enum, enum, index, index, index, scalar, pointer, index, pointer, index, scalar]
        function.argtypes += [pointer, index]
        function.restype = None
        return function
    return None


def _rows(m: Array) -> int | None:
    """The leading dimension of a 2-D row-major operand, or None when BLAS cannot read it."""
    if m.strides[1] != m.itemsize:
        return None
    step, remainder = divmod(m.strides[0], m.itemsize)
    return None if remainder or step < m.shape[1] else step


def accumulates(dtype: DTypeLike) -> bool:
    """Whether ``accumulate`` can run for arrays of this dtype (it may still refuse odd layouts)."""
    return enabled and _gemm(np.dtype(dtype)) is not None


def add_product(a: Array, b: Array, c: Array) -> None:
    """c += a @ b: in the GEMM when ``accumulate`` can, else through a temporary product."""
    if not accumulate(a, b, c):
        c += a @ b


def accumulate(a: Array, b: Array, c: Array) -> bool:
    """c += a @ b for 2-D float32/float64 operands; False (c untouched) when it cannot be done here."""
    if not enabled or a.dtype != c.dtype or b.dtype != c.dtype or not a.ndim == b.ndim == c.ndim == 2:
        return False
    function = _gemm(c.dtype)
    if function is None:
        return False
    (m, k), (k2, n) = a.shape, b.shape
    if k2 != k or c.shape != (m, n) or min(m, n, k) < 1 or not c.flags.writeable:
        return False
    if not (a.flags.aligned and b.flags.aligned and c.flags.aligned):
        return False
    lda, ldb, ldc = _rows(a), _rows(b), _rows(c)
    if lda is None or ldb is None or ldc is None:
        return False
    if np.may_share_memory(c, a) or np.may_share_memory(c, b):
        return False
    a_data, b_data, c_data = a.ctypes.data, b.ctypes.data, c.ctypes.data
    function(_ROW_MAJOR, _NO_TRANS, _NO_TRANS, m, n, k, 1.0, a_data, lda, b_data, ldb, 1.0, c_data, ldc)
    return True
