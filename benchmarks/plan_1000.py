"""Wall time of planning a 1000-layer spec from the command line, start-up included.

Run: python benchmarks/plan_1000.py [--runs 5]. Target (issue 5): at most 0.5 s.
The spec repeats a conv/batch-norm/relu block with a residual addition (4 layers) 250 times.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SPEC = """
input = [64, 56, 56]
[blocks.res]
layers = [
  { type = "conv", out_channels = 64, kernel_size = 3, padding = 1, bias = false, name = "c" },
  { type = "batch_norm" },
  { type = "relu" },
  { type = "add", inputs = ["c", "input"] },
]
[[layers]]
block = "res"
repeat = 250
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        spec = Path(folder) / "deep.toml"
        spec.write_text(SPEC)
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "convarith", "plan", str(spec), "--json"], check=True, stdout=subprocess.DEVNULL
            )
            times.append(time.perf_counter() - start)
        base = []
        for _ in range(args.runs):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", "pass"], check=True)
            base.append(time.perf_counter() - start)
    print(
        f"plan 1000 layers: median {statistics.median(times):.3f} s "
        f"(python -c pass: {statistics.median(base):.3f} s), target <= 0.5 s"
    )


if __name__ == "__main__":
    main()
