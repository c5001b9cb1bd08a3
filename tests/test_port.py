"""`convarith port`: the emitted PyTorch code, executed with real torch, against the source
framework's semantics (convarith.functional, itself checked against TensorFlow/Keras golden
values) on random inputs and weights, float64."""

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import convarith
from convarith import functional as F
from convarith.cli import app
from convarith.port import port

torch = pytest.importorskip("torch")
runner = CliRunner()
ENV = {"COLUMNS": "160", "NO_COLOR": "1"}


def to_first(x):
    """channels-last -> channels-first"""
    return np.moveaxis(x, -1, 1)


def to_last(x):
    return np.moveaxis(x, 1, -1)


def source_output(op, framework, x_last, weight, bias, arguments):
    """The source layer's output (channels-last), computed by convarith.functional in the
    source's semantics; weights are in the source's own layout."""
    n = x_last.ndim - 2
    x = to_first(x_last)
    if op == "conv":  # (*k, in/g, out) -> (out, in/g, *k)
        w = np.transpose(weight, (n + 1, n, *range(n)))
        keys = ("stride", "padding", "dilation", "groups")
        out = F.conv(x, w, bias, framework=framework, **{k: arguments[k] for k in keys if k in arguments})
    elif op == "conv_transpose":  # (*k, out, in) -> (in, out, *k)
        w = np.transpose(weight, (n + 1, n, *range(n)))
        keys = ("stride", "padding", "dilation")
        given = {k: arguments[k] for k in keys if k in arguments}
        out = F.conv_transpose(x, w, bias, output_padding=arguments.get("output_padding"), framework=framework, **given)
    elif op == "max_pool":
        out = F.max_pool(
            x, arguments["kernel_size"], arguments.get("stride"), arguments["padding"], framework=framework
        )
    else:
        out = F.avg_pool(
            x, arguments["kernel_size"], arguments.get("stride"), arguments["padding"], framework=framework
        )
    return to_last(out)


def run_torch(code, x_first, weight=None, bias=None):
    namespace = {}
    exec(compile(code, "<port>", "exec"), namespace)
    module = namespace["build"](weight, bias)
    with torch.no_grad():
        return module(torch.as_tensor(x_first)).numpy()


@st.composite
def tf_layers(draw):
    op = draw(st.sampled_from(["conv", "conv_transpose", "max_pool", "avg_pool"]))
    framework = draw(st.sampled_from(["keras", "tf"]))
    n = draw(st.integers(1, 3))
    size = tuple(draw(st.lists(st.integers(3, 9), min_size=n, max_size=n)))
    kernel = tuple(draw(st.lists(st.integers(1, 4), min_size=n, max_size=n)))
    stride = tuple(draw(st.lists(st.integers(1, 3), min_size=n, max_size=n)))
    same = draw(st.booleans())
    padding = ("same" if same else "valid") if framework == "keras" else ("SAME" if same else "VALID")
    channels = draw(st.integers(1, 3))
    arguments = {"kernel_size": kernel, "stride": stride, "padding": padding}
    if op in ("conv", "conv_transpose"):
        arguments["out_channels"] = draw(st.integers(1, 3))
        if all(s == 1 for s in stride) and draw(st.booleans()):
            arguments["dilation"] = tuple(draw(st.lists(st.integers(1, 2), min_size=n, max_size=n)))
    if op == "conv" and framework == "keras" and draw(st.booleans()):
        groups = draw(st.sampled_from([1, channels]))
        arguments["groups"] = groups
        arguments["out_channels"] = groups * draw(st.integers(1, 2))
    if op == "conv_transpose" and framework == "keras" and draw(st.booleans()):
        arguments["output_padding"] = tuple(draw(st.integers(0, s - 1)) for s in stride)
    return op, framework, (2, *size, channels), arguments


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tf_layers(), st.integers(0, 2**32 - 1))
def test_tf_and_keras_layers_port_to_torch_exactly(layer, seed):
    op, framework, shape, arguments = layer
    try:
        ported = port(op, shape, framework, "torch", **arguments)
    except convarith.ShapeError:
        return  # a layer the source framework refuses (its own rules): nothing to port
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    weight = bias = None
    n, channels = len(shape) - 2, shape[-1]
    if op == "conv":
        groups = arguments.get("groups", 1)
        weight = rng.standard_normal((*arguments["kernel_size"], channels // groups, arguments["out_channels"]))
        bias = rng.standard_normal(arguments["out_channels"])
    elif op == "conv_transpose":
        weight = rng.standard_normal((*arguments["kernel_size"], arguments["out_channels"], channels))
        bias = rng.standard_normal(arguments["out_channels"])
    expected = source_output(op, framework, x, weight, bias, arguments)
    got = to_last(run_torch(ported.code, to_first(x), weight, bias))
    assert got.shape == expected.shape == ported.output, ported.code
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10, err_msg=ported.code)
    assert n == len(ported.output) - 2


def test_the_issue_example_tf_same_stride_2_on_224():
    ported = port("conv", (1, 224, 224, 3), "tf", "torch", kernel_size=3, stride=2, padding="SAME", out_channels=64)
    assert "nn.ZeroPad2d((0, 1, 0, 1))" in ported.code and "padding=(0, 0)" in ported.code
    assert "np.transpose(weight, (3, 2, 0, 1))" in ported.code  # w.permute(3, 2, 0, 1)
    assert ported.output == (1, 112, 112, 64) and any(
        "every input with H = 0 mod 2, W = 0 mod 2;" in n for n in ported.notes
    )
    symmetric = port("conv", (1, 225, 225, 3), "tf", "torch", kernel_size=3, stride=2, padding="SAME", out_channels=8)
    assert "ZeroPad" not in symmetric.code and "padding=(1, 1)" in symmetric.code


def test_average_pools_divide_by_the_cells_the_source_counts():
    x = np.arange(2 * 7 * 7 * 2, dtype=np.float64).reshape(2, 7, 7, 2)
    ported = port("avg_pool", x.shape, "tf", "torch", kernel_size=3, stride=2, padding="SAME")
    assert "count_include_pad=False" in ported.code  # 7 with stride 2: SAME pads (1, 1)
    expected = source_output("avg_pool", "tf", x, None, None, {"kernel_size": 3, "stride": 2, "padding": "SAME"})
    np.testing.assert_allclose(to_last(run_torch(ported.code, to_first(x))), expected, rtol=1e-12)


def test_cli_port_json_and_text():
    args = ["port", "conv", "-k", "3", "-s", "2", "-p", "same", "--from", "keras", "--to", "torch"]
    args += ["-i", "1x224x224x3", "--out-channels", "64"]
    result = runner.invoke(app, [*args, "--json"], env=ENV)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) >= {"from", "to", "input", "output", "exact", "notes", "code"}
    assert data["exact"] is True and data["output"] == [1, 112, 112, 64] and "def build(" in data["code"]
    text = runner.invoke(app, args, env=ENV)
    assert text.exit_code == 0 and data["code"] in text.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["conv", "-k", "3", "--from", "tf", "--to", "torch", "-i", "1x8x8x3"], "out_channels"),
        (["conv", "-k", "3", "--from", "tf", "--to", "torch", "-i", "8x8", "--out-channels", "2"], "input"),
        (
            [
                "conv-transpose",
                "-k",
                "3",
                "-g",
                "2",
                "--from",
                "torch",
                "--to",
                "tf",
                "-i",
                "1x4x8x8",
                "--out-channels",
                "2",
            ],
            "no exact port",
        ),
        (["max-pool", "-k", "2", "-d", "2", "--from", "torch", "--to", "keras", "-i", "1x3x8x8"], "no exact port"),
        (
            [
                "conv",
                "-k",
                "3",
                "--from",
                "torch",
                "--to",
                "keras",
                "-i",
                "1x3x8x8",
                "--out-channels",
                "2",
                "-p",
                "1",
                "--padding-mode",
                "replicate",
            ],
            "no exact port",
        ),
        (["conv", "-k", "3", "--from", "mxnet", "--to", "torch", "-i", "1x3x8x8", "--out-channels", "2"], "--from"),
        (
            [
                "conv",
                "-k",
                "3",
                "--from",
                "torch",
                "--to",
                "torch",
                "-i",
                "1x3x8x8",
                "--out-channels",
                "2",
                "--padding-mode",
                "bogus",
            ],
            "padding_mode",
        ),
        (
            [
                "conv",
                "-k",
                "9",
                "-p",
                "4",
                "--from",
                "torch",
                "--to",
                "torch",
                "-i",
                "1x3x4x4",
                "--out-channels",
                "2",
                "--padding-mode",
                "reflect",
            ],
            "smaller than the input",
        ),
        (
            ["conv", "-k", "3", "--from", "keras", "--to", "torch", "-i", "1x9x9x3", "--depth-multiplier", "0"],
            "depth_multiplier",
        ),
    ],
)
def test_cli_port_errors(args, message):
    result = runner.invoke(app, ["port", *args], env=ENV)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ") and message in result.stderr and len(result.stderr.splitlines()) == 1


@settings(max_examples=80, deadline=None)
@given(
    st.sampled_from(["conv", "conv-transpose", "max-pool", "avg-pool"]),
    st.integers(1, 3),
    st.integers(1, 4),
    st.integers(1, 3),
    st.integers(0, 2),
    st.integers(5, 9),
)
def test_shape_code_builds_the_same_layer_in_torch(op, n, kernel, stride, padding, size):
    """The line `shape --code` prints, built by real torch, gives the engine's output shape."""
    per_axis = ",".join([str(kernel)] * n)
    args = ["shape", op, "-i", "x".join([str(size)] * n), "-k", per_axis, "-s", str(stride)]
    args += ["-p", str(min(padding, kernel // 2)), "--code", "--json"]
    if op.startswith("conv"):
        args += ["--in-channels", "2", "--out-channels", "3"]
    result = runner.invoke(app, args, env=ENV)
    if result.exit_code != 0:
        return  # a configuration torch refuses
    data = json.loads(result.stdout)
    module = eval(data["code"], {"nn": torch.nn})
    with torch.no_grad():
        out = module(torch.zeros(1, 2, *[size] * n))
    assert list(out.shape[2:]) == data["output"], data["code"]
    assert out.shape[1] == (3 if op.startswith("conv") else 2)


def test_code_lines_as_the_issue_writes_them():
    result = runner.invoke(
        app, ["shape", "conv", "-i", "1x3x224x224", "-k", "3", "-s", "2", "-p", "1", "--out-channels", "64", "--code"]
    )
    assert "nn.Conv2d(3, 64, kernel_size=3, stride=2, padding=1)" in result.output
    result = runner.invoke(
        app,
        [
            "shape",
            "conv",
            "-i",
            "1x224x224x3",
            "-k",
            "3",
            "-s",
            "2",
            "-p",
            "same",
            "-f",
            "keras",
            "--out-channels",
            "64",
            "--code",
        ],
    )
    assert 'layers.Conv2D(64, 3, strides=2, padding="same")' in result.output
    result = runner.invoke(app, ["solve", "-i", "224", "-o", "112", "--code", "-n", "1", "--json"])
    assert (
        json.loads(result.stdout)["solutions"][0]["code"]
        == "nn.Conv1d(in_channels, out_channels, kernel_size=3, stride=2, padding=1)"
    )
