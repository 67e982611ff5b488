"""The whole pipeline, top to bottom: site.yaml and content/ in, a deployable folder out."""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterator

import jinja2

from generator.cache import (BuildCache, Fingerprints, SourceRecall, StoredValues, code_version, digest, fingerprint,
                             output_memo, per_entry_memo)
from generator.config import SiteConfig, load_config
from generator.content import Content, load_all_now, load_content
from generator.errors import Problem, SiteError, error
from generator.fast_markdown import available as fast_markdown_available
from generator.feeds import all_feeds
from generator.localise import LocalDates
from generator.manifest import BuildSummary, Inputs, Manifest, build_parameters, take_inputs
from generator.markdown import pygments_css, render_many, renderer_version
from generator.metadata import humans_txt
from generator.output import Pending, Staging, Unchanged, WriteReport
from generator.parallel import map_forked, write_all
from generator.profile import Stopwatch
from generator.redirects import redirect_files
from generator.render import Each, Memo, PageRenderer, Rendered, compute_each, no_memo, robots, sitemap, sitemap_rows
from generator.search import INDEX_PATH, indexed, record, search_index
from generator.site import Site, assemble_site
from generator.theme import Theme, default_theme_dir, load_theme, template_problem


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
          fast_markdown: bool | None = None, progress: Callable[[str], None] | None = None) -> BuildResult:
    """Build the site in `root` as of `now`; raise SiteError (output untouched) when the input is wrong.

    `cache` carries work between builds: pass the same BuildCache to repeated calls in one process
    (as `serve` does) to reuse it in memory. Without one, the persistent cache in the site's
    .deskpress-cache/ is used, or none at all with `use_cache=False`. Either way the output is the
    same bytes. With a cache, a build that finds no input, output or setting changed since the last
    one (and `now` still in the span that build holds for) stops there and reports it again.
    `jobs` caps the processes parsing, rendering and writing (default: all cores); `fast_markdown` uses
    markdown-it-pyrs where it matches the reference (default: when installed); `progress` is told
    the name of each stage as it starts.
    """
    remember = cache is not None or use_cache
    clock = Stopwatch(progress or (lambda stage: None), "checking for changes" if remember else "reading settings")
    if cache is None:
        cache = BuildCache(root, persistent=use_cache)
    inputs = take_inputs(root, (default_theme_dir(),)) if remember else None
    config, config_warnings = load_config(root)
    out = output_folder(config, output)
    fast = fast_markdown_available() if fast_markdown is None else fast_markdown
    parameters = build_parameters(config, out, drafts, fast, code_version(), renderer_version(config.base_path, fast))
    previous = cache.manifest(out) if inputs is not None else None
    if previous is not None and previous.still_holds(parameters, inputs, out, now):
        return reported_again(previous, inputs, out, cache, clock)
    clock.stage("reading content")
    jobs = jobs or os.cpu_count() or 1
    recall = SourceRecall(cache, config, previous.unchanged_sources(inputs, root) if previous and inputs else {})
    with reported_alongside(config_warnings):
        content, content_warnings = load_content(config, recall=recall if remember else load_all_now,
                                                 spread=lambda work, count: map_forked(work, count, jobs))
    with reported_alongside(config_warnings + content_warnings):
        site = assemble_site(config, content, now, include_drafts=drafts)
    clock.stage("rendering Markdown")
    rendered = render_markdown(content, config.base_path, cache, jobs, fast)
    theme = load_theme(config)
    environment = theme.environment()
    cache.compile_templates_once(environment)
    staging = Staging(out)
    memo, each = no_memo, compute_each
    if remember:
        fingerprints = Fingerprints(recall.keys)
        memo = output_memo(cache, out, staging.existing, site, theme, environment, rendered.version, fingerprints)
        each = per_entry_memo(cache, fingerprints, digest(code_version(), rendered.version, fingerprint(config) or ""))
    clock.stage("writing pages and feeds")
    try:
        write_all(staging, site_files(site, rendered, theme, environment, deferred(memo), each), jobs)
    except jinja2.TemplateError as exc:
        staging.abort()
        raise SiteError([template_problem(exc)]) from None
    except BaseException:
        staging.abort()
        raise
    clock.stage("moving files into place")
    written = staging.commit()
    warnings = tuple(config_warnings + content_warnings)
    summary = BuildSummary(len(site.entries), len(site.pages), written.feeds, written.files, site.next_scheduled,
                           config.base_path)
    clock.stage("recording the build")
    on_disk = staging.on_disk() if remember else {}
    manifest = None if inputs is None else Manifest(parameters, inputs, on_disk, now, site.changes_at, summary, warnings,
                                                    recall.versions)
    cache.committed(out, staging.written, on_disk, manifest)
    stages = clock.stop()
    return BuildResult(site, written, warnings, clock.total, out, stages, summary)


def reported_again(previous: Manifest, inputs: Inputs, out: Path, cache: BuildCache, clock: Stopwatch) -> BuildResult:
    """Nothing changed since the last build into `out`: it is still right, so report what that build reported."""
    settled = previous.settled(inputs)
    if settled is not None:
        cache.replace_manifest(out, settled)
    stages = clock.stop()
    return BuildResult(None, previous.summary.unchanged(), previous.warnings, clock.total, out, stages, previous.summary)


@contextmanager
def reported_alongside(warnings: list[Problem]) -> Iterator[None]:
    """When a later stage fails, keep the earlier stages' warnings in the report (a typo may be the cause)."""
    try:
        yield
    except SiteError as exc:
        raise SiteError(warnings + list(exc.problems)) from None


def render_markdown(content: Content, base_path: str = "/", cache: BuildCache | None = None, jobs: int = 1,
                    fast: bool = False) -> Rendered:
    """Turn every post, page and comment body into HTML once, for pages and feeds to share.

    Bodies rendered before stay in the cache until a page or feed being rendered asks for them."""
    cache = cache or BuildCache(persistent=False)
    version = renderer_version(base_path, fast)

    def rendered(kind: str, records: list) -> StoredValues:
        keys = [digest(version, kind, r.body) for r in records]
        cache.ensure(keys, [r.body for r in records], lambda missing: render_many(kind, missing, jobs, base_path, fast))
        return StoredValues(cache, dict(zip((r.source for r in records), keys)))

    return Rendered(rendered("post", list(content.posts + content.pages)), rendered("comment", list(content.comments)), version)


def deferred(memo: Memo) -> Memo:
    """The same memo, but a file to be made comes back as Pending, for write_all to spread over workers."""
    return lambda rel, template, inputs, produce: memo(rel, template, inputs, lambda: Pending(produce))


def site_files(site: Site, rendered: Rendered, theme: Theme, environment: jinja2.Environment | None = None,
               memo: Memo = no_memo, each: Each = compute_each) -> Iterator[tuple[str, bytes | Unchanged | Pending]]:
    """Every file of the built site as (relative path, bytes or KEEP for an unchanged file), in a fixed order."""
    environment = environment or theme.environment()
    written: set[str] = set()
    for rel, data in _generated_files(site, rendered, theme, environment, memo, each):
        written.add(rel)
        yield rel, data
    yield from redirect_files(site, environment, frozenset(written))


def _generated_files(site: Site, rendered: Rendered, theme: Theme, environment: jinja2.Environment,
                     memo: Memo, each: Each) -> Iterator[tuple[str, bytes | Unchanged | Pending]]:
    yield from PageRenderer(site, environment, rendered, memo).all_pages()
    yield from all_feeds(site, rendered, memo)
    rows = sitemap_rows(site)
    yield "sitemap.xml", memo("sitemap.xml", "sitemap", rows, lambda: sitemap(site.config, rows))
    yield "robots.txt", robots(site)
    dates = LocalDates(site.config)
    records = each("search record", indexed(site), lambda e: record(site, e, rendered.bodies[e.post.source], dates))
    yield INDEX_PATH, memo(INDEX_PATH, "search index", records, lambda: search_index(records))
    if site.config.humans_txt:
        yield "humans.txt", humans_txt(site)
    yield "theme/pygments.css", pygments_css().encode("utf-8")
    for rel, path in theme.static_files().items():
        yield f"theme/{rel}", path.read_bytes()
    static_root = site.config.content_dir / "static"
    for rel in site.static_files:
        yield rel, (static_root / rel).read_bytes()


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
