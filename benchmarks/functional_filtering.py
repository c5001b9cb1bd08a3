"""Per-channel image filtering (what `convarith apply` runs) against SciPy.

Run:  python benchmarks/functional_filtering.py [--processes 5] [--rounds 5] [--repeat 2]
Needs scipy (a benchmark-only dependency: pip install scipy). Same measuring environment and
method as benchmarks/functional.py: a fresh process per run with the benchmarking
environment, candidates interleaved round by round, an untimed warm-up call before each timed
block, the best block per candidate; range and median over the processes.

Work: a float32 3x1024x1024 image, one k x k kernel for every channel, zero padding k//2
(output the size of the input). Candidates:

* ours: ``convarith.functional.conv`` with groups=3 (FFT or direct sums by its cost model);
* ours, 1 thread: the same with ``convarith.functional.threads.max_threads = 1``;
* loop: ours one channel at a time (the per-group loop the grouped call must not lose to);
* ndimage: ``scipy.ndimage.correlate(mode="constant")`` (direct sums in C; only up to 15x15,
  it takes seconds beyond);
* signal: ``scipy.signal.correlate(mode="same")``, method auto (it picks FFT or direct).

Target (issue 17): ours at most 0.8x the fastest of ndimage and signal.
"""

from __future__ import annotations

import argparse
import json
import statistics

from functional import cpu_name, interleaved, measured_in_processes, reexec_with_bench_env

KERNELS = (3, 7, 15, 31)
NDIMAGE_UP_TO = 15


def measure(rounds, repeat):
    import numpy as np
    import scipy
    import scipy.ndimage as ndimage
    import scipy.signal as signal

    from convarith import functional as F
    from convarith.functional import spectral, threads

    rng = np.random.default_rng(0)
    image = rng.random((3, 1024, 1024), dtype=np.float32)
    batch = image[None]
    rows = []
    for k in KERNELS:
        kernel = rng.standard_normal((k, k), dtype=np.float32)
        weights = np.broadcast_to(kernel, (3, 1, k, k))

        def ours(weights=weights, k=k):
            return F.conv(batch, weights, padding=k // 2, groups=3)[0]

        def single(weights=weights, k=k):
            threads.max_threads = 1
            try:
                return ours(weights, k)
            finally:
                threads.max_threads = 2

        def loop(kernel=kernel, k=k):
            return [F.conv(batch[:, c : c + 1], kernel[None, None], padding=k // 2) for c in range(3)]

        candidates = {
            "ours": ours,
            "ours_1_thread": single,
            "loop": loop,
            "signal": lambda kernel=kernel: signal.correlate(image, kernel[None], mode="same"),
        }
        if k <= NDIMAGE_UP_TO:
            candidates["ndimage"] = lambda kernel=kernel: ndimage.correlate(image, kernel[None], mode="constant")
        reference = signal.correlate(image.astype(np.float64), kernel[None].astype(np.float64), mode="same")
        scale = float(np.abs(image).max() * np.abs(kernel).sum())
        error = float(np.abs(ours() - reference).max()) / scale
        assert error < 64 * np.finfo(np.float32).eps, (k, error)
        best = interleaved(candidates, rounds, repeat)
        fastest = min(best[name] for name in ("signal", "ndimage") if name in best)
        extents = [1024 + k - 1] * 2
        fft = spectral.cheaper(3, [1024, 1024], [k, k], extents)
        row = {name + "_ms": seconds * 1e3 for name, seconds in best.items()}
        row.update(k=k, path="fft" if fft else "direct", vs_scipy=best["ours"] / fastest)
        row.update(vs_loop=best["ours"] / best["loop"], error_eps=error / float(np.finfo(np.float32).eps))
        rows.append(row)
    return {"numpy": np.__version__, "scipy": scipy.__version__, "rows": rows}


COLUMNS = [
    ("ours_ms", "ours ms", "{:.1f}"),
    ("ours_1_thread_ms", "ours 1 thread ms", "{:.1f}"),
    ("loop_ms", "per-channel loop ms", "{:.1f}"),
    ("ndimage_ms", "ndimage ms", "{:.1f}"),
    ("signal_ms", "signal ms", "{:.1f}"),
    ("vs_scipy", "x fastest SciPy", "{:.2f}"),
    ("vs_loop", "x loop", "{:.2f}"),
]


def spread(values, fmt):
    if not values:
        return "-"
    lo, hi, mid = min(values), max(values), statistics.median(values)
    return fmt.format(mid) if len(values) == 1 else f"{fmt.format(lo)}-{fmt.format(hi)} ({fmt.format(mid)})"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.json:
        reexec_with_bench_env()
        print(json.dumps(measure(args.rounds, args.repeat)))
        return
    runs = measured_in_processes(__file__, args)
    print(f"numpy {runs[0]['numpy']}, scipy {runs[0]['scipy']}; {cpu_name()}; {len(runs)} process(es)")
    print("float32 3x1024x1024, zero padding k//2; cells: range over processes (median)")
    print("| kernel | path | " + " | ".join(title for _, title, _ in COLUMNS) + " | <= 0.8x SciPy |")
    print("|---" * (len(COLUMNS) + 3) + "|")
    for i, k in enumerate(KERNELS):
        rows = [run["rows"][i] for run in runs]
        cells = [spread([r[key] for r in rows if key in r], fmt) for key, _, fmt in COLUMNS]
        met = "yes" if statistics.median(r["vs_scipy"] for r in rows) <= 0.8 else "no"
        print(f"| {k}x{k} | {rows[0]['path']} | " + " | ".join(cells) + f" | {met} |")


if __name__ == "__main__":
    main()
