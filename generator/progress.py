"""A live line on the terminal saying which stage a slow build is in (quick builds never show it)."""

from __future__ import annotations

import sys
import threading
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # rich is imported only for a terminal: a piped build (a script, CI) never needs it
    from rich.console import Console

DELAY_SECONDS = 1.0


class BuildProgress:
    """Context manager: after DELAY_SECONDS, a spinner with the current stage, erased when done."""

    def __init__(self, console: Console | None = None):
        if console is None and sys.stderr.isatty():
            from rich.console import Console

            console = Console(stderr=True)
        self.console = console
        self.stage = "reading settings"
        self.status = None
        self.lock = threading.Lock()
        self.timer = threading.Timer(DELAY_SECONDS, self._show)
        self.timer.daemon = True

    def __enter__(self) -> "BuildProgress":
        if self.console is not None and self.console.is_terminal:
            self.timer.start()
        return self

    def __call__(self, stage: str) -> None:
        """Told by the build when a stage starts."""
        with self.lock:
            self.stage = stage
            if self.status is not None:
                self.status.update(f"Building: {stage}…")

    def _show(self) -> None:
        with self.lock:
            self.status = self.console.status(f"Building: {self.stage}…")
            self.status.start()

    def __exit__(self, kind: type | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self.timer.cancel()
        with self.lock:
            if self.status is not None:
                self.status.stop()
