"""`plan --emit keras`: every Keras corpus model's plan written as a Keras functional model,
read back by the Keras code reader (CI) and built by real Keras (where it is installed)."""

import pytest
from golden import DATA

import convarith
from convarith.emit import emit_keras

KERAS_CONFIGS = sorted((DATA / "keras_configs").glob("*.json"))


@pytest.mark.parametrize("config", KERAS_CONFIGS, ids=lambda p: p.stem)
def test_emitted_keras_models_read_back_with_the_same_plan(config):
    """plan --emit keras of every Keras corpus model (whose plans equal Keras's own counts),
    read back by the Keras code reader: the same shapes, parameters and trainable split."""
    from convarith.plan.live_keras import network_from_file
    from convarith.plan.model import plan_keras
    from convarith.plan.readers.keras_code import read_keras

    try:
        network = network_from_file(config)
        original = plan_keras(network, None if network.input_shape else (1, 100, 5), "float32", "multiply")
    except convarith.ConvarithError:
        return  # refused on purpose (two inputs): test_plan_keras_live covers it
    code = emit_keras(original)
    again = read_keras(code, "emitted.py", variable="model").plan(original.input_shape)
    assert again.complete, again.diagnostics
    assert [(r.name.split("#")[0], r.shape, r.params) for r in again.rows] == [
        (r.name.split("#")[0], r.shape, r.params) for r in original.rows
    ]
    assert (again.total_params, again.non_trainable_params) == (original.total_params, original.non_trainable_params)


def test_emitted_keras_builds_in_keras():
    pytest.importorskip("keras")
    from convarith.plan.live_keras import network_from_file
    from convarith.plan.model import plan_keras

    for config in KERAS_CONFIGS:
        try:
            network = network_from_file(config)
            original = plan_keras(network, None if network.input_shape else (1, 100, 5), "float32", "multiply")
        except convarith.ConvarithError:
            continue
        namespace = {}
        exec(compile(emit_keras(original), config.name, "exec"), namespace)
        model = namespace["model"]
        assert model.count_params() == original.total_params, config.stem
        assert tuple(model.output_shape[1:]) == original.output_shape, config.stem
