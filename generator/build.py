"""The whole pipeline, top to bottom: site.yaml and content/ in, a deployable folder out."""

from __future__ import annotations

import dataclasses
import functools
import gc
import os
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterator

import jinja2

from generator.aside import ComputedAside
from generator.cache import BuildCache, SourceRecall
from generator.keys import (Fingerprints, code_version, digest, fingerprint, output_memo, per_entry_memo,
                            templates_reading)
from generator.config import SiteConfig, load_config
from generator.errors import Problem, SiteError, error
from generator.fast_markdown import available as fast_markdown_available
from generator.feeds import all_feeds
from generator.localise import LocalDates
from generator.inputs import Inputs, default_theme_dir, take_inputs
from generator.manifest import BuildSummary, Manifest, build_parameters
from generator.markdown import pygments_css, renderer_version
from generator.metadata import humans_txt
from generator.output import MARKER, Pending, Staging, Stat, Unchanged, WriteReport
from generator.parallel import map_forked, output_stats_later, write_all
from generator.prepare import Prepared, prepare_everything, take_up_snapshot
from generator.profile import Stopwatch
from generator.redirects import redirect_files
from generator.render import (TEASER_TEMPLATE, Each, Memo, PageRenderer, Rendered, TeasersFilled, compute_each, no_memo,
                              robots, sitemap, sitemap_index, sitemap_parts, sitemap_rows)
from generator.search import INDEX_PATH, indexed, record_json, search_index
from generator.site import Entry, Site
from generator.snapshot import Snapshot
from generator.theme import Theme, load_theme, template_problem

Walk = tuple[Path, Callable[[], dict[str, Stat]]]  # an output folder, and what its walk found (when called)


@dataclass(frozen=True)
class BuildResult:
    """What a build did. `site` is None when nothing had changed and nothing was read (see manifest.py)."""

    site: Site | None
    written: WriteReport
    warnings: tuple[Problem, ...]
    seconds: float
    output: Path
    stages: tuple[tuple[str, float], ...]
    summary: BuildSummary

    @property
    def feeds(self) -> int:
        return self.written.feeds


def build(root: Path, now: datetime, output: Path | None = None, drafts: bool = False, *,
          cache: BuildCache | None = None, use_cache: bool = True, jobs: int | None = None,
          fast_markdown: bool | None = None, progress: Callable[[str], None] | None = None,
          private_output: bool = False, changed: frozenset[str] | None = None,
          inputs_taken: ComputedAside[Inputs] | None = None) -> BuildResult:
    """Build the site in `root` as of `now`; raise SiteError (output untouched) when the input is wrong.

    `cache` carries work between builds: pass the same BuildCache to repeated calls in one process
    (as `serve` does) to reuse it in memory. Without one, the persistent cache in the site's
    .deskpress-cache/ is used, or none at all with `use_cache=False`. Either way the output is the
    same bytes. With a cache, a build that finds no input, output or setting changed since the last
    one (and `now` still in the span that build holds for) stops there and reports it again.
    `jobs` caps the processes parsing, rendering and writing (default: all cores); `fast_markdown` uses
    markdown-it-pyrs where it matches the reference (default: when installed); `progress` is told
    the name of each stage as it starts. `private_output` says nothing but these builds writes to the
    output folder (serve's own preview folder, removed when it stops): the last build's record of
    what it holds is then trusted instead of walking its 37,000 files again, and kept in memory only.
    There, `changed` may name (relative to `root`) every input file a watcher saw change since the last
    successful build, and only those are looked at again (see Inputs.updated). `inputs_taken` is
    take_inputs(root) already under way (inputs_taken_aside), started by a caller before it imported the pipeline.
    """
    walk = None if private_output else early_walk(root, output)
    try:
        with collector_paused():
            return _build(root, now, output, drafts, cache, use_cache, jobs, fast_markdown, progress, private_output, walk,
                          changed if private_output else None, inputs_taken)
    finally:
        if walk is not None:
            walk[1]()  # waits for the walking processes, whatever happened: none is left behind
        if inputs_taken is not None:
            inputs_taken.stop()  # when a wrong input stopped the build before it was asked for


def inputs_now(root: Path, cache: BuildCache, output: Path | None, changed: frozenset[str] | None,
               taken: ComputedAside[Inputs] | None) -> Inputs:
    """The stat of every input (take_inputs, or as `taken` already), or, given the files `changed` since the
    last build into `output`, that build's inputs with only those stat'ed again."""
    if changed is not None and output is not None and (previous := cache.manifest(output.resolve())) is not None:
        updated = previous.inputs.updated(root, changed)
        if updated is not None:
            return updated
    return taken() if taken is not None else take_inputs(root, (default_theme_dir(),))


def early_walk(root: Path, output: Path | None) -> Walk | None:
    """The output folder and its walk (output_stats_later), started before anything else is read: every
    rebuild compares the output with the last build's record, and walking 37,000 files is the longest
    step of a rebuild after an edit. None when site.yaml cannot tell the folder (the build will say why)."""
    try:
        out = output_folder(load_config(root)[0], output)
    except SiteError:
        return None
    return out, output_stats_later(out)


def _build(root: Path, now: datetime, output: Path | None, drafts: bool, cache: BuildCache | None, use_cache: bool,
           jobs: int | None, fast_markdown: bool | None, progress: Callable[[str], None] | None,
           private_output: bool, walk: Walk | None, changed: frozenset[str] | None,
           inputs_taken: ComputedAside[Inputs] | None) -> BuildResult:
    remember = cache is not None or use_cache
    clock = Stopwatch(progress or (lambda stage: None), "checking for changes" if remember else "reading settings")
    if cache is None:
        cache = BuildCache(root, persistent=use_cache)
    inputs = inputs_now(root, cache, output, changed, inputs_taken) if remember else None
    config, config_warnings = load_config(root)
    out = output_folder(config, output)
    if private_output:
        cache.keep_in_memory(out)
    fast = fast_markdown_available() if fast_markdown is None else fast_markdown
    parameters = build_parameters(config, out, drafts, fast, code_version(), renderer_version(config.base_path, fast))
    previous = cache.manifest(out) if inputs is not None else None
    in_output = walk[1] if walk is not None and walk[0] == out else None
    if in_output is None:  # not walked yet: serve's own folder (as its last build left it: nothing else writes there)
        in_output = (lambda: previous.outputs) if private_output and previous is not None else output_stats_later(out)
    if previous is not None and previous.still_holds(parameters, inputs, now, in_output):
        return reported_again(previous, inputs, out, cache, clock)
    clock.stage("reading content")
    jobs = jobs or os.cpu_count() or 1
    try:
        prepared = (take_up_snapshot(cache, previous, inputs, config, out, now, fast, in_output)
                    if previous is not None and inputs is not None and previous.parameters == parameters else None)
        if prepared is None:
            known = previous.unchanged_sources(inputs, root) if previous and inputs else {}
            # not kept past this call: a SourceRecall holds the records read, bodies and all
            prepared = prepare_everything(config, config_warnings, now, drafts, cache,
                                          SourceRecall(cache, config, known) if remember else None, jobs, fast, clock.stage)
        site, theme = prepared.site, load_theme(config)
    finally:
        existing = in_output()  # waits for the walk even when the input was wrong, so no process is left behind
    environment = theme.environment()
    cache.compile_templates_once(environment)
    if prepared.assembled and prepared.only is not None and templates_reading(cache, theme, environment)[1]:
        prepared = dataclasses.replace(prepared, only=None)  # any page may show any post's related posts
    staging = Staging(out, existing)
    fingerprints, depends = Fingerprints(prepared.record_keys), {}
    memo, each, salt = memos(cache, out, staging, prepared, theme, environment, fingerprints, depends) if remember else (
        no_memo, compute_each, None)
    teasers = teasers_filled(each, salt, jobs) if "listing.html" in templates_reading(cache, theme, environment)[2] else None
    clock.stage("writing pages and feeds")
    if remember and prepared.taken_up is not None:
        cache.pickling_aside(out, site, prepared.taken_up.responses)
    stage_site(staging, prepared, theme, environment, memo, each, teasers, jobs, cache)
    snapshot = snapshot_of(prepared, fingerprints, depends) if remember else None
    clock.stage("moving files into place")
    written = moved_into_place(staging, cache)
    summary = BuildSummary(len(site.entries), len(site.pages), written.feeds, written.files, site.next_scheduled,
                           config.base_path)
    clock.stage("recording the build")
    if remember:
        on_disk = staging.on_disk()
        manifest = None if inputs is None else Manifest(parameters, inputs, on_disk, prepared.built_for, site.changes_at,
                                                        summary, prepared.warnings, prepared.versions)
        cache.committed(out, staging.written, on_disk, manifest, snapshot,
                        keep_unused=prepared.taken_up is not None or private_output)
    stages = clock.stop()
    return BuildResult(site, written, prepared.warnings, clock.total, out, stages, summary)


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection during a build: it makes few cycles but hundreds of thousands of
    objects that live to its end, and the collector walking them again and again was a quarter of a
    rebuild's time. Collection resumes afterwards (for `serve`), and cycles made meanwhile go then."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def memos(cache: BuildCache, out: Path, staging: Staging, prepared: Prepared, theme: Theme, environment: jinja2.Environment,
          fingerprints: Fingerprints, depends: dict[str, tuple[str, ...]]) -> tuple[Memo, Each, Callable[[str], str | None]]:
    """The memos that let a build with a cache skip the files and values its inputs have not changed,
    and what a template's values are keyed by besides their own inputs (see output_memo).

    When the files that may differ are known (a snapshot taken up), the others are carried over as
    they stand, unkeyed."""
    for obj, found, sources in prepared.known:
        fingerprints.recalled(obj, found, sources)
    memo, template_salt = output_memo(cache, out, staging.existing, prepared.site, theme, environment,
                                      prepared.rendered.version, fingerprints, depends)
    salt = digest(code_version(), prepared.rendered.version, fingerprint(prepared.site.config) or "")
    if prepared.only is not None:
        staging.carry(rel for rel in staging.existing if rel not in prepared.only and rel != MARKER)
        cache.remaking(out, prepared.only)
    return memo, per_entry_memo(cache, fingerprints, salt), template_salt


def teasers_filled(each: Each, salt: Callable[[str], str | None] | None, jobs: int) -> TeasersFilled:
    """Fill many teasers over `jobs` processes; when `salt` keys them, only those the cache has not got."""
    def fill_all(entries: list[Entry], fill: Callable[[Entry], str]) -> list[str]:
        def spread(missing: list[Entry]) -> list[str]:
            return map_forked(lambda number: fill(missing[number]), len(missing), jobs)

        key = salt(TEASER_TEMPLATE) if salt is not None else None
        return spread(entries) if key is None else each(f"teaser {key}", entries, spread)

    return fill_all


def stage_site(staging: Staging, prepared: Prepared, theme: Theme, environment: jinja2.Environment, memo: Memo, each: Each,
               teasers: TeasersFilled | None, jobs: int, cache: BuildCache) -> None:
    """Stage every file to make (over `jobs` processes); on any failure the output folder is left as it was,
    and the cache's pickling aside (if any) is stopped."""
    files = site_files(prepared.site, prepared.rendered, theme, environment, deferred(memo), each, prepared.only, teasers)
    try:
        write_all(staging, files, jobs)
    except BaseException as exc:
        staging.abort()
        cache.dropped_aside()
        if isinstance(exc, jinja2.TemplateError):
            raise SiteError([template_problem(exc)]) from None
        raise


def moved_into_place(staging: Staging, cache: BuildCache) -> WriteReport:
    """Move the staged files into the output folder (see Staging.commit); when that fails, nothing of
    this build is recorded."""
    try:
        return staging.commit()
    except BaseException:
        cache.dropped_aside()
        raise


def snapshot_of(prepared: Prepared, fingerprints: Fingerprints, depends: dict[str, tuple[str, ...]]) -> Snapshot:
    """What this build leaves for the next. A snapshot taken up keeps its site and the sources each file
    holds; of its fingerprints, only those known unchanged or worked out again are right to keep."""
    if prepared.only is None:
        held = depends
    elif prepared.assembled:  # the files made again hold what they hold now; the others as before
        held = {rel: sources for rel, sources in prepared.taken_up.depends.items() if rel not in prepared.only} | depends
    else:
        held = prepared.taken_up.depends
    responses = prepared.taken_up.responses if prepared.taken_up is not None else ()  # () once assembled again
    return Snapshot(prepared.site, held, prepared.slugs, prepared.hidden, prepared.records, dict(prepared.rendered.bodies.keys),
                    dict(prepared.rendered.comments.keys), fingerprints.named(), responses)


def reported_again(previous: Manifest, inputs: Inputs, out: Path, cache: BuildCache, clock: Stopwatch) -> BuildResult:
    """Nothing changed since the last build into `out`: it is still right, so report what that build reported."""
    settled = previous.settled(inputs)
    if settled is not None:
        cache.replace_manifest(out, settled)
    stages = clock.stop()
    return BuildResult(None, previous.summary.unchanged(), previous.warnings, clock.total, out, stages, previous.summary)


def deferred(memo: Memo) -> Memo:
    """The same memo, but a file to be made comes back as Pending, for write_all to spread over workers."""
    return lambda rel, template, inputs, produce: memo(rel, template, inputs, lambda: Pending(produce))


def site_files(site: Site, rendered: Rendered, theme: Theme, environment: jinja2.Environment | None = None,
               memo: Memo = no_memo, each: Each = compute_each,
               only: frozenset[str] | None = None, teasers: TeasersFilled | None = None
               ) -> Iterator[tuple[str, bytes | Unchanged | Pending]]:
    """Every file of the built site as (relative path, bytes or KEEP for an unchanged file), in a fixed order.

    `only`, when given, names the only files to make: a build taking up its snapshot knows every other
    one right as it stands (generator/snapshot.py). Files made without the memo (redirects, robots.txt,
    theme and static files) follow from settings, theme, static files and aliases, which such a build
    has unchanged, so none of them is among those."""
    environment = environment or theme.environment()
    written: set[str] = set()
    for rel, data in _generated_files(site, rendered, theme, environment, memo, each, only, teasers):
        written.add(rel)
        yield rel, data
    if only is None:
        yield from redirect_files(site, environment, frozenset(written))


def _generated_files(site: Site, rendered: Rendered, theme: Theme, environment: jinja2.Environment, memo: Memo, each: Each,
                     only: frozenset[str] | None, teasers: TeasersFilled | None
                     ) -> Iterator[tuple[str, bytes | Unchanged | Pending]]:
    yield from PageRenderer(site, environment, rendered, memo, only, teasers).all_pages()
    yield from all_feeds(site, rendered, memo, only)
    if only is None or "sitemap.xml" in only:
        yield from _sitemap_files(site, memo)
    if only is None or INDEX_PATH in only:
        yield INDEX_PATH, _search_index(site, rendered, memo, each)
    if only is not None:
        return
    yield "robots.txt", robots(site)
    if site.config.humans_txt:
        yield "humans.txt", humans_txt(site)
    yield "theme/pygments.css", pygments_css().encode("utf-8")
    for rel, path in theme.static_files().items():
        yield f"theme/{rel}", path.read_bytes()
    static_root = site.config.content_dir / "static"
    for rel in site.static_files:
        yield rel, (static_root / rel).read_bytes()


def _sitemap_files(site: Site, memo: Memo) -> Iterator[tuple[str, bytes | Unchanged | Pending]]:
    """sitemap.xml, or, for a site with more URLs than one sitemap may list, its parts and sitemap.xml indexing them."""
    parts = sitemap_parts(sitemap_rows(site))
    for name, rows in parts:
        yield name, memo(name, "sitemap", rows, functools.partial(sitemap, site.config, rows))
    if len(parts) > 1:
        names = [name for name, _ in parts]
        yield "sitemap.xml", memo("sitemap.xml", "sitemap index", names, functools.partial(sitemap_index, site.config, names))


def _search_index(site: Site, rendered: Rendered, memo: Memo, each: Each) -> bytes | Unchanged | Pending:
    """The search index, keyed on its entries. Its records are made only when it is written, and then
    here, in the process whose cache is saved, rather than in a worker."""
    dates = LocalDates(site.config)
    entries = indexed(site)

    def records() -> list:
        return each("search record", entries,
                    lambda missing: [record_json(site, e, rendered.bodies[e.post.source], dates) for e in missing])

    index = memo(INDEX_PATH, "search index", tuple(entries), lambda: search_index(records()))
    if isinstance(index, Pending):
        made = records()
        return Pending(lambda: search_index(made))
    return index


def output_folder(config: SiteConfig, output: Path | None) -> Path:
    """Where to write, refusing any folder whose replacement would destroy the site's sources."""
    out = (output if output is not None else config.root / config.output_dir).resolve()
    root = config.root.resolve()
    forbidden = [(root, "the site folder itself"), (root / "content", "content/"), (root / "themes", "themes/")]
    if root.is_relative_to(out):
        raise SiteError([error(str(out), None, "the output folder must not be the site folder or contain it")])
    for folder, name in forbidden[1:]:
        if out.is_relative_to(folder):
            raise SiteError([error(str(out), None, f"the output folder must not lie inside {name}")])
    return out
