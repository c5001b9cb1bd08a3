"""Measure Dumoulin & Visin's original GIFs into tests/data/dumoulin_originals.json.

The originals (MIT, vdumoulin/conv_arithmetic) are not shipped; point this at a folder
holding them: python tools/measure_dumoulin.py ../shared/reference/dumoulin
"""

import json
import sys
from pathlib import Path

from PIL import Image

folder = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/reference/dumoulin")
measured = {}
for path in sorted(folder.glob("*.gif")):
    with Image.open(path) as image:
        colours = sorted(image.convert("RGB").getcolors(1 << 16), reverse=True)[:8]  # frame 0's commonest
        measured[path.stem] = {
            "width": image.width,
            "height": image.height,
            "frames": image.n_frames,
            "bytes": path.stat().st_size,
            "duration_ms": image.info.get("duration"),
            "loop": image.info.get("loop"),
            "main_colours": [list(c) for _, c in colours],
        }
out = Path(__file__).resolve().parent.parent / "tests" / "data" / "dumoulin_originals.json"
out.write_text(
    json.dumps({"source": "github.com/vdumoulin/conv_arithmetic gif/ (MIT)", "gifs": measured}, indent=1) + "\n"
)
print(f"wrote {out} ({len(measured)} GIFs)")
