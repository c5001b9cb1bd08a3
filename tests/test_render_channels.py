"""The channel view: its connections against convarith.functional (validated against torch's
golden data elsewhere) and live torch where importable, its frames and cell map against the
shape engine and a brute-force sum, its pixels, its command line and its limits."""

import time
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import convarith
from convarith import functional as F
from convarith import limits, render
from convarith.cli import app
from convarith.errors import ConvarithError, LimitError
from convarith.layers import make_layer
from convarith.render import channels
from convarith.render.cells import PlaneCells
from convarith.render.channels import ChannelLayout, channel_layout
from convarith.render.raster import Rasterizer

ENV = {"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}
runner = CliRunner()

# Solarized, as the issue and drawing.py name them; 40% of base02 over a colour is "shaded".
WHITE, BLUE, CYAN, BASE02 = (255, 255, 255), (38, 139, 210), (42, 161, 152), (7, 54, 66)
VIOLET, MAGENTA = (108, 113, 196), (211, 54, 130)


def shaded(colour):
    return tuple(round(0.6 * c + 0.4 * s) for c, s in zip(colour, BASE02, strict=True))


def run(*args):
    return runner.invoke(app, [str(a) for a in args], env=ENV)


# (in, out, groups): dense, grouped, depthwise, depthwise with a multiplier, more groups than colours
CHANNELS = [(3, 2, 1), (4, 2, 2), (3, 3, 3), (2, 6, 2), (4, 8, 4), (8, 8, 8), (1, 1, 1)]


def one_hot_connections(layout, transposed):
    """{(output channel, slot, input channel)} whose weight slice carries input channel c to
    output channel o, found by convolving one-hot inputs with one-hot weights in functional."""
    cin, cout, g = layout.in_channels, layout.out_channels, layout.groups
    x = np.zeros((cin, cin, 4, 4))  # sample b holds ones on channel b only
    for b in range(cin):
        x[b, b] = 1.0
    found = set()
    for o in range(cout):
        for slot in range(cin // g):
            shape = (cin, cout // g, 3, 3) if transposed else (cout, cin // g, 3, 3)
            w = np.zeros(shape)
            w[layout.weight_index(o, slot)] = 1.0
            y = F.conv_transpose(x, w, groups=g) if transposed else F.conv(x, w, padding=1, groups=g)
            for b, out_channel in zip(*np.nonzero(np.abs(y).sum(axis=(2, 3))), strict=True):
                found.add((int(out_channel), slot, int(b)))
    return found


# -- which input channels each output channel reads ---------------------------------------------


@pytest.mark.parametrize("transposed", [False, True], ids=["conv", "transposed"])
@pytest.mark.parametrize("cin, cout, groups", CHANNELS)
def test_connections_are_the_ones_functional_computes(cin, cout, groups, transposed):
    layout = ChannelLayout(cin, cout, groups, transposed)
    expected = one_hot_connections(layout, transposed)
    drawn = {(o, slot, c) for o in range(cout) for slot, c in enumerate(layout.reads(o))}
    assert drawn == expected
    for c in range(cin):  # readers is reads turned round
        assert set(layout.readers(c)) == {o for o in range(cout) if c in layout.reads(o)}
    assert layout.kernels == len(drawn)


@pytest.mark.parametrize("transposed", [False, True], ids=["conv", "transposed"])
@pytest.mark.parametrize("cin, cout, groups", CHANNELS)
def test_connections_are_the_ones_torch_computes(cin, cout, groups, transposed):
    torch = pytest.importorskip("torch")
    layout = ChannelLayout(cin, cout, groups, transposed)
    module = (torch.nn.ConvTranspose2d if transposed else torch.nn.Conv2d)(cin, cout, 3, groups=groups, bias=False)
    x = torch.zeros(cin, cin, 4, 4, dtype=torch.float64)
    for b in range(cin):
        x[b, b] = 1.0
    found = set()
    with torch.no_grad():
        module = module.double()
        for o in range(cout):
            for slot in range(cin // groups):
                module.weight.zero_()
                module.weight[layout.weight_index(o, slot)] = 1.0  # torch's own weight layout
                y = module(x).abs().sum(dim=(2, 3))
                found |= {(int(out_channel), slot, int(b)) for b, out_channel in torch.nonzero(y).tolist()}
    assert found == {(o, slot, c) for o in range(cout) for slot, c in enumerate(layout.reads(o))}


def test_the_rule_for_which_layers_are_drawn_by_channels():
    assert channel_layout(convarith.Conv(3, in_channels=4, out_channels=6, groups=2)) == ChannelLayout(4, 6, 2)
    assert channel_layout(convarith.ConvTranspose(3, in_channels=2, out_channels=2)).transposed
    assert channel_layout(convarith.Conv(3)) is None
    assert channel_layout(convarith.MaxPool(2)) is None
    assert isinstance(render.scene(convarith.Conv(3), (5, 5)).cells, PlaneCells)  # the one-plane view as before
    with pytest.raises(convarith.ShapeError) as error:
        render.scene(convarith.Conv(3, groups=2), (5, 5))
    assert error.value.parameter == "groups" and "in_channels and out_channels" in error.value.rule
    for only, missing in (({"in_channels": 3}, "out_channels"), ({"out_channels": 3}, "in_channels")):
        with pytest.raises(convarith.ShapeError) as error:
            render.scene(convarith.Conv(3, **only), (5, 5))
        assert error.value.parameter == missing
    with pytest.raises(convarith.ShapeError) as error:
        render.scene(convarith.Conv(3, in_channels=2, out_channels=2), (5, 5), values=True)
    assert error.value.parameter == "values"


@pytest.mark.parametrize(
    "args, parameter",
    [
        ((3, 2, 2), "in_channels"),  # torch: in_channels must be divisible by groups
        ((4, 3, 2), "out_channels"),  # torch: out_channels must be divisible by groups
        ((0, 2, 1), "in_channels"),
        ((2, 2, 0), "groups"),
        ((2, True, 1), "out_channels"),
    ],
)
def test_layouts_refuse_what_torch_refuses(args, parameter):
    with pytest.raises(convarith.ShapeError) as error:
        ChannelLayout(*args)
    assert error.value.parameter == parameter
    if parameter != "groups" and args[0] > 0 and args[1] is not True:
        assert "divisible by groups" in error.value.rule
    with pytest.raises(convarith.ShapeError):
        convarith.Conv(3, in_channels=args[0], out_channels=args[1], groups=args[2])


# -- frames and the cell map against the engine ----------------------------------------------------

LAYERS = [
    (convarith.Conv(3, in_channels=3, out_channels=2), (5, 5)),
    (convarith.Conv(3, in_channels=4, out_channels=2, groups=2), (5, 5)),
    (convarith.Conv(3, in_channels=3, out_channels=3, groups=3), (4, 5)),
    (
        convarith.Conv((3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2), in_channels=2, out_channels=4, groups=2),
        (6, 5),
    ),
    (convarith.Conv(3, stride=2, padding=1, in_channels=3, out_channels=2), (8,)),
    (convarith.Conv(3, padding="SAME", stride=2, in_channels=2, out_channels=2, groups=2, framework="tf"), (4, 4)),
    (
        convarith.ConvTranspose(3, stride=2, padding=1, output_padding=1, in_channels=2, out_channels=4, groups=2),
        (3, 3),
    ),
    (convarith.ConvTranspose(2, stride=2, dilation=2, in_channels=3, out_channels=2), (3,)),
]


def _framework_output(layer, x, weights):
    common = dict(stride=layer.stride, padding=layer.padding, dilation=layer.dilation, groups=layer.groups)
    if layer.op == "conv":
        return F.conv(x, weights, framework=layer.framework, **common)
    return F.conv_transpose(x, weights, output_padding=layer.output_padding, **common)


@pytest.mark.parametrize("layer, spatial", LAYERS, ids=[f"{layer!r}-{spatial}" for layer, spatial in LAYERS])
def test_steps_reproduce_the_convolution(layer, spatial):
    """Summing, frame by frame, input cells read times the kernel cells paired with them gives
    functional's grouped convolution: the cell map says exactly what each output reads."""
    scene = render.scene(layer, spatial)
    cells = scene.cells
    layout = channel_layout(layer)
    rng = np.random.default_rng(3)
    kernel = tuple(layer.kernel_size if isinstance(layer.kernel_size, tuple) else (layer.kernel_size,) * len(spatial))
    x = rng.integers(-3, 4, size=(layer.in_channels, *spatial)).astype(float)
    g = layer.groups
    w_shape = (
        (layer.out_channels, layer.in_channels // g)
        if layer.op == "conv"
        else (layer.in_channels, layer.out_channels // g)
    )
    w = rng.integers(-2, 3, size=(*w_shape, *kernel)).astype(float)
    expected = _framework_output(layer, x[None], w)[0]
    axes = layer.arithmetic(spatial)
    positions = int(np.prod([ax.output for ax in axes]))
    assert cells.frames == len(scene.frames) == layer.out_channels * positions
    rows, cols = cells.rows, cells.cols
    got = np.zeros(expected.shape)
    for k in range(cells.frames):
        step = cells.step(k)
        out_channel, position = divmod(k, positions)  # output channel major, then raster order
        out_index = np.unravel_index(position, expected.shape[1:])
        assert step.writes == (f"out.{out_channel}", *((0,) if len(spatial) == 1 else ()), *map(int, out_index))
        assert len(step.reads) == len(step.kernel) == (layer.in_channels // g) * int(np.prod(kernel))
        total = 0.0
        for (plane, r, c), (kernel_plane, a, b) in zip(step.reads, step.kernel, strict=True):
            kind, channel = plane.split(".")
            _, kernel_out, slot = kernel_plane.split(".")
            assert kind == "in" and int(kernel_out) == out_channel
            assert int(channel) == layout.reads(out_channel)[int(slot)]
            if not cells.holds_value((plane, r, c)):
                continue
            where = (cols.units.index(c),) if len(spatial) == 1 else (rows.units.index(r), cols.units.index(c))
            tap = (b,) if len(spatial) == 1 else (a, b)
            if layer.op == "conv_transpose":  # the drawn direct convolution applies the flipped kernel
                tap = tuple(n - 1 - t for n, t in zip(kernel, tap, strict=True))
            total += x[(int(channel), *where)] * w[(*layout.weight_index(out_channel, int(slot)), *tap)]
        got[(out_channel, *out_index)] = total
    np.testing.assert_allclose(got, expected)


def test_reads_are_the_engines_windows_on_the_read_planes_only():
    layer = convarith.Conv(3, stride=2, padding=1, dilation=2, in_channels=4, out_channels=6, groups=2)
    scene = render.scene(layer, (7, 6))
    axes = layer.arithmetic((7, 6))
    positions = axes[0].output * axes[1].output
    for k in range(len(scene.frames)):
        out_channel, position = divmod(k, positions)
        i, j = divmod(position, axes[1].output)
        group = out_channel // 3  # out/groups = 3 output channels a group
        read = {
            (f"in.{c}", i * 2 + a * 2, j * 2 + b * 2)
            for c in (2 * group, 2 * group + 1)
            for a in range(3)
            for b in range(3)
        }
        assert set(scene.cells.step(k).reads) == read
    for c in range(4):  # holds_value: the padded input's inner cells
        for r in range(9):
            for col in range(8):
                assert scene.cells.holds_value((f"in.{c}", r, col)) == (1 <= r < 8 and 1 <= col < 7)


def test_planes_are_named_sized_and_outlined_as_drawn():
    layer = convarith.Conv((3, 2), padding=(1, 0), in_channels=4, out_channels=2, groups=2)
    scene = render.scene(layer, (5, 6))
    planes = list(scene.cells.planes)
    assert len(scene.cells.planes) == len(planes) == 4 + 2 + 2 * 2
    assert [p.name for p in planes] == [
        "in.0", "in.1", "in.2", "in.3", "out.0", "out.1", "kernel.0.0", "kernel.0.1", "kernel.1.0", "kernel.1.1",
    ]  # fmt: skip
    ax = layer.arithmetic((5, 6))
    for p in planes:
        size = {
            "input": (5 + 2, 6),
            "output": (ax[0].output, ax[1].output),
            "kernel": (3, 2),
        }[p.role]
        assert (p.rows, p.cols) == size, p
    assert planes[8].label == "kernel of output channel 1 on input channel 2"
    for p in planes:  # each cell's outline is centred where the scene says the cell is
        for r, c in ((0, 0), (p.rows - 1, p.cols - 1)):
            outline = scene.cells.outline((p.name, r, c))
            centre = (sum(x for x, _ in outline) / 4, sum(y for _, y in outline) / 4)
            assert np.allclose(centre, scene.centre(p.name, r, c), atol=0.5)
            assert all(0 <= x <= scene.width and 0 <= y <= scene.height for x, y in outline)
    with pytest.raises(convarith.ShapeError, match="no plane"):
        scene.cells.outline(("in.4", 0, 0))


def test_planes_do_not_overlap():
    """Every cell's centre lies inside its own plane's outline and no other's."""
    for layer, spatial in LAYERS:
        scene = render.scene(layer, spatial)
        outlines = {
            p.name: scene.cells.outline((p.name, 0, 0))[:1]
            + scene.cells.outline((p.name, 0, p.cols - 1))[1:2]
            + scene.cells.outline((p.name, p.rows - 1, p.cols - 1))[2:3]
            + scene.cells.outline((p.name, p.rows - 1, 0))[3:]
            for p in scene.cells.planes
        }
        for p in scene.cells.planes:
            for r in range(p.rows):
                for c in range(p.cols):
                    point = scene.centre(p.name, r, c)
                    inside = {name for name, poly in outlines.items() if _inside(point, poly)}
                    assert inside == {p.name}, (layer, p.name, r, c, inside)


def _inside(point, polygon):
    x, y = point
    signs = set()
    for (x0, y0), (x1, y1) in zip(polygon, polygon[1:] + polygon[:1], strict=True):
        cross = (x1 - x0) * (y - y0) - (y1 - y0) * (x - x0)
        if abs(cross) > 1e-9:
            signs.add(cross > 0)
    return len(signs) == 1


# -- pixels ------------------------------------------------------------------------------------------


def colour_at(rasterizer, index, point, radius=2):
    """The most common colour around a point: a connecting line across a cell does not change it."""
    frame = rasterizer.frame(index)
    x, y = point
    patch = frame[y - radius : y + radius + 1, x - radius : x + radius + 1].ravel().tolist()
    return tuple(int(v) for v in rasterizer.colours()[Counter(patch).most_common(1)[0][0]])


@pytest.mark.parametrize("style", ["dumoulin", "flat"])
def test_footprints_are_shaded_on_the_read_planes_only(style):
    # 4 -> 2 channels in 2 groups: output channel 1 reads input channels 2 and 3 (group 1, violet)
    layer = convarith.Conv(3, padding=1, in_channels=4, out_channels=2, groups=2)
    scene = render.scene(layer, (4, 4), style=style)
    r = Rasterizer(scene)
    k = 16 + 5  # output channel 1, output (1, 1): window rows and columns 1..3 of the padded plane
    colours = {0: BLUE, 1: BLUE, 2: VIOLET, 3: VIOLET}
    for c, colour in colours.items():
        read = c in (2, 3)
        assert colour_at(r, k, scene.centre(f"in.{c}", 2, 2)) == (shaded(colour) if read else colour), c
        assert colour_at(r, k, scene.centre(f"in.{c}", 1, 1)) == (shaded(colour) if read else colour), c
        assert colour_at(r, k, scene.centre(f"in.{c}", 4, 4)) == colour  # an input cell outside the window
        assert colour_at(r, k, scene.centre(f"in.{c}", 0, 0)) == WHITE  # padding outside the window
    assert colour_at(r, k, scene.centre("out.1", 1, 1)) == shaded(CYAN)
    assert colour_at(r, k, scene.centre("out.1", 0, 0)) == CYAN
    assert colour_at(r, k, scene.centre("out.0", 1, 1)) == CYAN
    tint = {o: tuple(round(255 + 0.35 * (v - 255)) for v in colours[2 * o]) for o in (0, 1)}
    for slot in (0, 1):  # the current output channel's kernel slices, and not the other's
        assert colour_at(r, k, scene.centre(f"kernel.1.{slot}", 1, 1), 1) == shaded(tint[1])
        assert colour_at(r, k, scene.centre(f"kernel.0.{slot}", 1, 1), 1) == tint[0]
    assert colour_at(r, 0, scene.centre("in.0", 1, 1)) == shaded(BLUE)  # frame 0: output channel 0, (0, 0)
    assert colour_at(r, 0, scene.centre("in.2", 1, 1)) == VIOLET


def test_depthwise_one_d_and_dilation():
    layer = convarith.Conv(3, dilation=2, in_channels=3, out_channels=3, groups=3)
    scene = render.scene(layer, (7,))
    r = Rasterizer(scene)
    for k in range(len(scene.frames)):
        out_channel, j = divmod(k, 3)
        for c, colour in enumerate((BLUE, VIOLET, MAGENTA)):
            for col in range(7):
                tap = c == out_channel and col in (j, j + 2, j + 4)
                assert colour_at(r, k, scene.centre(f"in.{c}", 0, col)) == (shaded(colour) if tap else colour)


def test_gif_palette_and_frames(tmp_path):
    from PIL import Image

    layer = convarith.Conv(1, in_channels=7, out_channels=7, groups=7)  # more groups than colours
    scene = render.scene(layer, (2, 2))
    path = tmp_path / "depthwise.gif"
    render.save(scene, path, duration=100)
    with Image.open(path) as image:
        assert image.n_frames == 7 * 4 and (image.width, image.height) == (scene.width, scene.height)
    r = Rasterizer(scene)
    frames = list(r.frames())
    assert len(r.palette.colours) <= 255 and len(frames) == 28
    assert colour_at(r, 0, scene.centre("in.6", 0, 0)) == BLUE  # the colours come round again


# -- command line --------------------------------------------------------------------------------------


def test_cli_draws_the_channel_view(tmp_path):
    path = tmp_path / "grouped.gif"
    result = run(
        "animate", "conv", "-i", "5x5", "-k", "3", "--in-channels", "4", "--out-channels", "2", "-g", "2", "-o", path
    )
    assert result.exit_code == 0, result.output
    assert f"wrote {path}" in result.output and "18 frames" in result.output
    still = tmp_path / "dw.png"
    result = run(
        "animate", "conv", "-i", "1x3x5x5", "-k", "3", "--in-channels", "3", "--out-channels", "3", "--groups", "3",
        "-o", still, "--frame", "26",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "frame 26 of 27" in result.output
    svg = tmp_path / "dw.svg"
    result = run(
        "animate",
        "conv-transpose",
        "-i",
        "3",
        "-k",
        "3",
        "-s",
        "2",
        "--in-channels",
        "2",
        "--out-channels",
        "2",
        "-o",
        svg,
    )
    assert result.exit_code == 0, result.output
    assert b"input channel 1" in svg.read_bytes()


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--in-channels", "3", "--out-channels", "2", "-g", "2"], "in_channels=3 is not divisible by groups=2"),
        (["--in-channels", "4", "--out-channels", "3", "-g", "2"], "out_channels=3 is not divisible by groups=2"),
        (["--in-channels", "3", "--out-channels", "3", "-g", "0"], "groups"),
        (["-g", "2"], "in_channels and out_channels"),
        (["--in-channels", "3"], "out_channels"),
        (["--in-channels", "3", "--out-channels", "3", "--values"], "values"),
        (["--in-channels", "17", "--out-channels", "3"], "--force"),
        (["--in-channels", "2", "--out-channels", "16", "-p", "1"], "784 frames"),
        (["--in-channels", "0", "--out-channels", "3"], "in_channels"),
    ],
)
def test_cli_refusals_are_one_line_exit_2(tmp_path, args, fragment):
    result = run("animate", "conv", "-i", "6x6", "-k", "2", *args, "-o", tmp_path / "x.gif")
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0], result.stderr
    assert list(tmp_path.iterdir()) == []


def test_cli_channels_of_the_input_tensor_must_agree(tmp_path):
    result = run(
        "animate",
        "conv",
        "-i",
        "1x4x5x5",
        "-k",
        "3",
        "--in-channels",
        "3",
        "--out-channels",
        "3",
        "-o",
        tmp_path / "x.gif",
    )
    assert result.exit_code == 2 and "4 channels" in result.stderr
    result = run("animate", "max-pool", "-i", "5x5", "-k", "2", "-g", "2", "-o", tmp_path / "x.gif")
    assert result.exit_code == 2 and result.stderr.startswith("error: groups")


# -- limits: refused before anything is built ---------------------------------------------------------


@pytest.mark.parametrize(
    "layer, spatial, force, fragment",
    [
        (convarith.Conv(3, in_channels=10**9, out_channels=10**9), (5, 5), False, "16 channels"),
        (convarith.Conv(3, in_channels=2, out_channels=10**12, groups=2), (5, 5), False, "16 channels"),
        (convarith.Conv(3, in_channels=10**9, out_channels=10**9), (5, 5), True, "drawn|--max-memory"),
        (convarith.Conv(3, in_channels=10**15, out_channels=10**15, groups=10**15), (3, 3), True, "drawn|--max-memory"),
        (convarith.Conv(1, in_channels=16, out_channels=16), (6, 5), False, "480 frames"),
        (convarith.Conv(1, in_channels=2, out_channels=2), (10**9, 10**9), True, "drawn|--max-memory"),
        (convarith.Conv(1, in_channels=16, out_channels=16), (3, 3), False, "px on a side"),
    ],
)
def test_huge_channel_views_are_refused_at_once(layer, spatial, force, fragment):
    start = time.perf_counter()
    with pytest.raises(ConvarithError, match=fragment):
        render.scene(layer, spatial, force=force)
    assert time.perf_counter() - start < 0.5


def test_limits_are_read_at_call_time(monkeypatch):
    layer = convarith.Conv(3, in_channels=3, out_channels=2)
    monkeypatch.setattr(limits, "frames", 17)
    with pytest.raises(LimitError, match="18 frames"):
        render.scene(layer, (5, 5))
    assert len(render.scene(layer, (5, 5), force=True).frames) == 18
    monkeypatch.setattr(limits, "frames", 400)
    monkeypatch.setattr(channels, "MAX_CHANNELS", 2)
    with pytest.raises(LimitError, match="in_channels"):
        render.scene(layer, (5, 5))
    monkeypatch.setattr(channels, "MAX_CHANNELS", 16)
    monkeypatch.setattr(limits, "side", 300)
    with pytest.raises(LimitError, match="over 300"):
        render.scene(layer, (5, 5))
    monkeypatch.setattr(limits, "side", 4096)
    monkeypatch.setattr(limits, "output_bytes", 2**20)
    with pytest.raises(LimitError, match="--max-memory"):
        render.scene(layer, (5, 5))


def test_layout_and_cells_cost_nothing_per_channel():
    layout = ChannelLayout(10**12, 2 * 10**12, 10**12, transposed=True)
    assert layout.reads(2 * 10**12 - 1) == range(10**12 - 1, 10**12)
    assert layout.weight_index(3, 0) == (1, 1)
    assert layout.frame(10**15, 10**3) == (10**12, 0)
    with pytest.raises(convarith.ShapeError, match="frame"):
        layout.frame(2 * 10**15, 10**3)


COUNTS = st.one_of(st.integers(-1, 6), st.sampled_from([None, 16, 17, 10**6, 10**18]))


@settings(max_examples=120, deadline=None)
@given(
    op=st.sampled_from(["conv", "conv_transpose"]),
    in_channels=COUNTS,
    out_channels=COUNTS,
    groups=st.one_of(st.integers(0, 4), st.just(10**6)),
    k=st.integers(1, 4),
    s=st.integers(1, 3),
    p=st.integers(0, 2),
    spatial=st.lists(st.integers(1, 9), min_size=1, max_size=2),
    style=st.sampled_from(["dumoulin", "flat"]),
    force=st.booleans(),
)
def test_scene_gives_a_channel_view_or_a_convarith_error(
    op, in_channels, out_channels, groups, k, s, p, spatial, style, force
):
    start = time.perf_counter()
    try:
        layer = make_layer(
            op, kernel_size=k, stride=s, padding=p, groups=groups, in_channels=in_channels, out_channels=out_channels
        )
        scene = render.scene(layer, tuple(spatial), style=style, force=force)
    except ConvarithError:
        assert time.perf_counter() - start < 1
        return
    assert time.perf_counter() - start < 1
    if in_channels is None:
        assert isinstance(scene.cells, PlaneCells)
        return
    positions = int(np.prod(layer.output_shape(tuple(spatial))))
    assert len(scene.frames) == scene.cells.frames == out_channels * positions
    last = scene.cells.step(len(scene.frames) - 1)
    assert last.writes[0] == f"out.{out_channels - 1}"
    assert {cell[0] for cell in last.reads} == {f"in.{c}" for c in channel_layout(layer).reads(out_channels - 1)}
