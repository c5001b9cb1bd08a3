"""Model code as people have it, planned statically and checked against the real frameworks.

Golden data: tools/gen_golden_models_torch.py (torch 2.13.0, torchinfo 1.8.0) and
tools/gen_golden_models_keras.py (Keras 3.15.1) ran each corpus model under
tests/data/models/ on a zero input and recorded every leaf layer's output shape and
parameters. The planner reads the same files with ``ast`` only.
"""

import json
import time

import pytest
from golden import DATA
from typer.testing import CliRunner

from convarith import ConvarithError, LimitError
from convarith.cli import app
from convarith.plan.readers import detect, read
from convarith.plan.readers.keras_code import read_keras
from convarith.plan.readers.torch_code import read_torch
from convarith.plan.readers.torch_repr import read_repr

MODELS = DATA / "models"
TORCH = json.loads((DATA / "golden_models_torch.json").read_text())["models"]
KERAS = json.loads((DATA / "golden_models_keras.json").read_text())["models"]
runner = CliRunner()
ENV = {"COLUMNS": "160", "NO_COLOR": "1"}

# Where the static reader refuses on purpose, with the message it must give.
TORCH_REFUSED: dict = {}  # every torch corpus model is read
KERAS_REFUSED = {"tf_pix2pix_discriminator": "a model with 2 inputs is not planned"}
# print(model) of networks whose forward runs the modules once each in printed order.
REPR_EXACT = [
    "alexnet",
    "vgg16",
    "dcgan_generator",
    "dcgan_discriminator",
    "super_resolution",
    "cyclegan_resnet_9blocks",
    "pix2pix_patchgan",
    "c3d",
]


def run(*args):
    return runner.invoke(app, [str(a) for a in args], env=ENV)


def torch_plan(model, macs="multiply"):
    text = (MODELS / model["file"]).read_text()
    return read_torch(text, model["file"], cls=model["build"]).plan(model["input"], macs=macs)


# "static": false marks corpus files written for the live planner, not for the static reader.
STATIC_TORCH = [m for m in TORCH if m["name"] not in TORCH_REFUSED and m.get("static", True)]


@pytest.mark.parametrize("model", STATIC_TORCH, ids=lambda m: m["name"])
def test_torch_class_files_match_pytorch(model):
    """Every leaf module call, in forward's order, with torch's output shape; totals; torchinfo's MACs."""
    plan = torch_plan(model)
    assert plan.complete, plan.diagnostics
    module_rows = [r for r in plan.rows if "@" not in r.name.split("/")[-1]]
    ours = [(r.name.split("#")[0], list(r.shape)) for r in module_rows]
    theirs = [(c["module"], c["output"][1:]) for c in model["calls"]]
    assert ours == theirs
    assert plan.total_params == model["total_params"]
    assert list((model["input"][0], *plan.output_shape)) == model["output"]
    torchinfo = torch_plan(model, macs="torchinfo")
    assert torchinfo.total_macs == model["torchinfo"]["total_mult_adds"]
    per_module = {}
    for row in torchinfo.rows:
        per_module.setdefault(row.name.split("#")[0], []).append(torchinfo.macs_of(row))
    for entry in model["torchinfo"]["layers"]:
        assert entry["macs"] in per_module[entry["module"]], entry


@pytest.mark.parametrize("name", REPR_EXACT)
def test_printed_models_match_pytorch(name):
    model = next(m for m in TORCH if m["name"] == name)
    text = (MODELS / model["repr_file"]).read_text()
    assert detect(text) == "repr"
    plan = read_repr(text, model["repr_file"]).plan(model["input"])
    rows = {r.name: r for r in plan.rows}
    assert plan.complete and plan.total_params == model["total_params"]
    once = [c for c in model["calls"] if sum(d["module"] == c["module"] for d in model["calls"]) == 1]
    assert len(once) >= 5
    for call in once:
        assert list(rows[call["module"]].shape) == call["output"][1:], call["module"]
    assert any("no forward" in note for note in plan.notes)


def test_parameters_outside_layers_and_layers_with_their_own_forward():
    """ConvNeXt: nn.Parameter layer scales and LayerNorm2d (nn.LayerNorm subclassed with a permuting forward)."""
    model = next(m for m in TORCH if m["name"] == "convnext_tiny")
    plan = torch_plan(model)
    assert plan.loose_params == model["params_outside_leaves"]
    norm = next(r for r in plan.rows if r.name == "features.0.1")
    assert (norm.params, list(norm.shape)) == (
        model["modules"]["features.0.1"]["params"],
        model["calls"][1]["output"][1:],
    )
    assert any("parameters held outside layers" in note for note in plan.notes)


def test_printed_model_states_its_assumptions():
    model = next(m for m in TORCH if m["name"] == "alexnet")
    plan = read_repr((MODELS / model["repr_file"]).read_text(), "alexnet.txt").plan((3, 224, 224))
    assert any("a flatten of 256x6x6 is assumed" in note for note in plan.notes)
    mnist = next(m for m in TORCH if m["name"] == "mnist_net")
    cut = read_repr((MODELS / mnist["repr_file"]).read_text(), "mnist.txt").plan((1, 28, 28))
    assert not cut.complete and any("functional calls" in note for note in cut.notes)


def keras_layers(layers):
    for layer in layers:
        if layer.get("inner"):
            yield from keras_layers(layer["inner"])
        elif layer["type"] != "InputLayer":
            yield layer


@pytest.mark.parametrize("model", [m for m in KERAS if m["name"] not in KERAS_REFUSED], ids=lambda m: m["name"])
def test_keras_code_matches_keras(model):
    """Every layer by Keras's own name: output shape, parameters, non-trainable parameters; totals."""
    network = read_keras((MODELS / model["file"]).read_text(), model["file"], variable=model["variable"])
    declared = model.get("build_input") or model["input"]
    free = None in declared[1:]
    plan = network.plan(
        tuple(model["probe_input"][1:])
        if free
        else tuple(model["build_input"][1:])
        if model.get("build_input")
        else None
    )
    rows = {r.name: r for r in plan.rows}
    assert plan.complete, plan.diagnostics
    for layer in keras_layers(model["layers"]):
        row = rows[layer["name"]]
        if None not in layer["output"][1:]:
            assert list(row.shape) == layer["output"][1:], layer["name"]
        assert (row.params, row.non_trainable) == (layer["params"], layer["non_trainable"]), layer["name"]
    assert plan.total_params == model["total_params"]
    assert plan.non_trainable_params == model["non_trainable_params"]
    assert plan.trainable_params == model["trainable_params"]


@pytest.mark.parametrize("name, fragment", KERAS_REFUSED.items())
def test_keras_refusals(name, fragment):
    model = next(m for m in KERAS if m["name"] == name)
    with pytest.raises(ConvarithError, match=fragment):
        read_keras((MODELS / model["file"]).read_text(), model["file"], variable=model["variable"]).plan()


def test_the_issue_examples():
    # A pool declared once and used twice is planned twice, its parameters counted once.
    net = """
import torch.nn as nn
import torch.nn.functional as F
nz = 100
class Net(nn.Module):
    def __init__(self, num_classes=1000):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.act = nn.ReLU(True)
        self.drop = nn.Dropout(0.5, True)
        self.fc = nn.Linear(16 * 5 * 5, num_classes)
    def forward(self, x):
        x = self.pool(self.act(self.conv1(x)))
        x = self.pool(self.act(self.conv2(x)))
        x = x.view(x.size(0), -1)
        return self.fc(self.drop(x))
"""
    plan = read(net, "net.py", args="num_classes=10").plan((3, 32, 32), "torch")
    pools = [r for r in plan.rows if r.type == "max_pool"]
    assert [r.name.split("#")[0] for r in pools] == ["pool", "pool"] and [r.shared for r in pools] == [False, True]
    assert plan.output_shape == (10,) and plan.total_params == 456 + 2416 + 4010
    wrong_view = net.replace("x.view(x.size(0), -1)", "x.view(-1, 200)")
    cut = read(wrong_view, "net.py").plan((3, 32, 32), "torch")
    assert not cut.complete and "mixes the batch into the features" in cut.diagnostics[-1]


LOOP = "class A(nn.Module):\n    def __init__(self):\n        super().__init__()\n        {}\n"


@pytest.mark.parametrize(
    "code, fragment",
    [
        (
            "class A(nn.Module):\n    def forward(self, x):\n        return x.chunk2()\n",
            "line 3: tensor.chunk2() is not modelled",
        ),
        ("class A(nn.Module):\n    def __init__(self, n):\n        super().__init__()\n", "needs its argument 'n'"),
        ("class A(nn.Module):\n    pass\nclass B(nn.Module):\n    pass\n", "choose one with --class"),
        (
            "x = nn.Conv2d(3, 8, 3, 1, 1, 1, 1, True, 'zeros', None, None, 9)",
            "line 1: nn.Conv2d takes at most 11 positional",
        ),
        ("nn.Conv2d(3, 8)", "line 1: nn.Conv2d needs kernel_size"),
        ("nn.Linear(10, 5, bogus=1)", "line 1: nn.Linear has no argument 'bogus'"),
        (LOOP.format("for i in range(10**9):\n            pass"), "range of 1,000,000,000 items"),
        ("x = [0] * 10**9", "builds a sequence of 1,000,000,000"),
        ("x = 2 ** 10**9", "an integer over 4096 bits"),
        ("x = pow(2, 10**9)", "an integer over 4096 bits"),
        ("x = f'{1:>1000000000}'", "line 1: formats with a width of 1000000000 characters"),
        ("x = '{:>1000000000}'.format(1)", "line 1: formats with a width of 1000000000 characters"),
        (LOOP.format("while True:\n            pass"), "line 5: evaluating this code takes over 1,000,000 steps"),
        (
            LOOP.format("try:\n            pass\n        except Exception:\n            pass"),
            "Try statements are not read",
        ),
        (
            "class A(nn.Module):\n    def forward(self, x):\n        if x.sum() > 0:\n            return x\n",
            "line 3: sum() over every dimension",
        ),
    ],
)
def test_refusals_name_line_and_construct(code, fragment):
    """Refused while reading (an error), or while following forward (the plan stops, exit 2 in the CLI)."""
    start = time.perf_counter()
    try:
        plan = read(code, "m.py").plan((3, 8, 8), "torch")
        message = plan.diagnostics[-1] if not plan.complete else "complete"
    except ConvarithError as exc:
        message = str(exc)
    assert fragment in message
    assert time.perf_counter() - start < 5


def test_layers_the_issue_asked_for():
    code = """
from collections import OrderedDict
import torch.nn as nn
from torch.nn.utils import weight_norm
model = nn.Sequential(OrderedDict([
    ("pad", nn.ReflectionPad2d(2)), ("conv", weight_norm(nn.Conv2d(3, 16, 5))), ("norm", nn.GroupNorm(4, 16)),
    ("act", nn.PReLU(16)), ("zero", nn.ZeroPad2d((0, 1, 0, 1))), ("shuffle", nn.PixelShuffle(2)),
    ("unshuffle", nn.PixelUnshuffle(2)), ("up", nn.Upsample(scale_factor=2, mode="bilinear")),
    ("inorm", nn.InstanceNorm2d(16, affine=True)), ("lnorm", nn.LayerNorm([16, 18, 18])),
    ("flat", nn.Flatten()), ("unflat", nn.Unflatten(1, (16, 324))), ("id", nn.Identity()),
]))
"""
    plan = read(code, "m.py", cls="model").plan((3, 8, 8), "torch")
    shapes = {r.name: r.shape for r in plan.rows}
    assert shapes["pad"] == (3, 12, 12) and shapes["zero"] == (16, 9, 9) and shapes["shuffle"] == (4, 18, 18)
    assert shapes["unshuffle"] == (16, 9, 9) and shapes["up"] == (16, 18, 18) and shapes["unflat"] == (16, 324)
    params = {r.name: r.params for r in plan.rows}
    # torch: weight_g adds one per output channel; GroupNorm/InstanceNorm(affine) 2 per channel; PReLU 16.
    assert params["conv"] == 16 * 3 * 25 + 16 + 16 and params["norm"] == 32 and params["act"] == 16
    assert params["inorm"] == 32 and params["lnorm"] == 2 * 16 * 18 * 18


def test_input_conventions():
    code = "nn.Conv2d(3, 8, 3), nn.ReLU()"
    assert run("plan", "--code", code, "-i", "1x3x16x16").exit_code == 0
    batched = run("plan", "--code", code, "-i", "4x3x16x16", "--json")
    data = json.loads(batched.stdout)
    assert data["batch"] == 4 and data["layers"][0]["output"] == [8, 14, 14]
    assert data["layers"][0]["memory_bytes"] == 4 * 8 * 14 * 14 * 4
    net = (
        "class N(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.c = nn.Conv2d(3, 8, 3)\n"
        "    def forward(self, x):\n        return self.c(x)\n"
    )
    wrong = run("plan", "--code", net, "-i", "8x8x3")
    assert wrong.exit_code == 2 and "looks channels-last; torch wants 3x8x8" in wrong.output
    three = run("plan", "--code", net, "-i", "8x8")
    assert three.exit_code == 2 and "takes 3 (C x size x size) or 4 with the batch first" in three.stderr


def test_cli_plans_class_files_keras_and_printed_models(tmp_path):
    resnet = MODELS / "torch" / "resnet.py"
    result = run("plan", resnet, "--class", "ResNet(Bottleneck, [3, 4, 6, 3])", "-i", "1x3x224x224")
    assert result.exit_code == 0 and "25,557,032" in result.output and "layer4.2.relu#" in result.output
    info = run(
        "plan",
        resnet,
        "--class",
        "ResNet(Bottleneck, [3, 4, 6, 3])",
        "-i",
        "3x224x224",
        "--macs",
        "torchinfo",
        "--json",
    )
    golden = next(m for m in TORCH if m["name"] == "resnet50")
    assert json.loads(info.stdout)["total_macs"] == golden["torchinfo"]["total_mult_adds"]
    keras = run("plan", MODELS / "keras" / "image_classification_from_scratch.py")
    assert keras.exit_code == 0 and "180x180x3" in keras.output and "separable_conv2d_6" in keras.output
    printed = tmp_path / "vgg.txt"
    printed.write_text((MODELS / "torch_repr" / "vgg16.txt").read_text())
    assert run("plan", printed, "-i", "3x224x224").exit_code == 0


def test_cut_short_plans_exit_2_and_json_says_incomplete():
    code = "nn.Conv2d(3, 8, 7), nn.Conv2d(8, 8, 7)"
    table = run("plan", "--code", code, "-i", "3x10x10")
    assert table.exit_code == 2 and "error: the plan stopped early" in table.stderr
    as_json = run("plan", "--code", code, "-i", "3x10x10", "--json")
    assert as_json.exit_code == 2 and json.loads(as_json.stdout)["complete"] is False
    unknown = run("plan", "--preset", "vgg16", "-f", "foo")
    assert unknown.exit_code == 2 and "'foo' is not one of" in unknown.stderr


def test_keras_is_detected_and_forced():
    keras = (
        "from tensorflow import keras\nfrom keras import layers\nmodel = keras.Sequential([keras.Input((8, 8, 3)), "
        "layers.Conv2D(4, 3, activation='relu'), layers.Flatten(), layers.Dense(2)])\n"
    )
    assert detect(keras) == "keras"
    plan = read(keras, "k.py").plan(None, "keras")
    assert [r.name for r in plan.rows] == ["conv2d", "flatten", "dense"] and plan.output_shape == (2,)
    assert plan.total_params == 4 * 27 + 4 + 144 * 2 + 2


def test_spec_files_take_the_same_layer_names(tmp_path):
    """One signature table: a spec may name PyTorch classes with their keyword arguments, and weight_norm."""
    spec = tmp_path / "net.toml"
    spec.write_text("""
input = [3, 8, 8]
[[layers]]
type = "ZeroPad2d"
padding = [0, 1, 0, 1]
[[layers]]
type = "conv"
out_channels = 12
kernel_size = 3
weight_norm = true
[[layers]]
type = "PixelShuffle"
upscale_factor = 2
[[layers]]
type = "GroupNorm"
num_groups = 3
num_channels = 3
[[layers]]
type = "flatten"
[[layers]]
type = "linear"
in_features = 588
out_features = 10
weight_norm = true
""")
    data = json.loads(run("plan", spec, "--json").stdout)
    assert [layer["output"] for layer in data["layers"]] == [
        [3, 9, 9],
        [12, 7, 7],
        [3, 14, 14],
        [3, 14, 14],
        [588],
        [10],
    ]
    # torch: weight_norm adds weight_g, one value per output channel or feature.
    assert [layer["params"] for layer in data["layers"]] == [0, 12 * 27 + 12 + 12, 0, 6, 0, 5880 + 10 + 10]
    bad = tmp_path / "bad.toml"
    bad.write_text("input = [3, 8, 8]\n[[layers]]\ntype = 'PixelShuffle'\nfactor = 2\n")
    result = run("plan", bad)
    assert result.exit_code == 2 and "has no argument 'factor'" in result.stderr


def test_weight_norm_linear_as_torch_and_torchinfo_count_it():
    # Measured with torch 2.13.0 and torchinfo 1.8.0: 5,900 parameters, 58,910 torchinfo MACs.
    code = "from torch.nn.utils import weight_norm\nweight_norm(nn.Linear(588, 10))"
    plan = read(code, "m.py").plan((588,), "torch", macs="torchinfo")
    assert (plan.total_params, plan.total_macs) == (5900, 58910)


@pytest.mark.parametrize(
    "code, fragment",
    [
        (
            "from tensorflow import keras\nwhile True:\n    pass\nmodel = keras.Sequential([keras.Input((8, 8, 3))])",
            "line 3: evaluating this code takes over 1,000,000 steps",
        ),
        ("from tensorflow import keras\nm = 3", "no Keras model is built"),
        (
            "from tensorflow import keras\nfrom keras import layers\nmodel = keras.Sequential([layers.LSTM(4)])",
            "layers.LSTM is not a layer convarith knows",
        ),
        ("x = " + "+".join(["1"] * 50000), "nests too deeply to read"),
    ],
)
def test_cli_refusals_are_one_line(code, fragment):
    result = run("plan", "--code", code, "-i", "8x8x3")
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0]


@pytest.mark.parametrize(
    "name", ["resnet18", "resnet50", "squeezenet1_0", "unet_original", "pix2pix_unet_256", "speech_command_m5"]
)
def test_printed_models_count_the_parameters_their_arguments_declare(name):
    """Without forward the chain is a guess, but each layer's parameters are fixed by its printed arguments."""
    model = next(m for m in TORCH if m["name"] == name)
    plan = read_repr((MODELS / model["repr_file"]).read_text(), name).plan(model["input"])
    assert plan.total_params == model["total_params"]


# torch 2.13.0: print(Net()) of three identical Sequential blocks in a ModuleList, folded by
# torch as "(0-2): 3 x Sequential(", with sum(p.numel()) == 1788 and output (1, 4, 16, 16).
FOLDED_REPR = """Net(
  (blocks): ModuleList(
    (0-2): 3 x Sequential(
      (0): Conv2d(8, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
      (1): ReLU()
    )
  )
  (head): Conv2d(8, 4, kernel_size=(1, 1), stride=(1, 1))
)"""


def test_folded_repeats_of_containers_keep_their_children():
    from convarith.plan.sources import load_network

    plan = load_network(code=FOLDED_REPR).plan((1, 8, 16, 16), "torch")
    assert plan.total_params == 1788 and tuple(plan.output_shape) == (4, 16, 16)  # shapes without the batch
    assert [r.name for r in plan.rows if r.type == "conv"] == ["blocks.0.0", "blocks.1.0", "blocks.2.0", "head"]
    huge = FOLDED_REPR.replace("(0-2): 3 x", "(0-99999999): 100000000 x")
    with pytest.raises(LimitError, match="100,000,000 copies"):
        load_network(code=huge)


@pytest.mark.parametrize(
    "source",
    [
        '{"input": [3, 32, 32], "layers": [{"type": "Conv2d", "in_channels": 3, "out_channels": 4, "kernel_size": 3},'
        ' {"type": "Conv1d", "in_channels": 4, "out_channels": 4, "kernel_size": 3}]}',
        '{"input": [3, 32, 32], "layers": [{"type": "maxpool3d", "kernel_size": 2}]}',
        "from tensorflow import keras\nfrom keras import layers\n"
        "model = keras.Sequential([keras.Input((28, 28, 3)), layers.Conv3D(8, 3)])\n",
        "from tensorflow import keras\nfrom keras import layers\n"
        "model = keras.Sequential([keras.Input((28, 28, 3)), layers.MaxPooling1D(2)])\n",
    ],
)
def test_a_layer_named_for_other_axes_is_refused(source, tmp_path):
    """torch and Keras refuse Conv1d / Conv3D / MaxPooling1D on a 2-D feature map."""
    path = tmp_path / ("net.json" if source.startswith("{") else "net.py")
    path.write_text(source)
    result = CliRunner().invoke(app, ["plan", str(path)])
    assert result.exit_code == 2 and "spatial axes" in result.output, result.output
