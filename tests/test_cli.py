"""The command line through Typer's CliRunner, with a fixed-width console."""

import json

import pytest
from typer.testing import CliRunner

import convarith
from convarith.cli import app

runner = CliRunner()
ENV = {"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}


def run(*args):
    return runner.invoke(app, list(args), env=ENV)


def table_rows(output):
    """The data rows of a Rich table: lines that start with an axis name."""
    return [line.split() for line in output.splitlines() if line.strip().split(" ")[0] in ("L", "H", "W", "D")]


def test_shape_table_matches_the_engine():
    result = run("shape", "conv", "--input", "1x3x224x224", "-k", "3", "-s", "2", "-p", "1", "--out-channels", "64")
    assert result.exit_code == 0, result.output
    assert "1x3x224x224 -> 1x64x112x112" in result.output
    axes = convarith.Conv(3, stride=2, padding=1).arithmetic((224, 224))
    for row, ax in zip(table_rows(result.output), axes, strict=True):
        unread = [str(ax.unread)] + ([f"(+{ax.unread_padding}", "pad)"] if ax.unread_padding else [])
        assert row[1:] == [str(ax.input), "3", "2", "1", "3", "1,1", str(ax.output), *unread]
        assert ax.unread_padding == 1  # windows end at 224: the last padding cell is never read


def test_shape_json_has_output_and_padding():
    result = run("shape", "conv", "-i", "224", "-k", "3", "-s", "2", "-p", "same", "-f", "tf", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["output"] == [112]
    assert data["padding"] == [[0, 1]]
    assert any("asymmetric" in w for w in data["warnings"])


def test_shape_explain_prints_formula_and_warnings():
    result = run("shape", "conv", "-i", "224", "-k", "3", "-s", "2", "-p", "1", "--explain")
    assert result.exit_code == 0
    assert "floor((224 + 1 + 1 - 3) / 2) + 1 = 112" in result.output
    assert "TensorFlow's SAME" in result.output


def test_shape_conv_transpose_with_output_size():
    result = run(
        "shape", "conv-transpose", "-i", "13x13", "-k", "3", "-s", "2", "-p", "1", "--output-size", "26x26", "--json"
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["output"] == [26, 26]
    assert data["axes"][0]["output_padding"] == 1
    assert data["axes"][0]["valid_outputs"] == [25, 26]


def test_shape_pooling_ceil_mode_and_per_axis():
    result = run("shape", "max-pool", "-i", "5x7", "-k", "2", "-s", "2x1", "-p", "1", "--ceil-mode", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["output"] == [3, 8]


def test_shape_keras_tensor_layout_and_adaptive():
    result = run("shape", "conv", "-i", "1x28x28x1", "-k", "3", "--out-channels", "32", "-f", "keras", "--json")
    assert json.loads(result.stdout)["tensor"]["output"] == [1, 26, 26, 32]
    result = run("shape", "adaptive-avg-pool", "-i", "1x512x7x9", "--output-size", "1", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["tensor"]["output"] == [1, 512, 1, 1]


def test_shape_transposed_table_shows_equivalent_convolution():
    result = run("shape", "conv-transpose", "-i", "13", "-k", "4", "-s", "2", "-p", "1")
    assert result.exit_code == 0
    (row,) = table_rows(result.output)
    # in k s d k_eff pad opad out valid zeros eq.pad
    assert row[1:] == ["13", "4", "2", "1", "4", "1,1", "0", "26", "26..27", "1", "2,2"]


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["shape", "conv", "-i", "32", "-k", "three"], "--kernel-size"),
        (["shape", "conv", "-i", "0x32", "-k", "3"], "at least 1"),
        (["shape", "conv", "-i", "-5", "-k", "3"], "at least 1"),
        (["shape", "conv", "-i", "32x32", "-k", "3x3x3"], "3 axes"),
        (["shape", "conv", "-i", "32", "-k", "3", "-s", "2x2", "-d", "1x1x1"], "disagree"),
        (["shape", "conv", "-i", "32", "-k", "3", "-f", "caffe"], "caffe"),
        (["shape", "conv", "-i", "32", "-k", "3", "-s", "2", "-p", "same"], "strided"),
        (["shape", "conv", "-i", "2", "-k", "3"], "larger than the padded input"),
        (["shape", "conv", "-i", "1x3x8x8", "-k", "3", "--in-channels", "4", "--out-channels", "8"], "in_channels"),
        (["shape", "conv", "-i", "8", "-k", "3", "--in-channels", "4", "--groups", "3"], "groups"),
        (["shape", "conv-transpose", "-i", "8", "-k", "3", "-s", "2", "--output-padding", "2"], "output_padding"),
        (["shape", "conv-transpose", "-i", "8", "-k", "3", "-s", "2", "--output-size", "40"], "valid sizes range"),
        (["shape", "max-pool", "-i", "8", "-k", "3", "-p", "2"], "half"),
        (["shape", "conv", "-i", "8x8", "-k", "3", "-p", "causal", "-f", "keras"], "causal"),
        (["shape", "conv", "-i", "8"], "--kernel-size"),
        (["shape", "conv", "-i", "8", "-k", "3", "--wat"], "No such option"),
        (["shape", "warp", "-i", "8", "-k", "3"], "warp"),
        (["solve", "-i", "224"], "--output"),
        (["solve", "-i", "224", "-o", "112", "--max-kernel", "100000", "--max-stride", "100"], "combinations"),
        (["shape", "conv", "-i", "9" * 200, "-k", "3"], "digits"),
        (["shape", "conv", "-i", "8", "-k", "3", "-p", ""], "empty"),
        (["shape", "adaptive-avg-pool", "-i", "1x7x9x3", "--output-size", "1", "-f", "keras"], "PyTorch only"),
        (["shape", "conv", "-i", "224x224", "-k", "3", "-p", "0:1", "-f", "tf"], "padding"),
        (["solve", "-i", "224", "-o", "abc"], "--output"),
    ],
)
def test_bad_input_is_one_line_exit_2(args, fragment):
    result = run(*args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert fragment in lines[0]
    assert "Traceback" not in result.output


def test_solve_lists_known_configurations_first():
    result = run("solve", "-i", "224", "-o", "112", "--json")
    assert result.exit_code == 0
    solutions = json.loads(result.stdout)["solutions"]
    assert solutions[0]["kernel_size"] == 3 and solutions[0]["stride"] == 2 and solutions[0]["padding"] == 1
    for s in solutions:
        layer = convarith.Conv(s["kernel_size"], stride=s["stride"], padding=s["padding"], dilation=s["dilation"])
        assert layer.output_shape((224,)) == (112,)


def test_solve_transposed_table():
    result = run("solve", "-i", "13", "-o", "26", "--op", "conv-transpose")
    assert result.exit_code == 0
    assert "13 -> 26" in result.output
    result = run("solve", "-i", "13", "-o", "26", "--op", "conv-transpose", "-f", "tf", "--json")
    for s in json.loads(result.stdout)["solutions"]:
        layer = convarith.ConvTranspose(s["kernel_size"], stride=s["stride"], padding=s["padding"], framework="tf")
        assert layer.output_shape((13,), output_size=(26,)) == (26,)


def test_solve_reports_no_solution():
    result = run("solve", "-i", "4", "-o", "100", "--max-kernel", "3")
    assert result.exit_code == 1
    assert "no conv configuration" in result.output
    result = run("solve", "-i", "4", "-o", "100", "--max-kernel", "3", "--json")
    assert result.exit_code == 1 and json.loads(result.stdout)["solutions"] == []  # the same status as the table


def test_version_and_help():
    assert run("--version").stdout.strip() == f"convarith {convarith.__version__}"
    result = run("shape", "--help")
    assert result.exit_code == 0 and "--kernel-size" in result.output
    result = run()  # a bare command asks for help: shown, and success
    assert result.exit_code == 0 and "Usage: " in result.output and "plan" in result.output


def test_option_errors_are_their_own_class():
    from convarith.cli import parse

    with pytest.raises(convarith.OptionError, match="--stride: expected an integer") as caught:
        parse.sizes("--stride", "two")
    assert isinstance(caught.value, convarith.ConvarithError) and not isinstance(caught.value, convarith.ShapeError)
    result = run("shape", "conv", "-i", "5", "-k", "3", "--stride", "two")
    assert result.exit_code == 2 and result.stderr.startswith("error: --stride: expected an integer")
    result = run("shape", "conv", "-i", "5", "--kernel-size")  # a usage error Typer finds, on one line
    assert result.exit_code == 2 and len(result.stderr.splitlines()) == 1 and "--kernel-size" in result.stderr


def test_tour_answers_its_questions():
    result = run("tour")
    assert result.exit_code == 0, result.output
    assert "1x3x224x224 -> 1x64x112x112" in result.output
    assert "1x224x224x3 -> 1x112x112x64" in result.output
    assert "13x13 -> 26x26" in result.output
    assert "1 input cell(s) are never read" in result.output  # AlexNet at 224


def test_adaptive_pools_with_even_windows():
    result = run("shape", "adaptive-avg-pool", "-i", "1x512x4x4", "--output-size", "1", "--explain")
    assert result.exit_code == 0, result.output
    assert "1x512x4x4 -> 1x512x1x1" in result.output
    result = run("shape", "adaptive-max-pool", "-i", "7x9", "--output-size", "nonex2", "--json")
    assert json.loads(result.stdout)["output"] == [7, 2]


def test_tf_defaults_to_valid_padding():
    result = run("shape", "conv", "-i", "224", "-k", "3", "-f", "tf", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["output"] == [222]


def test_tables_never_cut_numbers():
    result = run("shape", "conv-transpose", "-i", "100000", "-k", "3", "-s", "2", "-p", "1")
    assert result.exit_code == 0
    assert "199999..200000" in result.output and "…" not in result.output


def test_solve_with_huge_fixed_kernel_answers_at_once():
    result = run("solve", "-i", "224", "-o", "112", "-k", "1000000000000", "-s", "2", "--json")
    assert result.exit_code == 0, result.output
    (solution,) = json.loads(result.stdout)["solutions"]
    layer = convarith.Conv(solution["kernel_size"], stride=2, padding=solution["padding"])
    assert layer.output_shape((224,)) == (112,)


def test_a_swallowed_signal_is_raised_again():
    """Python swallows an exception raised in an at-fork hook; the signal must still end the run."""
    import os
    import signal

    from convarith import interrupt

    saved = {name: signal.getsignal(getattr(signal, name)) for name in interrupt.NAMES}
    try:
        interrupt.install()
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            for _ in range(1000):  # the handler runs between bytecodes
                pass
        except interrupt.Interrupted:
            pass  # as an at-fork hook's caller would: swallowed
        with pytest.raises(interrupt.Interrupted) as caught:
            interrupt.check()
        assert caught.value.signum == signal.SIGTERM
    finally:
        for name, handler in saved.items():
            signal.signal(getattr(signal, name), handler)
        interrupt.received = None
