"""The progress line: a build on a terminal that takes a while says which stage it is in; a quick one says nothing."""

from __future__ import annotations

import io
import time

from rich.console import Console

from generator.progress import BuildProgress
from tests.conftest import SiteFolder


def terminal() -> tuple[Console, io.StringIO]:
    screen = io.StringIO()
    return Console(file=screen, force_terminal=True, width=80), screen


def test_a_slow_build_shows_the_stage_it_is_in(site: SiteFolder):
    site.post("2026-01-15-hello", title="Hello")
    console, screen = terminal()
    stages = []

    def slow(stage: str) -> None:
        stages.append(stage)
        progress(stage)
        if stage == "writing pages and feeds":
            time.sleep(0.4)

    with BuildProgress(console, delay=0.1) as progress:
        site.build(progress=slow)
    assert "writing pages and feeds" in stages
    assert "Building: writing pages and feeds" in screen.getvalue()


def test_a_quick_build_shows_nothing_and_a_piped_one_never_starts_the_timer(site: SiteFolder):
    site.post("2026-01-15-hello", title="Hello")
    console, screen = terminal()
    with BuildProgress(console, delay=5) as progress:
        site.build(progress=progress)
    assert screen.getvalue() == ""
    piped = BuildProgress()  # pytest captures stderr: not a terminal
    with piped:
        pass
    assert not piped.shows and not piped.timer.is_alive() and piped.console is None
