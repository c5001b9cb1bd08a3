"""Start ``python -m convarith ARGS`` for tests/hostile.py and report its own peak memory.

A process forked from pytest starts with pytest's resident memory counted in its peak (Linux
keeps the high-water mark across fork and exec), so the harness forks this small launcher,
which forks the command and writes the command's ``ru_maxrss`` (KiB) to the file named
first. The exit status is passed on: the same code, or death by the same signal.

Usage: python hostile_launch.py STATS_FILE ARG...
"""

import os
import signal
import sys


def main() -> None:
    stats, args = sys.argv[1], sys.argv[2:]
    # Signals sent to the group reach the command; the launcher waits for it to end.
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        signal.signal(getattr(signal, name), lambda signum, frame: None)
    pid = os.fork()
    if pid == 0:
        for name in ("SIGINT", "SIGTERM", "SIGHUP"):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
        os.execv(sys.executable, [sys.executable, "-m", "convarith", *args])
    while True:
        try:
            _, status, usage = os.wait4(pid, 0)
            break
        except InterruptedError:
            continue
    with open(stats, "w") as handle:
        handle.write(str(usage.ru_maxrss))
    if os.WIFSIGNALED(status):
        signal.signal(os.WTERMSIG(status), signal.SIG_DFL)
        os.kill(os.getpid(), os.WTERMSIG(status))
    sys.exit(os.waitstatus_to_exitcode(status))


main()
