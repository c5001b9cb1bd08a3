"""Planning a pasted ResNet-50 class file from a cold interpreter (target: at most 0.3 s,
never importing numpy or torch), next to `python -c pass` measured in the same run.

    python benchmarks/plan_code.py [--runs 11]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESNET = ROOT / "tests" / "data" / "models" / "torch" / "resnet.py"
COMMAND = [
    sys.executable,
    "-m",
    "convarith",
    "plan",
    str(RESNET),
    "--class",
    "ResNet(Bottleneck, [3, 4, 6, 3])",
    "-i",
    "3x224x224",
]
CHECK = (
    "import sys, convarith.cli as c; sys.argv=['convarith'] + sys.argv[1:]\n"
    "try:\n    c.main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
    "assert 'numpy' not in sys.modules and 'torch' not in sys.modules, 'heavy import'"
)


def timed(command, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=11)
    runs = parser.parse_args().runs
    subprocess.run([sys.executable, "-c", CHECK, *COMMAND[3:]], check=True, capture_output=True)
    base = timed([sys.executable, "-c", "pass"], runs)
    plan = timed(COMMAND, runs)
    print(
        f"python -c pass: {base:.3f} s; plan ResNet-50 class file: {plan:.3f} s (target <= 0.300 s, "
        f"{plan / 0.3:.2f}x the budget, {plan / base:.1f}x a bare interpreter); numpy and torch not imported"
    )


if __name__ == "__main__":
    main()
