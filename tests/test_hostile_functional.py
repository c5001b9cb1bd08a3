"""The command line over convarith.functional with hostile magnitudes (issue 12).

Each case runs in its own process under a time and an address-space limit (tests/hostile.py):
huge strides, dilations, paddings and kernels must finish at once, with exit 0, or refuse
with one ``error:`` line (exit 2); never hang, never run out of memory, never a traceback.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from hostile import Case, GiB, problems, report, run_all


def _npy(array) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


BIG_KERNEL = _npy(np.ones((200, 200)))
T = 8.0  # seconds per case: each needs well under one
M = 1 * GiB

CASES = [
    Case(
        "apply-stride-1e12",
        ["apply", "-k", "sobel-x", "-s", "1000000000000", "-o", "out.png"],
        outputs=["out.png"],
        expect=0,
        timeout=T,
        memory=M,
    ),
    Case(
        "apply-stride-per-axis-1e15",
        ["apply", "-k", "gaussian", "-s", "1000000000000000x2", "-o", "out.npy"],
        outputs=["out.npy"],
        expect=0,
        timeout=T,
        memory=M,
    ),
    Case(
        "apply-dilation-1e8-zeros",
        ["apply", "-k", "sobel-y", "-d", "100000000", "--padding-mode", "zeros", "-o", "out.npy"],
        outputs=["out.npy"],
        expect=0,
        timeout=T,
        memory=M,
    ),
    Case(
        "apply-dilation-1e8-reflect",
        ["apply", "-k", "laplacian", "-d", "100000000", "-o", "out.png"],
        outputs=["out.png"],
        expect=2,
        timeout=T,
        memory=M,
    ),
    Case(
        "apply-dilation-1e12-no-room",
        [
            "apply",
            "-k",
            "laplacian",
            "-d",
            "1000000000000x1",
            "-p",
            "0x1",
            "--padding-mode",
            "circular",
            "-o",
            "out.png",
        ],
        outputs=["out.png"],
        expect=2,
        timeout=T,
        memory=M,
    ),
    Case(
        "apply-stride-1e12-circular",
        ["apply", "-k", "laplacian", "-s", "1000000000000", "-p", "500", "--padding-mode", "circular", "-o", "out.png"],
        outputs=["out.png"],
        expect=0,
        timeout=T,
        memory=M,
    ),
    Case(
        "apply-replicate-padding-1e12-strided",
        [
            "apply",
            "-k",
            "sharpen",
            "-s",
            "1000000000000",
            "-p",
            "1000000000000",
            "--padding-mode",
            "replicate",
            "-o",
            "out.npy",
        ],
        outputs=["out.npy"],
        expect=0,
        timeout=T,
        memory=M,
    ),
    Case(
        "apply-zeros-padding-1e9-strided",
        [
            "apply",
            "-k",
            "box-blur",
            "-s",
            "999999999x7",
            "-p",
            "1000000000x3",
            "--padding-mode",
            "zeros",
            "--grey",
            "-o",
            "out.npy",
        ],
        outputs=["out.npy"],
        expect=0,
        timeout=T,
        memory=M,
    ),
    Case(
        "apply-padding-huge-output",
        ["apply", "-k", "sobel-x", "-p", "10000000", "--padding-mode", "zeros", "-o", "out.png"],
        outputs=["out.png"],
        expect=2,
        timeout=T,
        memory=M,
    ),
    Case(
        "apply-lattice-stride-dilation",
        [
            "apply",
            "-k",
            "emboss",
            "-s",
            "1000000000000",
            "-d",
            "1000000000001",
            "-p",
            "2000000000000",
            "--padding-mode",
            "zeros",
            "-o",
            "out.npy",
        ],
        outputs=["out.npy"],
        timeout=T,
        memory=M,
    ),
    Case(
        "apply-kernel-200-valid",
        ["apply", "--kernel-file", "k.npy", "-p", "valid", "--grey", "-s", "8", "-o", "out.npy"],
        files={"k.npy": BIG_KERNEL},
        outputs=["out.npy"],
        expect=0,
        timeout=T,
        memory=M,
    ),
    Case(
        "plan-verify-huge-stride-and-pool",
        [
            "plan",
            "--code",
            "nn.Conv2d(3, 8, 3, stride=1000000000000), nn.MaxPool2d(1000000000, stride=1, padding=500000000)",
            "-i",
            "3x32x32",
            "--verify",
        ],
        expect=0,
        timeout=T,
        memory=M,
    ),
    Case(
        "plan-verify-dilation-1e9-same",
        [
            "plan",
            "--code",
            "nn.Conv2d(3, 4, 3, dilation=1000000000, padding='same'), "
            "nn.AvgPool2d(1000001, stride=1000000, padding=500000)",
            "-i",
            "3x17x9",
            "--verify",
        ],
        timeout=T,
        memory=M,
    ),
    Case(
        "animate-values-stride-1e12",
        ["animate", "conv", "-i", "8", "-k", "3", "-s", "1000000000000", "--values", "-o", "a.gif"],
        outputs=["a.gif"],
        expect=0,
        timeout=T,
        memory=M,
    ),
    Case(
        "animate-values-pool-kernel-1e9",
        [
            "animate",
            "max-pool",
            "-i",
            "8",
            "-k",
            "1000000000",
            "-s",
            "1000000000",
            "-p",
            "500000000",
            "--values",
            "-o",
            "a.gif",
        ],
        outputs=["a.gif"],
        timeout=T,
        memory=M,
    ),
]


@pytest.fixture(scope="module")
def outcomes():
    return run_all(CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_hostile(case, outcomes):
    assert not problems(case, outcomes[case.name]), report(case, outcomes[case.name])
