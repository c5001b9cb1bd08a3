"""`convarith port --from torch --to keras|tf` against real Keras/TensorFlow and real PyTorch,
without TensorFlow: tools/gen_golden_port_keras.py ran the emitted code in Keras and TF on random
weights and inputs and recorded its outputs with the sha256 of the code. Here the code is
emitted again (it must be the code Keras ran), and real PyTorch runs the source layer on the
same weights and input: the outputs must agree (float64)."""

import hashlib
import json

import numpy as np
import pytest
from golden import DATA

from convarith.port import port

torch = pytest.importorskip("torch")
F = torch.nn.functional
RECORD = json.loads((DATA / "golden_port_keras.json").read_text())
ARRAYS = np.load(DATA / "golden_port_keras.npz")


def arguments(case):
    return {k: tuple(v) if isinstance(v, list) else v for k, v in case["arguments"].items()}


def torch_output(op, x, weight, bias, a):
    x = torch.as_tensor(x)
    n = x.dim() - 2
    w = None if weight is None else torch.as_tensor(weight)
    b = None if bias is None else torch.as_tensor(bias)
    if op == "conv":
        module = getattr(torch.nn, f"Conv{n}d")(
            x.shape[1], a["out_channels"], a["kernel_size"], a.get("stride", 1), a.get("padding", 0),
            a.get("dilation", 1), a.get("groups", 1), a.get("bias", True), a.get("padding_mode", "zeros"),
            dtype=torch.float64,
        )  # fmt: skip
        with torch.no_grad():
            module.weight.copy_(w)
            if b is not None:
                module.bias.copy_(b)
            return module(x).numpy()
    if op == "conv_transpose":
        conv = getattr(F, f"conv_transpose{n}d")
        return conv(
            x, w, b, a.get("stride", 1), a.get("padding", 0), a.get("output_padding", 0), 1, a.get("dilation", 1)
        ).numpy()
    if op == "max_pool":
        pool = getattr(F, f"max_pool{n}d")
        return pool(
            x, a["kernel_size"], a.get("stride"), a.get("padding", 0), ceil_mode=a.get("ceil_mode", False)
        ).numpy()
    pool = getattr(F, f"avg_pool{n}d")
    return pool(
        x,
        a["kernel_size"],
        a.get("stride"),
        a.get("padding", 0),
        ceil_mode=a.get("ceil_mode", False),
        count_include_pad=a.get("count_include_pad", True),
    ).numpy()


@pytest.mark.parametrize("case", RECORD["cases"], ids=lambda c: c["id"])
def test_keras_code_keras_ran_equals_pytorch(case):
    a = arguments(case)
    ported = port(case["op"], case["input"], "torch", case["target"], **a)
    assert hashlib.sha256(ported.code.encode()).hexdigest() == case["code_sha256"], (
        "the emitted Keras code changed: run tools/gen_golden_port_keras.py with TensorFlow to check it again"
    )
    key = case["id"]
    weight = ARRAYS.get(f"{key}/weight")
    bias = ARRAYS.get(f"{key}/bias")
    expected = torch_output(case["op"], ARRAYS[f"{key}/input"], weight, bias, a)
    np.testing.assert_allclose(ARRAYS[f"{key}/output"], expected, rtol=1e-10, atol=1e-10)


def test_every_op_and_the_hard_cases_are_recorded():
    ops = {(c["target"], c["op"]) for c in RECORD["cases"]}
    assert ops == {(t, op) for t in ("keras", "tf") for op in ("conv", "conv_transpose", "max_pool", "avg_pool")}
    notes = " ".join(n for c in RECORD["cases"] for n in c["notes"])
    assert "dilation is written into the kernel" in notes and "-inf" in notes and "divides by the cells" in notes
