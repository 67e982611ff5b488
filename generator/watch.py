"""Watch a site's sources and hand over changes in quiet-period batches, so a save storm is one rebuild."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Callable

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

QUIET_SECONDS = 0.15
STOP_SECONDS = 2.0
EDITOR_DEBRIS = ("~", ".swp", ".swx", ".swo", ".tmp", ".part", ".kate-swp")

OnBatch = Callable[[frozenset[str]], None]


def is_editor_debris(name: str) -> bool:
    """Swap, backup and lock files editors write next to the real one: they never change the site."""
    return name.startswith((".#", "#")) or name.endswith(EDITOR_DEBRIS) or name == "4913"


class Debouncer:
    """Collects changed paths and calls `on_batch` once per burst, after `quiet` seconds without news.

    One worker thread makes the calls, so batches never overlap: changes that arrive during a
    rebuild simply form the next batch.
    """

    def __init__(self, on_batch: OnBatch, quiet: float = QUIET_SECONDS):
        self.on_batch, self.quiet = on_batch, quiet
        self.pending: set[str] = set()
        self.last_change = 0.0
        self.stopping = False
        self.condition = threading.Condition()
        self.worker = threading.Thread(target=self._run, name="deskpress-debounce", daemon=True)

    def start(self) -> "Debouncer":
        self.worker.start()
        return self

    def add(self, path: str) -> None:
        """Note a change; the quiet period starts again."""
        with self.condition:
            self.pending.add(path)
            self.last_change = time.monotonic()
            self.condition.notify()

    def stop(self) -> None:
        with self.condition:
            self.stopping = True
            self.condition.notify()
        self.worker.join(timeout=5)

    def _next_batch(self) -> frozenset[str] | None:
        with self.condition:
            while not self.stopping:
                if not self.pending:
                    self.condition.wait()
                    continue
                remaining = self.last_change + self.quiet - time.monotonic()
                if remaining <= 0:
                    batch, self.pending = frozenset(self.pending), set()
                    return batch
                self.condition.wait(remaining)
            return None

    def _run(self) -> None:
        while (batch := self._next_batch()) is not None:
            self.on_batch(batch)


class _Forwarder(FileSystemEventHandler):
    """Turns watchdog events into site-relative paths, keeping only the sources that matter."""

    def __init__(self, root: Path, debouncer: Debouncer, ignore: Path | None):
        self.root, self.debouncer, self.ignore = root.resolve(), debouncer, ignore

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type == "events_lost":  # the kernel's queue overflowed: anything may have changed
            self.debouncer.add("content")  # a folder: the build looks at every input again
            return
        if event.event_type in ("opened", "closed_no_write") or (event.is_directory and event.event_type == "modified"):
            return
        for raw in (event.src_path, getattr(event, "dest_path", "")):
            if raw:
                self._note(Path(str(raw)))

    def _note(self, path: Path) -> None:
        path = path.resolve()
        if not path.is_relative_to(self.root) or is_editor_debris(path.name):
            return
        if self.ignore is not None and path.is_relative_to(self.ignore):
            return
        rel = path.relative_to(self.root).as_posix()
        if rel == "site.yaml" or rel.startswith(("content/", "themes/")):
            self.debouncer.add(rel)


class SiteWatcher:
    """Watches content/, themes/ and site.yaml of a site; use as a context manager."""

    def __init__(self, root: Path, on_batch: OnBatch, quiet: float = QUIET_SECONDS, ignore: Path | None = None):
        self.root = root.resolve()
        self.debouncer = Debouncer(on_batch, quiet)
        self.observer = Observer()
        forwarder = _Forwarder(self.root, self.debouncer, ignore.resolve() if ignore else None)
        self.observer.schedule(forwarder, str(self.root), recursive=False)
        for folder in ("content", "themes"):
            if (self.root / folder).is_dir():
                self.observer.schedule(forwarder, str(self.root / folder), recursive=True)

    def __enter__(self) -> "SiteWatcher":
        self.debouncer.start()
        self.observer.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        """No batch starts after this; the watching threads are then stopped, but not waited on for long.

        watchdog's Observer.stop() joins its emitter threads with no timeout, so an emitter stuck in the
        kernel would hang Ctrl-C for good; its threads are daemons, so leaving one behind is harmless."""
        self.debouncer.stop()
        stopper = threading.Thread(target=self.observer.stop, name="deskpress-unwatch", daemon=True)
        stopper.start()
        stopper.join(timeout=STOP_SECONDS)
        if not stopper.is_alive():
            self.observer.join(timeout=STOP_SECONDS)
