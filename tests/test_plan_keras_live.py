"""Built Keras models, planned from their configs without TensorFlow.

tests/data/keras_configs/ holds ``model.to_json()`` of every Keras corpus model and two saved
``.keras`` archives, written by tools/gen_golden_keras_configs.py (Keras 3.15.1) from the same
models that tools/gen_golden_models_keras.py recorded in golden_models_keras.json: every layer's
output shape and parameters here come from Keras, the configs too. tf_keras2/ holds the
``to_json()`` of five of them under tf.keras 2 (the tf_keras package), Keras 2's own format.
"""

import json
import zipfile

import pytest
from golden import DATA
from test_plan_readers import KERAS, KERAS_REFUSED, keras_layers

from convarith import limits
from convarith.errors import ConvarithError, InputFileError, LimitError, SpecError
from convarith.plan.live_keras import network_from_config, network_from_file, network_from_model
from convarith.plan.model import plan

CONFIGS = DATA / "keras_configs"
SAVED = sorted(CONFIGS.glob("*.keras"))
KERAS2 = sorted((CONFIGS / "tf_keras2").glob("*.json"))


def golden(name):
    return next(m for m in KERAS if m["name"] == name)


def input_of(model, network):
    """The input the model states, or the probe's where an axis is free (WaveNet's time axis)."""
    return network.input_shape or tuple(model["probe_input"][1:])


def check_against_keras(model, network):
    assert network.input_shape == (None if None in model["input"][1:] else tuple(model["input"][1:]))
    planned = plan(network.layers, input_of(model, network), framework="keras")
    assert planned.complete, planned.diagnostics
    rows = {r.name: r for r in planned.rows}
    expected = list(keras_layers(model["layers"]))
    assert len([r for r in planned.rows if not r.shared]) == len(expected)
    for layer in expected:
        row = rows[layer["name"]]
        if None not in layer["output"][1:]:
            assert list(row.shape) == layer["output"][1:], layer["name"]
        assert (row.params, row.params - row.non_trainable, row.non_trainable) == (
            layer["params"],
            layer["trainable"],
            layer["non_trainable"],
        ), layer["name"]
    assert list(planned.output_shape) == (model["probe_output"] if None in model["output"] else model["output"])[1:]
    assert planned.total_params == model["total_params"]
    assert planned.trainable_params == model["trainable_params"]
    assert planned.non_trainable_params == model["non_trainable_params"]


@pytest.mark.parametrize("model", [m for m in KERAS if m["name"] not in KERAS_REFUSED], ids=lambda m: m["name"])
def test_configs_match_keras(model):
    """model.to_json() of every corpus model: each layer's shape and parameters, the totals."""
    check_against_keras(model, network_from_file(CONFIGS / f"{model['name']}.json"))


@pytest.mark.parametrize("path", KERAS2, ids=lambda p: p.stem)
def test_tf_keras_2_configs_match_keras(path):
    """tf.keras 2's to_json() (inbound nodes as [name, call, output, kwargs] lists; a nested
    model's calls counted from 1): the generator checked that Keras 2 builds these models with
    the names, shapes and parameters Keras 3 recorded."""
    check_against_keras(golden(path.stem), network_from_file(path))


@pytest.mark.parametrize("path", SAVED, ids=lambda p: p.name)
def test_saved_archives_match_keras(path):
    """A .keras archive is read with zipfile alone (config.json; the weights are not opened)."""
    assert path.stat().st_size < 500_000
    check_against_keras(golden(path.stem), network_from_file(path))


def test_get_config_form_and_to_json_form_agree():
    """model.get_config() is the "config" part of model.to_json(): the same network either way."""
    document = json.loads((CONFIGS / "image_classification_from_scratch.json").read_text())
    whole = network_from_config(document, "to_json")
    inner = network_from_config(document["config"], "get_config")
    assert whole.layers == inner.layers and whole.input_shape == inner.input_shape == (180, 180, 3)


def test_nested_models_keep_their_layers_names_and_path():
    network = network_from_file(CONFIGS / "handson_dcgan_gan.json")
    first, last = network.layers[0], network.layers[-1]
    assert (first["name"], first["module"], first["layer_class"], first["depth"]) == (
        "dense",
        "sequential.dense",
        "Dense",
        2,
    )
    assert last["module"] == "sequential_1.dense_1" and network.input_shape == (100,)


def test_free_input_axis_is_a_note():
    network = network_from_file(CONFIGS / "handson_wavenet.json")
    assert network.input_shape is None
    assert "the model's input (None, None, 5) leaves an axis free; planned on the input shape given" in network.notes


@pytest.mark.parametrize("name, fragment", KERAS_REFUSED.items())
def test_refused_like_the_code_reader(name, fragment):
    with pytest.raises(SpecError, match=fragment):
        network_from_file(CONFIGS / f"{name}.json")


def sequential(*layers, input_shape=(8, 8, 3)):
    entries = [{"class_name": "InputLayer", "config": {"batch_shape": [None, *input_shape], "name": "input_layer"}}]
    return {"class_name": "Sequential", "config": {"name": "sequential", "layers": entries + list(layers)}}


def conv(name="conv2d", **extra):
    config = {"name": name, "filters": 4, "kernel_size": [3, 3], "strides": [1, 1], "padding": "valid", **extra}
    return {"module": "keras.layers", "class_name": "Conv2D", "config": config}


def test_shared_layers_are_planned_at_each_call_and_counted_once():
    """A functional graph whose shared Conv2D is called twice, the second call after a layer listed later."""
    tensor = {"class_name": "__keras_tensor__", "config": {"keras_history": ["input_layer", 0, 0]}}

    def reads(name, call=0):
        return {"args": [{"class_name": "__keras_tensor__", "config": {"keras_history": [name, call, 0]}}]}

    config = {
        "name": "functional",
        "layers": [
            {"class_name": "InputLayer", "config": {"batch_shape": [None, 12, 12, 4], "name": "input_layer"}},
            {**conv(padding="same"), "inbound_nodes": [{"args": [tensor]}, reads("relu")]},
            {"class_name": "ReLU", "config": {"name": "relu"}, "inbound_nodes": [reads("conv2d")]},
        ],
        "input_layers": [["input_layer", 0, 0]],
        "output_layers": [["conv2d", 1, 0]],
    }
    planned = plan(network_from_config(config, "shared").layers, (12, 12, 4), framework="keras")
    assert [(r.name, r.shape, r.shared) for r in planned.rows] == [
        ("conv2d", (12, 12, 4), False),
        ("relu", (12, 12, 4), False),
        ("conv2d#2", (12, 12, 4), True),
    ]
    assert planned.total_params == 3 * 3 * 4 * 4 + 4


def test_frozen_layers_count_as_non_trainable():
    network = network_from_config(sequential(conv(trainable=False)), "frozen")
    planned = plan(network.layers, (12, 12, 4), framework="keras")
    assert planned.non_trainable_params == planned.rows[0].params > 0 and planned.trainable_params == 0
    assert planned.rows[0].layer_class == "Conv2D"


def write_zip(path, members):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def one_line(exc):
    text = str(exc.value)
    assert "\n" not in text and "Traceback" not in text and len(text) < 600, text
    return text


@pytest.mark.parametrize(
    "make, error, fragment",
    [
        (lambda d: d.joinpath("m.keras").write_text("not a zip") and d / "m.keras", InputFileError, "not a zip"),
        (lambda d: write_zip(d / "m.keras", {"model.weights.h5": b"x"}), InputFileError, "no config.json"),
        (
            lambda d: write_zip(d / "m.keras", {"config.json": b" " * (5 * 2**20)}),  # deflates to ~5 KB
            InputFileError,
            "configs over 4,194,304 are refused",
        ),
        (lambda d: write_zip(d / "m.keras", {"config.json": b"[1, 2]"}), SpecError, "is a JSON object, got"),
        (lambda d: write_zip(d / "m.keras", {"config.json": b"\xff{"}), SpecError, "not UTF-8"),
        (lambda d: d.joinpath("m.json").write_text("[1, 2]") and d / "m.json", SpecError, "is a JSON object"),
        (lambda d: d.joinpath("m.json").write_text('{"a": ') and d / "m.json", SpecError, "line 1"),
        (lambda d: d.joinpath("m.json").write_text("[" * 100_000) and d / "m.json", SpecError, "nests too deeply"),
        (lambda d: d.joinpath("m.h5").write_bytes(b"\x89HDF\r\n\x1a\n") and d / "m.h5", InputFileError, "HDF5"),
        (lambda d: d / "missing.keras", InputFileError, "does not exist"),
        (lambda d: d, InputFileError, "is a directory"),
    ],
    ids=[
        "not-a-zip",
        "no-config",
        "huge-member",
        "array",
        "not-utf8",
        "json-array",
        "bad-json",
        "deep",
        "h5",
        "missing",
        "dir",
    ],
)
def test_hostile_files(tmp_path, make, error, fragment):
    with pytest.raises(error) as exc:
        network_from_file(make(tmp_path))
    assert fragment in one_line(exc)


SUBCLASSED = {"class_name": "MyModel", "config": {"name": "my_model", "trainable": True}, "module": "__main__"}


@pytest.mark.parametrize(
    "config, fragment",
    [
        (SUBCLASSED, "a subclassed keras.Model has no layer graph; plan it from its code or build it functionally"),
        ({"name": "my_model", "trainable": True}, "a subclassed keras.Model has no layer graph"),
        (sequential({"class_name": "Bidirectional", "config": {"name": "bi"}}), "bi is a Bidirectional layer"),
        (
            sequential({"class_name": "MyLayer", "module": "my_package.layers", "config": {"name": "mine"}}),
            "mine is a custom layer class MyLayer",
        ),
        (
            sequential({"class_name": "Conv2D", "config": {"name": "c", "kernel_size": 3}}),
            "c (Conv2D): its config has no 'filters'",
        ),
        (sequential(conv(data_format="channels_first")), "channels_first"),
        (
            sequential({"class_name": "Dense", "config": {"name": "d", "units": 2}}, "oops"),
            "layers[2] is not a layer config",
        ),
        ({"class_name": "Sequential", "config": {"layers": 7}}, "'layers' is a list"),
        ([1, 2], "a Keras model config is a JSON object"),
    ],
    ids=[
        "subclassed",
        "subclassed-get-config",
        "unknown",
        "custom",
        "missing",
        "channels-first",
        "not-a-layer",
        "layers",
        "list",
    ],
)
def test_hostile_configs(config, fragment):
    with pytest.raises(SpecError) as exc:
        network_from_config(config, "cfg")
    assert fragment in one_line(exc)


def test_a_functional_config_that_does_not_connect():
    tensor = {"class_name": "__keras_tensor__", "config": {"keras_history": ["nowhere", 0, 0]}}
    config = {
        "layers": [
            {"class_name": "InputLayer", "config": {"batch_shape": [None, 4], "name": "input_layer"}},
            {"class_name": "Dense", "config": {"name": "dense", "units": 2}, "inbound_nodes": [{"args": [tensor]}]},
        ],
        "input_layers": ["input_layer", 0, 0],
        "output_layers": ["dense", 0, 0],
    }
    with pytest.raises(SpecError, match="dense reads 'nowhere', which is not a layer"):
        network_from_config(config, "cfg")


def test_the_layer_budget(monkeypatch):
    monkeypatch.setattr(limits, "layers", 3)
    dense = {"class_name": "Dense", "config": {"name": "d", "units": 2}}
    with pytest.raises(LimitError, match="over the limit of 3"):
        network_from_config(sequential(*[dense] * 5, input_shape=(4,)), "many")


def test_deep_nesting_is_refused():
    config = {"class_name": "Sequential", "config": {"layers": []}}
    for _ in range(5000):
        config = {"class_name": "Sequential", "config": {"layers": [config]}}
    with pytest.raises(SpecError, match="nest too deeply"):
        network_from_config(config, "deep")


def test_network_from_model_is_duck_typed():
    """No keras import: anything with get_config() and, when built, inputs."""

    class Tensor:
        shape = (None, 28, 28, 1)

    class Built:
        inputs = [Tensor()]

        def get_config(self):
            return json.loads((CONFIGS / "mnist_convnet.json").read_text())["config"]

    class Subclassed:
        def get_config(self):
            raise NotImplementedError

    network = network_from_model(Built())
    check_against_keras(golden("mnist_convnet"), network)
    with pytest.raises(SpecError, match="Subclassed: a subclassed keras.Model has no layer graph"):
        network_from_model(Subclassed())
    with pytest.raises(SpecError, match="expected a keras.Model"):
        network_from_model(42)


def test_a_live_keras_model():
    keras = pytest.importorskip("keras")
    inputs = keras.Input((32, 32, 3))
    shared = keras.layers.Conv2D(8, 3, padding="same")
    x = keras.layers.MaxPooling2D()(keras.layers.Conv2D(8, 3, padding="same")(inputs))
    x = keras.layers.BatchNormalization()(shared(x) + x)
    x = shared(x)
    outputs = keras.layers.Dense(10)(keras.layers.GlobalAveragePooling2D()(x))
    model = keras.Model(inputs, outputs)
    network = network_from_model(model)
    planned = plan(network.layers, network.input_shape, framework="keras")
    assert planned.complete and planned.output_shape == (10,)
    assert planned.total_params == model.count_params()
    assert planned.non_trainable_params == sum(int(w.numpy().size) for w in model.non_trainable_weights)


def test_errors_are_convarith_errors():
    assert issubclass(InputFileError, ConvarithError) and issubclass(SpecError, ConvarithError)


def test_cli_from_keras_saved_model(tmp_path):
    from typer.testing import CliRunner

    from convarith.cli import app

    runner = CliRunner()
    saved = CONFIGS / "mnist_convnet.keras"
    result = runner.invoke(app, ["plan", "--from-keras", str(saved), "--json"], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    model = golden("mnist_convnet")
    assert data["total_params"] == model["total_params"] and data["batch"] == 1
    assert [row["class"] for row in data["layers"]] == [layer["type"] for layer in keras_layers(model["layers"])]
    table = runner.invoke(
        app, ["plan", "--from-keras", str(saved), "-i", "4x28x28x1", "--columns", "layer,type,output,params"]
    )
    assert table.exit_code == 0 and "Conv2D" in table.output and "batch 4" in table.output
    builder = tmp_path / "build.py"
    builder.write_text("def make(classes):\n    raise RuntimeError('no keras here')\n")
    failed = runner.invoke(app, ["plan", "--from-keras", f"{builder}:make", "--args", "classes=3"])
    assert failed.exit_code == 2 and "building" in failed.stderr and "no keras here" in failed.stderr
