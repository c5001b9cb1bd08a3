"""The shape command's path must not import NumPy, matplotlib or imageio."""

import json
import subprocess
import sys

HEAVY = ("numpy", "matplotlib", "imageio", "PIL")

SCRIPT = """
import json, sys, contextlib, io
from convarith.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    try:
        main({args!r})
    except SystemExit as exc:
        code = exc.code
print(json.dumps({{"code": code, "heavy": [m for m in {heavy!r} if m in sys.modules], "out": out.getvalue()}}))
"""


def run_in_fresh_interpreter(args):
    script = SCRIPT.format(args=args, heavy=HEAVY)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_shape_command_imports_nothing_heavy():
    report = run_in_fresh_interpreter(
        ["shape", "conv", "-i", "1x3x224x224", "-k", "3", "-s", "2", "-p", "1", "--out-channels", "8", "--explain"]
    )
    assert report["code"] == 0
    assert "112" in report["out"]
    assert report["heavy"] == []


def test_solve_and_json_import_nothing_heavy():
    report = run_in_fresh_interpreter(["solve", "-i", "224", "-o", "112", "--json"])
    assert report["code"] == 0 and report["heavy"] == []


def test_planning_is_pure_python():
    report = run_in_fresh_interpreter(["plan", "--preset", "resnet18", "--json"])
    assert report["code"] == 0 and report["heavy"] == []
    report = run_in_fresh_interpreter(["rf", "--preset", "unet"])
    assert report["code"] == 0 and report["heavy"] == []


def test_importing_the_package_imports_nothing_heavy():
    done = subprocess.run(
        [sys.executable, "-c", f"import convarith, sys; print([m for m in {HEAVY!r} if m in sys.modules])"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == "[]"


def test_python_dash_m_works():
    done = subprocess.run(
        [sys.executable, "-m", "convarith", "shape", "conv", "-i", "32", "-k", "5", "--json"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0
    assert json.loads(done.stdout)["output"] == [28]
