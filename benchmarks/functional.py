"""convarith.functional against NumPy's own sgemm rate (the ceiling of a NumPy backend) and torch.

Run:  python benchmarks/functional.py [--processes 5] [--rounds 7] [--repeat 3]
Needs torch (pip install torch==2.13.0). Each measuring process re-executes itself once with
a benchmarking environment, for this command only: OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset
(they halve NumPy's GEMM speed on these machines), OMP_WAIT_POLICY=PASSIVE (torch's and
OpenBLAS's spinning threads would steal the other core) and large malloc thresholds (fresh
page faults are expensive on these VMs).

Method: per case, the candidates (ours, torch, a square NumPy matmul of the same FLOP count)
are interleaved for --rounds rounds; in each round every candidate gets an untimed warm-up
call and then a timed block of --repeat calls (torch's two-thread conv runs twice as slow on
its first call after the process idles 0.3 s). The best block per candidate counts. "vs
sgemm" is our useful GFLOP/s over the square matmul's, measured in the same process. With
--processes N the whole measurement runs in N fresh processes one after the other and the
table gives the range and the median over them; the CPU and the load average are printed.

Targets (issue 17): conv2d 56x56x64 at least 72% of the sgemm rate (median over processes),
conv_transpose2d at least 50% (useful FLOPs), max_pool2d at most 0.35x torch, grouped conv
never slower than the same work as a per-group loop.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

BENCH_ENV = {"OMP_WAIT_POLICY": "PASSIVE", "MALLOC_MMAP_THRESHOLD_": str(2**30), "MALLOC_TRIM_THRESHOLD_": str(2**31)}


def reexec_with_bench_env():
    if os.environ.get("CONVARITH_BENCH_CHILD"):
        return
    os.execve(sys.executable, [sys.executable, *sys.argv], bench_env())


def bench_env():
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    env.update(BENCH_ENV, CONVARITH_BENCH_CHILD="1")
    return env


def cpu_name():
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or "unknown CPU"


def load_average():
    try:
        return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    except OSError:
        return "load unknown"


def interleaved(candidates, rounds, repeat):
    """Best seconds per call of each candidate; each round warms every candidate up, then times a block."""
    best = {name: float("inf") for name in candidates}
    for _ in range(rounds):
        for name, fn in candidates.items():
            fn()  # warm-up: caches, scratch, thread pools woken
            start = time.perf_counter()
            for _ in range(repeat):
                fn()
            best[name] = min(best[name], (time.perf_counter() - start) / repeat)
    return best


def measure(rounds, repeat, only=""):
    """One process: every case (or those whose name contains ``only``), as a list of result rows (dicts)."""
    import numpy as np
    import torch
    import torch.nn.functional as TF

    from convarith import functional as F

    torch.set_num_threads(2)
    rng = np.random.default_rng(0)
    f32 = np.float32

    def square(flops):
        n = round((flops / 2) ** (1 / 3))
        a, b = rng.standard_normal((n, n), dtype=f32), rng.standard_normal((n, n), dtype=f32)
        return (lambda: a @ b), 2 * n**3

    def check(got, ref, name):
        ref = ref.numpy()
        err = float(np.abs(got - ref).max() / max(1e-30, float(np.abs(ref).max())))
        assert got.shape == ref.shape and err < 1e-4, (name, err)

    rows = []

    def conv_case(name, shape, w_shape, **kw):
        if only not in name:
            return
        x, w = rng.standard_normal(shape, dtype=f32), rng.standard_normal(w_shape, dtype=f32)
        tx, tw = torch.from_numpy(x), torch.from_numpy(w)
        out = F.conv(x, w, **kw)
        check(out, TF.conv2d(tx, tw, **kw), name)
        flops = 2 * out.size * w_shape[1] * int(np.prod(w_shape[2:]))
        mm, mm_flops = square(flops)
        candidates = {"ours": lambda: F.conv(x, w, **kw), "torch": lambda: TF.conv2d(tx, tw, **kw), "sgemm": mm}
        groups = kw.get("groups", 1)
        if groups > 1:  # the same work as a per-group loop
            cg, og = shape[1] // groups, w_shape[0] // groups
            parts = [(x[:, g * cg : (g + 1) * cg], w[g * og : (g + 1) * og]) for g in range(groups)]
            loop_kw = {k: v for k, v in kw.items() if k != "groups"}
            candidates["loop"] = lambda: [F.conv(xg, wg, **loop_kw) for xg, wg in parts]
        best = interleaved(candidates, rounds, repeat)
        rows.append(result(name, best, flops, mm_flops))

    def convt_case(name, shape, w_shape, **kw):
        if only not in name:
            return
        x, w = rng.standard_normal(shape, dtype=f32), rng.standard_normal(w_shape, dtype=f32)
        tx, tw = torch.from_numpy(x), torch.from_numpy(w)
        check(F.conv_transpose(x, w, **kw), TF.conv_transpose2d(tx, tw, **kw), name)
        flops = 2 * x.size * w_shape[1] * int(np.prod(w_shape[2:]))  # useful: every input cell times every tap
        mm, mm_flops = square(flops)
        best = interleaved(
            {
                "ours": lambda: F.conv_transpose(x, w, **kw),
                "torch": lambda: TF.conv_transpose2d(tx, tw, **kw),
                "sgemm": mm,
            },
            rounds,
            repeat,
        )
        rows.append(result(name, best, flops, mm_flops))

    def pool_case(name, shape, **kw):
        if only not in name:
            return
        x = rng.standard_normal(shape, dtype=f32)
        tx = torch.from_numpy(x)
        check(F.max_pool(x, **kw), TF.max_pool2d(tx, **kw), name)
        best = interleaved(
            {"ours": lambda: F.max_pool(x, **kw), "torch": lambda: TF.max_pool2d(tx, **kw)}, rounds, repeat
        )
        rows.append(result(name, best, 0, 0))

    conv_case("conv2d (8,64,56,56) k3 p1", (8, 64, 56, 56), (64, 64, 3, 3), padding=1)
    convt_case("conv_transpose2d (8,64,28,28) k4 s2 p1", (8, 64, 28, 28), (64, 64, 4, 4), stride=2, padding=1)
    pool_case("max_pool2d (8,64,112,112) k3 s2 p1", (8, 64, 112, 112), kernel_size=3, stride=2, padding=1)
    conv_case("conv2d (8,3,224,224) k7 s2 p3", (8, 3, 224, 224), (64, 3, 7, 7), stride=2, padding=3)
    conv_case("conv2d (8,256,14,14) k3 p1", (8, 256, 14, 14), (256, 256, 3, 3), padding=1)
    conv_case("conv2d (8,64,56,56) k3 p1 groups=4", (8, 64, 56, 56), (64, 16, 3, 3), padding=1, groups=4)
    conv_case("depthwise (8,64,56,56) k3 p1", (8, 64, 56, 56), (64, 1, 3, 3), padding=1, groups=64)
    return {"numpy": np.__version__, "torch": torch.__version__, "rows": rows}


def result(name, best, flops, mm_flops):
    row = {"name": name, "ours_ms": best["ours"] * 1e3, "torch_ms": best["torch"] * 1e3}
    row["vs_torch"] = best["ours"] / best["torch"]
    if flops:
        row["gflops"] = flops / best["ours"] / 1e9
        row["vs_sgemm"] = (flops / best["ours"]) / (mm_flops / best["sgemm"])
        row["sgemm_gflops"] = mm_flops / best["sgemm"] / 1e9
    if "loop" in best:
        row["vs_loop"] = best["ours"] / best["loop"]
    return row


TARGETS = {
    "conv2d (8,64,56,56) k3 p1": ("vs_sgemm", ">=", 0.72),
    "conv_transpose2d (8,64,28,28) k4 s2 p1": ("vs_sgemm", ">=", 0.50),
    "max_pool2d (8,64,112,112) k3 s2 p1": ("vs_torch", "<=", 0.35),
    "conv2d (8,64,56,56) k3 p1 groups=4": ("vs_loop", "<=", 1.0),
    "depthwise (8,64,56,56) k3 p1": ("vs_loop", "<=", 1.0),
}
COLUMNS = [("ours_ms", "ours ms", "{:.2f}"), ("torch_ms", "torch ms", "{:.2f}"), ("vs_torch", "x torch", "{:.2f}")]
COLUMNS += [("gflops", "GFLOP/s", "{:.0f}"), ("sgemm_gflops", "sgemm GFLOP/s", "{:.0f}")]
COLUMNS += [("vs_sgemm", "vs sgemm", "{:.0%}"), ("vs_loop", "x loop", "{:.2f}")]


def spread(values, fmt):
    if not values:
        return ""
    lo, hi, mid = min(values), max(values), statistics.median(values)
    if len(values) == 1:
        return fmt.format(mid)
    return f"{fmt.format(lo)}-{fmt.format(hi)} ({fmt.format(mid)})"


def report(runs):
    print(f"numpy {runs[0]['numpy']}, torch {runs[0]['torch']}; {cpu_name()}; {len(runs)} process(es)")
    print("cells: range over processes (median)")
    names = [row["name"] for row in runs[0]["rows"]]
    print("| operation | " + " | ".join(title for _, title, _ in COLUMNS) + " | target | met |")
    print("|---" * (len(COLUMNS) + 3) + "|")
    for name in names:
        rows = [next(r for r in run["rows"] if r["name"] == name) for run in runs]
        cells = [spread([r[key] for r in rows if key in r], fmt) for key, _, fmt in COLUMNS]
        goal = met = ""
        if name in TARGETS:
            key, op, value = TARGETS[name]
            median = statistics.median(r[key] for r in rows)
            goal = f"{key} {op} {value:g}"
            met = "yes" if (median >= value if op == ">=" else median <= value) else "no"
        print(f"| {name} | " + " | ".join(cells) + f" | {goal} | {met} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=1, help="fresh measuring processes, one after the other")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", default="", help="only the cases whose name contains this text")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # a measuring child's output
    args = parser.parse_args()
    if args.json:
        reexec_with_bench_env()
        print(json.dumps(measure(args.rounds, args.repeat, args.only)))
        return
    runs = measured_in_processes(__file__, args)
    report(runs)


def measured_in_processes(script, args):
    """Run ``script --json`` in ``args.processes`` fresh processes one after the other; their
    results, with the load average printed before and after."""
    print(load_average(), "before")
    runs = []
    for _ in range(max(1, args.processes)):
        child = [sys.executable, script, "--json", "--rounds", str(args.rounds), "--repeat", str(args.repeat)]
        child += ["--only", args.only] if getattr(args, "only", "") else []
        done = subprocess.run(child, env=bench_env(), check=True, stdout=subprocess.PIPE, text=True)
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(load_average(), "after")
    return runs


if __name__ == "__main__":
    main()
