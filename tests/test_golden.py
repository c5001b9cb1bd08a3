"""convarith against shapes and errors recorded from real PyTorch, TensorFlow and Keras."""

from collections import Counter

import pytest
from golden import agrees, ask_convarith, load

FILES = ["golden_torch.jsonl", "golden_tf.jsonl", "golden_keras.jsonl"]

# Where convarith refuses on purpose what a framework lets through: id -> why.
# Each is re-checked below, so the list cannot hide a real disagreement.
SWAPPED_DILATIONS = (
    "TensorFlow's graph-mode Conv3D shape function swaps the H and W dilations "
    "(common_shape_fns.cc) and its CPU kernel refuses dilation; convarith gives the true size"
)
DELIBERATE = {
    "adaptive_avg_pool1d-00085": "torch's output_size=1 shortcut averages an empty input into NaN; "
    "convarith refuses zero-size inputs like every other torch op does",
    "tf-conv3d-00014": SWAPPED_DILATIONS,
    "tf-conv3d-00124": SWAPPED_DILATIONS,
    "tf-conv3d-00236": SWAPPED_DILATIONS,
}


@pytest.mark.parametrize("name", FILES)
def test_every_golden_case_agrees(name):
    cases = load(name)
    assert len(cases) > 1000, f"{name} holds only {len(cases)} cases"
    failures = []
    for case in cases:
        got = ask_convarith(case)
        if case["id"] in DELIBERATE:
            assert not agrees(case["expect"], got), f"{case['id']} agrees now: remove it from DELIBERATE"
            continue
        if not agrees(case["expect"], got):
            failures.append(
                f"{case['id']}: {case['call']} on {case['input']} output_size={case.get('output_size')}\n"
                f"    framework: {case['expect']}\n    convarith: {got}"
            )
    assert not failures, f"{len(failures)} of {len(cases)} disagree:\n" + "\n".join(failures[:40])


@pytest.mark.parametrize("name", FILES)
def test_golden_data_covers_errors_and_every_op(name):
    cases = load(name)
    errors = sum("error" in c["expect"] for c in cases)
    assert 0.1 < errors / len(cases) < 0.4
    per_op = Counter((c["op"], len(c["input"]) - 2) for c in cases)
    assert all(n >= 100 for n in per_op.values()), per_op
