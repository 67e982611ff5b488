"""Spread a build's heavy loops (parsing sources, filling templates, writing feeds) over all cores.

The work items are closures over the assembled site, which cannot be pickled; forked workers
inherit them instead and receive only item numbers. Pages and feeds are staged by the workers
themselves (shipping 37,000 pages back through a pipe would cost what it saves); parsed sources
come back pickled. A small batch stays in this process: starting workers costs more than it saves.
"""

from __future__ import annotations

import gc
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Iterable, TypeVar

import jinja2

from generator.errors import SiteError
from generator.output import Pending, Staging, Unchanged
from generator.theme import template_problem

T = TypeVar("T")
SERIAL_LIMIT = 300
CHUNK = 40

_inherited: Callable[[int], object] | None = None


def map_forked(work: Callable[[int], T], count: int, jobs: int) -> list[T]:
    """[work(0), ..., work(count - 1)], computed by `jobs` forked workers when there are enough items.

    A SiteError (or a template error, reported like the build reports it) raised by `work` in a worker
    is raised here, with the problems of every chunk that failed."""
    if jobs <= 1 or count < SERIAL_LIMIT or "fork" not in multiprocessing.get_all_start_methods():
        return [work(number) for number in range(count)]
    chunks = [range(start, min(start + CHUNK, count)) for start in range(0, count, CHUNK)]
    context = multiprocessing.get_context("fork")
    gc.freeze()  # the workers' collector then leaves the inherited objects' pages shared with this process
    try:
        with ProcessPoolExecutor(jobs, mp_context=context, initializer=_inherit, initargs=(work,)) as pool:
            results = list(pool.map(_chunk_in_worker, chunks))
    finally:
        gc.unfreeze()
    problems = [p for result in results if isinstance(result, SiteError) for p in result.problems]
    if problems:
        raise SiteError(problems)
    return [value for result in results for value in result]


def _inherit(work: Callable[[int], object]) -> None:
    """Runs in each forked worker: the work arrives by fork, never pickled. A worker collects cyclic
    garbage as it goes (the build pauses collection in its own process only; see build.py)."""
    global _inherited
    _inherited = work
    gc.enable()


def _chunk_in_worker(numbers: range) -> list | SiteError:
    assert _inherited is not None
    try:
        return [_inherited(number) for number in numbers]
    except SiteError as exc:
        return exc
    except jinja2.TemplateError as exc:
        return SiteError([template_problem(exc)])


def write_all(staging: Staging, files: Iterable[tuple[str, bytes | Unchanged | Pending]], jobs: int) -> None:
    """Stage every file of the site; Pending ones are produced here or, when there are many, in `jobs` workers."""
    work: list[tuple[str, Pending]] = []
    for rel, data in files:
        if isinstance(data, Pending):
            work.append((staging.claim(rel), data))
        else:
            staging.write(rel, data)

    def stage(number: int) -> bool:
        rel, pending = work[number]
        return staging.stage_file(f"w{number}", rel, pending.produce())

    for number, changed in enumerate(map_forked(stage, len(work), jobs)):
        if changed:
            staging.staged(f"w{number}", work[number][0])
