"""apply, animate and gallery run as a hostile user would (tests/hostile.py): huge sizes are
refused in well under a second and a few MB, bombs are judged by their header, bad option
values are one error line, and interrupted runs leave no temporary files and can be re-run."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hostile import Case, problems, report, run_all
from PIL import Image
from test_bounds_render import bomb_png, saved

from convarith.render.gallery import ENTRIES, INDEX_MARK

MiB = 2**20
RNG = np.random.default_rng(0)
SMALL = saved(Image.fromarray(np.arange(64, dtype=np.uint8).reshape(8, 8) * 3))
RGB = saved(Image.fromarray(RNG.integers(0, 256, (20, 30, 3), dtype=np.uint8)))
ONE = saved(Image.fromarray(np.zeros((1, 1), np.uint8)))
I16 = saved(Image.fromarray(np.arange(200, dtype=np.uint16).reshape(10, 20) * 300))
PALETTE = saved(Image.fromarray(np.arange(100, dtype=np.uint8).reshape(10, 10)).convert("P"))
FRAMES = [Image.fromarray(np.full((10, 10), 20 * k, np.uint8)) for k in range(5)]
GIF = saved(FRAMES[0], "GIF", save_all=True, append_images=FRAMES[1:])
TIFF = saved(FRAMES[0], "TIFF", save_all=True, append_images=FRAMES[1:])
BOMB = bomb_png(10000, 10000)  # the issue's: 778 KB, 10000x10000 16-bit RGBA
BOMB_GREY = bomb_png(12000, 12000, bits=8, colour_type=0)  # 144 Mpx, 1 byte each
HEADER_ONLY = bomb_png(2**31 - 1, 2**31 - 1, bits=8, colour_type=0, data=False)
GALLERY = ["g", "g/README.md", *(f"g/{entry.name}.gif" for entry in ENTRIES)]

A = ["apply"]
QUICK = dict(timeout=8.0)
CASES = [
    # 1. nothing per cell before the gate: each refused at once, in a few MB
    Case("animate-3e9-cells", ["animate", "conv", "-i", "3000000000", "-k", "1", "-o", "x.gif"], **QUICK),
    Case("animate-3e9-force", ["animate", "conv", "-i", "3000000000", "-k", "1", "-o", "x.gif", "--force"], **QUICK),
    Case(
        "animate-huge-kernel",
        ["animate", "conv", "-i", "1000000000x1000000000", "-k", "999999999", "-o", "x.gif"],
        **QUICK,
    ),
    Case(
        "animate-transposed-stride",
        ["animate", "conv-transpose", "-i", "2x2", "-k", "3", "-s", "1000000000000", "-o", "x.gif", "--force"],
        **QUICK,
    ),
    Case("animate-padding", ["animate", "conv", "-i", "3x3", "-k", "3", "-p", "1000000000000", "-o", "x.png"], **QUICK),
    Case(
        "animate-dilation-pool",
        ["animate", "max-pool", "-i", "40000", "-k", "3", "-d", "10000", "-o", "x.svg", "--force"],
        **QUICK,
    ),
    Case(
        "animate-output-size",
        ["animate", "conv-transpose", "-i", "3", "-k", "3", "-s", "1000000", "--output-size", "2000003", "-o", "x.gif"],
        **QUICK,
    ),
    Case("animate-sheet", ["animate", "conv", "-i", "20x20", "-k", "1", "-o", "x.png", "--sheet", "--force"], **QUICK),
    Case(
        "animate-huge-stride-values",
        ["animate", "conv", "-i", "5x5", "-k", "3", "-s", "1000000000000", "--values", "-o", "x.gif"],
        outputs=["x.gif"],
        **QUICK,
    ),
    Case(
        "animate-huge-dilation-k1",
        ["animate", "conv", "-i", "3x3", "-k", "1", "-d", "1000000000000", "-o", "x.gif"],
        outputs=["x.gif"],
        **QUICK,
    ),
    Case(
        "animate-force-900",
        ["animate", "avg-pool", "-i", "32x32", "-k", "3", "-o", "x.gif", "--force"],
        outputs=["x.gif"],
        expect=0,
        timeout=12.0,
        memory=1 * 2**30,
    ),
    # 2. memory: the result is sized from the arithmetic before anything is read
    Case(
        "apply-padding",
        A + ["s.png", "-o", "o.png", "-p", "1000000", "--padding-mode", "zeros"],
        files={"s.png": SMALL},
        **QUICK,
    ),
    Case(
        "apply-padding-npy",
        A + ["s.png", "-o", "o.npy", "-p", "30000x30000", "--padding-mode", "zeros"],
        files={"s.png": SMALL},
        **QUICK,
    ),
    Case(
        "apply-stride",
        A + ["s.png", "-o", "o.png", "-s", "1000000000000"],
        files={"s.png": SMALL},
        outputs=["o.png"],
        expect=0,
        **QUICK,
    ),
    Case("apply-max-memory", A + ["r.png", "-o", "o.png", "--max-memory", "10K"], files={"r.png": RGB}, **QUICK),
    # 3. images judged by their header
    Case("bomb", A + ["bomb.png", "-o", "o.png"], files={"bomb.png": BOMB}, **QUICK),
    Case(
        "bomb-max-pixels",
        A + ["bomb.png", "-o", "o.png", "--max-pixels", "1000000000"],
        files={"bomb.png": BOMB},
        **QUICK,
    ),
    Case("bomb-grey", A + ["b.png", "-o", "o.npy"], files={"b.png": BOMB_GREY}, **QUICK),
    Case("bomb-header-only", A + ["b.png", "-o", "o.png"], files={"b.png": HEADER_ONLY}, **QUICK),
    Case("truncated", A + ["t.png", "-o", "o.png"], files={"t.png": RGB[: len(RGB) // 2]}, **QUICK),
    Case("folder", A + [".", "-o", "o.png"], **QUICK),
    Case("not-an-image", A + ["x.png", "-o", "o.png"], files={"x.png": b"GIF89a not really"}, **QUICK),
    Case(
        "eps-is-not-read",
        A + ["x.eps", "-o", "o.png"],
        files={"x.eps": b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 9 9\n"},
        expect=2,
        **QUICK,
    ),
    Case("newline-in-name", A + ["a\nb.png", "-o", "o.png"], files={"a\nb.png": b"hello"}, **QUICK),
    Case(
        "multi-frame-gif",
        A + ["g.gif", "-o", "o.png", "-k", "box-blur"],
        files={"g.gif": GIF},
        outputs=["o.png"],
        expect=0,
        **QUICK,
    ),
    Case("multi-frame-tiff", A + ["g.tif", "-o", "o.npy"], files={"g.tif": TIFF}, outputs=["o.npy"], expect=0, **QUICK),
    Case("one-pixel", A + ["one.png", "-o", "o.png"], files={"one.png": ONE}, outputs=["o.png"], **QUICK),
    Case(
        "one-pixel-zeros",
        A + ["one.png", "-o", "o.png", "--padding-mode", "zeros"],
        files={"one.png": ONE},
        outputs=["o.png"],
        expect=0,
        **QUICK,
    ),
    Case("sixteen-bit", A + ["i.png", "-o", "o.png"], files={"i.png": I16}, outputs=["o.png"], expect=0, **QUICK),
    Case(
        "palette",
        A + ["p.png", "-o", "o.png", "--grey"],
        files={"p.png": PALETTE},
        outputs=["o.png"],
        expect=0,
        **QUICK,
    ),
    # 4. non-finite
    Case(
        "kernel-1e308",
        A + ["s.png", "-o", "o.png", "--kernel-file", "k.txt"],
        files={"s.png": SMALL, "k.txt": b"1e308 1e308\n1e308 1e308\n"},
        expect=2,
        **QUICK,
    ),
    Case(
        "kernel-1e308-npy",
        A + ["r.png", "-o", "o.npy", "--kernel-file", "k.csv"],
        files={"r.png": RGB, "k.csv": b"-1e308, 1e308, -1e308\n"},
        expect=2,
        **QUICK,
    ),
    Case(
        "kernel-inf",
        A + ["s.png", "-o", "o.png", "--kernel-file", "k.txt"],
        files={"s.png": SMALL, "k.txt": b"1e999 1\n"},
        expect=2,
        **QUICK,
    ),
    Case(
        "kernel-empty-npy",
        A + ["s.png", "-o", "o.png", "--kernel-file", "k.npy"],
        files={"s.png": SMALL, "k.npy": b""},
        expect=2,
        **QUICK,
    ),
    Case(
        "kernel-binary",
        A + ["s.png", "-o", "o.png", "--kernel-file", "k.txt"],
        files={"s.png": SMALL, "k.txt": b"\xff\xfe\x00\x01"},
        expect=2,
        **QUICK,
    ),
    # 6. option values
    Case(
        "max-memory-bad",
        A + ["s.png", "-o", "o.png", "--max-memory", "lots"],
        files={"s.png": SMALL},
        expect=2,
        **QUICK,
    ),
    Case(
        "max-pixels-zero", A + ["s.png", "-o", "o.png", "--max-pixels", "0"], files={"s.png": SMALL}, expect=2, **QUICK
    ),
    Case(
        "max-pixels-text",
        A + ["s.png", "-o", "o.png", "--max-pixels", "many"],
        files={"s.png": SMALL},
        expect=2,
        **QUICK,
    ),
    Case("dilation-zero", A + ["s.png", "-o", "o.png", "-d", "0"], files={"s.png": SMALL}, expect=2, **QUICK),
    Case(
        "animate-max-memory",
        ["animate", "conv", "-i", "5x5", "-k", "3", "-o", "x.gif", "--max-memory", "1M"],
        expect=2,
        **QUICK,
    ),
    Case(
        "animate-max-memory-bad",
        ["animate", "conv", "-i", "5x5", "-k", "3", "-o", "x.gif", "--max-memory", "-1"],
        expect=2,
        **QUICK,
    ),
    Case(
        "animate-frame",
        ["animate", "conv", "-i", "5x5", "-k", "3", "-o", "x.png", "--frame", "10" * 20],
        expect=2,
        **QUICK,
    ),
    Case(
        "animate-duration",
        ["animate", "conv", "-i", "5x5", "-k", "3", "-o", "x.gif", "--duration", "9" * 30],
        expect=2,
        **QUICK,
    ),
    Case(
        "animate-seed",
        ["animate", "conv", "-i", "5x5", "-k", "3", "-o", "x.png", "--values", "--seed", "9" * 30],
        outputs=["x.png"],
        expect=0,
        **QUICK,
    ),
    Case(
        "animate-newline-folder", ["animate", "conv", "-i", "5x5", "-k", "3", "-o", "no\ndir/x.gif"], expect=2, **QUICK
    ),
    Case("gallery-workers", ["gallery", "g", "--workers", "9" * 25], expect=2, **QUICK),
    Case("gallery-duration", ["gallery", "g", "--duration", "5"], expect=2, **QUICK),
    Case("gallery-not-a-folder", ["gallery", "f"], files={"f": b"x"}, expect=2, **QUICK),
]

# 5. interruptions: nothing hidden is left, workers end with the command; a run the signal
# misses (it had finished) exits 0.
INTERRUPTED = [
    Case(f"gallery-{name}", ["gallery", "g"], send=(delay, getattr(signal, name)), outputs=GALLERY, timeout=10.0)
    for name, delay in (("SIGTERM", 0.9), ("SIGINT", 1.2), ("SIGHUP", 0.7))
] + [
    Case(
        "animate-SIGTERM",
        ["animate", "conv", "-i", "40x40", "-k", "21", "-o", "x.gif"],
        send=(1.5, signal.SIGTERM),
        outputs=["x.gif"],
        timeout=10.0,
    ),
    Case(
        "animate-SIGINT",
        ["animate", "conv", "-i", "12x12", "-k", "3", "-o", "x.png", "--sheet", "--force"],
        send=(1.2, signal.SIGINT),
        outputs=["x.png"],
        timeout=10.0,
    ),
    Case(
        "apply-SIGHUP",
        A + ["-p", "1200", "--padding-mode", "zeros", "-o", "o.png"],
        send=(1.5, signal.SIGHUP),
        outputs=["o.png"],
        timeout=10.0,
    ),
]


@pytest.fixture(scope="module")
def outcomes():
    return run_all(CASES + INTERRUPTED)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_hostile(case, outcomes):
    outcome = outcomes[case.name]
    assert not problems(case, outcome), report(case, outcome)
    if outcome.code == 2 and case.timeout == QUICK["timeout"]:
        assert outcome.seconds < 3 and outcome.peak_bytes < 200 * MiB, report(case, outcome)


@pytest.mark.parametrize("case", INTERRUPTED, ids=lambda c: c.name)
def test_interrupted(case, outcomes):
    outcome = outcomes[case.name]
    # 128+n: stopped through convarith's handler. 0: it had finished. -n: the signal landed
    # before the handler is installed or after Python removed it at exit (a race no
    # program can close); the files must then be whole or absent all the same.
    allowed = (0, 128 + case.send[1], -case.send[1])
    found = [p for p in problems(case, outcome) if not (p.startswith("exit code") and outcome.code in allowed)]
    assert outcome.code in allowed and not found, report(case, outcome)
    if outcome.code > 0:
        assert outcome.stderr.strip().splitlines() == [f"error: interrupted by {signal.Signals(case.send[1]).name}"]
    hidden = [f for f in outcome.folder_files if any(part.startswith(".") for part in Path(f).parts)]
    assert not hidden, report(case, outcome)


@pytest.mark.parametrize("message", ["too large", "--max-memory"])
def test_the_bomb_message_says_what_to_do(outcomes, message):
    assert message in outcomes["bomb"].stderr and message in outcomes["bomb-max-pixels"].stderr
    assert "--max-pixels" in outcomes["bomb-header-only"].stderr


def test_an_interrupted_gallery_keeps_the_old_one_and_reruns(tmp_path):
    """Ctrl-C in the middle of redrawing a gallery: the folder still holds the previous
    gallery, nothing hidden, no process left, and the next run succeeds."""
    env = {**os.environ, "COLUMNS": "120", "PYTHONWARNINGS": "default"}
    env.pop("PYTHONPATH", None)
    folder = tmp_path / "g"
    folder.mkdir()
    (folder / "README.md").write_text(f"# Gallery\n\n{INDEX_MARK}; an earlier run\n")
    (folder / "dilation.gif").write_bytes(b"an earlier dilation.gif")
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    command = [sys.executable, "-m", "convarith", "gallery", "g"]
    proc = subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    deadline = time.monotonic() + 20
    while not any(p.name.startswith(".gallery-staging-") for p in folder.iterdir()):  # drawing has begun
        assert time.monotonic() < deadline and proc.poll() is None, "the gallery never started drawing"
        time.sleep(0.01)
    time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=15)
    assert proc.returncode == 130, err
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        raise AssertionError("gallery workers outlived the command")
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    again = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=30)
    assert again.returncode == 0, again.stderr
    assert sorted(p.name for p in folder.iterdir()) == sorted(["README.md", *(f"{e.name}.gif" for e in ENTRIES)])
    assert (folder / "dilation.gif").read_bytes().startswith(b"GIF89a")
