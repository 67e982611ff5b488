"""Spread a build's heavy loops (parsing sources, rendering Markdown, filling templates) over all cores.

The work items are closures over the assembled site, which cannot be pickled; forked workers
inherit them instead and take item numbers, chunk by chunk, from a shared counter. This process
takes chunks too, so `jobs` cores need only `jobs - 1` workers: each worker ends up holding a copy
of most of the pages it inherited (touching an object writes its reference count), so one worker
less is a whole copy of the site less. Pages and feeds are staged by whoever makes them (shipping
37,000 pages back through a pipe would cost what it saves); other results come back pickled. A
small batch stays in this process: starting workers costs more than it saves.
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
from pathlib import Path
from typing import Any, Callable, Iterable, TypeVar

import jinja2

from generator.aside import ComputedAside, signals_left_to_the_build
from generator.errors import SiteError
from generator.output import Pending, Stat, Staging, Unchanged, output_stats
from generator.theme import template_problem

T = TypeVar("T")
SERIAL_LIMIT = 300
CHUNK = 40
BATCH = 10_000  # files whose makers are held at once (see write_all)


def map_forked(work: Callable[[int], T], count: int, jobs: int) -> list[T]:
    """[work(0), ..., work(count - 1)], computed by this process and `jobs - 1` forked workers when there
    are enough items.

    A SiteError (or a template error, reported like the build reports it) raised by `work` is raised
    here, with the problems of every chunk that failed, in the items' order."""
    return ForkedMap(work, count, jobs).results()


class ForkedMap:
    """map_forked in two steps: the workers start taking items at once, and results() has this process
    take the rest and gathers them. Meanwhile this process may do something else (make the next batch
    of work, say). stop() ends workers still running, when results() will not be asked for."""

    def __init__(self, work: Callable[[int], T], count: int, jobs: int, serial_limit: int | None = None):
        self.work, self.count = work, count
        self.workers: list[tuple[Any, Any]] = []
        self.frozen = False
        enough = count >= (SERIAL_LIMIT if serial_limit is None else serial_limit)
        self.forked = jobs > 1 and enough and "fork" in multiprocessing.get_all_start_methods()
        if not self.forked:
            return
        context = multiprocessing.get_context("fork")
        self.taken = context.Value("q", 0)
        memory_given_back()
        gc.freeze()  # the collectors then leave the inherited objects alone (and their pages shared)
        self.frozen = True
        try:
            for _ in range(jobs - 1):
                self.workers.append(start_worker(context, work, count, self.taken))
        except BaseException:
            self.stop()
            raise

    def results(self) -> list[T]:
        if not self.forked:
            return [self.work(number) for number in range(self.count)]
        try:
            done = _chunks_taken(self.work, self.count, self.taken)
            for process, results in self.workers:
                done.update(_results_of(process, results))
        finally:
            self.stop()
        outcomes = [done[start] for start in sorted(done)]
        problems = [p for outcome in outcomes if isinstance(outcome, SiteError) for p in outcome.problems]
        if problems:
            raise SiteError(problems)
        return [value for outcome in outcomes for value in outcome]

    def stop(self) -> None:
        for process, _ in self.workers:
            if process.is_alive():
                process.terminate()
            process.join()
        self.workers = []
        if self.frozen:
            self.frozen = False
            gc.unfreeze()


def output_stats_later(out: Path, walkers: int = 2) -> Callable[[], dict[str, Stat]]:
    """output_stats(out), walked by forked processes while this one goes on; call the result to have it.

    Walking 37,000 files in 31,000 folders takes more than half a second, longer than the rest of a
    rebuild after an edit before its pages: `walkers` processes share the folder's top-level entries,
    and this one goes on meanwhile. They run at the lowest priority: at normal priority three processes
    shared two cores while this one loaded and assembled the site, and the walk was done long before
    it was asked for (adding a post to 10,000: 2.26 s against 2.09 s). A walking process only reads the
    folder, writes to its pipe and leaves. Without fork, or when the folder is empty or cannot be
    listed, the walk happens when asked for."""
    try:
        names = sorted(os.listdir(out))
    except OSError:
        names = None
    if not names:
        walks = [lambda: output_stats(out)]
    else:
        walks = [ComputedAside(lambda share=names[k::walkers]: output_stats(out, share), idle=True)
                 for k in range(min(walkers, len(names)))]
    found: list[dict[str, Stat]] = []

    def result() -> dict[str, Stat]:  # the first call's answer again: a cold build's output is new by the last call
        if not found:
            merged: dict[str, Stat] = {}
            for walk in walks:
                merged.update(walk())
            found.append(merged)
        return found[0]

    return result


def memory_given_back() -> None:
    """Return the memory freed so far (the Markdown sources, say) to the system before forking: the C
    library keeps it for reuse otherwise, and every page a worker inherits counts as the workers' too.
    Only glibc has malloc_trim; elsewhere nothing is done."""
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (AttributeError, OSError):
        pass


def start_worker(context: Any, work: Callable[[int], object], count: int, taken: Any) -> tuple[Any, Any]:
    """Fork one worker taking chunks of `work` until none is left; its results come back through a pipe."""
    receiving, sending = context.Pipe(duplex=False)
    process = context.Process(target=_worker, args=(work, count, taken, sending), daemon=True)
    process.start()
    sending.close()
    return process, receiving


def _worker(work: Callable[[int], object], count: int, taken: Any, sending: Any) -> None:
    signals_left_to_the_build()
    try:
        outcome: object = _chunks_taken(work, count, taken)
    except Exception as exc:  # a bug, not the user's error: raised again in the build's process
        outcome = exc
    sending.send(outcome)
    sending.close()


def _results_of(process: Any, results: Any) -> dict[int, list | SiteError]:
    try:
        outcome = results.recv()
    except EOFError:
        process.join()
        raise RuntimeError(f"a build worker stopped before it was done (exit code {process.exitcode})") from None
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


def _chunks_taken(work: Callable[[int], object], count: int, taken: Any) -> dict[int, list | SiteError]:
    """Take the next chunk of items from the shared counter until none is left; the results by first item.

    Cyclic garbage is collected meanwhile, even in this process (the build pauses collection, see
    build.py): filling templates makes many short-lived cycles."""
    was_enabled = gc.isenabled()
    gc.enable()
    done: dict[int, list | SiteError] = {}
    try:
        while True:
            with taken.get_lock():
                start = taken.value
                taken.value = start + CHUNK
            if start >= count:
                return done
            done[start] = _chunk(work, range(start, min(start + CHUNK, count)))
    finally:
        if not was_enabled:
            gc.disable()


def _chunk(work: Callable[[int], object], numbers: range) -> list | SiteError:
    try:
        return [work(number) for number in numbers]
    except SiteError as exc:
        return exc
    except jinja2.TemplateError as exc:
        return SiteError([template_problem(exc)])


def write_all(staging: Staging, files: Iterable[tuple[str, bytes | Unchanged | Pending]], jobs: int) -> None:
    """Stage every file of the site; Pending ones are produced here or, when there are many, over `jobs`
    processes, BATCH of them at a time: each file waiting to be made holds its values (a page's entries,
    a feed's), and 370,000 of them at once were most of the memory a 100,000-post build took.

    The workers of one batch start before the next batch is taken from `files` (which keys files and
    makes search records here): a core idled through that a second each cold build. The first batch is
    small (SERIAL_LIMIT files to make) and each next one twice as big, so they start early on a rebuild too."""
    files, first, running, size = iter(files), 0, None, SERIAL_LIMIT
    try:
        while True:
            work: list[tuple[str, Pending]] = []
            taken = 0
            for rel, data in files:
                taken += 1
                if not isinstance(data, Pending):
                    staging.write(rel, data)
                    continue
                work.append((staging.claim(rel), data))
                if len(work) == size:
                    break
            if running is not None:
                running()
                running = None
            if not taken:
                return
            # a batch after a full first one is worth the workers even when small: the tail holds the feeds
            running = _BatchStaging(staging, work, first, jobs, SERIAL_LIMIT if first == 0 else 2 * CHUNK)
            first, size = first + len(work), min(2 * size, BATCH)
    except BaseException:
        if running is not None:
            running.stop()
        raise


class _BatchStaging:
    """The Pending files of one batch being staged by forked workers; call to have this process help
    and record the files that changed."""

    def __init__(self, staging: Staging, work: list[tuple[str, Pending]], first: int, jobs: int, serial_limit: int):
        def stage(number: int) -> bool:
            rel, pending = work[number]
            return staging.stage_file(f"w{first + number}", rel, pending.produce())

        self.staging, self.work, self.first = staging, work, first
        self.spread = ForkedMap(stage, len(work), jobs, serial_limit)

    def __call__(self) -> None:
        for number, changed in enumerate(self.spread.results()):
            if changed:
                self.staging.staged(f"w{self.first + number}", self.work[number][0])

    def stop(self) -> None:
        self.spread.stop()
