"""Where a build's time went: named stages, timed one after another, for `deskpress build --profile`."""

from __future__ import annotations

import time
from typing import Callable


class Stopwatch:
    """Times consecutive stages and tells a listener (the progress display) when each one starts."""

    def __init__(self, announce: Callable[[str], None], first: str = "reading settings"):
        self.announce = announce
        self.started = self.mark = time.perf_counter()
        self.current = first
        self.laps: list[tuple[str, float]] = []
        self.total = 0.0

    def stage(self, name: str) -> None:
        now = time.perf_counter()
        self.laps.append((self.current, now - self.mark))
        self.current, self.mark = name, now
        self.announce(name)

    def stop(self) -> tuple[tuple[str, float], ...]:
        self.stage("done")
        self.total = self.mark - self.started
        return tuple(self.laps)
