"""Hostile command lines for shape, solve, rf and tour: each runs in a subprocess under a time
and an address-space limit (tests/hostile.py) and must end in exit 0 or 2 with one error
line, strict JSON and no stray files, in time proportional to the answer."""

from __future__ import annotations

import signal

import pytest
from hostile import Case, problems, report, run_all

BIG = "10000000000000000000"  # 10**19
SPEC_K9 = b'[[layers]]\ntype = "conv1d"\nin_channels = 1\nout_channels = 1\nkernel_size = 1000000000\ndilation = 1000\n'

# About 1 s of work (20,000 candidates). The signal is sent 0.2 s after the command has installed
# its handler (before that the default action kills, with no message), so it lands mid-search
# however fast the machine: a fixed delay from start raced the search on a faster CI machine.
LONG_SOLVE = ["solve", "-i", "1000", "-o", "1000", "--max-kernel", "20000", "--max-stride", "1", "-f", "tf"]

CASES = [
    # 1. work that grows with a number: every one of these answers (or refuses) at once
    Case(
        "solve-many-kernels",
        ["solve", "-i", "1000000000", "-o", "50008", "-s", "19997", "--max-kernel", "20000", "-n", "1"],
        timeout=8,
    ),
    Case(
        "solve-transpose-wide",
        [
            "solve",
            "-i",
            "7x9",
            "-o",
            "300x400",
            "--op",
            "conv-transpose",
            "--max-kernel",
            "150",
            "--max-stride",
            "130",
            "--json",
        ],
        timeout=8,
    ),
    Case(
        "solve-dilated-wide",
        [
            "solve",
            "-i",
            "1000000",
            "-o",
            "17",
            "--max-kernel",
            "200",
            "--max-stride",
            "60000",
            "--max-dilation",
            "50",
            "--json",
        ],
        timeout=8,
    ),
    Case(
        "solve-huge-fixed",
        ["solve", "-i", BIG, "-o", "3", "-k", "999999999999", "-s", "999999999999", "--max-dilation", "3", "--json"],
        timeout=8,
        expect=1,
    ),
    Case(
        "shape-huge-window",
        [
            "shape",
            "conv",
            "-i",
            f"{BIG}x{BIG}",
            "-k",
            "999999999999x7",
            "-s",
            "1000000000000",
            "-d",
            "999999x1",
            "--json",
        ],
        timeout=8,
    ),
    Case(
        "shape-huge-transpose",
        ["shape", "conv-transpose", "-i", BIG, "-k", "99999999999", "-s", "99999999999", "-p", "77777777", "--explain"],
        timeout=8,
    ),
    Case(
        "shape-huge-pool-ceil",
        ["shape", "max-pool", "-i", f"{BIG}x5", "-k", "3x1000000000001", "-s", "7x1", "-p", "1x0", "--ceil-mode"],
        timeout=8,
    ),
    Case("rf-preset-huge-input", ["rf", "--preset", "resnet18", "-i", f"3x{BIG}x{BIG}", "--json"], timeout=8),
    Case("plan-preset-huge-input", ["plan", "--preset", "unet", "-i", f"1x{BIG}x{BIG}", "--json"], timeout=8),
    Case("rf-kernel-1e9", ["rf", "k9.toml", "-i", "1x1000000000000000"], files={"k9.toml": SPEC_K9}, timeout=8),
    Case("shape-adaptive-zero", ["shape", "adaptive-max-pool", "-i", "5x6", "--output-size", "0x3", "--json"]),
    # 5/9. refusals are one line, whatever the text contains
    Case("shape-unknown-framework", ["shape", "conv", "-i", "8", "-k", "3", "-f", "caffe"], expect=2),
    Case("shape-newline-size", ["shape", "conv", "-i", "8\n8", "-k", "3"], expect=2),
    Case("shape-digits", ["shape", "conv", "-i", "9" * 5000, "-k", "3"], expect=2),
    Case("solve-zero-limit", ["solve", "-i", "8", "-o", "4", "-n", "0"], expect=2),
    Case("solve-nothing-found", ["solve", "-i", "8", "-o", "400", "--json"], expect=1),  # grep's convention
    # 7. process-level faults
    Case("tour-full-disk", ["tour"], stdout="/dev/full", expect=2),
    Case("shape-json-full-disk", ["shape", "conv", "-i", "224", "-k", "3", "--json"], stdout="/dev/full", expect=2),
    Case(
        "solve-sigterm",
        LONG_SOLVE,
        send=(0.2, signal.SIGTERM),
        send_once_caught=True,
        expect=128 + signal.SIGTERM,
        timeout=8,
    ),
    Case(
        "solve-sighup",
        LONG_SOLVE,
        send=(0.2, signal.SIGHUP),
        send_once_caught=True,
        expect=128 + signal.SIGHUP,
        timeout=8,
    ),
]


@pytest.fixture(scope="module")
def outcomes():
    return run_all(CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_hostile(case, outcomes):
    outcome = outcomes[case.name]
    assert not problems(case, outcome), report(case, outcome)


def test_refusals_say_what_lifts_them(outcomes):
    err = outcomes["solve-many-kernels"].stderr
    assert "over 50,000 configurations" in err and "max_kernel" in err
    assert outcomes["tour-full-disk"].stderr.startswith("error: cannot write the output: No space left on device")
    assert "\\n" in outcomes["shape-newline-size"].stderr  # the newline shown, not obeyed
    assert outcomes["solve-sigterm"].stderr.strip() == "error: interrupted by SIGTERM"


def test_the_harness_catches_each_kind_of_misbehaviour():
    from hostile import Outcome

    def found(case, **changes):
        fields = {
            "code": 0,
            "stdout": "{}",
            "stderr": "",
            "seconds": 0.1,
            "peak_bytes": 0,
            "timed_out": False,
            "folder_files": (),
            **changes,
        }
        return problems(case, Outcome(**fields))

    plain, json_case = Case("x", ["shape"]), Case("x", ["shape", "--json"], outputs=["out.png"])
    assert found(plain) == []
    assert found(json_case, folder_files=("out.png",)) == []
    assert found(plain, timed_out=True, code=-9)
    assert found(plain, code=1)
    assert found(plain, code=2, stderr="Traceback (most recent call last):\nValueError: x\n")
    assert found(plain, code=2, stderr="error: one\nerror: two\n")
    assert found(plain, stderr="/x.py:3: RuntimeWarning: overflow encountered\n")
    assert found(json_case, stdout='{"a": NaN}')
    assert found(json_case, folder_files=("out.png", ".out.png.tmp"))
