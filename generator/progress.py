"""A live line on the terminal saying which stage a slow build is in (quick builds never show it)."""

from __future__ import annotations

import sys
import threading
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # rich is imported only once a build on a terminal has taken DELAY_SECONDS
    from rich.console import Console

DELAY_SECONDS = 1.0


class BuildProgress:
    """Context manager: after DELAY_SECONDS, a spinner with the current stage, erased when done.

    Without a `console`, one on stderr is made when the spinner first shows, and only when stderr is a
    terminal: importing rich took 25 ms of every quick rebuild, which never shows it."""

    def __init__(self, console: Console | None = None, delay: float = DELAY_SECONDS):
        self.console = console
        self.shows = console.is_terminal if console is not None else sys.stderr.isatty()
        self.stage = "reading settings"
        self.status = None
        self.done = False
        self.lock = threading.Lock()
        self.timer = threading.Timer(delay, self._show)
        self.timer.daemon = True

    def __enter__(self) -> "BuildProgress":
        if self.shows:
            self.timer.start()
        return self

    def __call__(self, stage: str) -> None:
        """Told by the build when a stage starts."""
        with self.lock:
            self.stage = stage
            if self.status is not None:
                self.status.update(f"Building: {stage}…")

    def _show(self) -> None:
        if self.console is None:
            from rich.console import Console

            self.console = Console(stderr=True)
        with self.lock:
            if not self.done:  # the build may have ended while rich was imported
                self.status = self.console.status(f"Building: {self.stage}…")
                self.status.start()

    def __exit__(self, kind: type | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self.timer.cancel()
        with self.lock:
            self.done = True
            if self.status is not None:
                self.status.stop()
