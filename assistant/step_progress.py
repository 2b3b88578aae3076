"""Progress of a long command on stderr: a bar in a terminal, a line now and then otherwise.

A run of ``assistant eval`` over a thousand cases takes minutes on a busy machine; in a
terminal the operator sees a bar, in a CI log or a pipe a line every ``every_s`` seconds
(and one at the end), so a run that is slow can be told from one that is stuck.
"""

import time
from collections.abc import Callable
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn


class StepProgress:
    """Context manager; :meth:`step` starts a named step and returns its ``advance``."""

    def __init__(self, console: Console, *, enabled: bool = True, every_s: float = 10.0) -> None:
        self.console = console
        self.enabled = enabled
        self.every_s = every_s
        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
            disable=not (enabled and console.is_terminal),
        )

    def __enter__(self) -> "StepProgress":
        self._bar.__enter__()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._bar.__exit__(kind, error, trace)

    def step(self, what: str, total: int) -> Callable[[], None]:
        """Start step ``what`` of ``total`` items; call the result once per item done."""
        task = self._bar.add_task(what, total=total)
        if not self.enabled or self.console.is_terminal:
            return lambda: self._bar.advance(task)
        return _LineReport(self.console, what, total, self.every_s).advance


class _LineReport:
    def __init__(self, console: Console, what: str, total: int, every_s: float) -> None:
        self.console, self.what, self.total, self.every_s = console, what, total, every_s
        self.done = 0
        self.started = self.last = time.monotonic()
        console.print(f"{what}: {total} to do", highlight=False)

    def advance(self) -> None:
        self.done += 1
        now = time.monotonic()
        if now - self.last < self.every_s and self.done != self.total:
            return
        self.last = now
        elapsed = now - self.started
        share = self.done / self.total if self.total else 1.0
        left = f", about {elapsed / share - elapsed:.0f} s left" if self.done < self.total else ""
        self.console.print(
            f"{self.what}: {self.done}/{self.total} ({share:.0%}) in {elapsed:.0f} s{left}",
            highlight=False,
        )
