"""The renderer: geometry against brute force, pixels against the originals' colours,
numbers against convarith.functional, files read back with Pillow, and every refusal."""

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from typer.testing import CliRunner

import convarith
from convarith import functional as F
from convarith import render
from convarith.cli import app
from convarith.render import gallery as g
from convarith.render.geometry import axis_layout, plane_layouts
from convarith.render.raster import Rasterizer

ORIGINALS = json.loads((Path(__file__).parent / "data" / "dumoulin_originals.json").read_text())["gifs"]
ENV = {"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}
runner = CliRunner()

# The Solarized colours, and 40% of base02 over each, rounded as the originals have them.
WHITE, INPUT, OUTPUT = (255, 255, 255), (38, 139, 210), (42, 161, 152)
BASE02 = (7, 54, 66)


def shaded(colour):
    return tuple(round(0.6 * c + 0.4 * s) for c, s in zip(colour, BASE02, strict=True))


def run(*args):
    return runner.invoke(app, [str(a) for a in args], env=ENV)


def pixel(rasterizer, index, point):
    x, y = point
    indices = rasterizer.frame(index)  # first: drawing may add colours to the palette
    return tuple(int(v) for v in rasterizer.colours()[indices[y, x]])


# -- geometry ---------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    i=st.integers(1, 9),
    k=st.integers(1, 4),
    s=st.integers(1, 3),
    p=st.integers(0, 3),
    d=st.integers(1, 3),
    transposed=st.booleans(),
)
def test_windows_read_exactly_the_inputs_a_brute_force_scatter_says(i, k, s, p, d, transposed):
    """Window j of the drawing covers input m at tap t iff the operation pairs them."""
    k_eff = d * (k - 1) + 1
    if transposed:
        if p > k_eff - 1 or (i - 1) * s + k_eff - 2 * p < 1:
            return
        layer = convarith.ConvTranspose(k, stride=s, padding=p, dilation=d)
    else:
        if p > k_eff // 2 or i + 2 * p < k_eff:
            return  # torch refuses padding over half the kernel
        layer = convarith.Conv(k, stride=s, padding=p, dilation=d)
    ax = layer.arithmetic((i,))[0]
    lay = axis_layout(ax)
    assert lay.output == ax.output
    drawn = set()
    for j in range(lay.output):
        for t, cell in enumerate(lay.taps(j)):
            assert 0 <= cell < lay.cells
            if cell in lay.units:
                drawn.add((j, lay.units.index(cell), t))
    if transposed:  # y = m*s + t*d - p, and the drawn direct convolution uses the flipped kernel
        brute = {
            (m * s + t * d - p, m, k - 1 - t) for m in range(i) for t in range(k) if 0 <= m * s + t * d - p < ax.output
        }
    else:  # window j reads padded cell j*s + t*d, which is input m = that - p
        brute = {(j, j * s + t * d - p, t) for j in range(ax.output) for t in range(k) if 0 <= j * s + t * d - p < i}
    assert drawn == brute


def test_transposed_zeros_sit_between_the_input_cells():
    # padding_strides_odd_transposed: 3 -> 6 with k=3, s=2, p=1, output_padding=1.
    ax = convarith.ConvTranspose(3, stride=2, padding=1, output_padding=1).arithmetic((3,))[0]
    lay = axis_layout(ax)
    assert lay.cells == 8 and lay.units == (1, 3, 5)  # padding k-1-p = 1, one zero between, 2 after
    assert lay.starts == tuple(range(6))


def test_tf_same_padding_falls_after():
    rows, cols = plane_layouts(convarith.Conv(3, stride=2, padding="SAME", framework="tf").arithmetic((6, 6)))
    assert cols.units == tuple(range(6)) and cols.cells == 7  # 0 before, 1 after


def test_three_axes_are_refused():
    with pytest.raises(convarith.ShapeError, match="1-D and 2-D"):
        render.scene(convarith.Conv(3), (5, 5, 5))


# -- the canonical fifteen against the originals ----------------------------------------------


@pytest.mark.parametrize("entry", g.CANONICAL, ids=lambda e: e.name)
def test_canonical_canvas_and_frames_equal_the_originals(entry):
    scene = render.scene(entry.layer(), entry.input)
    original = ORIGINALS[entry.name]
    assert (scene.width, scene.height) == (original["width"], original["height"])
    assert len(scene.frames) == original["frames"]


def test_gif_reads_back_with_the_originals_timing_and_size(tmp_path):
    path = tmp_path / "padding_strides.gif"
    result = run("animate", "conv", "-i", "5x5", "-k", "3", "-s", "2", "-p", "1", "-o", path)
    assert result.exit_code == 0, result.output
    assert "9 frames" in result.output
    original = ORIGINALS["padding_strides"]
    with Image.open(path) as image:
        assert image.size == (original["width"], original["height"])
        assert image.n_frames == original["frames"]
        assert image.info["loop"] == 0 and image.info["duration"] == original["duration_ms"]
        assert image.mode == "P"
        colours = image.getpalette()
        assert len(colours) // 3 <= 256
        image.seek(1)
        # Pillow gives later frames composited: RGB, or RGBA when the GIF uses transparency
        # for unchanged pixels as ours does; either way nothing shows through.
        assert image.mode in ("RGB", "RGBA")
        assert np.asarray(image.convert("RGBA"))[..., 3].min() == 255


def test_colours_at_cells_of_frame_0():
    """padding_strides, first frame: the footprint covers padded rows and columns 0..2."""
    scene = render.scene(convarith.Conv(3, stride=2, padding=1), (5, 5))
    r = Rasterizer(scene)
    expected = {
        ("in", 0, 0): shaded(WHITE),  # padding under the footprint: the originals' grey
        ("in", 1, 1): shaded(INPUT),
        ("in", 2, 2): shaded(INPUT),
        ("in", 1, 4): INPUT,
        ("in", 0, 4): WHITE,
        ("in", 6, 6): WHITE,
        ("out", 0, 0): shaded(OUTPUT),
        ("out", 1, 1): OUTPUT,
        ("out", 2, 2): OUTPUT,
    }
    for (plane, row, col), colour in expected.items():
        assert pixel(r, 0, scene.centre(plane, row, col)) == colour, (plane, row, col)
    original = {tuple(c) for c in ORIGINALS["padding_strides"]["main_colours"]}
    assert {shaded(WHITE), shaded(INPUT), INPUT, OUTPUT, WHITE} <= original


def test_the_shade_follows_the_raster_order():
    scene = render.scene(convarith.Conv(3, stride=2, padding=1), (5, 5))
    r = Rasterizer(scene)
    # frame 4 is output (1, 1): window rows and columns 2..4
    assert pixel(r, 4, scene.centre("out", 1, 1)) == shaded(OUTPUT)
    assert pixel(r, 4, scene.centre("out", 0, 0)) == OUTPUT
    assert pixel(r, 4, scene.centre("in", 3, 3)) == shaded(INPUT)
    assert pixel(r, 4, scene.centre("in", 1, 1)) == INPUT


def test_dilation_shades_every_other_cell():
    scene = render.scene(convarith.Conv(3, dilation=2), (7, 7))
    r = Rasterizer(scene)
    for row in range(5):
        for col in range(5):
            tap = row % 2 == 0 and col % 2 == 0
            assert pixel(r, 0, scene.centre("in", row, col)) == (shaded(INPUT) if tap else INPUT), (row, col)


def test_transposed_frame_shows_zeros_as_empty_cells():
    scene = render.scene(convarith.ConvTranspose(3, stride=2, padding=1, output_padding=1), (3, 3))
    r = Rasterizer(scene)
    last = len(scene.frames) - 1  # footprint at the bottom right: rows and columns 5..7
    for row in range(5):
        for col in range(5):
            unit = row in (1, 3, 5) and col in (1, 3, 5)
            assert pixel(r, last, scene.centre("in", row, col)) == (INPUT if unit else WHITE), (row, col)
    assert pixel(r, last, scene.centre("in", 5, 5)) == shaded(INPUT)
    assert pixel(r, last, scene.centre("in", 7, 7)) == shaded(WHITE)


def test_one_palette_of_at_most_255_colours(tmp_path):
    scene = render.scene(convarith.Conv(3, padding=2), (5, 5))
    r = Rasterizer(scene)
    frames = list(r.frames())
    assert len(r.palette.colours) <= 255 and len(set(r.palette.colours)) == len(r.palette.colours)
    path = tmp_path / "full.gif"
    render.save(scene, path)
    with Image.open(path) as image:  # every frame decodes to exactly what was drawn
        for k, frame in enumerate(frames):
            image.seek(k)
            assert np.array_equal(np.asarray(image.convert("RGB")), r.colours()[frame])


# -- numbers ----------------------------------------------------------------------------------

CASES = [
    convarith.Conv(3),
    convarith.Conv(3, stride=2, padding=1),
    convarith.Conv((3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2)),
    convarith.Conv(3, stride=2, padding="SAME", framework="tf"),
    convarith.ConvTranspose(3, stride=2, padding=1, output_padding=1),
    convarith.ConvTranspose(2, stride=2, dilation=2),
    convarith.MaxPool(3, stride=2, padding=1),
    convarith.MaxPool(2, ceil_mode=True),
    convarith.AvgPool(3, stride=2, padding=1),
    convarith.AvgPool(2, stride=2, padding="SAME", framework="tf"),
]


@pytest.mark.parametrize("layer", CASES, ids=repr)
def test_values_are_functional_and_the_drawn_windows_reproduce_them(layer):
    spatial = (5, 6)
    scene = render.scene(layer, spatial, values=True, seed=7)
    rng = np.random.default_rng(7)
    x = rng.integers(0, 4, size=spatial).astype(float)
    if layer.op == "conv":
        w = rng.integers(0, 3, size=(3, 2) if isinstance(layer.kernel_size, tuple) else (3, 3)).astype(float)
        expected = F.conv(
            x[None, None],
            w[None, None],
            stride=layer.stride,
            padding=layer.padding,
            dilation=layer.dilation,
            framework=layer.framework,
        )[0, 0]
    elif layer.op == "conv_transpose":
        w = rng.integers(0, 3, size=(layer.kernel_size,) * 2).astype(float)
        expected = F.conv_transpose(
            x[None, None],
            w[None, None],
            stride=layer.stride,
            padding=layer.padding,
            output_padding=layer.output_padding,
            dilation=layer.dilation,
        )[0, 0]
    elif layer.op == "max_pool":
        expected = F.max_pool(
            x[None, None], layer.kernel_size, stride=layer.stride, padding=layer.padding, ceil_mode=layer.ceil_mode
        )[0, 0]
    else:
        expected = F.avg_pool(
            x[None, None], layer.kernel_size, stride=layer.stride, padding=layer.padding, framework=layer.framework
        )[0, 0]
    shown = [[item.text for item in frame.kept] for frame in scene.frames]
    assert [s[0] for s in shown] == [_fmt(v) for v in expected.ravel()]

    rows, cols = plane_layouts(layer.arithmetic(spatial))
    values = render.values.compute(layer, spatial, rows, cols, 7)
    for i, j in ((i, j) for i in range(rows.output) for j in range(cols.output)):
        cells = [(r, c) for r in rows.taps(i) for c in cols.taps(j)]
        seen = [values.plane[r][c] for r, c in cells]
        if layer.op in ("conv", "conv_transpose"):
            kernel = np.array(values.kernel).ravel()
            got = sum(v * kv for v, kv in zip(seen, kernel, strict=True))
        elif layer.op == "max_pool":
            got = max(v for v in seen if v is not None)
        else:
            present = [v for v in seen if v is not None]
            got = sum(present) / len(present)
        assert got == pytest.approx(expected[i, j]), (i, j)


def _fmt(v):
    return str(int(v)) if float(v).is_integer() else f"{v:.2f}".rstrip("0").rstrip(".")


def test_values_cli_png(tmp_path):
    path = tmp_path / "numbers.png"
    result = run(
        "animate", "avg-pool", "-i", "5x5", "-k", "3", "-s", "2", "-p", "1", "--values", "-o", path, "--frame", "8"
    )
    assert result.exit_code == 0, result.output
    assert "frame 8 of 9" in result.output
    with Image.open(path) as image:
        assert image.mode == "RGB" and image.width > image.height


# -- files ------------------------------------------------------------------------------------


def test_sheet_holds_every_frame(tmp_path):
    path = tmp_path / "sheet.png"
    result = run("animate", "conv", "-i", "5x5", "-k", "3", "-s", "2", "-o", path, "--sheet")
    assert result.exit_code == 0, result.output
    scene = render.scene(convarith.Conv(3, stride=2), (5, 5))
    with Image.open(path) as image:
        assert image.size == (2 * scene.width, 2 * scene.height)  # 4 frames, 2 x 2


@pytest.mark.parametrize("suffix, magic", [(".svg", b"<?xml"), (".pdf", b"%PDF")])
def test_vector_stills(tmp_path, suffix, magic):
    path = tmp_path / f"still{suffix}"
    result = run("animate", "conv-transpose", "-i", "3x3", "-k", "3", "-s", "2", "-o", path, "--frame", "2")
    assert result.exit_code == 0, result.output
    data = path.read_bytes()
    assert data.startswith(magic)
    if suffix == ".svg":
        assert b"output" in data and b"input" in data  # the plane labels are text


def test_one_d_is_a_single_row(tmp_path):
    scene = render.scene(convarith.Conv(3, stride=2, padding=1), (8,))
    assert len(scene.frames) == 4
    r = Rasterizer(scene)
    assert pixel(r, 0, scene.centre("in", 0, 1)) == shaded(INPUT)
    assert pixel(r, 0, scene.centre("in", 0, 3)) == INPUT


def test_nothing_half_written_when_encoding_fails(tmp_path, monkeypatch):
    # The GIF is streamed: its header is already in the temporary file when a frame fails.
    from convarith.render import encode

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(encode.GifImagePlugin, "getdata", broken)
    path = tmp_path / "x.gif"
    with pytest.raises(convarith.InputFileError, match="could not write"):
        render.save(render.scene(convarith.Conv(3), (4, 4)), path)
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setattr(Image.Image, "save", lambda self, target, **kw: broken())
    with pytest.raises(convarith.InputFileError, match="could not write"):
        render.save(render.scene(convarith.Conv(3), (4, 4)), tmp_path / "x.png")
    assert list(tmp_path.iterdir()) == []


# -- refusals ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["conv", "-i", "5x5", "-k", "3", "-o", "{tmp}/x.txt"], "unknown file type"),
        (["conv", "-i", "5x5", "-k", "3", "-o", "{tmp}/missing/x.gif"], "does not exist"),
        (["conv", "-i", "30x30", "-k", "3", "-o", "{tmp}/x.gif"], "--force"),
        (["conv", "-i", "3x150", "-k", "1x148", "-o", "{tmp}/x.gif"], "4096"),
        (["conv", "-i", "5x5x5", "-k", "3", "-o", "{tmp}/x.gif"], "1-D and 2-D"),
        (["conv", "-i", "5x5", "-k", "7", "-o", "{tmp}/x.gif"], "kernel"),
        (["conv", "-i", "5x5", "-k", "3", "-o", "{tmp}/x.png", "--frame", "9"], "between 0 and 8"),
        (["conv", "-i", "5x5", "-k", "3", "-o", "{tmp}/x.gif", "--sheet"], "stills"),
        (["conv", "-i", "5x5", "-k", "3", "-o", "{tmp}/x.gif", "--duration", "0"], "duration"),
        (["conv", "-i", "5x5", "-o", "{tmp}/x.gif"], "--kernel-size"),
        (["max-pool", "-i", "5x5", "-k", "3", "-f", "tf", "--ceil-mode", "-o", "{tmp}/x.gif"], "ceil_mode"),
        (["conv", "-i", "5", "-k", "3", "--values", "--seed", "-5", "-o", "{tmp}/x.gif"], "seed"),
        (["conv", "-i", "5", "-k", "3", "--duration", "700000", "-o", "{tmp}/x.gif"], "655,350"),
        (["conv", "-i", "5x5", "-k", "3", "-o", "{tmp}/x.png", "--sheet", "--frame", "1"], "give one of them"),
        (["conv", "-i", "5x5", "-k", "3", "-o", "/proc/x.gif"], "cannot write in /proc"),
    ],
)
def test_refusals_are_one_line_exit_2(tmp_path, args, fragment):
    result = run("animate", *[a.format(tmp=tmp_path) for a in args])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0], result.stderr
    assert list(tmp_path.iterdir()) == []


def test_shape_and_animate_refuse_alike(tmp_path):
    args = ["conv", "-i", "5x5", "-k", "3", "-p", "2", "-d", "1"]
    shape = run("shape", *args)
    animate = run("animate", *args, "-o", tmp_path / "x.gif")
    assert shape.exit_code == animate.exit_code
    assert shape.stderr == animate.stderr


def test_force_lifts_the_frame_limit():
    with pytest.raises(convarith.ShapeError, match="--force"):
        render.scene(convarith.Conv(1), (21, 21))
    assert len(render.scene(convarith.Conv(1), (21, 21), force=True).frames) == 441


# -- gallery ----------------------------------------------------------------------------


def test_gallery_command(tmp_path):
    folder = tmp_path / "gallery"
    result = run("gallery", folder, "--workers", "2")
    assert result.exit_code == 0, result.output
    assert f"wrote {len(g.ENTRIES)} animations" in result.output
    index = (folder / "README.md").read_text()
    for entry in g.ENTRIES:
        path = folder / f"{entry.name}.gif"
        assert f"({entry.name}.gif)" in index and entry.command() in index
        with Image.open(path) as image:
            assert image.n_frames == g.frames(entry)
        if entry.canonical:
            original = ORIGINALS[entry.name]
            assert path.stat().st_size <= 0.8 * original["bytes"], entry.name
            with Image.open(path) as image:
                assert image.size == (original["width"], original["height"])
    assert sum(g.frames(e) for e in g.CANONICAL) == 322


def test_gallery_commands_draw_what_the_gallery_drew(tmp_path):
    """The command printed in the index makes the same file."""
    entry = next(e for e in g.EXTRAS if e.name == "tf_same_strides")
    words = entry.command().split()[2:]  # after `convarith animate`
    words[words.index("-o") + 1] = str(tmp_path / "cli.gif")
    assert run("animate", *words).exit_code == 0
    g.render(entry, str(tmp_path))
    assert (tmp_path / "cli.gif").read_bytes() == (tmp_path / f"{entry.name}.gif").read_bytes()


def test_gallery_refuses_to_overwrite_a_folder_that_is_not_a_gallery(tmp_path):
    (tmp_path / "README.md").write_text("# my project\n")
    result = run("gallery", tmp_path)
    assert result.exit_code == 2 and "--force" in result.stderr and "README.md" in result.stderr
    assert (tmp_path / "README.md").read_text() == "# my project\n"
    assert "frames" not in result.output  # refused before the progress bar


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["{tmp}/file"], "not a folder"),
        (["{tmp}/file/sub"], "Not a directory"),
        (["/proc/gallery"], "cannot create"),
        (["{tmp}/g", "--duration", "5"], "duration"),
        (["{tmp}/g", "--workers", "0"], "workers"),
    ],
)
def test_gallery_refusals(tmp_path, args, fragment):
    (tmp_path / "file").write_text("x")
    result = run("gallery", *[a.format(tmp=tmp_path) for a in args])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], result.stderr
