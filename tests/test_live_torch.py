"""Fresh random configurations against the real PyTorch, when it is installed.

The golden files already pin PyTorch's answers; this asks it new questions each seed.
Set CONVARITH_LIVE_SEED to explore other configurations.
"""

import os

import pytest
from golden import agrees, ask_convarith
from oracles.torch_oracle import OPS, random_cases, run_case

torch = pytest.importorskip("torch")

SEED = int(os.environ.get("CONVARITH_LIVE_SEED", "20261122"))


@pytest.mark.parametrize("ndim", [1, 2, 3])
@pytest.mark.parametrize("op", OPS)
def test_random_configurations_agree_with_torch(op, ndim):
    cases = random_cases(SEED + 7 * ndim + 131 * OPS.index(op), 150, op, ndim)
    failures = []
    for case in cases:
        expected = run_case(case)
        got = ask_convarith(case)
        if not agrees(expected, got):
            if "shape" in expected and op == "adaptive_avg_pool" and 0 in case["input"][2:]:
                continue  # torch's mean-of-empty shortcut; see DELIBERATE in test_golden.py
            failures.append(
                f"{case['layer']} on {case['input']} output_size={case.get('output_size')}: "
                f"torch {expected}, convarith {got}"
            )
    assert not failures, "\n".join(failures[:20])
