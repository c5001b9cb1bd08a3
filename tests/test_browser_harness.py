"""The browser harness (tests/browser.py) against a page whose behaviour we wrote here.

Expected values come from the page's own rules (which cell a listener marks, what a range
input does with a key, the size and colour of a CSS box), never from the harness's output.
"""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import browser as harness
import pytest
from browser import Browser, BrowserError, JSError, find_chromium
from PIL import Image

# The fixture: one Chromium for this module (skips when there is none). Assigned rather than
# imported: an imported fixture is "unused" (F401) and every test's argument redefines it (F811).
browser = harness.browser

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>harness page</title>
<style>
  body { margin: 0; }
  #grid { display: grid; grid-template-columns: repeat(3, 40px); gap: 4px; margin: 10px; }
  .cell { width: 40px; height: 40px; background: #ddd; }
  .cell.hot { background: #f80; }
  #swatch { width: 123px; height: 45px; background: rgb(0, 128, 255); }
</style></head>
<body>
  <div id="grid">
    <div class="cell" id="c0"></div><div class="cell" id="c1"></div><div class="cell" id="c2"></div>
    <div class="cell" id="c3"></div><div class="cell" id="c4"></div><div class="cell" id="c5"></div>
  </div>
  <input id="slider" type="range" min="0" max="10" step="1" value="3">
  <button id="button">count</button>
  <div id="swatch"></div>
  <img id="remote" src="http://example.invalid/x.png" alt="">
  <script>
    for (const cell of document.querySelectorAll(".cell")) {
      cell.addEventListener("mouseover", () => cell.classList.add("hot"));
      cell.addEventListener("mouseout", () => cell.classList.remove("hot"));
    }
    window.keys = [];
    document.addEventListener("keydown", (e) => keys.push([e.key, e.code, e.keyCode]));
    window.clicks = [];
    document.getElementById("button").addEventListener("click", (e) => clicks.push(e.isTrusted));
    console.log("ready", 6);
  </script>
</body></html>
"""

BROKEN = """<!doctype html><title>broken</title>
<script>
  console.error("bad state", 42);
  Promise.reject(new Error("nobody caught this"));
  setTimeout(() => { throw new TypeError("late failure"); }, 0);
  undefinedFunction();
</script>
"""


@pytest.fixture
def page(tmp_path: Path) -> Path:
    path = tmp_path / "page.html"
    path.write_text(PAGE, encoding="utf-8")
    return path


def hot_cells(b: Browser) -> list[str]:
    return list(b.evaluate("[...document.querySelectorAll('.cell.hot')].map(c => c.id)"))


def test_hover_marks_only_the_hovered_cell(browser: Browser, page: Path) -> None:
    browser.open(page)
    assert hot_cells(browser) == []
    browser.hover("#c4")
    assert hot_cells(browser) == ["c4"]
    assert browser.evaluate("document.querySelector('#c4').matches(':hover')") is True
    browser.hover("#c0")  # the real pointer left c4: mouseout ran
    assert hot_cells(browser) == ["c0"]


def test_keys_reach_listeners_and_move_the_slider(browser: Browser, page: Path) -> None:
    browser.open(page)
    browser.evaluate("document.getElementById('slider').focus()")
    value = "document.getElementById('slider').valueAsNumber"
    browser.press("ArrowRight")
    assert browser.evaluate(value) == 4
    browser.press("ArrowLeft")
    browser.press("ArrowLeft")
    assert browser.evaluate(value) == 2
    browser.press("End")
    assert browser.evaluate(value) == 10
    browser.press("Home")
    assert browser.evaluate(value) == 0
    browser.press("Space")
    # key, code and keyCode as the UI Events spec gives them for a US keyboard
    assert browser.evaluate("keys") == [
        ["ArrowRight", "ArrowRight", 39],
        ["ArrowLeft", "ArrowLeft", 37],
        ["ArrowLeft", "ArrowLeft", 37],
        ["End", "End", 35],
        ["Home", "Home", 36],
        [" ", "Space", 32],
    ]
    with pytest.raises(ValueError, match="unknown key"):
        browser.press("Hyper")


def test_click_is_a_trusted_click(browser: Browser, page: Path) -> None:
    browser.open(page)
    browser.click("#button")
    assert browser.evaluate("clicks") == [True]


def test_evaluate_values_and_exceptions(browser: Browser, page: Path) -> None:
    browser.open(page)
    assert browser.evaluate("document.title") == "harness page"
    assert browser.evaluate("({a: [1, 2.5, 'x', null, true]})") == {"a": [1, 2.5, "x", None, True]}
    assert browser.evaluate("undefined") is None
    assert browser.evaluate("new Promise(r => setTimeout(() => r(7 * 6), 10))") == 42
    assert browser.evaluate("2n ** 70n") == 2**70
    assert browser.evaluate("1 / 0") == float("inf")
    with pytest.raises(JSError, match="ReferenceError: nosuchname is not defined"):
        browser.evaluate("nosuchname + 1")
    with pytest.raises(JSError, match="rejected on purpose"):
        browser.evaluate("Promise.reject(new Error('rejected on purpose'))")
    assert browser.console[0].type == "log" and browser.console[0].text == "ready 6"
    assert [e for e in browser.errors if "Failed to load resource" not in e] == []  # the <img>'s, online too


def test_missing_or_covered_elements_are_named(browser: Browser, page: Path) -> None:
    browser.open(page)
    with pytest.raises(BrowserError, match="no element matches '#nope'"):
        browser.hover("#nope")
    browser.evaluate(
        "document.body.insertAdjacentHTML('beforeend',"
        " '<div id=veil style=\"position:fixed;inset:0;background:white\"></div>')"
    )
    with pytest.raises(BrowserError, match="'#c1' is covered at its centre by <div id=\"veil\""):
        browser.hover("#c1")
    with pytest.raises(FileNotFoundError):
        browser.open(page.with_name("absent.html"))


def test_screenshots(browser: Browser, page: Path, tmp_path: Path) -> None:
    browser.open(page)
    whole = browser.screenshot(tmp_path / "whole.png")
    with Image.open(whole) as image:
        assert image.format == "PNG" and image.size == (1200, 900)
    swatch = browser.screenshot(tmp_path / "swatch.png", "#swatch")
    with Image.open(swatch) as image:
        assert image.size == (123, 45)  # the CSS box
        rgb = image.convert("RGB")
        # the clip is on the box: blue to every edge (the page around it is white)
        assert {rgb.getpixel(xy) for xy in [(0, 0), (122, 0), (0, 44), (122, 44), (61, 22)]} == {(0, 128, 255)}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["page.html", "swatch.png", "whole.png"]  # no partials


def test_offline_page_loads_and_its_network_request_is_caught(browser: Browser, page: Path, tmp_path: Path) -> None:
    browser.offline()
    try:
        browser.open(page)
        assert browser.evaluate("document.title") == "harness page"  # a file: page still loads offline
        assert browser.external_requests() == ["http://example.invalid/x.png"]
        browser.wait_for("document.getElementById('remote').complete")
        assert browser.evaluate("document.getElementById('remote').naturalWidth") == 0
        # blocked by the emulation (a DNS failure would read ERR_NAME_NOT_RESOLVED)
        assert any("ERR_INTERNET_DISCONNECTED" in e and "example.invalid" in e for e in browser.errors), browser.errors

        self_contained = tmp_path / "inline.html"
        self_contained.write_text(
            "<!doctype html><title>inline</title><img src='data:image/gif;base64,"
            "R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw=='>",
            encoding="utf-8",
        )
        browser.open(self_contained)
        assert browser.external_requests() == []
        assert browser.errors == []
    finally:
        browser.offline(False)


def test_page_errors_are_collected(browser: Browser, tmp_path: Path) -> None:
    broken = tmp_path / "broken.html"
    broken.write_text(BROKEN, encoding="utf-8")
    browser.open(broken)
    browser.wait_for("new Promise(r => setTimeout(() => r(true), 20))")  # past the timer that throws
    errors = browser.errors
    assert len(errors) == 4, errors
    assert errors[0] == "console.error: bad state 42"
    assert any("Uncaught (in promise) Error: nobody caught this" in e for e in errors)
    assert any("Uncaught ReferenceError: undefinedFunction is not defined" in e for e in errors)
    assert any("Uncaught TypeError: late failure" in e for e in errors)


def test_waits_are_bounded(browser: Browser, page: Path) -> None:
    browser.open(page)
    started = time.monotonic()
    with pytest.raises(BrowserError, match="timed out after 0.3 s waiting for 'false'"):
        browser.wait_for("false", timeout=0.3)
    with pytest.raises(BrowserError, match="timed out after 0.3 s waiting for the answer to Runtime.evaluate"):
        browser.evaluate("new Promise(() => {})", timeout=0.3)
    assert time.monotonic() - started < 5
    assert browser.evaluate("1 + 1") == 2  # the late answer (never) does not confuse the next one


def group_alive(pgid: int) -> list[int]:
    """Processes of a group that are not zombies (a zombie has died; only its parent has to reap it)."""
    alive = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            alive.append(int(entry.name))
    return alive


def test_the_browser_dies_with_its_block_even_on_interrupt() -> None:
    executable = find_chromium()
    if executable is None:
        pytest.skip(f"no chromium: {harness.INSTALL_HINT}")
    with pytest.raises(KeyboardInterrupt), Browser(executable) as b:
        pid, profile = b.pid, b._profile
        assert group_alive(pid)
        raise KeyboardInterrupt
    deadline = time.monotonic() + 5
    while group_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)  # SIGKILL is delivered asynchronously to the leader's children
    assert group_alive(pid) == []
    assert not os.path.exists(profile)


def fake_browser(tmp_path: Path, body: str) -> str:
    script = tmp_path / "fake-chromium"
    script.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script)


def test_a_browser_that_dies_at_start_shows_its_output(tmp_path: Path) -> None:
    exe = fake_browser(tmp_path, "echo 'cannot open display: none here' >&2; exit 3")
    with pytest.raises(
        BrowserError, match=r"(?s)did not start: chromium exited with 3.*cannot open display: none here"
    ):
        Browser(exe)


def test_a_browser_that_never_answers_is_timed_out_and_killed(tmp_path: Path) -> None:
    # a helper process of its own, as chromium's renderers and zygotes are: killed with it
    exe = fake_browser(tmp_path, f"sleep 30 & echo $$ > {tmp_path}/pid; exec sleep 30")
    started = time.monotonic()
    with pytest.raises(BrowserError, match="did not start: timed out after 0.5 s waiting for the answer to Target"):
        Browser(exe, timeout=0.5)
    assert time.monotonic() - started < 5
    pid = int((tmp_path / "pid").read_text())
    deadline = time.monotonic() + 5
    while group_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert group_alive(pid) == []
