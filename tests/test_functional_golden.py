"""convarith.functional against values recorded from real PyTorch (float64)."""

import json
from collections import Counter

import numpy as np
import pytest
from golden import DATA, _plain

from convarith import functional as F

CASES = json.loads((DATA / "golden_functional.json").read_text())
ARRAYS = np.load(DATA / "golden_functional.npz")
CALLS = {
    "conv": F.conv,
    "conv_transpose": F.conv_transpose,
    "max_pool": F.max_pool,
    "avg_pool": F.avg_pool,
    "pad": F.pad,
}


def call(case):
    arrays = {name: ARRAYS[key] for name, key in case["arrays"].items()}
    kwargs = {k: _plain(v) for k, v in case["kwargs"].items()}
    op = case["op"]
    if op in ("conv", "conv_transpose"):
        return CALLS[op](arrays["input"], arrays["weight"], arrays.get("bias"), **kwargs), arrays
    return CALLS[op](arrays["input"], **kwargs), arrays


def test_golden_values_cover_every_op_and_dimension():
    per = Counter((c["op"], c["id"].split("-")[0][-2:]) for c in CASES)
    assert len(CASES) >= 300
    assert all(per[(op, f"{n}d")] >= 15 for op in CALLS for n in (1, 2, 3)), per


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_matches_torch(case):
    got, arrays = call(case)
    if case["op"] == "max_pool" and case["kwargs"].get("return_indices"):
        got, indices = got
        assert np.array_equal(indices, arrays["indices"])
    expected = arrays["output"]
    assert got.shape == expected.shape
    assert got.dtype == np.float64
    assert np.max(np.abs(got - expected), initial=0.0) <= 1e-10
