"""Peak memory of long animations: frames are streamed to the encoder, so it stays flat.

Run:  python benchmarks/animate_memory.py [--frames 100 400 900 1600]
Each size runs `convarith animate conv -i N,N -k 3 --force` (N = sqrt(frames) + 2, one
frame per output position) in a fresh process and reads its peak resident set size
(getrusage of the child; Linux reports KiB). Also the HTML player of the same layer.
Target (issue 16): a 900-frame --force GIF below 300 MB. The canvas grows with the frame
count here (one frame per output cell, and the output plane is drawn), so the peak grows
with it; the last line samples the resident memory during one 900-frame run: flat.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time


def peak_of(command: list[str]) -> tuple[float, float]:
    """(peak RSS in MB, seconds) of one child process."""
    start = time.perf_counter()
    # each child is waited for alone, so RUSAGE_CHILDREN's maximum is raised only by it when it is the largest;
    # a fresh python -c wrapper reports its own child's peak instead
    wrapper = (
        "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run([sys.executable, "-c", wrapper, *command], check=True, capture_output=True, text=True)
    return int(out.stdout.strip()) / 1024 * 1.048576, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, nargs="+", default=[100, 400, 900, 1600])
    args = parser.parse_args()
    convarith = [sys.executable, "-m", "convarith"]
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores")
    print(f"{'frames':>7} {'format':>6} {'canvas':>11} {'peak MB':>8} {'seconds':>8} {'file MB':>8}")
    with tempfile.TemporaryDirectory() as folder:
        for frames in args.frames:
            side = math.isqrt(frames) + 2
            for suffix in (".gif", ".html"):
                path = os.path.join(folder, f"a{frames}{suffix}")
                command = [*convarith, "animate", "conv", "-i", f"{side},{side}", "-k", "3", "--force", "-o", path]
                peak, seconds = peak_of(command)
                size = os.path.getsize(path) / 1e6
                print(f"{(side - 2) ** 2:>7} {suffix[1:]:>6} {side:>5} cells {peak:>8.0f} {seconds:>8.1f} {size:>8.1f}")
        print("resident MB while a 900-frame GIF is written, every 150 frames (flat: memory follows the canvas):")
        sampler = (
            "from convarith import Conv; from convarith.render import scene, save; "
            "from convarith.render.raster import keep_freed_memory; keep_freed_memory(); import sys; "
            "drawn = scene(Conv(3), (32, 32), force=True); seen = []; "
            "tick = lambda: seen.append(int(open('/proc/self/statm').read().split()[1]) * 4096 // 10**6); "
            "save(drawn, sys.argv[1], force=True, on_frame=tick); print(seen[149::150])"
        )
        samples = subprocess.run(
            [sys.executable, "-c", sampler, os.path.join(folder, "s.gif")], check=True, capture_output=True, text=True
        )
        print("   ", samples.stdout.strip())


if __name__ == "__main__":
    main()
