"""Wall time of `convarith shape` from a cold interpreter, beside `python -c pass`.

Run: python benchmarks/startup.py [--runs 21]
Prints the median and the ratio to a bare interpreter start measured in the same run.
The issue's target: median at most 0.35 s on the project's 2-core machines.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time

COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "python -c 'import convarith'": [sys.executable, "-c", "import convarith"],
    "convarith shape conv ...": [
        sys.executable,
        "-m",
        "convarith",
        "shape",
        "conv",
        "-i",
        "1x3x224x224",
        "-k",
        "3",
        "-s",
        "2",
        "-p",
        "1",
        "--out-channels",
        "64",
    ],
    "convarith shape ... --json": [
        sys.executable,
        "-m",
        "convarith",
        "shape",
        "conv",
        "-i",
        "224",
        "-k",
        "3",
        "-s",
        "2",
        "-p",
        "same",
        "-f",
        "tf",
        "--json",
    ],
    "convarith solve -i 224 -o 112": [sys.executable, "-m", "convarith", "solve", "-i", "224", "-o", "112"],
}


def median_wall(cmd, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    script = shutil.which("convarith")
    if script:
        COMMANDS["convarith (console script)"] = [script, "shape", "conv", "-i", "32x32", "-k", "3"]
    base = None
    print(f"{'command':34} {'median s':>9} {'x python -c pass':>17}")
    for name, cmd in COMMANDS.items():
        t = median_wall(cmd, args.runs)
        base = base or t
        print(f"{name:34} {t:9.3f} {t / base:17.2f}")


if __name__ == "__main__":
    main()
