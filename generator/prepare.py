"""Sources in, the site as data and its Markdown HTML out: what pages and feeds are rendered from.

Either every source is loaded (or recalled from the cache) and the site assembled, or, when the
files changed since the last build differ from their last versions in their bodies alone, the last
build's site is taken up as it is and only the edited bodies are read and rendered (see
generator/snapshot.py for why that site is exactly the one assemble_site() would make).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterator

from generator.cache import BuildCache, SourceRecall, StoredValues, digest
from generator.config import SiteConfig
from generator.content import Content, load_all_now, load_content, load_sources, source_kind
from generator.errors import Problem, SiteError
from generator.manifest import Inputs, Manifest
from generator.markdown import render_many, renderer_version
from generator.output import Stat, output_stats
from generator.parallel import map_forked
from generator.render import Rendered
from generator.site import Site, assemble_site
from generator.snapshot import Snapshot, only_bodies_differ


@dataclass(frozen=True)
class Prepared:
    """The site and its HTML, with what the cache and the next build need to know of their sources."""

    site: Site
    rendered: Rendered
    warnings: tuple[Problem, ...]
    record_keys: dict[int, tuple[Any, str]]  # id() of each record object -> (the record, its key), for Fingerprints
    records: dict[str, str]  # source -> its record's key
    versions: dict[str, str]  # source -> the content digest of the bytes its record was made from
    built_for: datetime
    taken_up: Snapshot | None = None  # the snapshot whose site this is, if it is one
    edited: tuple[Any, ...] = ()  # with `taken_up`: the records whose bodies were edited, as loaded now
    changed: frozenset[str] = frozenset()  # with `taken_up`: the output files the edited sources may change
    existing: dict[str, Stat] | None = None  # with `taken_up`: the output folder's files, as found

def prepare_everything(config: SiteConfig, config_warnings: list[Problem], now: datetime, drafts: bool, cache: BuildCache,
                       recall: SourceRecall | None, jobs: int, fast: bool, stage: Callable[[str], None]) -> Prepared:
    """Load or recall every source and assemble the site as of `now`; raise SiteError with every problem found.

    Without `recall` (no cache), every file is read and parsed."""
    with reported_alongside(config_warnings):
        content, content_warnings = load_content(config, recall=recall or load_all_now,
                                                 spread=lambda work, count: map_forked(work, count, jobs))
    with reported_alongside(config_warnings + content_warnings):
        site = assemble_site(config, content, now, include_drafts=drafts)
    stage("rendering Markdown")
    rendered = render_markdown(content, config.base_path, cache, jobs, fast)
    keys = recall.keys if recall else {}
    return Prepared(site, rendered, tuple(config_warnings + content_warnings), keys,
                    {record.source: key for record, key in keys.values()}, recall.versions if recall else {}, now)


def take_up_snapshot(snapshot: Snapshot | None, previous: Manifest, inputs: Inputs, config: SiteConfig, out: Path,
                     now: datetime, cache: BuildCache, fast: bool, private_output: bool = False) -> Prepared | None:
    """The last build's site with the bodies edited since, or None when more than bodies changed.

    Also None when the output folder is not as the last build left it (`private_output`: nothing
    else writes there, so it is), or `now` is outside the span that build holds for (a scheduled
    post due, comments closing): a full build then decides."""
    if snapshot is None or not previous.holds_at(now):
        return None
    changed = previous.changed_files(inputs, config.root)
    if not changed or any(rel not in snapshot.records for rel in changed):
        return None
    existing = previous.outputs if private_output else output_stats(out)
    if existing != previous.outputs:
        return None
    recall = SourceRecall(cache, config)
    for kind in ("post", "page", "comment"):
        rels = [rel for rel in changed if source_kind(config, config.root / rel) == kind]
        for rel, result in zip(rels, load_sources(config, kind, [config.root / rel for rel in rels], rels, recall=recall)):
            before = cache.lookup(snapshot.records[rel])
            if before is None or not only_bodies_differ(before, result):
                return None
    edited = {record.source: (record, key) for record, key in recall.keys.values()}
    records = snapshot.records | {source: key for source, (_, key) in edited.items()}
    version = renderer_version(config.base_path, fast)
    bodies = snapshot.bodies | markdown_keys(cache, version, "post", [r for r, _ in edited.values() if r.source in snapshot.bodies], 1, config.base_path, fast)
    comments = snapshot.comments | markdown_keys(cache, version, "comment", [r for r, _ in edited.values() if r.source in snapshot.comments], 1, config.base_path, fast)
    rendered = Rendered(StoredValues(cache, bodies), StoredValues(cache, comments), version)
    record_keys = {id(record): (record, records[record.source]) for record in snapshot.records_in_site()}
    return Prepared(snapshot.site, rendered, previous.warnings, record_keys, records, previous.sources | recall.versions,
                    previous.built_for, snapshot, tuple(record for record, _ in edited.values()), snapshot.affected(changed),
                    existing)


def render_markdown(content: Content, base_path: str = "/", cache: BuildCache | None = None, jobs: int = 1,
                    fast: bool = False) -> Rendered:
    """Turn every post, page and comment body into HTML once, for pages and feeds to share.

    Bodies rendered before stay in the cache until a page or feed being rendered asks for them."""
    cache = cache or BuildCache(persistent=False)
    version = renderer_version(base_path, fast)
    bodies = markdown_keys(cache, version, "post", list(content.posts + content.pages), jobs, base_path, fast)
    comments = markdown_keys(cache, version, "comment", list(content.comments), jobs, base_path, fast)
    return Rendered(StoredValues(cache, bodies), StoredValues(cache, comments), version)


def markdown_keys(cache: BuildCache, version: str, kind: str, records: list, jobs: int, base_path: str,
                  fast: bool) -> dict[str, str]:
    """The cache key of each record's HTML by source, rendering (over `jobs` processes) the bodies not stored yet."""
    keys = [digest(version, kind, r.body) for r in records]
    cache.ensure(keys, [r.body for r in records], lambda missing: render_many(kind, missing, jobs, base_path, fast))
    return dict(zip((r.source for r in records), keys))


@contextmanager
def reported_alongside(warnings: list[Problem]) -> Iterator[None]:
    """When a later stage fails, keep the earlier stages' warnings in the report (a typo may be the cause)."""
    try:
        yield
    except SiteError as exc:
        raise SiteError(warnings + list(exc.problems)) from None
