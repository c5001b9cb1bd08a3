"""Bounds of the renderer and the image commands, in process: every size is checked from the
arithmetic (or an image's header) before anything is built, refusals are ConvarithErrors
naming what lifts them, streaming holds a bounded number of frames, and the exact helpers
(percentile, PNG conversion, image reading) agree with direct computations."""

import io
import os
import struct
import time
import weakref
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

import convarith
from convarith import images, kernels, limits, render
from convarith.errors import ConvarithError, InputFileError, LimitError
from convarith.layers import make_layer
from convarith.render import encode
from convarith.render import gallery as g
from convarith.render.geometry import Progression, axis_layout, plane_layouts
from convarith.render.raster import Rasterizer

# -- building images on the fly (nothing big is committed) -----------------------------------


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def zeros_deflate(n: int, block: int = 1 << 20) -> bytes:
    """A zlib stream of ``n`` zero bytes, built in milliseconds: after a full flush deflate
    restarts, so one compressed block of zeros repeats; the Adler-32 of zeros is closed-form."""
    if n < 3 * block:
        return zlib.compress(bytes(n), 9)
    comp = zlib.compressobj(9)
    first = comp.compress(bytes(block)) + comp.flush(zlib.Z_FULL_FLUSH)
    middle = comp.compress(bytes(block)) + comp.flush(zlib.Z_FULL_FLUSH)
    count, rest = divmod(n, block)
    tail = comp.compress(bytes(rest)) + comp.flush()
    return first + middle * (count - 1) + tail[:-4] + (((n % 65521) << 16) | 1).to_bytes(4, "big")


def bomb_png(width: int, height: int, bits: int = 16, colour_type: int = 6, data: bool = True) -> bytes:
    """A valid PNG of zeros that decodes to width x height pixels; KBs on disk."""
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour_type]
    raw = height * (1 + (width * channels * bits + 7) // 8)
    header = struct.pack(">IIBBBBB", width, height, bits, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zeros_deflate(raw) if data else b"\x78\x9c")
        + _chunk(b"IEND", b"")
    )


def saved(image: Image.Image, fmt: str = "PNG", **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def test_the_bomb_builder_makes_the_issues_file():
    data = bomb_png(10000, 10000)
    assert len(data) < 1_000_000  # the issue's 778 KB file
    with images._pillow_limit(), Image.open(io.BytesIO(data)) as image:
        assert image.size == (10000, 10000) and image.mode == "RGBA"
    assert zlib.decompress(zeros_deflate(5 * 2**20 + 3)) == bytes(5 * 2**20 + 3)


# -- animate: the gate comes first -----------------------------------------------------------


@pytest.mark.parametrize(
    "layer, spatial, fragment",
    [
        (convarith.Conv(1), (3_000_000_000,), "3,000,000,000 frames"),
        (convarith.Conv(1), (60_000, 60_000), "--force"),
        (convarith.Conv(3, padding=10**12), (3, 3), "frames"),
        (convarith.ConvTranspose(3, stride=10**12), (2, 2), "frames"),
        (convarith.Conv(999_999_999), (10**9, 10**9), "px on a side"),
        (convarith.Conv(3, dilation=10**6), (2 * 10**6 + 1,), "px on a side"),
        (convarith.MaxPool(2), (10**15, 2), "frames"),
    ],
)
def test_huge_animations_are_refused_at_once(layer, spatial, fragment):
    start = time.perf_counter()
    with pytest.raises(LimitError, match=fragment):
        render.scene(layer, spatial)
    assert time.perf_counter() - start < 0.5


@pytest.mark.parametrize(
    "layer, spatial",
    [
        (convarith.Conv(1), (3_000_000_000,)),
        (convarith.Conv(3, padding=10**12), (3, 3)),
        (convarith.Conv(1), (2000, 2000)),
    ],
)
def test_force_lifts_counts_but_not_memory(layer, spatial):
    start = time.perf_counter()
    with pytest.raises(ConvarithError, match="can be drawn|--max-memory"):
        render.scene(layer, spatial, force=True)
    assert time.perf_counter() - start < 0.5


def test_budgets_are_read_at_call_time(monkeypatch):
    monkeypatch.setattr(limits, "frames", 8)
    with pytest.raises(LimitError, match="9 frames.*over 8"):
        render.scene(convarith.Conv(3), (5, 5))
    monkeypatch.setattr(limits, "frames", 400)
    monkeypatch.setattr(limits, "side", 200)
    with pytest.raises(LimitError, match="over 200"):
        render.scene(convarith.Conv(3), (5, 5))
    monkeypatch.setattr(limits, "side", 4096)
    monkeypatch.setattr(limits, "output_bytes", 2**20)
    with pytest.raises(LimitError, match="--max-memory"):
        render.scene(convarith.Conv(3), (5, 5))


def test_huge_stride_with_values_draws_one_frame(tmp_path):
    scene = render.scene(convarith.Conv(3, stride=10**12), (5, 5), values=True)
    assert len(scene.frames) == 1
    render.save(scene, tmp_path / "one.gif")
    with Image.open(tmp_path / "one.gif") as image:
        assert image.n_frames == 1


@settings(max_examples=200, deadline=None)
@given(
    start=st.integers(-(10**15), 10**15),
    count=st.integers(0, 40),
    step=st.integers(1, 10**12),
    probe=st.integers(-(10**15), 10**15),
)
def test_progressions_are_the_tuples_they_stand_for(start, count, step, probe):
    p = Progression(start, count, step)
    t = tuple(start + k * step for k in range(count))
    assert p == t and len(p) == len(t) and tuple(p) == t
    assert (probe in p) == (probe in t)
    if count:
        assert p[-1] == t[-1] and p.index(t[count // 2]) == count // 2
        assert p[1:] == t[1:]


def test_layouts_of_huge_axes_cost_nothing():
    start = time.perf_counter()
    ax = convarith.ConvTranspose(3, stride=10**12, padding=1).arithmetic((10**6,))[0]
    lay = axis_layout(ax)
    assert lay.units[1] - lay.units[0] == 10**12 and len(lay.units) == 10**6
    assert lay.output == ax.output and lay.cells >= ax.output
    rows, cols = plane_layouts(convarith.Conv(1).arithmetic((10**12, 10**12)))
    assert rows.output * cols.output == 10**24
    assert time.perf_counter() - start < 0.1


def test_frames_are_built_on_demand():
    scene = render.scene(convarith.Conv(1), (21, 21), force=True)
    assert len(scene.frames) == 441
    assert scene.frames[-1].moving == scene.frames[440].moving
    assert len(scene.frames[3:7]) == 4
    with pytest.raises(IndexError):
        scene.frames[441]


# -- GIF streaming ------------------------------------------------------------------------------


def test_gif_frames_are_streamed_two_at_a_time(tmp_path):
    """The writer keeps copies of at most two frames: a generator's frames are released as
    soon as the next one is drawn, so memory does not grow with the frame count."""
    alive, peak = [], []

    def frames():
        for k in range(30):
            frame = np.zeros((40, 50), dtype=np.uint8)
            frame[k : k + 5, k : k + 7] = 1 + k % 3
            alive.append(weakref.ref(frame))
            peak.append(sum(ref() is not None for ref in alive))
            yield frame

    colours = [(255, 255, 255), (0, 0, 0), (200, 0, 0), (0, 200, 0)]
    encode.write_gif(tmp_path / "s.gif", frames(), colours, 100)
    assert max(peak) <= 2
    with Image.open(tmp_path / "s.gif") as image:
        assert image.n_frames == 30


def test_gif_writer_round_trips_and_merges_repeated_frames(tmp_path):
    rng = np.random.default_rng(5)
    colours = [tuple(int(v) for v in rng.integers(0, 256, 3)) for _ in range(7)]
    frames = [rng.integers(0, 7, size=(17, 23), dtype=np.uint8) for _ in range(4)]
    frames.insert(2, frames[1].copy())  # a repeat: the frame before is shown twice as long
    encode.write_gif(tmp_path / "r.gif", iter(frames), colours, 120)
    table = np.array(colours, dtype=np.uint8)
    with Image.open(tmp_path / "r.gif") as image:
        assert image.n_frames == 4 and image.info["loop"] == 0
        durations = []
        for k, expected in enumerate([frames[0], frames[1], frames[3], frames[4]]):
            image.seek(k)
            durations.append(image.info["duration"])
            assert np.array_equal(np.asarray(image.convert("RGB")), table[expected]), k
    assert durations == [120, 240, 120, 120]


def test_a_legal_animation_streams_to_the_same_pixels(tmp_path):
    scene = render.scene(convarith.Conv(3, stride=2, padding=1, dilation=2), (7, 9), style="flat", values=True)
    path = tmp_path / "v.gif"
    render.save(scene, path)
    drawn = Rasterizer(scene)
    with Image.open(path) as image:
        for k, frame in enumerate(drawn.frames()):
            image.seek(k)
            assert np.array_equal(np.asarray(image.convert("RGB")), drawn.colours()[frame]), k


def test_contact_sheet_and_stills_are_budgeted(tmp_path, monkeypatch):
    scene = render.scene(convarith.Conv(3), (5, 5))
    monkeypatch.setattr(limits, "output_bytes", 24 * 2**20)  # the canvas fits, the 3x3 sheet does not
    with pytest.raises(LimitError, match="contact sheet"):
        render.save(scene, tmp_path / "s.png", sheet=True)
    assert list(tmp_path.iterdir()) == []


# -- images: header first ------------------------------------------------------------------------


def test_bomb_is_refused_from_its_header(tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(bomb_png(10000, 10000))
    start = time.perf_counter()
    with pytest.raises(LimitError, match="too large.*--max-memory"):
        images.read(path)
    with pytest.raises(LimitError, match="too large.*--max-memory"):
        images.inspect(path, max_pixels=10**12)
    assert time.perf_counter() - start < 1.0
    path.write_bytes(bomb_png(2**31 - 1, 2**31 - 1, bits=8, colour_type=0, data=False))
    with pytest.raises(LimitError, match="too large.*--max-pixels"):
        images.read(path)


def test_max_pixels_lifts_pillows_own_limit_for_that_read_only(tmp_path, monkeypatch):
    path = tmp_path / "grey.png"
    pixels = np.arange(100 * 120, dtype=np.uint32).reshape(100, 120) % 251
    path.write_bytes(saved(Image.fromarray(pixels.astype(np.uint8))))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # Pillow alone would refuse this image
    values = images.read(path, max_pixels=20_000)
    assert np.array_equal(values[0], pixels / 255)
    assert Image.MAX_IMAGE_PIXELS == 1000  # restored
    monkeypatch.setattr(limits, "image_pixels", 5000)
    with pytest.raises(LimitError, match="12,000 pixels.*--max-pixels"):
        images.read(path)
    monkeypatch.setattr(limits, "image_pixels", 10**8)
    monkeypatch.setattr(limits, "image_bytes", 50_000)
    with pytest.raises(LimitError, match="too large.*--max-memory"):
        images.read(path)


def _expected(image: Image.Image) -> np.ndarray:
    """Direct computation: Pillow's array, alpha dropped, divided by the sample maximum."""
    arr = np.asarray(image)
    if image.mode in ("I;16", "I;16B", "I;16L"):
        return arr[None] / 65535
    if image.mode == "1":
        return arr[None].astype(float)
    if image.mode == "L":
        return arr[None] / 255
    if image.mode == "LA":
        return arr[None, ..., 0] / 255
    return np.moveaxis(arr[..., :3], -1, 0) / 255


@pytest.mark.parametrize("mode", ["L", "I;16", "RGB", "RGBA", "LA", "1", "P", "CMYK"])
def test_every_mode_reads_as_pillow_decodes_it(tmp_path, mode):
    rng = np.random.default_rng(3)
    base = Image.fromarray(rng.integers(0, 256, size=(9, 13, 3), dtype=np.uint8))
    if mode == "I;16":
        image = Image.fromarray(rng.integers(0, 65536, size=(9, 13), dtype=np.uint16))
    elif mode == "P":
        image = base.convert("P")
    else:
        image = base.convert(mode)
    fmt = "JPEG" if mode == "CMYK" else "PNG"
    path = tmp_path / f"x.{fmt.lower()}"
    path.write_bytes(saved(image, fmt))
    with Image.open(path) as reread:
        reread.load()
        expected = _expected(reread.convert("RGB") if reread.mode in ("P", "CMYK") else reread)
    values = images.read(path)
    assert values.dtype == np.float64 and values.flags.c_contiguous
    assert np.array_equal(values, expected)
    assert images.inspect(path).channels == values.shape[0]


def test_only_the_first_frame_of_an_animation_is_read(tmp_path):
    frames = [Image.fromarray(np.full((6, 8), 40 * k, dtype=np.uint8)) for k in range(1, 5)]
    for fmt in ("GIF", "TIFF"):
        path = tmp_path / f"a.{fmt.lower()}"
        path.write_bytes(saved(frames[0], fmt, save_all=True, append_images=frames[1:]))
        values = images.read(path)
        assert values.shape[1:] == (6, 8) and np.allclose(values, 40 / 255)


@pytest.mark.parametrize(
    "case, fragment",
    [
        ("truncated", "not a readable image"),
        ("folder", "is a folder"),
        ("text", "not a readable image"),
        ("missing", "does not exist"),
        ("newline", "not a readable image"),
    ],
)
def test_unreadable_images_are_one_line(tmp_path, case, fragment):
    good = saved(Image.fromarray(np.random.default_rng(0).integers(0, 256, (40, 40, 3), dtype=np.uint8)))
    path = tmp_path / ("bad\nname.png" if case == "newline" else "x.png")
    if case == "truncated":
        path.write_bytes(good[: len(good) // 2])
    elif case == "folder":
        path.mkdir()
    elif case in ("text", "newline"):
        path.write_bytes(b"just some text")
    with pytest.raises(InputFileError, match=fragment) as info:
        images.read(path)
    assert "\n" not in str(info.value)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_damaged_images_give_an_array_or_a_refusal(tmp_path, data):
    good = bytearray(saved(Image.fromarray(np.arange(30 * 20, dtype=np.uint16).reshape(20, 30) % 256 * 200)))
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(0, len(good) - 1))
        good[at] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(8, len(good)))
    path = tmp_path / "fuzz.png"
    path.write_bytes(bytes(good[:cut]))
    try:
        values = images.read(path)
    except ConvarithError:
        return
    assert values.ndim == 3 and np.isfinite(values).all()


# -- exact helpers -----------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(
    shape=st.tuples(st.integers(1, 3), st.integers(1, 30), st.integers(1, 30)),
    seed=st.integers(0, 2**32 - 1),
    zeros=st.floats(0, 1),
    scale=st.integers(-300, 300),
    q=st.sampled_from([99.5, 50.0, 0.0, 100.0, 12.5]),
    layout=st.sampled_from(["C", "F", "strided"]),
)
def test_percentile_is_numpys_exactly(shape, seed, zeros, scale, q, layout):
    rng = np.random.default_rng(seed)
    x = np.abs(rng.standard_normal(shape)) * 10.0**scale
    x[rng.random(shape) < zeros] = 0.0
    expected = np.percentile(x, q)
    if layout == "F":
        x = np.asfortranarray(x)
    elif layout == "strided":
        x = np.repeat(x, 2, axis=2)[:, :, ::2]
    images.SELECT_GATHER_BYTES, saved_gather = 0, images.SELECT_GATHER_BYTES  # every radix pass runs
    try:
        assert images.percentile_of_magnitude(x, q) == expected
    finally:
        images.SELECT_GATHER_BYTES = saved_gather
    assert images.percentile_of_magnitude(x, q) == expected


@settings(max_examples=80, deadline=None)
@given(
    shape=st.tuples(st.sampled_from([1, 3]), st.integers(1, 20), st.integers(1, 20)),
    seed=st.integers(0, 2**32 - 1),
    signed=st.booleans(),
)
def test_for_viewing_is_the_direct_formula(shape, seed, signed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape) * 3
    if signed:
        m = np.abs(x)
        peak = np.percentile(m, 99.5)
        direct = np.round(np.clip(m / peak if peak > 0 else m, 0, 1) * 255).astype(np.uint8)
    else:
        direct = np.round(np.clip(x, 0, 1) * 255).astype(np.uint8)
    direct = np.moveaxis(direct, 0, -1)
    direct = direct[..., 0] if shape[0] == 1 else direct
    assert np.array_equal(images.for_viewing(x.copy(), signed), direct)
    strided = np.repeat(x, 2, axis=1)[:, ::2]
    assert np.array_equal(images.for_viewing(strided, signed, in_place=True), direct)


def test_grey_is_bt601(tmp_path):
    rng = np.random.default_rng(2)
    x = rng.random((3, 4, 5))
    assert np.allclose(images.grey(x)[0], 0.299 * x[0] + 0.587 * x[1] + 0.114 * x[2], rtol=0, atol=1e-15)
    path = tmp_path / "c.png"
    rgb = rng.integers(0, 256, (7, 9, 3), dtype=np.uint8)
    path.write_bytes(saved(Image.fromarray(rgb)))
    direct = (0.299 * (rgb[..., 0] / 255)) + (0.587 * (rgb[..., 1] / 255)) + (0.114 * (rgb[..., 2] / 255))
    assert np.array_equal(images.read(path, grey=True)[0], direct)
    assert np.array_equal(images.read(path, grey=True), images.grey(images.read(path)))


# -- kernels --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("1e999 1\n", "finite"),
        ("nan 0\n", "finite"),
        ("1 2\n3\n", "same number"),
        ("x\n", "not a numeric"),
    ],
)
def test_kernel_text_files(tmp_path, text, fragment):
    path = tmp_path / "k.txt"
    path.write_text(text)
    with pytest.raises(InputFileError, match=fragment):
        kernels.load(path)


def test_kernel_npy_is_sized_from_its_header(tmp_path, monkeypatch):
    path = tmp_path / "k.npy"
    np.save(path, np.ones((300, 300)))
    monkeypatch.setattr(limits, "temporary_bytes", 100_000)
    with pytest.raises(LimitError, match="--max-memory"):
        kernels.load(path)
    np.save(path, np.array([[1 + 2j]]))
    monkeypatch.setattr(limits, "temporary_bytes", 2**29)
    with pytest.raises(InputFileError, match="real numbers"):
        kernels.load(path)
    assert np.array_equal(kernels.load(_npy(tmp_path, np.array([[1, 2]], dtype=np.int8))), [[1.0, 2.0]])


def _npy(folder, array):
    path = folder / "ok.npy"
    np.save(path, array)
    return path


# -- gallery: all or nothing ---------------------------------------------------------------------


def _failing_save(kind):
    original = render.save

    def save(scene, path, **options):
        if os.path.basename(str(path)).startswith("dilation"):
            if kind == "shape":
                raise convarith.ShapeError("x", "refused inside a worker")
            if kind == "bug":
                raise RuntimeError("two\nlines")
            os._exit(3)  # a worker dying outright
        return original(scene, path, **options)

    return save


@pytest.mark.parametrize(
    "kind, fragment",
    [("shape", "refused inside a worker"), ("bug", "RuntimeError: two lines"), ("exit", "stopped unexpectedly")],
)
def test_a_failing_worker_is_one_error_and_leaves_the_old_gallery(tmp_path, monkeypatch, kind, fragment):
    import multiprocessing

    folder = tmp_path / "g"
    folder.mkdir()
    (folder / "README.md").write_text(f"# Gallery\n\n{g.INDEX_MARK}; old\n")
    (folder / "dilation.gif").write_bytes(b"old")
    monkeypatch.setattr(render, "save", _failing_save(kind))  # workers are forked: they see it
    with pytest.raises(ConvarithError, match=fragment) as info:
        g.build(folder, workers=2)
    assert "\n" not in str(info.value)
    assert sorted(p.name for p in folder.iterdir()) == ["README.md", "dilation.gif"]
    assert (folder / "dilation.gif").read_bytes() == b"old"
    assert multiprocessing.active_children() == []


def test_a_failed_new_gallery_leaves_no_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(render, "save", _failing_save("shape"))
    with pytest.raises(ConvarithError):
        g.build(tmp_path / "new", workers=1)
    assert list(tmp_path.iterdir()) == []


def test_stale_staging_of_a_killed_run_is_removed(tmp_path):
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = tmp_path / f"{g.STAGING}{int(dead.stdout)}-abc"
    stale.mkdir()
    (stale / ".x.gif").write_bytes(b"partial")
    mine = tmp_path / f"{g.STAGING}{os.getpid()}-def"
    mine.mkdir()
    g.remove_stale_staging(tmp_path)
    assert not stale.exists() and mine.exists()


# -- fuzz: the API entry points ----------------------------------------------------------------

SIZES = st.one_of(st.integers(-3, 12), st.integers(10**6, 10**15), st.sampled_from([np.int64(3), True, 2.5, None]))


@settings(max_examples=150, deadline=None)
@given(
    op=st.sampled_from(["conv", "conv_transpose", "max_pool", "avg_pool"]),
    k=SIZES,
    s=SIZES,
    p=SIZES,
    d=SIZES,
    i=st.lists(SIZES, min_size=1, max_size=3),
    values=st.booleans(),
    style=st.sampled_from(["dumoulin", "flat", "x"]),
    force=st.booleans(),
)
def test_scene_gives_a_scene_or_a_convarith_error(op, k, s, p, d, i, values, style, force):
    params = {"kernel_size": 3 if k is None else k, "stride": s, "padding": p, "dilation": d}
    params = {name: v for name, v in params.items() if v is not None}
    if op == "avg_pool":
        params.pop("dilation", None)
    try:
        layer = make_layer(op, **params)
        start = time.perf_counter()
        scene = render.scene(layer, tuple(i), values=values, style=style, force=force and not values)
    except ConvarithError:
        return
    assert len(scene.frames) >= 1 and scene.width > 0 and scene.height > 0
    assert time.perf_counter() - start < 5


def test_icons_are_not_opened(tmp_path):
    """Pillow's ICO plugin decodes the embedded image while opening: before any size check."""
    from PIL import Image

    path = tmp_path / "x.ico"
    Image.new("RGB", (16, 16)).save(path)
    with pytest.raises(convarith.ConvarithError, match="not a readable image"):
        images.read(path)
