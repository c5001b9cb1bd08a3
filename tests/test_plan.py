"""The planner: presets against PyTorch's counts, diagnostics on broken networks, exact fields
through branches, spec and code parsing, and the plan / rf commands."""

import json
from functools import cache

import pytest
from golden import DATA
from typer.testing import CliRunner

from convarith import ConvarithError
from convarith.cli import app
from convarith.plan import PRESETS, from_code, plan, preset

GOLDEN = json.loads((DATA / "golden_plan.json").read_text())["presets"]
runner = CliRunner()
ENV = {"COLUMNS": "160", "NO_COLOR": "1"}


def run(*args):
    return runner.invoke(app, [str(a) for a in args], env=ENV)


@pytest.mark.parametrize("name", list(PRESETS))
def test_presets_match_pytorch(name):
    """Totals and every parameterised layer, in order, as counted by torch 2.13.0."""
    layers, shape = preset(name)
    result = plan(layers, shape)
    golden = GOLDEN[name]
    assert list(shape) == golden["input"]
    assert result.total_params == golden["total_params"]
    assert result.total_macs == golden["total_macs"]
    assert list(result.output_shape) == golden["output"]
    ours = [(list(r.shape), r.params, r.macs) for r in result.rows if r.params or r.macs]
    theirs = [(e["output"], e["params"], e["macs"]) for e in golden["layers"] if e["params"] or e["macs"]]
    assert ours == theirs
    merges = [list(r.shape) for r in result.rows if r.type in ("add", "concat", "crop")]
    assert merges == [e["output"] for e in golden["layers"] if e["module"] in ("add", "cat", "crop")]


def test_course_figures():
    vgg = plan(*preset("vgg16"))
    weights = [r.params - r.shape[0] for r in vgg.rows if r.type in ("conv", "linear")]
    assert weights == [1728, 36864, 73728, 147456, 294912, 589824, 589824, 1179648] + [2359296] * 5 + [
        102760448,
        16777216,
        4096000,
    ]
    mnist = plan(*preset("mnist-cnn"))
    assert [r.shape for r in mnist.rows if r.type in ("conv", "max_pool", "flatten")] == [
        (32, 26, 26),
        (64, 24, 24),
        (64, 12, 12),
        (9216,),
    ]
    # GoogLeNet's 5x5 branch: (28x28x32) x (5x5x192) multiplies, and with a 1x1 bottleneck to 16.
    direct = plan([{"type": "conv", "out_channels": 32, "kernel_size": 5, "padding": 2}], (192, 28, 28))
    assert direct.total_macs == 120_422_400
    bottleneck = plan(
        [
            {"type": "conv", "out_channels": 16, "kernel_size": 1},
            {"type": "conv", "out_channels": 32, "kernel_size": 5, "padding": 2},
        ],
        (192, 28, 28),
    )
    assert [r.macs for r in bottleneck.rows] == [2_408_448, 10_035_200]


def test_diagnostics_with_fixes():
    layers, _ = from_code("nn.Conv2d(3, 16, 3), nn.ReLU(), nn.Conv2d(32, 8, 3), nn.Flatten(), nn.Linear(100, 10)")
    result = plan(layers, (3, 12, 12))
    assert any("expects 32 input channels but the previous layer gives 16" in d for d in result.diagnostics)
    assert any("use nn.Linear(512, 10)" in d for d in result.diagnostics)  # 8 x 8 x 8 = 512
    alexnet = plan(preset("alexnet")[0], (3, 224, 224))
    assert any(d.startswith("conv0 (H, W)") and "feed it 223 or 227" in d for d in alexnet.diagnostics)
    mismatch = plan(
        [
            {"type": "conv", "out_channels": 4, "kernel_size": 3, "name": "a"},
            {"type": "conv", "out_channels": 4, "kernel_size": 3, "name": "b"},
            {"type": "concat", "inputs": ["a", "b"]},
        ],
        (1, 10, 10),
    )
    assert any("crop 8x8 by 2x2" in d and "6x6" in d for d in mismatch.diagnostics)
    too_small = plan([{"type": "conv", "out_channels": 4, "kernel_size": 5}, {"type": "relu"}], (1, 3, 3))
    assert "planning stops here" in too_small.diagnostics[0]
    assert too_small.rows[-1].shape is None


def test_spec_files_and_blocks(tmp_path):
    spec = tmp_path / "net.toml"
    spec.write_text("""
input = [1, 28, 28]
[blocks.cbr]
layers = [{ type = "conv", out_channels = 8, kernel_size = 3, padding = 1, bias = false },
          { type = "batch_norm" }, { type = "relu" }]
[[layers]]
block = "cbr"
repeat = 2
[[layers]]
type = "max_pool"
kernel_size = 2
""")
    result = run("plan", spec, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert isinstance(data["total_params"], int) and isinstance(data["total_macs"], int)
    assert data["total_params"] == (8 * 9 + 16) + (8 * 8 * 9 + 16)
    assert [layer["output"] for layer in data["layers"]][-1] == [8, 14, 14]


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("input = [1, 8\n[[layers]]\ntype='conv'", "line"),
        ('{"input": [1, 8], "layers": [\n{"type": "conv",}]}', "line 2"),
        ("input = [1, 8]\n[[layers]]\ntype = 'convolution'", "unknown layer type 'convolution'"),
        ("input = [1, 8]\n[[layers]]\ntype = 'conv'\nout_channels = 2\nkernel = 3", "no parameter 'kernel'"),
        ("input = [1, 8]\n[[layers]]\nblock = 'missing'", "unknown block 'missing'"),
        ("input = [1, 8]\n[[layers]]\ntype = 'linear'", "needs out_features"),
    ],
)
def test_malformed_specs(tmp_path, text, fragment):
    path = tmp_path / ("s.json" if text.startswith("{") else "s.toml")
    path.write_text(text)
    result = run("plan", path)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0] and str(path) in lines[0]


def test_code_parsing():
    code = """
import torch.nn as nn
self.stem = nn.Conv2d(in_channels=3, out_channels=64, kernel_size=7, stride=2, padding=3, bias=False)
features = nn.Sequential(nn.BatchNorm2d(64), nn.ReLU(inplace=True), nn.Sequential(nn.MaxPool2d(3, 2, 1)))
head = [nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.Linear(64, 10)]
"""
    layers, _ = from_code(code)
    assert [layer["type"] for layer in layers] == [
        "conv",
        "batch_norm",
        "relu",
        "max_pool",
        "adaptive_avg_pool",
        "flatten",
        "linear",
    ]
    assert layers[0]["name"] == "stem" and layers[3]["padding"] == 1
    result = plan(layers, (3, 64, 64))
    assert result.output_shape == (10,) and not result.diagnostics
    for bad, fragment in [
        ("nn.Conv2d(3, 8, k)", "line 1: 'k' is not defined"),
        ("nn.Conv2d(3, 8, 3", "line 1"),
        ("nn.Transformer(8)", "nn.Transformer is not a layer convarith knows"),
        ("import os\nos.system('x')", "line 2: calls os.system, which convarith does not model"),
    ]:
        with pytest.raises(ConvarithError, match=fragment):
            from_code(bad)


def brute_fields(layers, result, outputs):
    """Input positions each output depends on, by walking the graph on an unbounded line."""
    names = {r.name: i for i, r in enumerate(result.rows)}

    @cache
    def field(i, y):
        if i < 0:
            return frozenset([y])
        spec, row = layers[i], result.rows[i]
        parents = [names[n] if n != "input" else -1 for n in spec.get("inputs", [])] or [i - 1]
        t, src = spec["type"], parents[0]
        k, s, p = spec.get("kernel_size", 1), spec.get("stride", 1), spec.get("padding", 0)
        if t == "max_pool":
            s = spec.get("stride", k)
        if t in ("conv", "max_pool", "avg_pool"):
            return frozenset().union(*(field(src, y * s - p + tap) for tap in range(k)))
        if t == "conv_transpose":
            return frozenset().union(*(field(src, (y + p - tap) // s) for tap in range(k) if (y + p - tap) % s == 0))
        if t == "crop":
            offset = (result.rows[src].shape[1] - row.shape[1]) // 2
            return field(src, y + offset)
        if t in ("add", "concat"):
            return frozenset().union(*(field(q, y) for q in parents))
        return field(src, y)

    return field


@pytest.mark.parametrize("name, size", [("unet", 572), ("resnet18", 64)])
def test_branched_fields_match_brute_force(name, size):
    """Skips, crops, concatenations, residual additions and transposed layers, on one axis."""
    layers, shape = preset(name)
    layers = [layer for layer in layers if layer["type"] not in ("adaptive_avg_pool", "flatten", "linear")]
    result = plan(layers, (shape[0], size))
    assert not any("stops" in d for d in result.diagnostics)
    field = brute_fields(layers, result, 0)
    for i, row in enumerate(result.rows):
        (f,) = row.field
        for y in range(2 * f.period + 1):
            positions = field(i, y)
            assert f.at(y) == (min(positions), max(positions)), (row.name, y)


def test_plan_command_outputs():
    result = run("plan", "--preset", "mnist-cnn")
    assert result.exit_code == 0
    assert "1,199,882" in result.output and "MACs = multiply-accumulates" in result.output
    flops = run("plan", "--preset", "mnist-cnn", "--flops", "--json")
    assert json.loads(flops.stdout)["total_flops"] == 2 * GOLDEN["mnist-cnn"]["total_macs"]
    markdown = run("plan", "--preset", "lenet5", "--markdown")
    assert markdown.stdout.startswith("| # | layer |") and "61,706" in markdown.stdout
    csv = run("plan", "--preset", "lenet5", "--csv")
    assert csv.stdout.splitlines()[1].startswith("0,conv0,conv,6x28x28,156,117600")
    listing = run("plan", "--list-presets")
    assert all(name in listing.stdout for name in PRESETS)
    code = run("plan", "--code", "nn.Conv2d(3, 8, 3, stride=2), nn.ReLU()", "-i", "3x32x32", "--verify")
    assert code.exit_code == 0 and "8x15x15" in code.output and "verified" in code.output


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["plan", "--preset", "nope"], "known: lenet5"),
        (["plan"], "exactly one"),
        (["plan", "--code", "nn.Conv2d(3, 8, 3)"], "--input"),
        (["plan", "--code", "nn.Frob(3)", "-i", "3x8x8"], "nn.Frob is not a layer convarith knows"),
        (["rf", "--preset", "lenet5", "--plot", "out.jpg"], ".png"),
    ],
)
def test_plan_errors(args, fragment):
    result = run(*args)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], result.stderr


def test_rf_command(tmp_path):
    result = run("rf", "--code", "nn.Conv2d(1, 1, 3), nn.Conv2d(1, 1, 3), nn.MaxPool2d(2)", "-i", "1x32x32", "--json")
    assert result.exit_code == 0
    sizes = [layer["size"] for layer in json.loads(result.stdout)["layers"]]
    assert sizes == [[3, 3], [5, 5], [6, 6]]
    plot = tmp_path / "rf.png"
    result = run("rf", "--preset", "unet", "--plot", plot)
    assert result.exit_code == 0 and plot.read_bytes()[:4] == b"\x89PNG"
    assert "204x204" in result.output


def test_the_guides_unet_example_plans_cleanly():
    from convarith.plan import from_spec_file

    layers, shape, framework = from_spec_file(DATA.parent.parent / "docs" / "examples" / "unet2.toml")
    result = plan(layers, shape, framework)
    assert result.output_shape == (2, 172, 172) and result.diagnostics == []
    assert any("feed it 184 or 186" in d for d in plan(layers, (1, 189, 189)).diagnostics)


def test_pad_to_match_a_skip():
    layers = [
        {"type": "conv", "out_channels": 4, "kernel_size": 3, "name": "small"},
        {"type": "pad", "like": "input", "name": "padded"},
        {"type": "add", "inputs": ["padded", "input"]},
    ]
    result = plan(layers, (4, 10, 10))
    assert [r.shape for r in result.rows] == [(4, 8, 8), (4, 10, 10), (4, 10, 10)] and not result.diagnostics
    from convarith.plan.verify import verify

    assert verify(layers, result)
    wrong_way = plan(
        [{"type": "max_pool", "kernel_size": 2, "name": "half"}, {"type": "pad", "like": "half", "inputs": ["input"]}],
        (1, 8),
    )
    assert "crop instead" in wrong_way.diagnostics[0]
