"""Record what the code `convarith port --from torch --to keras|tf` emits computes, in real Keras / TensorFlow.

Run with TensorFlow + Keras 3 (CI has neither)::

    /tmp/venv-tf/bin/python tools/gen_golden_port_keras.py

For each PyTorch layer in CASES and each target (Keras layers, tf.nn ops; fixed seeds), the
emitted snippet is executed with
random float64 weights (in torch's layout, as `build()` takes them) on a random input, and
the output is recorded with the sha256 of the snippet. tests/test_port_keras_golden.py
(CI, with torch) re-emits the snippet, requires the same sha256 (the code Keras ran is the
code convarith prints), and compares the recorded Keras output with real PyTorch running
the source layer on the same weights and input.

Writes tests/data/golden_port_keras.json and tests/data/golden_port_keras.npz.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from convarith.port import NoExactPort, port  # noqa: E402

DATA = os.path.join(ROOT, "tests", "data")
SEED = 20261202

# (op, input shape NCHW..., torch arguments)
CASES: list[tuple[str, tuple[int, ...], dict[str, object]]] = [
    ("conv", (2, 3, 9, 9), {"kernel_size": 3, "stride": 2, "padding": 1, "out_channels": 4}),
    ("conv", (2, 3, 8, 8), {"kernel_size": 3, "stride": 2, "padding": 1, "out_channels": 4}),
    ("conv", (2, 2, 8, 7), {"kernel_size": 4, "padding": "same", "out_channels": 3}),
    ("conv", (2, 2, 8, 7), {"kernel_size": 3, "padding": "same", "dilation": 2, "out_channels": 3}),
    ("conv", (2, 4, 9, 9), {"kernel_size": 3, "padding": 2, "groups": 2, "out_channels": 6}),
    ("conv", (2, 2, 9, 9), {"kernel_size": (3, 5), "stride": (1, 2), "padding": (0, 2), "out_channels": 3}),
    ("conv", (2, 2, 9, 9), {"kernel_size": 3, "padding": 1, "padding_mode": "reflect", "out_channels": 3}),
    ("conv", (2, 2, 11), {"kernel_size": 5, "stride": 3, "padding": 2, "out_channels": 2}),
    ("conv", (2, 2, 11), {"kernel_size": 4, "padding": "same", "out_channels": 2, "bias": False}),
    ("conv", (2, 2, 5, 6, 6), {"kernel_size": 3, "stride": 2, "padding": 1, "out_channels": 2}),
    ("conv", (2, 2, 11, 11), {"kernel_size": 3, "stride": 2, "dilation": 2, "padding": 2, "out_channels": 3}),
    ("conv_transpose", (2, 3, 5, 5), {"kernel_size": 3, "stride": 2, "padding": 1, "out_channels": 2}),
    (
        "conv_transpose",
        (2, 3, 5, 5),
        {"kernel_size": 3, "stride": 2, "padding": 1, "output_padding": 1, "out_channels": 2},
    ),
    ("conv_transpose", (2, 3, 5, 6), {"kernel_size": 4, "stride": 2, "padding": 1, "out_channels": 2}),
    ("conv_transpose", (2, 2, 4, 4), {"kernel_size": 1, "stride": 2, "output_padding": 1, "out_channels": 2}),
    (
        "conv_transpose",
        (2, 2, 7),
        {"kernel_size": 5, "stride": 3, "padding": 2, "output_padding": 2, "out_channels": 3},
    ),
    ("conv_transpose", (2, 2, 4, 4), {"kernel_size": 3, "padding": 1, "dilation": 2, "out_channels": 2}),
    ("conv_transpose", (2, 2, 4, 5), {"kernel_size": 3, "stride": 2, "dilation": 2, "padding": 1, "out_channels": 2}),
    ("max_pool", (2, 3, 9, 9), {"kernel_size": 3, "stride": 2, "padding": 1}),
    ("max_pool", (2, 3, 8, 8), {"kernel_size": 3, "stride": 2, "padding": 1}),
    ("max_pool", (2, 3, 8, 8), {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}),
    ("max_pool", (2, 2, 10), {"kernel_size": 4, "stride": 3, "padding": 2, "ceil_mode": True}),
    ("max_pool", (2, 2, 7, 7), {"kernel_size": 2}),
    ("avg_pool", (2, 3, 9, 9), {"kernel_size": 3, "stride": 2, "padding": 1}),
    ("avg_pool", (2, 3, 9, 9), {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False}),
    ("avg_pool", (2, 3, 8, 8), {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}),
    (
        "avg_pool",
        (2, 3, 8, 8),
        {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False},
    ),
    ("avg_pool", (2, 2, 10), {"kernel_size": 4, "stride": 3, "padding": 2}),
    ("avg_pool", (2, 2, 7, 7), {"kernel_size": 2}),
]


def weights_for(op: str, shape: tuple[int, ...], arguments: dict[str, object], rng: np.random.Generator):
    n = len(shape) - 2
    k = arguments["kernel_size"]
    kernel = tuple(k) if isinstance(k, tuple) else (k,) * n
    channels, out = shape[1], arguments.get("out_channels")
    groups = int(arguments.get("groups", 1))  # type: ignore[arg-type]
    if op == "conv":
        weight = rng.standard_normal((out, channels // groups, *kernel))
    elif op == "conv_transpose":
        weight = rng.standard_normal((channels, int(out) // groups, *kernel))  # type: ignore[arg-type]
    else:
        return None, None
    bias = rng.standard_normal(out) if arguments.get("bias", True) else None
    return weight, bias


def main() -> None:
    keras.utils.set_random_seed(SEED)
    rng = np.random.default_rng(SEED)
    records, arrays = [], {}
    for target in ("keras", "tf"):
        for number, (op, shape, arguments) in enumerate(CASES):
            case_id = f"{target}-{op}-{number:03d}"
            try:
                ported = port(op, shape, "torch", target, **arguments)
            except NoExactPort as exc:
                raise SystemExit(f"{case_id}: no exact port ({exc}); pick a portable case") from None
            x = rng.standard_normal(shape)
            weight, bias = weights_for(op, shape, arguments, rng)
            namespace: dict[str, object] = {}
            exec(compile(ported.code, case_id, "exec"), namespace)
            layer = namespace["build"](weight if weight is not None else np.zeros(1), bias)  # type: ignore[operator]
            out = np.asarray(layer(np.moveaxis(x, 1, -1)))
            again = np.asarray(layer(np.moveaxis(x, 1, -1)))
            assert np.array_equal(out, again), case_id
            assert out.dtype == np.float64, (case_id, out.dtype)
            assert tuple(out.shape) == tuple(ported.output[:1] + ported.output[2:] + ported.output[1:2]), case_id
            arrays[f"{case_id}/input"] = x
            arrays[f"{case_id}/output"] = np.moveaxis(out, -1, 1)  # back to torch's layout
            if weight is not None:
                arrays[f"{case_id}/weight"] = weight
            if bias is not None:
                arrays[f"{case_id}/bias"] = bias
            records.append(
                {
                    "id": case_id,
                    "target": target,
                    "op": op,
                    "input": list(shape),
                    "arguments": arguments,
                    "code_sha256": hashlib.sha256(ported.code.encode()).hexdigest(),
                    "notes": list(ported.notes),
                }
            )
            print(case_id, "ok", tuple(out.shape))
    with open(os.path.join(DATA, "golden_port_keras.json"), "w") as f:
        json.dump(
            {"generator": "tools/gen_golden_port_keras.py", "keras": keras.__version__, "tensorflow": tf.__version__,
             "cases": records},
            f,
            indent=1,
        )  # fmt: skip
        f.write("\n")
    np.savez_compressed(os.path.join(DATA, "golden_port_keras.npz"), **arrays)


if __name__ == "__main__":
    main()
