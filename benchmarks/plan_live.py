"""Planning a live ResNet-50 (``plan --from-torch``) against ``torchinfo.summary`` on the
same model and input, measured in the same run, in fresh processes.

Targets (issue 14): the plan in at most 1.5x torchinfo's wall time, and the memory it adds
over a bare ``import torch`` below the model's own parameter bytes (102 MB for ResNet-50):
the model is built and run on the meta device, so no weight is ever allocated.

    python benchmarks/plan_live.py [--runs 5]      (needs torch and torchinfo)

Three numbers per tool, medians over the runs, runs interleaved:
- in process: ``convarith.plan.plan(model, (1, 3, 224, 224))`` vs ``torchinfo.summary(model,
  (1, 3, 224, 224), verbose=0)`` on the same CPU-built model, both warm (second call);
- end to end: the command line ``convarith plan --from-torch resnet.py:ResNet`` vs a script
  that builds the model on the CPU and calls torchinfo (what a torchinfo user runs);
- peak RSS of those processes, and of ``python -c "import torch"`` as the floor.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESNET = ROOT / "tests" / "data" / "models" / "torch" / "resnet.py"
BUILD = "ResNet(Bottleneck, [3, 4, 6, 3])"

IN_PROCESS = f"""
import time, torch, torchinfo
from convarith.plan import plan
namespace = {{}}
exec(open({str(RESNET)!r}).read(), namespace)
model = eval({BUILD!r}, namespace)
size = (1, 3, 224, 224)
def timed(f):
    f()  # warm
    start = time.perf_counter(); f(); return time.perf_counter() - start
ours = timed(lambda: plan(model, size))
theirs = timed(lambda: torchinfo.summary(model, size, verbose=0))
print(ours, theirs)
"""
TORCHINFO_SCRIPT = f"""
import torch, torchinfo
namespace = {{}}
exec(open({str(RESNET)!r}).read(), namespace)
model = eval({BUILD!r}, namespace)
print(torchinfo.summary(model, (1, 3, 224, 224), verbose=0).total_mult_adds)
"""
OURS = [sys.executable, "-m", "convarith", "plan", "--from-torch", f"{RESNET}:ResNet"]
OURS += ["--args", "Bottleneck, [3, 4, 6, 3]", "-i", "1x3x224x224"]


def measured(command: list[str]) -> tuple[float, float, str]:
    """Wall seconds and peak RSS (MB) of one fresh process, and its output."""
    wrapper = (
        "import resource, subprocess, sys, time\n"
        "start = time.perf_counter()\n"
        "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "wall = time.perf_counter() - start\n"
        "assert done.returncode == 0, done.stderr\n"
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
        "print(wall, peak)\n"
        "print(done.stdout, end='')\n"
    )
    out = subprocess.run([sys.executable, "-c", wrapper, *command], check=True, capture_output=True, text=True)
    first, _, rest = out.stdout.partition("\n")
    wall, peak = map(float, first.split())
    return wall, peak, rest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    print(f"CPU: {cpu}; python {platform.python_version()}; {runs} runs, interleaved")
    warm_ours, warm_theirs, cli_ours, cli_theirs, rss_ours, rss_theirs, rss_floor = [], [], [], [], [], [], []
    for _ in range(runs):
        _, _, text = measured([sys.executable, "-c", IN_PROCESS])
        ours, theirs = map(float, text.split())
        warm_ours.append(ours)
        warm_theirs.append(theirs)
        wall, peak, _ = measured(OURS)
        cli_ours.append(wall)
        rss_ours.append(peak)
        wall, peak, _ = measured([sys.executable, "-c", TORCHINFO_SCRIPT])
        cli_theirs.append(wall)
        rss_theirs.append(peak)
        rss_floor.append(measured([sys.executable, "-c", "import torch"])[1])
    med = statistics.median
    print(
        f"in process, warm:  convarith {med(warm_ours):.3f} s, torchinfo {med(warm_theirs):.3f} s, "
        f"ratio {med(warm_ours) / med(warm_theirs):.2f} (target <= 1.5)"
    )
    print(
        f"end to end:        convarith {med(cli_ours):.2f} s, torchinfo script {med(cli_theirs):.2f} s, "
        f"ratio {med(cli_ours) / med(cli_theirs):.2f}"
    )
    params_mb = 25_557_032 * 4 / 2**20
    added = med(rss_ours) - med(rss_floor)
    print(
        f"peak RSS:          convarith {med(rss_ours):.0f} MB, torchinfo script {med(rss_theirs):.0f} MB, "
        f"import torch alone {med(rss_floor):.0f} MB"
    )
    print(f"memory added over import torch: {added:.0f} MB (target below the parameters' {params_mb:.0f} MB)")


if __name__ == "__main__":
    main()
