"""Render the pages and feeds a build still has to make over all cores, each worker staging its own files.

Filling templates and writing feeds is most of a cold build. The renderers are closures over the
assembled site, so they cannot be pickled; forked workers inherit them instead, receive only the
numbers of the files to make, and stage the bytes themselves (shipping 37,000 pages back through a
pipe would cost what it saves). A small batch stays in this process: starting workers costs more.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from typing import Iterable

import jinja2

from generator.errors import SiteError
from generator.output import Pending, Staging, Unchanged
from generator.theme import template_problem

SERIAL_LIMIT = 300
CHUNK = 40

Work = list[tuple[str, Pending]]
_inherited: tuple[Work, Staging] | None = None


def write_all(staging: Staging, files: Iterable[tuple[str, bytes | Unchanged | Pending]], jobs: int) -> None:
    """Stage every file of the site; Pending ones are produced here or, when there are many, in `jobs` workers."""
    work: Work = []
    for rel, data in files:
        if isinstance(data, Pending):
            work.append((staging.claim(rel), data))
        else:
            staging.write(rel, data)
    for number in _produce(work, staging, jobs):
        staging.staged(_name(number), work[number][0])


def _produce(work: Work, staging: Staging, jobs: int) -> list[int]:
    if jobs <= 1 or len(work) < SERIAL_LIMIT or "fork" not in multiprocessing.get_all_start_methods():
        return _stage(work, staging, range(len(work)))
    chunks = [range(start, min(start + CHUNK, len(work))) for start in range(0, len(work), CHUNK)]
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(jobs, mp_context=context, initializer=_inherit, initargs=(work, staging)) as pool:
        results = list(pool.map(_stage_in_worker, chunks))
    problems = [p for result in results if not isinstance(result, list) for p in result.problems]
    if problems:
        raise SiteError(problems)
    return [number for result in results for number in result]


def _inherit(work: Work, staging: Staging) -> None:
    """Runs in each forked worker: the arguments arrive by fork, never pickled."""
    global _inherited
    _inherited = (work, staging)


def _stage_in_worker(numbers: range) -> list[int] | SiteError:
    """A chunk's changed files, or the user's error (a template's) to report from the parent as usual."""
    assert _inherited is not None
    try:
        return _stage(*_inherited, numbers)
    except SiteError as exc:
        return exc
    except jinja2.TemplateError as exc:
        return SiteError([template_problem(exc)])


def _stage(work: Work, staging: Staging, numbers: range) -> list[int]:
    """The numbers of the files whose bytes differ from the output folder's, after staging them."""
    return [number for number in numbers if staging.stage_file(_name(number), work[number][0], work[number][1].produce())]


def _name(number: int) -> str:
    return f"w{number}"
