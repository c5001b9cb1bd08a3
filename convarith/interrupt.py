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

NAMES = ("SIGINT", "SIGTERM", "SIGHUP")


class Interrupted(BaseException):
    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


# The at-fork hooks of threading and logging: an exception raised in them is printed and lost.
AT_FORK = {"_after_fork", "_releaseLock", "_acquireLock", "_at_fork_reinit", "_after_at_fork_child_reinit_locks"}
received: int | None = None
_main_pid: int | None = None


def _handler(signum: int, frame: object) -> None:
    global received
    if os.getpid() != _main_pid:  # a forked worker, before its own handlers: no traceback, no clean-up of ours
        os._exit(128 + signum)
    received = signum
    if getattr(getattr(frame, "f_code", None), "co_name", "") in AT_FORK:
        return  # raised there it would be printed and lost: check() raises it later
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
