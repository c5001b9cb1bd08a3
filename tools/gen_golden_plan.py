#!/usr/bin/env python
"""Generate golden per-layer data for the ``convarith plan`` presets from REAL PyTorch.

Not run by CI.  Run with an interpreter that has torch installed (torch 2.13.0 CPU):

    /tmp/venv-torch/bin/python tools/gen_golden_plan.py [--out tests/data/golden_plan.json]

Builds the six preset networks (``tests/oracles/torch_plan.build``), runs one forward pass
on ``torch.zeros(1, *input_shape)`` with forward hooks on every leaf module
(``tests/oracles/torch_plan.record``; residual adds, crops and concatenations are recorded
by the models' forward code) and writes::

    {"torch": "2.13.0+cpu", "generator": "tools/gen_golden_plan.py",
     "mac_definition": "...",
     "presets": {"lenet5": {"input": [1, 32, 32], "total_params": ..., "total_macs": ...,
                            "output": [10], "layers": [{"index": 0, "module": "Conv2d",
                            "name": "0", "repr": "Conv2d(1, 6, kernel_size=(5, 5), ...)",
                            "inputs": [[1, 32, 32]], "output": [6, 28, 28],
                            "params": 156, "macs": 117600}, ...]}, ...}}

Shapes exclude the batch dimension.  Deterministic (shapes and counts do not depend on the
weights; the seed is fixed anyway).  Self-checks: resnet18 = 11,689,512 parameters,
mnist-cnn = 1,199,882, unet output (2, 388, 388), vgg16 weight counts, and every preset's
total parameters = the sum of its per-layer parameters.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import torch  # noqa: E402
from torch import nn  # noqa: E402

from tests.oracles.torch_plan import MAC_DEFINITION, PRESETS, build, record  # noqa: E402

VGG16_CONV_WEIGHTS = [1728, 36864, 73728, 147456, 294912, 589824, 589824, 1179648] + [2359296] * 5
VGG16_FC_WEIGHTS = [102760448, 16777216, 4096000]


def check(name, model, rec):
    if name == "resnet18":
        assert rec["total_params"] == 11_689_512, rec["total_params"]
        assert rec["output"] == [1000]
        assert sum(e["module"] == "add" for e in rec["layers"]) == 8
    if name == "mnist-cnn":
        assert rec["total_params"] == 1_199_882, rec["total_params"]
    if name == "unet":
        assert rec["output"] == [2, 388, 388], rec["output"]
    if name == "lenet5":
        first = rec["layers"][0]
        assert first["repr"] == "Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1))", first
        assert (first["output"], first["params"], first["macs"]) == ([6, 28, 28], 156, 117600)
    if name == "vgg16":
        convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
        fcs = [m for m in model.modules() if isinstance(m, nn.Linear)]
        assert [m.weight.numel() for m in convs] == VGG16_CONV_WEIGHTS
        assert [m.weight.numel() for m in fcs] == VGG16_FC_WEIGHTS
    for e in rec["layers"]:
        if e["module"] == "Linear":
            # per-sample MACs of a Linear on a flat input: in_features * out_features
            m = dict(model.named_modules())[e["name"]]
            assert e["macs"] == m.in_features * m.out_features, e


def dump(doc):
    """JSON with one line per layer entry (diff-friendly, still small)."""
    out = ["{"]
    head = [k for k in doc if k != "presets"]
    for k in head:
        out.append(f"  {json.dumps(k)}: {json.dumps(doc[k])},")
    out.append('  "presets": {')
    names = list(doc["presets"])
    for i, name in enumerate(names):
        p = doc["presets"][name]
        out.append(f"    {json.dumps(name)}: {{")
        for k in p:
            if k != "layers":
                out.append(f"      {json.dumps(k)}: {json.dumps(p[k])},")
        out.append('      "layers": [')
        for j, e in enumerate(p["layers"]):
            sep = "," if j < len(p["layers"]) - 1 else ""
            out.append(f"        {json.dumps(e)}{sep}")
        out.append("      ]")
        out.append("    }" + ("," if i < len(names) - 1 else ""))
    out.append("  }")
    out.append("}")
    return "\n".join(out) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--out", default=os.path.join(ROOT, "tests", "data", "golden_plan.json"))
    args = ap.parse_args(argv)

    torch.set_num_threads(max(1, min(4, torch.get_num_threads())))
    doc = {
        "torch": torch.__version__,
        "generator": "tools/gen_golden_plan.py",
        "mac_definition": MAC_DEFINITION,
        "presets": {},
    }
    print(f"{'preset':<10} {'entries':>7} {'params':>14} {'MACs':>16}")
    for name in PRESETS:
        model, shape = build(name)
        rec = record(model, shape)
        check(name, model, rec)
        doc["presets"][name] = rec
        print(f"{name:<10} {len(rec['layers']):>7} {rec['total_params']:>14,} {rec['total_macs']:>16,}")

    text = dump(doc)
    assert json.loads(text) == doc
    with open(args.out, "w") as f:
        f.write(text)
    print(f"wrote {os.path.relpath(args.out, ROOT)}")


if __name__ == "__main__":
    main()
