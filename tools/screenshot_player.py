"""Screenshots of the HTML player for the README and docs/visual.md, in headless Chromium.

Run:  python tools/screenshot_player.py   (needs chromium: tools/install_browser.sh)
Writes docs/images/player.png: `convarith animate conv-transpose -i 3x3 -k 3 -s 2 -p 1
--output-padding 1 --values -o layer.html` with the pointer on output (2, 3), and
docs/images/player_input.png with the pointer on input (1, 1) of the same page, and
docs/images/player_grouped.png: a grouped convolution (4 -> 2 channels, groups=2) with the
pointer on output channel 1, cell (1, 2).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from browser import Browser, find_chromium  # noqa: E402

from convarith import Conv, ConvTranspose  # noqa: E402
from convarith.render.player import player  # noqa: E402


def main() -> None:
    executable = find_chromium()
    if executable is None:
        sys.exit("no chromium: run tools/install_browser.sh")
    images = ROOT / "docs" / "images"
    with tempfile.TemporaryDirectory() as folder, Browser(executable) as browser:
        page = Path(folder) / "layer.html"
        player(ConvTranspose(3, stride=2, padding=1, output_padding=1), (3, 3), values=True).save(page)
        browser.offline()
        browser.open(page)
        browser.hover('.hit polygon[data-plane="out"][data-index="2,3"]')
        browser.screenshot(images / "player.png", ".convarith-player")
        browser.hover('.hit polygon[data-plane="in"][data-index="1,1"]')
        browser.screenshot(images / "player_input.png", ".convarith-player")
        grouped = Path(folder) / "grouped.html"
        player(Conv(3, groups=2, in_channels=4, out_channels=2), (5, 5)).save(grouped)
        browser.open(grouped)
        browser.hover('.hit polygon[data-plane="out.1"][data-index="1,2"]')
        browser.screenshot(images / "player_grouped.png", ".convarith-player")
        assert browser.errors == [] and browser.external_requests() == [], browser.errors
    print(f"wrote player.png, player_input.png and player_grouped.png in {images}")


if __name__ == "__main__":
    main()
