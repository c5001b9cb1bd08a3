"""Work split between two threads, for the NumPy loops that leave a core idle.

NumPy's transforms and large ufunc loops release the GIL, so two Python threads run them on
two cores. Unlike a BLAS thread pool, nothing process-wide changes: each half only writes its
own part of the caller's output and its own scratch, and the helper thread is joined before
the call returns (or raises), so a caller's other threads see nothing of it.

``max_threads`` (default 2) caps it; set ``convarith.functional.threads.max_threads = 1`` to
keep every call on the caller's thread (for instance when the caller already runs one
convolution per core).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

max_threads = 2
"""Threads one call may use; 1 keeps all work on the caller's thread."""


def available() -> int:
    """Threads a call may use now: max_threads, at most the CPUs this process may run on."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(max_threads, cpus))


def parallel(work: Callable[[int, int], None], total: int, minimum: int = 2) -> None:
    """work(0, total), as two halves on two threads when allowed and total >= minimum.

    The caller's thread runs the first half; an exception from either half is raised here
    after both have finished.
    """
    if available() < 2 or total < max(2, minimum):
        work(0, total)
        return
    middle = total // 2
    errors: list[BaseException] = []

    def second() -> None:
        try:
            work(middle, total)
        except BaseException as error:  # handed to the caller's thread below
            errors.append(error)

    helper = threading.Thread(target=second, name="convarith-half", daemon=True)
    helper.start()
    try:
        work(0, middle)
    finally:
        helper.join()
    if errors:
        raise errors[0]
