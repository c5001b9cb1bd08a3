"""Work split between two threads, for the NumPy loops that leave a core idle.

NumPy's transforms and large ufunc loops release the GIL, so two Python threads run them on
two cores. Unlike a BLAS thread pool, nothing process-wide changes: each piece only writes its
own part of the caller's output and its own scratch, and the helper thread is joined before
the call returns (or raises), so a caller's other threads see nothing of it.

``max_threads`` (default 2) caps it; set ``convarith.functional.threads.max_threads = 1`` to
keep every call on the caller's thread (for instance when the caller already runs one
convolution per core).
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable

max_threads = 2
"""Threads one call may use; 1 keeps all work on the caller's thread."""

PIECES = 8  # pieces a split call is cut into


def available() -> int:
    """Threads a call may use now: max_threads, at most the CPUs this process may run on."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(max_threads, cpus))


def parallel(work: Callable[[int, int], None], total: int, minimum: int = 2, pieces: int | None = None) -> None:
    """work over 0..total in pieces, taken in turn by the caller's thread and one helper thread.

    Pieces (not two fixed halves) so that a thread whose core is busy with another process
    takes fewer of them instead of holding the other back: on a shared machine one half
    could finish much later than the other. Every piece is a disjoint range, so the result
    does not depend on who ran which. An exception from either thread stops both from
    taking new pieces and is raised here once both have stopped.
    """
    if available() < 2 or total < max(2, minimum):
        work(0, total)
        return
    count = min(PIECES if pieces is None else pieces, total)
    bounds = [total * i // count for i in range(count + 1)]
    taken = itertools.count()  # next() on it is atomic under the GIL
    errors: list[BaseException] = []

    def drain() -> None:
        while not errors:
            index = next(taken)
            if index >= count:
                return
            work(bounds[index], bounds[index + 1])

    def second() -> None:
        try:
            drain()
        except BaseException as error:  # handed to the caller's thread below
            errors.append(error)

    helper = threading.Thread(target=second, name="convarith-half", daemon=True)
    helper.start()
    try:
        drain()
    except BaseException as error:
        errors.append(error)  # the helper takes no further piece
        raise
    finally:
        helper.join()
    if errors:
        raise errors[0]
