"""The HTML player in real headless Chromium: pointing, scrubbing, keys, playing, offline.

What a hover highlights is read back from the live page and compared with the frameworks'
definition of who reads what, written here from the engine's per-axis numbers (a forward
window reads x = o*s - p + t*d; a transposed one writes o = x*s - p + t*d). Skips, saying
why, where no Chromium is installed (tools/install_browser.sh installs Debian's).
"""

from __future__ import annotations

from itertools import product
from pathlib import Path

import browser as harness
import pytest
from browser import Browser
from windows import reads

from convarith import AvgPool, Conv, ConvTranspose, MaxPool
from convarith.arithmetic import AxisArithmetic
from convarith.layers import Layer
from convarith.render.player import player

CASES: dict[str, tuple[Layer, tuple[int, ...], tuple[int, ...] | None]] = {
    "stride-padding": (Conv(3, stride=2, padding=1), (5, 5), None),
    "dilation": (Conv(3, dilation=2, padding=1), (6, 6), None),
    "tf-same": (Conv(3, stride=2, padding="SAME", framework="tf"), (6, 6), None),
    "transposed": (ConvTranspose(3, stride=2, padding=1, output_padding=1), (3, 3), None),
    "transposed-output-size": (ConvTranspose(4, stride=3, padding=1), (2, 3), (5, 8)),
    "1-d": (Conv(3, stride=2, padding=1), (8,), None),
    "1-d-transposed": (ConvTranspose(3, stride=2, padding=1), (4,), None),
    "pool-ceil": (MaxPool(2, ceil_mode=True), (5, 5), None),
    "avg-pool": (AvgPool(3, stride=2, padding=1), (5, 5), None),
}

browser = harness.browser  # the fixture: one Chromium for the module

MARKED = """Array.from(document.querySelectorAll('.hit polygon.%s')).map(e => e.dataset.index || '')"""


def key(index: tuple[int, ...]) -> str:
    return ",".join(map(str, index))


def selector(plane: str, index: tuple[int, ...]) -> str:
    return f'.hit polygon[data-plane="{plane}"][data-index="{key(index)}"]'


def opened(browser: Browser, tmp_path: Path, name: str, duration: int = 1000) -> tuple[Layer, list[AxisArithmetic]]:
    layer, spatial, output_size = CASES[name]
    page = tmp_path / f"{name}.html"
    player(layer, spatial, output_size=output_size, duration=duration).save(page)
    browser.offline()
    browser.open(page)
    return layer, list(layer.arithmetic(spatial, output_size))


@pytest.mark.parametrize("name", CASES)
def test_pointing_at_an_output_marks_exactly_its_window(browser: Browser, tmp_path: Path, name: str) -> None:
    layer, axes = opened(browser, tmp_path, name)
    taps = 1
    for ax in axes:
        taps *= ax.kernel_size
    outputs = list(product(*(range(ax.output) for ax in axes)))
    for k, position in enumerate(outputs):
        browser.hover(selector("out", position))
        marked = browser.evaluate(MARKED % "win")
        assert len(marked) == taps  # every tap, padding and inserted zeros too
        expected = {key(x) for x in product(*(reads(ax, o) for ax, o in zip(axes, position, strict=True)))}
        assert {m for m in marked if m} == expected, (position, marked)
        said = browser.evaluate("document.querySelector('.hover').textContent")
        assert f"covers the {taps} cells in red, {len(expected)} of them input" in said, said
        assert browser.evaluate(MARKED % "pointed") == [key(position)]
        assert browser.evaluate("document.querySelector('.convarith-player').dataset.frame") == str(k)
    assert browser.external_requests() == [] and browser.errors == []


@pytest.mark.parametrize("name", ["stride-padding", "transposed", "1-d-transposed", "dilation"])
def test_pointing_at_an_input_marks_every_output_it_feeds(browser: Browser, tmp_path: Path, name: str) -> None:
    layer, axes = opened(browser, tmp_path, name)
    outputs = list(product(*(range(ax.output) for ax in axes)))
    for x in product(*(range(ax.input) for ax in axes)):
        browser.hover(selector("in", x))
        fed = set(browser.evaluate(MARKED % "fed"))
        expected = {key(o) for o in outputs if all(xi in reads(ax, oi) for ax, xi, oi in zip(axes, x, o, strict=True))}
        assert fed == expected, (x, fed, expected)
    browser.hover(".title")  # away: nothing stays marked, and the hint is back
    assert browser.evaluate(MARKED % "fed") == [] and browser.evaluate(MARKED % "win") == []
    assert browser.evaluate("document.querySelector('.hover').textContent").startswith("Point at a cell")
    assert browser.evaluate("document.querySelector('.moving').classList.contains('dim')") is False


def test_slider_keys_and_play_reach_every_frame(browser: Browser, tmp_path: Path) -> None:
    layer, axes = opened(browser, tmp_path, "transposed", duration=40)
    count = axes[0].output * axes[1].output
    frame = "+document.querySelector('.convarith-player').dataset.frame"
    seen = browser.evaluate(
        """(() => { const s = document.querySelector('.scrub'), root = document.querySelector('.convarith-player');
        const frames = JSON.parse(root.querySelector('script.data').textContent).frames, seen = [];
        const parsed = document.createElementNS('http://www.w3.org/2000/svg', 'g');  // as the page parses them
        for (let k = +s.min; k <= +s.max; k++) {
          s.value = k; s.dispatchEvent(new Event('input'));
          parsed.innerHTML = frames[k];
          const moving = root.querySelector('.moving');
          seen.push([+root.dataset.frame, moving.childElementCount > 0 && moving.innerHTML === parsed.innerHTML]);
        }
        return seen; })()"""
    )
    assert seen == [[k, True] for k in range(count)]
    browser.click(".scrub")  # a real click on the slider's middle
    middle = browser.evaluate(frame)
    assert 0 < middle < count - 1 and browser.evaluate("+document.querySelector('.scrub').value") == middle
    browser.press("ArrowRight")  # the focused slider's own key handling
    assert browser.evaluate(frame) == middle + 1
    browser.evaluate("document.activeElement.blur()")  # the page's own keys, not the slider's
    browser.press("Home")
    assert browser.evaluate(frame) == 0
    browser.press("ArrowLeft")  # wraps around
    assert browser.evaluate(frame) == count - 1
    browser.press("ArrowRight")
    browser.press("ArrowRight")
    assert browser.evaluate(frame) == 1
    browser.press("End")
    assert browser.evaluate(frame) == count - 1
    label = browser.evaluate("document.querySelector('.label').textContent")
    assert label.startswith(f"frame {count} of {count}: output")
    browser.click(".play")
    browser.wait_for(f"{frame} === 3")  # 40 ms a frame, from the last round to 0, 1, 2, 3
    browser.click(".play")  # pause
    paused = browser.evaluate(frame)
    browser.evaluate("new Promise(r => setTimeout(r, 200))")
    assert browser.evaluate(frame) == paused
    assert browser.errors == [] and browser.external_requests() == []


def test_values_panel_follows_the_frame(browser: Browser, tmp_path: Path) -> None:
    page = tmp_path / "values.html"
    shown = player(Conv(3, stride=2, padding=1), (5, 5), values=True)
    shown.save(page)
    browser.open(page)
    assert shown.caption.windows is not None
    for k, text in enumerate(shown.caption.windows):
        browser.hover(selector("out", divmod(k, 3)))
        assert browser.evaluate("document.querySelector('.window').textContent") == text
    assert browser.errors == []


@pytest.mark.parametrize(
    ("in_channels", "out_channels", "groups"), [(4, 2, 2), (3, 3, 3), (3, 6, 3), (2, 2, 1)], ids=str
)
def test_grouped_channels_mark_the_inputs_of_the_group(
    browser: Browser, tmp_path: Path, in_channels: int, out_channels: int, groups: int
) -> None:
    layer = Conv(3, stride=2, padding=1, groups=groups, in_channels=in_channels, out_channels=out_channels)
    page = tmp_path / "grouped.html"
    player(layer, (4, 4)).save(page)
    browser.offline()
    browser.open(page)
    rows, cols = layer.arithmetic((4, 4))
    per_group_in, per_group_out = in_channels // groups, out_channels // groups
    marked = (
        "Array.from(document.querySelectorAll('.hit polygon.%s'))"
        ".map(e => e.dataset.plane + ':' + (e.dataset.index || ''))"
    )
    for out_channel in range(out_channels):
        group = out_channel // per_group_out  # torch: weight[o] sees the inputs of group o // (out/groups)
        inputs = range(group * per_group_in, (group + 1) * per_group_in)
        for i, j in product(range(rows.output), range(cols.output)):
            browser.hover(f'.hit polygon[data-plane="out.{out_channel}"][data-index="{i},{j}"]')
            win = browser.evaluate(marked % "win")
            assert len(win) == per_group_in * 9
            expected = {f"in.{c}:{a},{b}" for c in inputs for a in reads(rows, i) for b in reads(cols, j)}
            assert {m for m in win if not m.endswith(":")} == expected
    for channel in range(in_channels):  # an input cell feeds every output channel of its group
        browser.hover(f'.hit polygon[data-plane="in.{channel}"][data-index="1,1"]')
        fed = {m.split(":")[0] for m in browser.evaluate(marked % "fed")}
        group = channel // per_group_in
        assert fed == {f"out.{o}" for o in range(group * per_group_out, (group + 1) * per_group_out)}
    assert browser.errors == [] and browser.external_requests() == []
