"""`plan --emit torch`: the planned network as a model file, built and run by real torch
(on the meta device), with exactly the planned shapes and parameter counts."""

import pytest
from typer.testing import CliRunner

import convarith
from convarith.cli import app
from convarith.emit import emit_torch
from convarith.plan import PRESETS, plan, preset

torch = pytest.importorskip("torch")
runner = CliRunner()


def build(code):
    namespace = {}
    exec(compile(code, "<emitted>", "exec"), namespace)
    with torch.device("meta"):
        return namespace["Net"]()


@pytest.mark.parametrize("name", list(PRESETS))
def test_emitted_presets_build_with_the_planned_shapes_and_counts(name):
    planned = plan(*preset(name))
    net = build(emit_torch(planned))
    assert sum(p.numel() for p in net.parameters()) == planned.total_params
    live = plan(net, (2, *planned.input_shape))  # torch runs it; every step checked against torch
    assert live.complete, live.diagnostics
    assert live.output_shape == planned.output_shape
    by_name = {r.module: r.shape for r in live.rows if r.module}
    for row in planned.rows:
        var = row.name.replace(".", "_")
        if var in by_name:
            assert by_name[var] == row.shape, row.name
    assert sum(1 for r in planned.rows if r.name.replace(".", "_") in by_name) >= len(planned.rows) // 2


def test_cli_emit_writes_the_file(tmp_path):
    target = tmp_path / "net.py"
    result = runner.invoke(app, ["plan", "--preset", "lenet5", "--emit", "torch", "--out", str(target)])
    assert result.exit_code == 0, result.output
    assert sum(p.numel() for p in build(target.read_text()).parameters()) == 61706
    assert [p.name for p in tmp_path.iterdir()] == ["net.py"]  # no temporary left behind
    printed = runner.invoke(app, ["plan", "--code", "nn.Conv2d(3, 8, 3), nn.ReLU()", "-i", "3x9x9", "--emit", "torch"])
    assert printed.exit_code == 0 and "nn.Conv2d(3, 8, kernel_size=3)" in printed.stdout


def test_emit_refuses_what_it_cannot_write():
    keras_plan = plan([{"type": "permute", "dims": (1, 0, 2)}], (8, 6, 1), framework="keras")
    with pytest.raises(convarith.SpecError, match="permute layer has no torch emitter"):
        emit_torch(keras_plan)
    stopped = plan([{"type": "conv", "out_channels": 2, "kernel_size": 9}], (1, 4, 4))
    with pytest.raises(convarith.SpecError, match="stopped early"):
        emit_torch(stopped)
    result = runner.invoke(app, ["plan", "--preset", "lenet5", "--out", "x.py"])
    assert result.exit_code == 2 and "--emit" in result.stderr


def keras_plans():
    from golden import DATA

    from convarith.plan.live_keras import network_from_file
    from convarith.plan.model import plan_keras

    for config in sorted((DATA / "keras_configs").glob("*.json")):
        try:
            network = network_from_file(config)
            yield config.stem, plan_keras(network, None if network.input_shape else (1, 100, 5), "float32", "multiply")
        except convarith.ConvarithError:
            continue  # refused on purpose (two inputs): test_plan_keras_live covers it


@pytest.mark.parametrize("name, keras_plan", list(keras_plans()), ids=lambda v: v if isinstance(v, str) else "")
def test_keras_plans_emitted_as_torch_run_in_torch(name, keras_plan):
    """A Keras plan written as torch through the port rules: built on the meta device and run
    by torch (every step checked against torch's shapes), the same output (channels first) and
    Keras's trainable parameter count (torch keeps batch norm's statistics as buffers)."""
    net = build(emit_torch(keras_plan))
    shape = keras_plan.input_shape
    live = plan(net, (2, shape[-1], *shape[:-1]))
    assert live.complete, live.diagnostics
    out = keras_plan.output_shape
    assert live.output_shape == ((out[-1], *out[:-1]) if len(out) > 1 else out), name
    assert sum(p.numel() for p in net.parameters()) == keras_plan.trainable_params, name
