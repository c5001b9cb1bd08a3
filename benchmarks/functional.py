"""convarith.functional against torch (CPU, 2 threads) and against NumPy's own matmul.

Run:  python benchmarks/functional.py [--rounds 3] [--repeat 5]
Needs torch (pip install torch==2.13.0). The script re-executes itself once with a
benchmarking environment, for this command only: OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset
(they halve NumPy's GEMM speed on these machines), OMP_WAIT_POLICY=PASSIVE (torch's and
OpenBLAS's spinning threads would steal the other core) and large malloc thresholds (fresh
page faults are expensive on these VMs). Each op is timed in a block of --repeat calls after
a warm-up; the best of --rounds blocks counts. Targets (issue 3): conv2d 56x56x64 at most
1.25x torch and at least 70% of a square matmul's FLOP rate; conv_transpose2d at most 1.0x
torch; max_pool2d at most 0.5x torch.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

BENCH_ENV = {"OMP_WAIT_POLICY": "PASSIVE", "MALLOC_MMAP_THRESHOLD_": str(2**30), "MALLOC_TRIM_THRESHOLD_": str(2**31)}


def reexec_with_bench_env():
    if os.environ.get("CONVARITH_BENCH_CHILD"):
        return
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    env.update(BENCH_ENV, CONVARITH_BENCH_CHILD="1")
    os.execve(sys.executable, [sys.executable, *sys.argv], env)


def best_block(fn, repeat, rounds):
    fn()  # warm-up: caches, scratch buffers, thread pools
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(repeat):
            fn()
        best = min(best, (time.perf_counter() - start) / repeat)
    return best


def main():
    reexec_with_bench_env()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    import numpy as np
    import torch
    import torch.nn.functional as TF

    from convarith import functional as F

    torch.set_num_threads(2)
    rng = np.random.default_rng(0)
    f32 = np.float32

    def conv_case(shape, w_shape, **kw):
        x = rng.standard_normal(shape, dtype=f32)
        w = rng.standard_normal(w_shape, dtype=f32)
        tx, tw = torch.from_numpy(x), torch.from_numpy(w)
        out = F.conv(x, w, **kw)
        flops = 2 * out.size * w_shape[1] * int(np.prod(w_shape[2:]))
        return (lambda: F.conv(x, w, **kw)), (lambda: TF.conv2d(tx, tw, **kw)), flops, out, TF.conv2d(tx, tw, **kw)

    def convt_case(shape, w_shape, **kw):
        x = rng.standard_normal(shape, dtype=f32)
        w = rng.standard_normal(w_shape, dtype=f32)
        tx, tw = torch.from_numpy(x), torch.from_numpy(w)
        out = F.conv_transpose(x, w, **kw)
        flops = 2 * x.size * w_shape[1] * int(np.prod(w_shape[2:]))
        return (
            (lambda: F.conv_transpose(x, w, **kw)),
            (lambda: TF.conv_transpose2d(tx, tw, **kw)),
            flops,
            out,
            TF.conv_transpose2d(tx, tw, **kw),
        )

    def pool_case(shape, **kw):
        x = rng.standard_normal(shape, dtype=f32)
        tx = torch.from_numpy(x)
        return (
            (lambda: F.max_pool(x, **kw)),
            (lambda: TF.max_pool2d(tx, **kw)),
            0,
            F.max_pool(x, **kw),
            TF.max_pool2d(tx, **kw),
        )

    cases = [
        ("conv2d (8,64,56,56) k3 p1", conv_case((8, 64, 56, 56), (64, 64, 3, 3), padding=1), 1.25),
        (
            "conv_transpose2d (8,64,28,28) k4 s2 p1",
            convt_case((8, 64, 28, 28), (64, 64, 4, 4), stride=2, padding=1),
            1.0,
        ),
        ("max_pool2d (8,64,112,112) k3 s2 p1", pool_case((8, 64, 112, 112), kernel_size=3, stride=2, padding=1), 0.5),
        ("conv2d (8,3,224,224) k7 s2 p3", conv_case((8, 3, 224, 224), (64, 3, 7, 7), stride=2, padding=3), None),
        ("conv2d (8,256,14,14) k3 p1", conv_case((8, 256, 14, 14), (256, 256, 3, 3), padding=1), None),
    ]
    print(f"numpy {np.__version__}, torch {torch.__version__}, torch threads {torch.get_num_threads()}")
    print(
        f"{'operation':42} {'ours ms':>8} {'torch ms':>9} {'ratio':>6} {'target':>7} {'met':>4} "
        f"{'GFLOP/s':>8} {'vs matmul':>9}"
    )
    for name, (ours, theirs, flops, got, ref), target in cases:
        err = float(np.abs(got - ref.numpy()).max() / max(1e-30, float(np.abs(ref.numpy()).max())))
        assert got.shape == tuple(ref.shape) and err < 1e-4, (name, err)
        t_ours = best_block(ours, args.repeat, args.rounds)
        t_torch = best_block(theirs, args.repeat, args.rounds)
        ratio = t_ours / t_torch
        gflops = flops / t_ours / 1e9 if flops else 0
        vs = ""
        if flops:
            n = round((flops / 2) ** (1 / 3))
            a, b = rng.standard_normal((n, n), dtype=f32), rng.standard_normal((n, n), dtype=f32)
            t_mm = best_block(lambda a=a, b=b: a @ b, args.repeat, args.rounds)
            vs = f"{gflops / (2 * n**3 / t_mm / 1e9):8.0%}"
        goal = "" if target is None else f"<={target:.2f}"
        met = "" if target is None else ("yes" if ratio <= target else "no")
        print(
            f"{name:42} {t_ours * 1e3:8.2f} {t_torch * 1e3:9.2f} {ratio:6.2f} {goal:>7} {met:>4} "
            f"{gflops if flops else float('nan'):8.1f} {vs:>9}"
        )


if __name__ == "__main__":
    main()
