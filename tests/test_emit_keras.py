"""`plan --emit keras`: every Keras corpus model's plan written as a Keras functional model,
read back by the Keras code reader (CI) and built by real Keras (where it is installed)."""

import pytest
from golden import DATA

import convarith
from convarith.emit import emit_keras
from convarith.plan import PRESETS, plan, preset

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


@pytest.mark.parametrize("name", list(PRESETS))
def test_torch_presets_as_keras_read_back_with_the_same_counts(name):
    """A torch plan written as Keras through the port rules: read back, the same trainable
    parameters (Keras adds batch norm's moving statistics as non-trainable) and output."""
    from convarith.plan.readers.keras_code import read_keras

    planned = plan(*preset(name))
    code = emit_keras(planned)
    if "keras.layers.Lambda" in code:  # a -inf pad (resnet18's max pool): the static reader does not run Lambdas
        assert name == "resnet18" and code.count("keras.layers.Lambda") == 1
        return  # test_torch_presets_as_keras_build_in_keras builds it in real Keras
    channels_last = (*planned.input_shape[1:], planned.input_shape[0])
    again = read_keras(code, "emitted.py", variable="model").plan(channels_last)
    assert again.complete, again.diagnostics
    assert again.trainable_params == planned.total_params
    out = planned.output_shape
    assert again.output_shape == ((*out[1:], out[0]) if len(out) > 1 else out)


def test_torch_presets_as_keras_build_in_keras():
    pytest.importorskip("keras")
    for name in PRESETS:
        planned = plan(*preset(name))
        namespace = {}
        exec(compile(emit_keras(planned), name, "exec"), namespace)
        model = namespace["model"]
        trainable = sum(int(w.numpy().size) for w in model.trainable_weights)
        assert trainable == planned.total_params, name
        out = planned.output_shape
        assert tuple(model.output_shape[1:]) == ((*out[1:], out[0]) if len(out) > 1 else out), name
