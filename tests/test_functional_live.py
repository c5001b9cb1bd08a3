"""``convarith.functional`` against the real PyTorch on fresh random configurations.

``tests/data/golden_functional.*`` pins PyTorch's values; this asks it new questions with
another seed, through the same oracle (``oracles.torch_functional``) the golden generator
uses.  Set CONVARITH_FUNCTIONAL_SEED to explore other configurations.
"""

import os

import numpy as np
import pytest
from oracles.torch_functional import OPS, random_case, run_torch

torch = pytest.importorskip("torch")

SEED = int(os.environ.get("CONVARITH_FUNCTIONAL_SEED", "7700113"))
N_CASES = 30


def _backend():
    from convarith import functional  # imported here so the module always collects

    return functional


def _call(F, op, arrays, kwargs):
    fn = getattr(F, op)
    if op in ("conv", "conv_transpose"):
        return fn(arrays["input"], arrays["weight"], arrays.get("bias"), **kwargs)
    return fn(arrays["input"], **kwargs)


def _cases(op, ndim):
    rng = np.random.default_rng([SEED, OPS.index(op), ndim])
    return [random_case(rng, op, ndim) for _ in range(N_CASES)]


def _describe(arrays, kwargs):
    return f"{kwargs} on " + ", ".join(f"{k}{tuple(v.shape)}" for k, v in arrays.items())


def _split(op, kwargs, got):
    """(output, indices or None) from the backend's return value."""
    if op == "max_pool" and kwargs.get("return_indices"):
        out, idx = got
        return np.asarray(out), np.asarray(idx)
    return np.asarray(got), None


@pytest.mark.parametrize("ndim", [1, 2, 3])
@pytest.mark.parametrize("op", OPS)
def test_float64_matches_torch(op, ndim):
    F = _backend()
    failures = []
    for arrays, kwargs in _cases(op, ndim):
        expected = run_torch(op, arrays, kwargs)
        try:
            out, idx = _split(op, kwargs, _call(F, op, arrays, kwargs))
        except Exception as e:  # noqa: BLE001 - every case is valid in torch
            failures.append(f"{_describe(arrays, kwargs)}: raised {type(e).__name__}: {e}")
            continue
        exp = expected["output"]
        if out.shape != exp.shape:
            failures.append(f"{_describe(arrays, kwargs)}: shape {out.shape}, torch {exp.shape}")
            continue
        err = float(np.max(np.abs(out - exp))) if exp.size else 0.0
        if not err <= 1e-10:
            failures.append(f"{_describe(arrays, kwargs)}: max abs error {err:.3g}")
        if "indices" in expected and (
            idx is None or idx.shape != expected["indices"].shape or not np.array_equal(idx, expected["indices"])
        ):
            failures.append(
                f"{_describe(arrays, kwargs)}: indices {None if idx is None else idx.tolist()}, "
                f"torch {expected['indices'].tolist()}"
            )
    assert not failures, f"{len(failures)}/{N_CASES} disagree:\n" + "\n".join(failures[:10])


@pytest.mark.parametrize("ndim", [1, 2, 3])
@pytest.mark.parametrize("op", OPS)
def test_float32_matches_torch(op, ndim):
    F = _backend()
    failures = []
    for arrays, kwargs in _cases(op, ndim):
        arrays32 = {k: v.astype(np.float32) for k, v in arrays.items()}
        # reference: torch in float64 on exactly the float32 values
        expected = run_torch(op, {k: v.astype(np.float64) for k, v in arrays32.items()}, kwargs)
        try:
            out, idx = _split(op, kwargs, _call(F, op, arrays32, kwargs))
        except Exception as e:  # noqa: BLE001
            failures.append(f"{_describe(arrays, kwargs)}: raised {type(e).__name__}: {e}")
            continue
        exp = expected["output"]
        if out.dtype != np.float32:
            failures.append(f"{_describe(arrays, kwargs)}: dtype {out.dtype}, expected float32")
        if out.shape != exp.shape:
            failures.append(f"{_describe(arrays, kwargs)}: shape {out.shape}, torch {exp.shape}")
            continue
        scale = max(float(np.max(np.abs(exp))) if exp.size else 0.0, 1e-30)
        err = float(np.max(np.abs(out.astype(np.float64) - exp))) if exp.size else 0.0
        if not err <= 1e-4 * scale:
            failures.append(f"{_describe(arrays, kwargs)}: max abs error {err:.3g} > 1e-4 * {scale:.3g}")
        if "indices" in expected and (idx is None or not np.array_equal(idx, expected["indices"])):
            failures.append(f"{_describe(arrays, kwargs)}: indices differ from torch")
    assert not failures, f"{len(failures)}/{N_CASES} disagree:\n" + "\n".join(failures[:10])
