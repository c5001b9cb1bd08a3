"""Running the command line as a hostile or careless user would.

Each ``Case`` runs ``python -m convarith ARGS`` in its own subprocess, in its own empty
folder, under a wall-clock limit and an address-space limit (``resource.setrlimit``), and
``problems`` lists every way the run broke the rules of docs/limits.md:

- it must end within the time limit, with exit code 0 or 2 (or the one the case expects);
- no traceback and no Python warning on stderr; a refusal (exit 2) is one ``error:`` line;
- ``--json`` output must be strict JSON (no NaN or Infinity);
- the folder must hold only the files the case declares: no temporary or partial files.

``run_all`` runs many cases concurrently, so a suite of a hundred costs seconds.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

GiB = 2**30
LAUNCHER = Path(__file__).with_name("hostile_launch.py")  # measures the command's own peak memory


@dataclass(frozen=True)
class Case:
    """One hostile command line.

    ``files`` are written into the case's folder first (name -> bytes); ``outputs`` are the
    names the command may leave behind (beyond ``files``); ``stdout`` redirects the child's
    standard output to a path such as ``/dev/full``; ``send`` delivers a signal after a
    delay (seconds, signal number), for interrupted runs; with ``send_once_caught`` the delay
    counts from the moment the command has installed its handler for that signal (read from
    Linux's /proc), so the signal lands mid-work however fast start-up or the work is.
    """

    name: str
    args: Sequence[str]
    files: dict[str, bytes] = field(default_factory=dict)
    outputs: Sequence[str] = ()
    expect: int | None = None  # the exit code required; None means 0 or 2
    stdin: bytes = b""
    stdout: str | None = None
    send: tuple[float, int] | None = None
    send_once_caught: bool = False
    timeout: float = 20.0
    memory: int = 3 * GiB


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    stderr: str
    seconds: float
    peak_bytes: int
    timed_out: bool
    folder_files: tuple[str, ...]


def _limit_memory(nbytes: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (nbytes, nbytes))
        os.setsid()  # its own process group, so a kill reaches worker processes too

    return apply


def run(case: Case) -> Outcome:
    """Run one case in a fresh temporary folder and collect what it did."""
    with tempfile.TemporaryDirectory(prefix="hostile-") as root:
        folder = Path(root) / "work"
        folder.mkdir()
        for name, data in case.files.items():
            (folder / name).write_bytes(data)
        out_path = Path(root) / "stdout"
        err_path = Path(root) / "stderr"
        env = {**os.environ, "COLUMNS": "120", "PYTHONWARNINGS": "default", "OPENBLAS_NUM_THREADS": "1"}
        env.pop("PYTHONPATH", None)
        with open(case.stdout or out_path, "wb") as out, open(err_path, "wb") as err:
            start = time.monotonic()
            stats = Path(root) / "peak"
            proc = subprocess.Popen(
                [sys.executable, str(LAUNCHER), str(stats), *case.args],
                cwd=folder,
                stdin=subprocess.PIPE,
                stdout=out,
                stderr=err,
                env=env,
                preexec_fn=_limit_memory(case.memory),
            )
            timed_out = threading.Event()

            def kill() -> None:
                timed_out.set()
                _kill_group(proc.pid, signal.SIGKILL)

            timer = threading.Timer(case.timeout, kill)
            timer.start()
            if case.send is not None:
                if case.send_once_caught:
                    threading.Thread(target=_send_once_caught, args=(proc.pid, case.send, case.timeout)).start()
                else:
                    threading.Timer(case.send[0], _kill_group, (proc.pid, case.send[1])).start()
            try:
                if proc.stdin is not None:
                    try:
                        proc.stdin.write(case.stdin)
                        proc.stdin.close()
                    except BrokenPipeError:
                        pass
                _, status, usage = os.wait4(proc.pid, 0)
                proc.returncode = os.waitstatus_to_exitcode(status)
            finally:
                timer.cancel()
            seconds = time.monotonic() - start
        _wait_for_group(proc.pid)
        stdout = "" if case.stdout else out_path.read_text(errors="replace")
        return Outcome(
            proc.returncode,
            stdout,
            err_path.read_text(errors="replace"),
            seconds,
            int(stats.read_text() or 0) * 1024 if stats.exists() else usage.ru_maxrss * 1024,
            timed_out.is_set(),
            tuple(sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))),
        )


def _status(pid: int | str) -> dict[str, str]:
    fields = {}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return fields


def _children(pid: int) -> list[str]:
    try:  # needs CONFIG_PROC_CHILDREN; otherwise every process's parent is looked up
        return Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return [p.name for p in Path("/proc").iterdir() if p.name.isdigit() and _status(p.name).get("PPid") == str(pid)]


def _catches(launcher: int, signum: int) -> bool:
    """Whether the command (the launcher's child) has a handler installed for ``signum``."""
    for child in _children(launcher):
        caught = _status(child).get("SigCgt")
        if caught is not None and int(caught, 16) >> (signum - 1) & 1:
            return True
    return False


def _send_once_caught(launcher: int, send: tuple[float, int], timeout: float) -> None:
    delay, signum = send
    deadline = time.monotonic() + timeout
    while not _catches(launcher, signum):
        if time.monotonic() > deadline:
            return  # the run ends by the time limit, which the case reports
        time.sleep(0.01)
    time.sleep(delay)
    _kill_group(launcher, signum)


def _kill_group(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signum)


def _wait_for_group(pid: int, seconds: float = 5.0) -> None:
    """Worker processes of an interrupted run must stop too; give them a moment, then check."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    _kill_group(pid, signal.SIGKILL)
    raise AssertionError(f"processes of group {pid} still running {seconds} s after the command ended")


_WARNING = re.compile(r"\b\w*Warning\b:")


def _strict_json(text: str) -> None:
    def refuse(constant: str) -> None:
        raise ValueError(f"{constant} is not JSON")

    json.loads(text, parse_constant=refuse)


def problems(case: Case, outcome: Outcome) -> list[str]:
    """Every rule the run broke; an empty list means it behaved."""
    found = []
    if outcome.timed_out:
        found.append(f"still running after {case.timeout} s")
    allowed = (case.expect,) if case.expect is not None else (0, 2)
    if outcome.code not in allowed and not outcome.timed_out:
        found.append(f"exit code {outcome.code}, expected {' or '.join(map(str, allowed))}")
    if "Traceback" in outcome.stderr:
        found.append("a traceback on stderr")
    if _WARNING.search(outcome.stderr):
        found.append("a Python warning on stderr")
    lines = outcome.stderr.splitlines()
    if outcome.code == 2 and (len(lines) != 1 or not lines[0].startswith("error: ")):
        found.append(f"a refusal must be one 'error:' line, got {len(lines)} lines")
    if outcome.code == 0 and "--json" in case.args and case.stdout is None:
        try:
            _strict_json(outcome.stdout)
        except ValueError as exc:
            found.append(f"--json output is not strict JSON ({exc})")
    stray = set(outcome.folder_files) - set(case.files) - set(case.outputs)
    if stray:
        found.append(f"stray files left behind: {sorted(stray)}")
    return found


def run_all(cases: Iterable[Case], workers: int = 4) -> dict[str, Outcome]:
    cases = list(cases)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return dict(zip((c.name for c in cases), pool.map(run, cases), strict=True))


def report(case: Case, outcome: Outcome) -> str:
    return (
        f"{case.name}: convarith {' '.join(case.args)}\n  exit {outcome.code} after {outcome.seconds:.1f} s, "
        f"peak {outcome.peak_bytes / 2**20:.0f} MiB\n  stderr: {outcome.stderr[-2000:]!r}\n"
        f"  stdout: {outcome.stdout[:300]!r}"
    )
