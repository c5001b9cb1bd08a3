"""The presets built in real PyTorch, counted live, against the planner (when torch is installed)."""

import pytest
from oracles.torch_plan import build, record

from convarith.plan import PRESETS, plan, preset

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("name", [n for n in PRESETS if n != "unet"] + ["unet"])
def test_preset_counts_match_live_torch(name):
    model, shape = build(name)
    counted = record(model, shape)
    ours = plan(*preset(name))
    assert (ours.total_params, ours.total_macs) == (counted["total_params"], counted["total_macs"])
    assert list(ours.output_shape) == counted["output"]
