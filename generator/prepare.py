"""Sources in, the site as data and its Markdown HTML out: what pages and feeds are rendered from.

Either every source is loaded (or recalled from the cache) and the site assembled, or, when the
files changed since the last build differ from their last versions in their bodies alone, the last
build's site is taken up as it is and only the edited bodies are read and rendered (see
generator/snapshot.py for why that site is exactly the one assemble_site() would make).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterator

from generator.cache import BuildCache, SourceRecall, StoredValues, digest
from generator.config import SiteConfig
from generator.content import Comment, Content, load_all_now, load_content, load_sources, source_kind
from generator.errors import Problem, SiteError
from generator.manifest import Inputs, Manifest
from generator.markdown import render_many, renderer_version
from generator.output import Stat, output_stats
from generator.parallel import map_forked
from generator.render import Rendered
from generator.site import Site, assemble_site, site_feed_links, with_responses
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
    slugs: dict[str, int]  # post slug -> how many posts have it
    taken_up: Snapshot | None = None  # the snapshot whose site this is, if it is one
    edited: tuple[Any, ...] = ()  # with `taken_up`: the records edited, added or removed
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
                    {record.source: key for record, key in keys.values()}, recall.versions if recall else {}, now,
                    dict(Counter(post.slug for post in content.posts)))


def take_up_snapshot(snapshot: Snapshot | None, previous: Manifest, inputs: Inputs, config: SiteConfig, out: Path,
                     now: datetime, cache: BuildCache, fast: bool, private_output: bool = False) -> Prepared | None:
    """The last build's site with the edits since, or None when they are more than edited bodies and
    responses added, changed or removed (see generator/snapshot.py).

    Also None when the output folder is not as the last build left it (`private_output`: nothing
    else writes there, so it is), or `now` is outside the span that build holds for (a scheduled
    post due, comments closing): a full build then decides."""
    if snapshot is None or not previous.holds_at(now):
        return None
    changed, added, gone = previous.changes(inputs, config.root)
    if not (changed or added or gone) or any(rel not in snapshot.records for rel in changed + gone):
        return None
    existing = previous.outputs if private_output else output_stats(out)
    if existing != previous.outputs:
        return None
    recall = SourceRecall(cache, config)
    edits = _edits(config, snapshot, cache, recall, changed + added, gone)
    if edits is None:
        return None
    bodies_edited, responses, removed = edits
    site, depends, held, feeds = snapshot.site, snapshot.depends, [*changed, *gone], frozenset()
    if responses or removed:
        found = _with_new_responses(snapshot, responses, removed)
        if found is None:
            return None
        site, depends, posts, feeds = found
        held += posts
    made = {record.source: (record, key) for record, key in recall.keys.values()}
    records = {source: key for source, key in snapshot.records.items() if source not in gone} | {
        source: key for source, (_, key) in made.items()}
    version = renderer_version(config.base_path, fast)
    post_keys = markdown_keys(cache, version, "post", [r for r in bodies_edited if not isinstance(r, Comment)], 1,
                              config.base_path, fast)
    comment_keys = markdown_keys(cache, version, "comment", [r for r in bodies_edited + responses if isinstance(r, Comment)],
                                 1, config.base_path, fast)
    rendered = Rendered(StoredValues(cache, snapshot.bodies | post_keys),
                        StoredValues(cache, {s: k for s, k in snapshot.comments.items() if s not in gone} | comment_keys), version)
    taken_up = dataclasses.replace(snapshot, site=site, depends=depends)
    record_keys = {id(record): (record, records[record.source]) for record in taken_up.records_in_site()}
    versions = {source: version for source, version in (previous.sources | recall.versions).items() if source not in gone}
    return Prepared(site, rendered, previous.warnings, record_keys, records, versions, previous.built_for, snapshot.slugs,
                    taken_up, tuple(bodies_edited + responses + removed), snapshot.affected(held) | feeds, existing)


def _edits(config: SiteConfig, snapshot: Snapshot, cache: BuildCache, recall: SourceRecall, rels: list[str],
           gone: list[str]) -> tuple[list, list[Comment], list[Comment]] | None:
    """The changed and added files' records, split into body edits and new or changed responses, and
    the responses gone; None for anything else (a new post, a changed title, a file with problems...)."""
    bodies_edited: list = []
    responses: list[Comment] = []
    for kind in ("post", "page", "comment"):
        some = [rel for rel in rels if source_kind(config, config.root / rel) == kind]
        for rel, (record, problems) in zip(some, load_sources(config, kind, [config.root / r for r in some], some, recall=recall)):
            before = cache.lookup(snapshot.records[rel]) if rel in snapshot.records else None
            if before is not None and only_bodies_differ(before, (record, problems)):
                bodies_edited.append(record)
            elif kind == "comment" and record is not None and not problems and (before is None or not before[1]):
                responses.append(record)
            else:
                return None
    if len(bodies_edited) + len(responses) < len(rels):  # a file that is no source at all
        return None
    removed = []
    for rel in gone:
        before = cache.lookup(snapshot.records[rel])
        if before is None or not isinstance(before[0], Comment) or before[1]:
            return None
        removed.append(before[0])
    return bodies_edited, responses, removed


def _with_new_responses(snapshot: Snapshot, responses: list[Comment], removed: list[Comment]
                        ) -> tuple[Site, dict[str, tuple[str, ...]], list[str], frozenset[str]] | None:
    """The snapshot's site with these responses in place and those removed, the files each source is held
    by then, the posts whose responses changed and the feeds of responses they are in (held by no record
    while empty); None when a full build must decide."""
    site, depends = snapshot.site, dict(snapshot.depends)
    replaced = {c.source for c in responses} | {c.source for c in removed}
    feeds = {link.url for link in site_feed_links(site.config)[2:]}  # every response on the site
    posts = []
    for slug in sorted({c.post_slug for c in responses} | {c.post_slug for c in removed}):
        entries = [entry for entry in site.entries if entry.post.slug == slug]
        if len(entries) != 1 or snapshot.slugs.get(slug) != 1:
            return None
        entry = entries[0]
        now_on = [c for c in responses if c.post_slug == slug]
        found = with_responses(site, entry, [c for c in entry.comments if c.source not in replaced] + now_on)
        if found is None:
            return None
        site = found
        posts.append(entry.post.source)
        feeds.update(link.url for link in entry.comment_feeds)
        for comment in now_on:
            depends[comment.source] = tuple(dict.fromkeys([*depends.get(entry.post.source, ()), *sorted(feeds)]))
    for comment in removed:
        depends.pop(comment.source, None)
    return site, depends, posts, frozenset(feeds)


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
