"""A progress bar for long drawing jobs: shown on a terminal once a job has run a second."""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

DELAY = 1.0  # seconds: quicker jobs print their one line and nothing else


class LateProgress:
    """Counts work done and, on a terminal, shows a Rich bar once ``delay`` seconds have passed
    (on standard error, so the command's own output stays clean). Use as a context manager."""

    def __init__(
        self,
        total: int,
        description: str,
        *,
        unit: str = "frames",
        delay: float = DELAY,
        console: Console | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total, self.description, self.unit, self.delay = total, description, unit, delay
        self.console = console if console is not None else Console(stderr=True)
        self.clock = clock
        self.done = 0
        self.start = clock()
        self.bar: Progress | None = None
        self.task: TaskID | None = None

    def advance(self, amount: int = 1) -> None:
        self.done += amount
        if self.bar is None:
            if not self.console.is_terminal or self.clock() - self.start < self.delay:
                return
            self.bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn(self.unit),
                TimeElapsedColumn(),
                console=self.console,
                transient=True,
            )
            self.bar.start()
            self.task = self.bar.add_task(self.description, total=self.total)
        if self.task is not None:
            self.bar.update(self.task, completed=self.done)

    def __enter__(self) -> LateProgress:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self.bar is not None:
            self.bar.stop()
