"""convarith apply: real image files in, convolved files out, every failure one line."""

import json

import imageio.v3 as iio
import numpy as np
import pytest
from typer.testing import CliRunner

from convarith import functional as F
from convarith.cli import app

runner = CliRunner()
ENV = {"COLUMNS": "100", "NO_COLOR": "1"}


def run(*args):
    return runner.invoke(app, [str(a) for a in args], env=ENV)


@pytest.fixture
def stripes(tmp_path):
    """The course's 6x6 image, rows 10 10 10 0 0 0, as an 8-bit grey PNG."""
    pixels = np.array([[10, 10, 10, 0, 0, 0]] * 6, dtype=np.uint8)
    path = tmp_path / "stripes.png"
    iio.imwrite(path, pixels)
    return path, pixels.astype(float) / 255


def test_vertical_edge_on_a_png_gives_the_worked_example(stripes, tmp_path):
    path, pixels = stripes
    out = tmp_path / "edges.npy"
    result = run("apply", path, "-o", out, "-k", "vertical-edge", "-p", "0")
    assert result.exit_code == 0, result.output
    values = np.load(out)
    assert values.shape == (1, 4, 4)
    assert np.allclose(values[0] * 255, [[0, 30, 30, 0]] * 4)
    assert "6x6 -> 4x4" in result.output


def test_rgb_png_per_channel_and_grey(tmp_path):
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, size=(9, 11, 4), dtype=np.uint8)  # RGBA: alpha is dropped
    path = tmp_path / "colour.png"
    iio.imwrite(path, rgb)
    out = tmp_path / "blur.npy"
    result = run("apply", path, "-o", out, "-k", "box-blur", "-s", "2", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    values = np.load(out)
    assert report["output"] == list(values.shape) == [3, 5, 6]
    x = np.moveaxis(rgb[..., :3].astype(float) / 255, -1, 0)[None]
    expected = F.conv(x, np.full((3, 1, 3, 3), 1 / 9), stride=2, padding=1, groups=3, padding_mode="reflect")[0]
    assert np.allclose(values, expected)
    result = run("apply", path, "-o", tmp_path / "grey.png", "--grey")
    assert result.exit_code == 0
    assert iio.imread(tmp_path / "grey.png").shape == (9, 11)


def test_kernel_files(stripes, tmp_path):
    path, pixels = stripes
    kernel = tmp_path / "k.csv"
    kernel.write_text("1, 0, -1\n1, 0, -1\n")
    out = tmp_path / "o.npy"
    result = run("apply", path, "-o", out, "--kernel-file", kernel, "-p", "0")
    assert result.exit_code == 0, result.output
    assert np.allclose(np.load(out)[0], F.conv(pixels[None, None], np.array([[[[1, 0, -1], [1, 0, -1]]]]))[0, 0])
    np.save(tmp_path / "k.npy", np.ones((1, 2)))
    assert run("apply", path, "-o", out, "--kernel-file", tmp_path / "k.npy").exit_code == 0


def test_default_image_is_built_in(tmp_path):
    result = run("apply", "-o", tmp_path / "hopper.png", "--grey", "-s", "4")
    assert result.exit_code == 0, result.output
    assert iio.imread(tmp_path / "hopper.png").shape == (150, 128)


@pytest.mark.parametrize(
    "case, fragment",
    [
        ("missing", "does not exist"),
        ("not_an_image", "not a readable image"),
        ("bad_kernel", "not a numeric kernel"),
        ("ragged_kernel", "same number of values"),
        ("kernel_3d", "2-D"),
        ("no_folder", "does not exist"),
        ("bad_suffix", ".png or .npy"),
        ("unknown_kernel", "unknown kernel"),
    ],
)
def test_bad_input_is_one_line_and_nothing_is_written(stripes, tmp_path, case, fragment):
    path, _ = stripes
    out = tmp_path / "out.png"
    args = {"missing": [tmp_path / "nope.png", "-o", out]}.get(case)
    if case == "not_an_image":
        fake = tmp_path / "fake.png"
        fake.write_text("not a png")
        args = [fake, "-o", out]
    elif case in ("bad_kernel", "ragged_kernel", "kernel_3d"):
        kernel = tmp_path / ("k.npy" if case == "kernel_3d" else "k.txt")
        if case == "kernel_3d":
            np.save(kernel, np.ones((2, 2, 2)))
        else:
            kernel.write_text("1 x 2\n" if case == "bad_kernel" else "1 2\n3\n")
        args = [path, "-o", out, "--kernel-file", kernel]
    elif case == "no_folder":
        args = [path, "-o", tmp_path / "missing" / "out.png"]
    elif case == "bad_suffix":
        args = [path, "-o", tmp_path / "out.jpg"]
    elif case == "unknown_kernel":
        args = [path, "-o", out, "-k", "blurry"]
    before = set(tmp_path.iterdir())
    result = run("apply", *args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0], result.stderr
    assert set(tmp_path.iterdir()) == before  # no output, no temporary left behind


def test_a_failing_write_leaves_no_partial_file(stripes, tmp_path, monkeypatch):
    path, _ = stripes
    out = tmp_path / "out.npy"
    out.write_bytes(b"previous result")

    def explode(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "save", explode)
    result = run("apply", path, "-o", out)
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: output: could not write {out}: disk full"
    assert out.read_bytes() == b"previous result"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.npy", "stripes.png"]
