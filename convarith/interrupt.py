"""SIGINT, SIGTERM and SIGHUP as an exception raised where the program is, so that ``finally``
blocks run (temporary files removed, workers stopped) before the command line exits with
128 + the signal.

The signal is also remembered: Python swallows an exception raised inside an at-fork hook
(it prints "Exception ignored"), so a signal that lands while a worker process is being
forked would otherwise be lost; ``check()`` raises it again at the next safe point. A forked
worker that receives one before it has set its own handlers ends at once, quietly.
"""

from __future__ import annotations

import os
import signal
from typing import NoReturn

NAMES = ("SIGINT", "SIGTERM", "SIGHUP")


class Interrupted(BaseException):
    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


received: int | None = None
_main_pid: int | None = None


def _handler(signum: int, frame: object) -> NoReturn:
    global received
    if os.getpid() != _main_pid:  # a forked worker, before its own handlers: no traceback, no clean-up of ours
        os._exit(128 + signum)
    received = signum
    raise Interrupted(signum)


def install() -> None:
    """Turn the three signals into Interrupted in this (the main) process."""
    global _main_pid, received
    _main_pid, received = os.getpid(), None
    for name in NAMES:
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), _handler)


def check() -> None:
    """Raise Interrupted if a signal arrived whose exception Python swallowed."""
    if received is not None:
        raise Interrupted(received)
