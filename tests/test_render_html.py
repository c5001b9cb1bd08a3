"""The HTML player: what it embeds against the engine's own rules, and what it may not hold.

The windows are checked against the frameworks' definition of who reads what (a forward
window reads x = o*s - p + t*d; a transposed one writes o = x*s - p + t*d), written here
from the axis's numbers, not from the renderer's layout.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from itertools import product
from pathlib import Path

import pytest
from typer.testing import CliRunner
from windows import reads

import convarith
from convarith import AvgPool, Conv, ConvTranspose, MaxPool, ShapeError, limits
from convarith.cli import app
from convarith.errors import LimitError
from convarith.render.gallery import CANONICAL, ENTRIES
from convarith.render.player import player

CASES = {
    "stride-padding": (Conv(3, stride=2, padding=1), (5, 5), None),
    "dilation": (Conv(3, dilation=2), (7, 7), None),
    "rectangular": (Conv((3, 2), stride=(2, 1), padding=(1, 0)), (5, 7), None),
    "tf-same-stride": (Conv(3, stride=2, padding="SAME", framework="tf"), (6, 6), None),
    "transposed": (ConvTranspose(3, stride=2, padding=1, output_padding=1), (3, 3), None),
    "transposed-dilated": (ConvTranspose(3, dilation=2), (3, 3), None),
    "transposed-output-size": (ConvTranspose(4, stride=3, padding=1), (3, 3), (9, 9)),
    "tf-transposed-same": (ConvTranspose(3, stride=2, padding="SAME", framework="tf"), (3, 3), None),
    "max-pool-ceil": (MaxPool(2, ceil_mode=True), (5, 5), None),
    "avg-pool": (AvgPool(3, stride=1, padding=1), (5, 5), None),
    "conv-1d": (Conv(3, stride=2, padding=1), (8,), None),
    "conv-transpose-1d": (ConvTranspose(3, stride=2, padding=1), (4,), None),
    "pool-1d-dilated": (MaxPool(3, stride=2, padding=1, dilation=2), (9,), None),
}


class _Page(HTMLParser):
    """The hit cells (data-i -> attributes) and the embedded data of a player page."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: dict[int, dict[str, str]] = {}
        self.data: dict[str, object] = {}
        self.sources: list[str] = []
        self._in_data = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "polygon" and "data-i" in a:
            self.cells[int(a["data-i"])] = a
        if tag == "script" and a.get("class") == "data":
            self._in_data = True
        for name in ("src", "href"):
            if name in a:
                self.sources.append(a[name])
        if tag == "link":
            self.sources.append(a.get("href", ""))

    def handle_endtag(self, tag: str) -> None:
        self._in_data = False

    def handle_data(self, data: str) -> None:
        if self._in_data:
            self.data = json.loads(data)


def parse(text: str) -> _Page:
    page = _Page()
    page.feed(text)
    return page


def _index(name: str) -> tuple[int, ...]:
    numbers = re.fullmatch(r"(?:input|output) at \(?([\d, ]+)\)?", name)
    assert numbers, name
    return tuple(int(v) for v in numbers.group(1).split(","))


@pytest.mark.parametrize("case", CASES)
def test_every_window_is_the_engines(case: str) -> None:
    layer, spatial, output_size = CASES[case]
    axes = layer.arithmetic(spatial, output_size)
    page = parse(player(layer, spatial, output_size=output_size).page())
    names = page.data["names"]
    steps = page.data["steps"]
    assert isinstance(names, list) and isinstance(steps, list)
    outputs = list(product(*(range(ax.output) for ax in axes)))
    assert len(steps) == len(outputs)  # one frame per output position, in raster order
    taps = 1
    for ax in axes:
        taps *= ax.kernel_size
    for position, step in zip(outputs, steps, strict=True):
        assert page.cells[step["writes"]]["data-role"] == "output"
        assert _index(names[step["writes"]]) == position
        assert len(step["reads"]) == taps  # padding and inserted zeros are drawn in the window too
        units = {_index(names[i]) for i in step["reads"] if page.cells[i]["data-unit"] == "1"}
        expected = set(product(*(reads(ax, o) for ax, o in zip(axes, position, strict=True))))
        assert units == expected, (position, units, expected)


def test_the_page_needs_nothing_from_outside() -> None:
    text = ConvTranspose(3, stride=2, padding=1)
    page_text = player(text, (3, 3), values=True).page()
    page = parse(page_text)
    assert page.sources == []  # no src=, href= or <link>: scripts, styles and fonts are inline
    assert re.findall(r"https?://[^\s\"<>]*", page_text) == ["http://www.w3.org/2000/svg"]  # a namespace, never fetched
    assert "@font-face" not in page_text and "@import" not in page_text


def test_the_canonical_players_are_under_200_kb() -> None:
    sizes = {e.name: len(player(e.layer(), e.input).page().encode()) for e in CANONICAL}
    assert len(sizes) == 15
    assert max(sizes.values()) < 200_000, sizes


def _products(text: str) -> tuple[float, float]:
    left, result = text.rsplit(" = ", 1)
    total = sum(float(a) * float(b) for a, b in (term.split("\u00d7") for term in left.split(" + ")))
    return total, float(result)


@pytest.mark.parametrize("case", ["stride-padding", "dilation", "transposed", "conv-1d", "conv-transpose-1d"])
def test_values_show_the_window_products_summing_to_the_output(case: str) -> None:
    layer, spatial, output_size = CASES[case]
    shown = player(layer, spatial, values=True, output_size=output_size)
    windows = shown.caption.windows
    assert windows is not None and len(windows) == len(shown.scene.frames)  # type: ignore[union-attr]
    for text in windows:
        total, result = _products(text)
        assert total == result, text  # small integers: exact


def test_pool_values_show_the_window() -> None:
    shown = player(MaxPool(3, stride=1), (5, 5), values=True)
    assert shown.caption.windows is not None
    for text in shown.caption.windows:
        numbers = [float(v) for v in re.findall(r"[\d.]+", text)]
        assert max(numbers[:-1]) == numbers[-1], text
    average = player(AvgPool(3, stride=1, padding=1), (5, 5), values=True).caption.windows
    assert average is not None
    for text in average:
        left, result = text.rsplit(" = ", 1)
        terms, count = left.rsplit(" / ", 1)
        values = [float(v) for v in terms.strip("()").split(" + ")]
        assert len(values) == int(count) == 9  # torch counts the padding by default
        assert sum(values) / 9 == pytest.approx(float(result), abs=0.005)


def test_a_page_past_the_memory_limit_is_refused_before_it_is_built() -> None:
    from convarith.render import scene
    from convarith.render.html import check

    drawn = scene(Conv(3), (12, 12))  # 100 frames of about 14 items
    check(drawn, 14)
    with limits.restored():
        limits.output_bytes = 100_000
        with pytest.raises(LimitError, match="HTML player of 100 frames"):
            check(drawn, 14)
    with limits.restored():
        limits.frames = 10
        with pytest.raises(LimitError, match="frames"):
            player(Conv(3), (12, 12))


def test_notebook_views() -> None:
    for layer in (Conv(3, stride=2), ConvTranspose(3, stride=2), MaxPool(2), AvgPool(3, padding=1)):
        html = layer._repr_html_()
        assert type(layer).__name__ in html and "kernel_size" in html
    one, two = convarith.show(Conv(3), (5, 5)), convarith.show(Conv(3), (5, 5))
    ids = re.findall(r'id="(convarith-player-[^"]+)"', one._repr_html_() + two._repr_html_())
    assert len(ids) == 2 and ids[0] != ids[1]  # two players in one notebook keep apart
    cube = convarith.show(Conv(3, padding=1), (4, 5, 6))
    assert cube.scene is None
    html = cube._repr_html_()
    assert "<table" in html and "4x5x6 -&gt; 4x5x6" in html
    with pytest.raises(ShapeError, match="1-D and 2-D"):
        cube.page()
    assert "floor((9 + 1 + 1 - 3) / 2) + 1 = 5" in str(convarith.show(MaxPool(3, stride=2, padding=1), 9))
    with pytest.raises(ShapeError, match="layer"):
        convarith.show("conv", (5, 5))  # type: ignore[arg-type]


def test_plan_notebook_view() -> None:
    from convarith.plan.model import plan

    shown = plan([{"type": "conv", "out_channels": 8, "kernel_size": 3, "padding": 1}], (3, 32, 32))
    html = shown._repr_html_()
    assert "8x32x32" in html and "<table" in html and html.count("<tr>") == 3  # header, one row, totals
    assert f">{3 * 8 * 3 * 3 + 8}<" in html  # weights and biases
    assert f">{3 * 8 * 3 * 3 * 32 * 32:,}<" in html  # multiply-accumulates


def test_save_is_atomic_and_checks_the_suffix(tmp_path: Path) -> None:
    shown = convarith.show(Conv(3), (4, 4))
    target = tmp_path / "layer.html"
    shown.save(target)
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in tmp_path.iterdir()] == ["layer.html"]
    with pytest.raises(ShapeError, match="html"):
        shown.save(tmp_path / "layer.gif")


def test_gallery_html(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["gallery", str(tmp_path / "g"), "--html", "--workers", "2"])
    assert result.exit_code == 0, result.output
    folder = tmp_path / "g"
    index = (folder / "index.html").read_text(encoding="utf-8")
    for entry in ENTRIES:
        assert f'href="{entry.name}.html"' in index and f'src="{entry.name}.gif"' in index
        assert (folder / f"{entry.name}.html").stat().st_size > 1000
    assert "index.html" in result.output


def test_animate_writes_a_player(tmp_path: Path) -> None:
    target = tmp_path / "layer.html"
    args = ["animate", "conv-transpose", "-i", "3x3", "-k", "3", "-s", "2", "-p", "1", "--values", "-o", str(target)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"wrote {target} (an HTML player: ") and "25 frames" in result.output
    page = parse(target.read_text(encoding="utf-8"))
    assert len(page.data["steps"]) == 25  # type: ignore[arg-type]
    for bad, message in ((["--frame", "2"], "--frame"), (["--sheet"], "--sheet")):
        result = CliRunner().invoke(app, [*args, *bad])
        assert result.exit_code == 2 and result.output.startswith(f"error: {message}"), result.output
        assert result.output.count("\n") == 1


def test_render_save_points_to_the_player(tmp_path: Path) -> None:
    from convarith.render import save, scene

    with pytest.raises(ShapeError, match="player"):
        save(scene(Conv(3), (4, 4)), tmp_path / "x.html")
    assert list(tmp_path.iterdir()) == []


def test_channel_players_name_channels_and_windows() -> None:
    layer = Conv(3, groups=2, in_channels=4, out_channels=2)
    shown = player(layer, (4, 4))
    page = parse(shown.page())
    names, steps = page.data["names"], page.data["steps"]
    assert isinstance(names, list) and isinstance(steps, list)
    assert len(steps) == 2 * 2 * 2  # two output channels, 2x2 positions each
    for k, step in enumerate(steps):
        out_channel, (i, j) = divmod(k, 4)[0], divmod(divmod(k, 4)[1], 2)
        assert names[step["writes"]] == f"output channel {out_channel} at ({i}, {j})"
        planes = {page.cells[c]["data-plane"] for c in step["reads"]}
        group = range(
            2 * out_channel, 2 * out_channel + 2
        )  # torch: output channel g*(out/G)+.. reads inputs of group g
        assert planes == {f"in.{c}" for c in group}
        units = {(page.cells[c]["data-plane"], page.cells[c].get("data-index")) for c in step["reads"]}
        expected = {(f"in.{c}", f"{r},{s}") for c in group for r in range(i, i + 3) for s in range(j, j + 3)}
        assert units == expected


def test_late_progress_appears_only_on_a_terminal_after_the_delay() -> None:
    import io

    from rich.console import Console

    from convarith.cli.progress import LateProgress

    now = [0.0]
    for terminal in (True, False):
        text = io.StringIO()
        console = Console(file=text, force_terminal=terminal, width=80)
        with LateProgress(10, "drawing x.gif", console=console, clock=lambda: now[0]) as bar:
            now[0] = 0.0
            bar.start = 0.0
            bar.advance(3)
            assert bar.bar is None  # under a second: nothing shown
            now[0] = 1.5
            bar.advance(2)
            assert (bar.bar is not None) is terminal
            if bar.bar is not None:
                assert bar.bar.tasks[0].completed == 5 and bar.bar.tasks[0].total == 10
        assert ("drawing x.gif" in text.getvalue()) is terminal


@pytest.mark.parametrize(
    ("call", "parameter"),
    [
        (lambda: convarith.show(Conv(3), "abc"), "input"),
        (lambda: convarith.show(Conv(3), (5, 5), values="yes"), "values"),
        (lambda: convarith.show(Conv(3), (5, 5), duration=5), "duration"),
        (lambda: convarith.show(Conv(3), 10**12), "frames"),
        (lambda: convarith.show(Conv(3, stride=10**12), 10**13), "canvas"),
        (lambda: convarith.show(Conv(3), (5, 5)).save(b"x.html"), "output"),
        (lambda: convarith.show(Conv(3), (5, 5)).save("/nonexistent-folder/x.html"), "output"),
        (lambda: convarith.show(Conv(3, in_channels=3, out_channels=3, groups=3), (5, 5), values=True), "values"),
    ],
)
def test_bad_requests_get_one_clear_error_at_once(call, parameter: str) -> None:  # type: ignore[no-untyped-def]
    import time

    start = time.perf_counter()
    with pytest.raises(convarith.ConvarithError) as caught:
        call()
    assert caught.value.parameter == parameter
    assert time.perf_counter() - start < 2  # judged from the arithmetic, nothing drawn


def test_force_lifts_the_frame_limit_for_show() -> None:
    shown = convarith.show(Conv(3), (23, 23), force=True)  # 441 frames, over the 400 default
    assert shown.scene is not None and len(shown.scene.frames) == 441


def test_cells_are_named_in_input_coordinates() -> None:
    shown = convarith.show(Conv(3, stride=2, padding=1), (5, 5))
    assert shown.scene is not None and shown.scene.cells is not None
    cells = shown.scene.cells
    # drawn row/column 0 is the padding before input 0 (padding 1): input coordinate -1
    assert cells.name(("in", 0, 0)) == "padding at (-1, -1) of the input"
    assert cells.name(("in", 6, 3)) == "padding at (5, 2) of the input"
    assert cells.name(("in", 1, 5)) == "input at (0, 4)"
    assert cells.name(("out", 2, 1)) == "output at (2, 1)"
    stretched = convarith.show(ConvTranspose(3, stride=2), (2, 2)).scene
    assert stretched is not None and stretched.cells is not None
    # k-1-p = 2 cells of padding, then input 0, one inserted zero, input 1
    assert stretched.cells.name(("in", 2, 3)) == "inserted zero at (2, 3) of the stretched, padded input"
    assert stretched.cells.name(("in", 4, 2)) == "input at (1, 0)"
    assert repr(shown) == "<convarith player: 5x5 -> 3x3: nn.Conv2d(in_channels, out_channels, kernel_size=3, " + (
        "stride=2, padding=1) (9 frames)>"
    )
