"""Live nn.Modules planned through a meta-device trace, against what real PyTorch recorded.

Golden data: tools/gen_golden_models_torch.py ran every corpus model in
tests/data/models/torch/ on a zero input (CPU, real weights) with a forward hook on every
leaf module, and recorded torchinfo 1.8's totals. Here the same constructors are built on
the meta device (no weights) and planned live: every module row must be a hooked call with
torch's output shape, the totals sum(p.numel()) and torchinfo's MACs exact.
"""

import json
import math
import sys

import pytest
from golden import DATA
from typer.testing import CliRunner

import convarith
from convarith.cli import app
from convarith.plan import plan

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore:Unable to retrieve source", "ignore:.*weight_norm.*is deprecated")

MODELS = DATA / "models"
TORCH = json.loads((DATA / "golden_models_torch.json").read_text())["models"]
runner = CliRunner()
ENV = {"COLUMNS": "200", "NO_COLOR": "1"}


def build(model, device="meta"):
    namespace = {"__name__": "__corpus__"}
    exec(compile((MODELS / model["file"]).read_text(), model["file"], "exec"), namespace)
    with torch.device(device):
        net = eval(model["build"], namespace)
    return net


def hooked_calls(net, shape):
    """Every leaf module call on a real CPU forward: (module, output shape)."""
    names = {m: n for n, m in net.named_modules()}
    calls = []

    def hook(module, args, output):
        out = output[0] if isinstance(output, tuple) else output
        calls.append((names[module], list(out.shape)))

    handles = [m.register_forward_hook(hook) for m in net.modules() if not any(m.children())]
    with torch.no_grad():
        net.eval()(torch.zeros(shape))
    for h in handles:
        h.remove()
    return calls


@pytest.mark.parametrize("model", TORCH, ids=lambda m: m["name"])
def test_live_plan_matches_pytorch(model):
    net = build(model)
    result = plan(net, model["input"])
    assert result.complete, result.diagnostics
    assert not [d for d in result.diagnostics if "bug in convarith" in d]
    rows = [(r.module, [model["input"][0], *r.shape]) for r in module_rows(result)]
    assert rows == [(c["module"], c["output"]) for c in model["calls"]]  # every hooked call, in order
    assert result.total_params == model["total_params"] == sum(p.numel() for p in net.parameters())
    assert result.trainable_params == model["trainable_params"]
    assert [model["input"][0], *result.output_shape] == model["output"]
    torchinfo = plan(net, model["input"], macs="torchinfo")
    assert torchinfo.total_macs == model["torchinfo"]["total_mult_adds"]


STORAGE_HEADER = 64  # torchinfo sizes the input with sys.getsizeof(storage): the data plus CPython's header


def module_rows(result):
    """The rows of module calls (not of functions called between them)."""
    return [r for r in result.rows if r.module and result.module_classes.get(r.module) == r.layer_class]


def torchinfo_sizes(record):
    """torchinfo's four sizes, its input (and total) without the storage object's header."""
    data = 4 * math.prod(record["input"]) if "input" in record else None
    assert data is None or record["input_bytes"] - data == STORAGE_HEADER
    given, passes, params, total = (
        record[k] for k in ("input_bytes", "forward_backward_pass_bytes", "params_bytes", "estimated_total_bytes")
    )
    return (given - STORAGE_HEADER, passes, params, total - STORAGE_HEADER)


@pytest.mark.parametrize("model", TORCH, ids=lambda m: m["name"])
def test_live_sizes_and_batches_equal_torchinfo(model):
    """torchinfo's input, forward/backward pass, parameter and total bytes, to the byte."""
    net = build(model)
    info = model["torchinfo"]
    assert tuple(plan(net, model["input"]).sizes) == torchinfo_sizes({**info, "input": model["input"]})
    if "batch4" in info:
        four = plan(net, info["batch4"]["input"], macs="torchinfo")
        assert tuple(four.sizes) == torchinfo_sizes(info["batch4"])
        assert four.total_macs == info["batch4"]["total_mult_adds"] and four.batch == 4


FOLDED = ["resnet18", "googlenet", "mobilenet_v3_large", "efficientnet_b0", "vit_b_16", "densenet121"]


@pytest.mark.parametrize("depth", [1, 2, 3])
@pytest.mark.parametrize("name", FOLDED)
def test_depth_shows_the_rows_torchinfo_shows(name, depth):
    """--depth N: the modules torchinfo lists at that depth (and leaves above it), in order,
    with their output shapes and parameter counts."""
    model = next(m for m in TORCH if m["name"] == name)
    if name == "vit_b_16" and depth == 3:
        depth = 2  # below, torchinfo lists attention as a container whose child never runs
    result = plan(build(model), model["input"]).folded(depth)
    ours = [(r.module, [model["input"][0], *r.shape]) for r in module_rows(result)]
    shown = [
        r
        for r in model["torchinfo"]["summary_list"]
        if r["executed"] and r["depth"] > 0 and (r["depth"] == depth or r["is_leaf"] and r["depth"] < depth)
    ]
    assert ours == [(r["name"], r["output_size"]) for r in shown]
    params = {r.name: r.params for r in result.rows if not r.shared}
    for r in shown:
        if not r["is_recursive"] and r["name"] in params:
            assert (
                params[r["name"]] + sum(v for k, v in result.loose_params.items() if k.startswith(r["name"] + "."))
                == r["num_params"]
            ), r["name"]


@pytest.mark.parametrize("name", ["resnet18", "densenet121", "mobilenet_v2"])
def test_live_plan_matches_a_forward_hook_trace_on_real_weights(name):
    """The same rows from a CPU model with real weights (functional_call swaps in meta tensors)."""
    model = next(m for m in TORCH if m["name"] == name)
    net = build(model, "cpu")
    before = {k: v.clone() for k, v in net.state_dict().items()}
    result = plan(net, model["input"])
    assert net.training  # its mode restored
    calls = hooked_calls(net, model["input"])
    rows = [(r.module, [model["input"][0], *r.shape]) for r in module_rows(result)]
    assert rows == calls
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())  # the model is untouched


def test_depth_folds_into_modules_like_torchinfo():
    model = next(m for m in TORCH if m["name"] == "resnet50")
    result = plan(build(model), model["input"])
    top = result.folded(1)
    assert [r.name for r in top.rows] == [
        "conv1",
        "bn1",
        "relu",
        "maxpool",
        "layer1",
        "layer2",
        "layer3",
        "layer4",
        "avgpool",
        "flatten",
        "fc",
    ]
    assert sum(r.params for r in top.rows) == result.total_params
    assert sum(top.macs_of(r) for r in top.rows) == result.total_macs
    layer3 = next(r for r in top.rows if r.name == "layer3")
    assert (layer3.layer_class, layer3.shape) == ("Sequential", (1024, 14, 14))
    assert layer3.params == sum(p.numel() for n, p in build(model).named_parameters() if n.startswith("layer3."))
    assert result.folded(0).rows[0].name == ""  # everything in the model itself


def test_functional_steps_are_planned_and_reused_modules_marked():
    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(3, 8, 3, padding=1)
            self.token = torch.nn.Parameter(torch.zeros(1, 8, 1))

        def forward(self, x):
            y = torch.nn.functional.max_pool2d(self.conv(x), 2, ceil_mode=True)
            y = torch.nn.functional.pad(y, (0, 1, 2, 0))
            y = self.conv(torch.cat([y[:, :1], y[:, 1:3]], dim=1)[:, :, 1:-1, :])  # reused
            y = torch.nn.functional.interpolate(y, scale_factor=2.5, mode="nearest")
            z = y.flatten(2)
            return torch.cat([self.token.expand(x.shape[0], -1, -1), z], dim=2)

    net = Net()
    result = plan(net, (2, 3, 15, 15))
    assert result.complete, result.diagnostics
    kinds = [(r.layer_class, r.type, r.shape) for r in result.rows]
    assert kinds == [
        ("Conv2d", "conv", (8, 15, 15)),
        ("max_pool2d", "max_pool", (8, 8, 8)),
        ("pad", "border_pad", (8, 10, 9)),
        ("getitem", "slice", (1, 10, 9)),
        ("getitem", "slice", (2, 10, 9)),
        ("cat", "concat", (3, 10, 9)),
        ("getitem", "slice", (3, 8, 9)),
        ("Conv2d", "conv", (8, 8, 9)),
        ("interpolate", "upsample", (8, 20, 22)),
        ("flatten", "reshape", (8, 440)),
        ("cat", "cat", (8, 441)),
    ]
    assert net(torch.zeros(2, 3, 15, 15)).shape == (2, 8, 441)
    assert result.rows[7].shared and result.total_params == sum(p.numel() for p in net.parameters())
    assert result.loose_params == {"token": 8}
    assert result.rows[1].field[0].size == 4  # conv 3 then pool 2: the shape engine's field


def test_a_disagreement_is_an_error_never_a_silent_row(monkeypatch):
    from convarith.plan import live_torch

    real = live_torch.module_spec

    def wrong(module, cls):  # as if convarith misread a module: stride 1 instead of 2
        spec = real(module, cls)
        if spec["type"] == "conv":
            spec["stride"] = 1
        return spec

    monkeypatch.setattr(live_torch, "module_spec", wrong)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, stride=2), torch.nn.ReLU())
    result = plan(net, (1, 3, 9, 9))
    assert not result.complete
    assert any(
        "convarith plans 4x7x7 but torch gives 4x4x4" in d and "bug in convarith" in d for d in result.diagnostics
    )


def test_frozen_parameters_and_batch_from_the_input():
    net = torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.Flatten(), torch.nn.LazyLinear(5)
    )
    for p in net[0].parameters():
        p.requires_grad_(False)
    result = plan(net, (4, 3, 8, 8))
    assert result.batch == 4 and result.output_shape == (5,)
    data = result.to_dict()
    assert data["batch"] == 4 and data["layers"][0]["class"] == "Conv2d" and data["layers"][0]["trainable_params"] == 0
    assert "Conv2d" in str(result) and data["non_trainable_params"] == 3 * 4 * 9 + 4
    assert result.non_trainable_params == 3 * 4 * 9 + 4
    assert result.total_params == 3 * 4 * 9 + 4 + 8 + 4 * 36 * 5 + 5
    assert result.rows[0].memory == 4 * 4 * 6 * 6 * 4  # the whole batch, float32


def test_forward_with_data_dependent_steps_falls_back_to_the_cpu():
    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(1, 2, 3)

        def forward(self, x):
            if x.sum().item() > 1e9:  # .item() needs real data
                return x
            return self.conv(x)

    result = plan(Net(), (1, 1, 5, 5))
    assert result.output_shape == (2, 3, 3)
    assert any("traced on the CPU" in n for n in result.notes)


def test_bad_inputs_are_one_line_errors():
    net = torch.nn.Conv2d(3, 4, 3)
    with pytest.raises(convarith.ConvarithError, match="forward fails"):
        plan(net, (1, 5, 8, 8))  # torch refuses 5 channels
    with pytest.raises(convarith.ShapeError, match="input_size"):
        plan(net, (8,))
    with pytest.raises(convarith.ShapeError, match="batch"):
        plan(net, (1, 3, 8, 8), batch=2)
    with pytest.raises(convarith.ShapeError, match="dtype"):
        plan(net, (1, 3, 8, 8), dtype="complex7")


def test_cli_from_torch_file(tmp_path):
    model = tmp_path / "tiny.py"
    model.write_text(
        "import torch.nn as nn\n"
        "class Tiny(nn.Module):\n"
        "    def __init__(self, classes=10):\n"
        "        super().__init__()\n"
        "        self.features = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.ReLU())\n"
        "        self.head = nn.Linear(8 * 16 * 16, classes)\n"
        "    def forward(self, x):\n"
        "        return self.head(self.features(x).flatten(1))\n"
    )
    result = runner.invoke(
        app,
        [
            "plan",
            "--from-torch",
            f"{model}:Tiny",
            "--args",
            "classes=7",
            "-i",
            "2x3x32x32",
            "--columns",
            "layer,type,input,output,padding,params,params %",
        ],
        env=ENV,
    )
    assert result.exit_code == 0, result.output
    assert "features.0" in result.output and "Conv2d" in result.output and "1:1,1:1" in result.output
    assert "8x16x16" in result.output and "14,343" in result.output  # 3*8*9+8 + 8*256*7+7
    assert "sizes as torchinfo estimates them" in result.output
    assert result.output.count("Conv2d") == 1
    folded = runner.invoke(
        app, ["plan", "--from-torch", f"{model}:Tiny", "-i", "1x3x32x32", "--depth", "1", "--json"], env=ENV
    )
    data = json.loads(folded.stdout)
    assert [row["name"] for row in data["layers"]] == ["features", "flatten@", "head"][: len(data["layers"])] or [
        row["name"] for row in data["layers"]
    ] == ["features", "flatten", "head"]
    assert data["total_params"] == 3 * 8 * 9 + 8 + 8 * 256 * 10 + 10


def test_without_torch_the_flag_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now fails, as on a machine without it
    result = runner.invoke(app, ["plan", "--from-torch", "torchvision.models:resnet18", "-i", "1x3x8x8"], env=ENV)
    assert result.exit_code == 2 and "pip install 'convarith[torch]'" in result.stderr
    assert result.stderr.startswith("error: --from-torch: needs PyTorch")
    assert len(result.stderr.splitlines()) == 1
    keras_code = tmp_path / "k.py"
    keras_code.write_text("import torch\nmodel = None\n")
    result = runner.invoke(app, ["plan", "--from-keras", f"{keras_code}:model"], env=ENV)
    assert result.exit_code == 2 and "it needs torch, which is not installed" in result.stderr


def test_cli_from_torch_keeps_json_clean_and_survives_exit(tmp_path):
    chatty = tmp_path / "chatty.py"
    chatty.write_text(
        "import torch.nn as nn\nprint('hello from the model file')\n"
        "class Net(nn.Module):\n"
        "    def __init__(self):\n        super().__init__()\n        self.conv = nn.Conv2d(1, 2, 3)\n"
        "    def forward(self, x):\n        print('forward!')\n        return self.conv(x)\n"
        "def quits():\n    raise SystemExit(3)\n"
    )
    result = runner.invoke(app, ["plan", "--from-torch", f"{chatty}:Net", "-i", "1x1x5x5", "--json"], env=ENV)
    assert result.exit_code == 0 and json.loads(result.stdout)["output"] == [2, 3, 3]
    assert "hello from the model file" in result.stderr
    result = runner.invoke(app, ["plan", "--from-torch", f"{chatty}:quits", "-i", "1x1x5x5"], env=ENV)
    assert result.exit_code == 2 and "building" in result.stderr and "SystemExit" in result.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["--from-torch", "nowhere.py:Net", "-i", "1x3x8x8"], "no such file"),
        (["--from-torch", "Net", "-i", "1x3x8x8"], "FILE.py:NAME"),
        (["--from-torch", "os:sep", "-i", "1x3x8x8"], "neither an nn.Module"),
        (["--from-torch", "json:loads", "-i", "1x3x8x8"], "building json:loads failed"),
        (
            ["--from-torch", "torch.nn:Conv2d", "--args", "3, 4, 3", "-i", "1x3x8x8", "--preset", "lenet5"],
            "exactly one",
        ),
        (["--from-torch", "torch.nn:Conv2d", "--args", "3, 4, k=", "-i", "1x3x8x8"], "--args"),
        (["--from-torch", "torch.nn:Conv2d", "--args", "3, 4, 3"], "--input"),
        (["--preset", "lenet5", "--depth", "1"], "--depth"),
    ],
)
def test_cli_from_torch_errors(args, message):
    result = runner.invoke(app, ["plan", *args], env=ENV)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ") and message in result.stderr and len(result.stderr.splitlines()) == 1
