"""Sources in, the site as data and its Markdown HTML out: what pages and feeds are rendered from.

Either every source is loaded (or recalled from the cache) and the site assembled, or the last
build's snapshot is taken up (generator/snapshot.py) and only the files changed since are read:
- bodies edited, responses added, changed or removed: the last site stands, with the responses
  swapped in, and the output files to make again are known;
- anything else about posts and pages (a new post, a new title): the site is assembled again from
  the snapshot's records, and the output files it may change are found by comparing the two sites
  (every file is keyed, as in a full build, when that cannot be told: a page edited, say).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from pathlib import Path
from typing import Any, Callable, Iterator

from generator.cache import BuildCache, SourceRecall, StoredValues
from generator.config import SiteConfig
from generator.content import (FOLDER_KINDS, Comment, Content, Page, Post, load_all_now, load_content, load_sources,
                               source_kind, without_body)
from generator.errors import Problem, SiteError
from generator.keys import digest
from generator.manifest import Inputs, Manifest
from generator.markdown import render_many, renderer_version
from generator.output import Stat
from generator.parallel import map_forked
from generator.render import NOT_FOUND_PAGE, Rendered, sitemap_names
from generator.related import RelatedPosts
from generator.search import INDEX_PATH
from generator.site import (
    ARCHIVE_FEED_NAMES, ARCHIVE_INDEX, Archive, Entry, Site, assemble_site, feed_files, output_path, page_urls, paginate,
    site_feed_links, with_responses,
)
from generator.snapshot import RESPONSES_KEPT_APART, Snapshot, only_bodies_differ


SOURCE_KINDS = tuple(FOLDER_KINDS.values())  # in the order a full build loads them
POST_SOURCE = attrgetter("post.source")  # an entry's source: C-speed over the 54,000 entries of 10,000 posts' archives


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
    hidden: tuple  # the records the site leaves out (drafts, scheduled posts, comments on them)
    taken_up: Snapshot | None = None  # the snapshot this site was made from, if it was
    known: list[tuple[Any, str, frozenset[str]]] = dataclasses.field(default_factory=list)  # see recallable()
    only: frozenset[str] | None = None  # the only output files that may differ, when that is known
    assembled: bool = False  # with `taken_up`: the site was assembled again (not the snapshot's own)


def prepare_everything(config: SiteConfig, config_warnings: list[Problem], now: datetime, drafts: bool, cache: BuildCache,
                       recall: SourceRecall | None, jobs: int, fast: bool, stage: Callable[[str], None]) -> Prepared:
    """Load or recall every source and assemble the site as of `now`; raise SiteError with every problem found.

    Without `recall` (no cache), every file is read and parsed."""
    with reported_alongside(config_warnings):
        content, content_warnings = load_content(config, recall=recall or load_all_now,
                                                 spread=lambda work, count: map_forked(work, count, jobs))
    bare, keys = bodies_dropped(content, recall.keys if recall else {})
    with reported_alongside(config_warnings + content_warnings):
        site = assemble_site(config, bare, now, include_drafts=drafts)
    stage("rendering Markdown")
    rendered = render_markdown(content, config.base_path, cache, jobs, fast)
    return Prepared(site, rendered, tuple(config_warnings + content_warnings), keys,
                    {record.source: key for record, key in keys.values()}, recall.versions if recall else {}, now,
                    dict(Counter(post.slug for post in bare.posts)), hidden_records(site, bare))


def bodies_dropped(content: Content, keys: dict[int, tuple[Any, str]]) -> tuple[Content, dict[int, tuple[Any, str]]]:
    """The content with body-less records (see without_body), for the site to be assembled from, and
    their cache keys (`keys`: by id() of the records read) by id() of the new records. Once the Markdown
    stage is done with the bodies, nothing holds them: neither the pages and feeds being made nor
    the forked processes making them."""
    bare = {id(record): without_body(record) for record in (*content.posts, *content.pages, *content.comments)}
    posts, pages, comments = ((bare[id(r)] for r in records) for records in (content.posts, content.pages, content.comments))
    return (Content(tuple(posts), tuple(pages), tuple(comments), content.static_files),
            {id(bare[number]): (bare[number], key) for number, (_, key) in keys.items() if number in bare})


def take_up_snapshot(cache: BuildCache, previous: Manifest, inputs: Inputs, config: SiteConfig, out: Path,
                     now: datetime, fast: bool, in_output: Callable[[], dict[str, Stat]]) -> Prepared | None:
    """The last build's site (the snapshot the cache has for `out`) with the edits to posts, pages and
    responses since, or None when a full build must decide: other files changed (settings, theme,
    static files), a changed file has errors, the output folder (`in_output()`: what it holds now) is
    not as the last build left it, or `now` is outside the span that build holds for (a scheduled post
    due, comments closing).

    Edited bodies and changed responses leave the rest of the site as it was, and the files to make
    again are known (see generator/snapshot.py); any other edit assembles the site again from the
    snapshot's records, and the files to make again are found by comparing the two sites."""
    if not previous.holds_at(now):
        return None
    changed, added, gone = previous.changes(inputs, config.root)  # none at all: files touched, not changed
    snapshot = cache.snapshot(out)
    if snapshot is None or any(rel not in snapshot.records for rel in changed + gone):
        return None
    recall = SourceRecall(cache, config)
    edits = _edits(config, snapshot, cache, recall, changed + added, gone)
    if edits is None:
        return None
    site, depends, only, swaps = snapshot.site, snapshot.depends, None, []
    if not edits.others:
        found = _with_new_responses(snapshot, edits.responses, edits.removed) if edits.responses or edits.removed else \
            (site, depends, [], frozenset())
        if found is None:
            return None
        site, depends, swaps, feeds = found
        only = snapshot.affected([*changed, *gone, *(post for post, _ in swaps)]) | feeds
    made = [record for record, _ in recall.keys.values()]  # the records of the files read now
    records = {source: key for source, key in snapshot.records.items() if source not in gone} | {
        record.source: key for record, key in recall.keys.values()}
    versions = {source: version for source, version in (previous.sources | recall.versions).items() if source not in gone}
    hidden, slugs, assembled = snapshot.hidden, snapshot.slugs, only is None
    if assembled:
        try:
            site, hidden, slugs = _assembled_again(snapshot, config, now, made, set(gone))
        except SiteError:
            return None
        only = files_a_new_assembly_may_change(snapshot, site, edits)
        cache.drop_snapshot(out)  # its site is replaced: no need to hold both while pages are made
    rendered = _rendered(snapshot, cache, renderer_version(config.base_path, fast), made, set(gone), config.base_path, fast)
    responses = () if assembled or len(snapshot.responses) + len(swaps) > RESPONSES_KEPT_APART else (
        snapshot.responses + tuple(swaps))
    taken_up = dataclasses.replace(snapshot, site=site, depends=depends, hidden=hidden, slugs=slugs, responses=responses)
    record_keys = {id(record): (record, records[record.source]) for record in taken_up.all_records()}
    edited = made + edits.removed
    known = recallable(snapshot, site, {r.source for r in edited}, {r.post_slug for r in edited if isinstance(r, Comment)},
                       with_sources=assembled)
    if in_output() != previous.outputs:  # asked last, so that the output folder is walked while the above is done
        return None
    warnings = warnings_after(config, previous.warnings, edits.problems)
    return Prepared(site, rendered, warnings, record_keys, records, versions, previous.built_for, slugs, hidden,
                    taken_up, known, only, assembled)


def files_a_new_assembly_may_change(snapshot: Snapshot, site: Site, edits: Edits) -> frozenset[str] | None:
    """Every output file that may differ between the snapshot's site and `site`, assembled again after
    edits to posts: None when that cannot be told from the two sites (a page edited: every page shows
    the navigation; a post with old addresses: the redirects follow them).

    A file differs only if it holds an entry made from other values (its post, its responses, its
    status or its neighbours' links; those files are in the snapshot's `depends`), belongs to an archive
    whose posts, order or name changed (all its pages and feeds), is a changed post's page or comment
    feed, a post page whose related list changed, or lists every post (the home pages and feeds, the
    responses feed, the archive indexes, the 404 page, the sitemap and the search index). Files of the old site that
    the new one no longer makes are among them, so they are removed rather than carried over."""
    if any(not isinstance(record, (Post, Comment)) for record in edits.others):
        return None
    old = snapshot.site
    before = {entry.post.source: entry for entry in old.entries}
    after = {entry.post.source: entry for entry in site.entries}
    changed = [source for source in before.keys() | after.keys() if source not in before or source not in after
               or (before[source] is not after[source] and before[source].made_from() != after[source].made_from())]
    files = set(snapshot.affected(changed))
    for source in changed:
        for entry in (before.get(source), after.get(source)):
            if entry is not None:
                if entry.post.aliases:
                    return None
                files.add(output_path(entry.url))
                files.update(feed_files(entry.comment_feeds_folder))
    archives_before = {a.url: a for listing in old.archives.values() for a in listing}
    archives_after = {a.url: a for listing in site.archives.values() for a in listing}
    for url in archives_before.keys() | archives_after.keys():
        versions = [a for a in (archives_before.get(url), archives_after.get(url)) if a is not None]
        if len(versions) == 2 and _same_archive(*versions):  # its pages holding a changed entry are in `depends`
            continue
        if len(versions) == 2 and _same_heading(*versions):
            files.update(pages_moved(versions[0].entries, versions[1].entries, url, site.config))
        else:
            files.update(output_path(page) for archive in versions for page in page_urls(url, len(archive.entries), site.config))
        for archive in versions:
            files.update(feed_files(url) if archive.kind in ARCHIVE_FEED_NAMES else ())
            files.add(output_path(ARCHIVE_INDEX[archive.kind]))
    if changed:
        files.update(pages_moved(old.home_listing, site.home_listing, "", site.config))
        files.update(link.url for link in site_feed_links(site.config))
        files.update(output_path(index) for index in ARCHIVE_INDEX.values())
        files.add(NOT_FOUND_PAGE)  # it shows the newest posts
    related_before, related_after = RelatedPosts(old), RelatedPosts(site)
    reached = {other for source in changed for entries, related in ((before, related_before), (after, related_after))
               if source in entries for other in related.reach(entries[source])}
    files.update(output_path(after[source].url) for source in reached
                 if source in before and source in after and related_before.of(before[source]) != related_after.of(after[source]))
    return frozenset(files | sitemap_names(old) | sitemap_names(site) | {INDEX_PATH})


def recallable(snapshot: Snapshot, site: Site, edited: set[str], commented: set[str],
               with_sources: bool) -> list[tuple[Any, str, frozenset[str]]]:
    """The fingerprints the snapshot has that still hold for `site`: of each entry made from the same
    values as before, none of its sources edited, and of each archive holding only such entries, in the
    same order. With their sources when the files each source is held by are to be gathered again."""
    named, before = snapshot.fingerprints, {entry.post.source: entry for entry in snapshot.site.entries}
    known: list[tuple[Any, str, frozenset[str]]] = []
    same: dict[str, frozenset[str]] = {}  # entry source -> its sources, for the entries known
    others: set[str] = set()  # the URLs of the archives holding any other entry
    for entry in site.entries:
        source, old = entry.post.source, before.get(entry.post.source)
        if (old is not None and source in named and source not in edited and entry.post.slug not in commented
                and (old is entry or old.made_from() == entry.made_from())):
            same[source] = frozenset([source, *(c.source for c in entry.comments)]) if with_sources else frozenset()
            known.append((entry, named[source], same[source]))
        else:
            others.update((entry.category.url, entry.author_link.url, entry.month.url, *(tag.url for tag in entry.tags)))
    archives_before = {archive.url: archive for listing in snapshot.site.archives.values() for archive in listing}
    for listing in site.archives.values():
        for archive in listing:
            old = archives_before.get(archive.url)
            if old is None or archive.url not in named or archive.url in others or not _same_archive(old, archive):
                continue
            sources = (frozenset().union(*map(same.__getitem__, map(POST_SOURCE, archive.entries))) if with_sources
                       else frozenset())
            known.append((archive, named[archive.url], sources))
    return known


def _same_archive(old: Archive, new: Archive) -> bool:
    """Made of the same values, entries aside (all known the same, by the caller)?"""
    return old is new or (_same_heading(old, new) and len(old.entries) == len(new.entries)
                          and all(a.post.source == b.post.source for a, b in zip(old.entries, new.entries)))


def _same_heading(old: Archive, new: Archive) -> bool:
    return (old.kind, old.key, old.name, old.description) == (new.kind, new.key, new.name, new.description)


def pages_moved(before: tuple[Entry, ...], after: tuple[Entry, ...], url: str, config: SiteConfig) -> set[str]:
    """The files of a listing's pages that differ between these two versions of its posts, beyond the
    pages holding a changed post (those are in the snapshot's `depends`): pages made or gone, and pages
    whose posts, order or links to their neighbours moved. With stable pagination, adding a post
    moves two of them (see site.paginate)."""
    def faces(entries: tuple[Entry, ...]) -> dict[str, tuple]:
        return {page.url: (page.number, page.newer_url, page.older_url, [entry.post.source for entry in page.entries])
                for page in paginate(entries, url, config)}

    old, new = faces(before), faces(after)
    return {output_path(page) for page in old.keys() | new.keys() if old.get(page) != new.get(page)}


@dataclass(frozen=True)
class Edits:
    """The changed and added files' records, sorted by what taking up the snapshot has to do for them."""

    bodies: list  # records whose body alone changed
    responses: list[Comment]  # responses added, or changed besides their body
    removed: list[Comment]  # responses whose file is gone
    others: list  # anything else: posts and pages added, removed or changed besides their body
    problems: dict[str, list[Problem]]  # each changed, added or gone file's warnings now (none, when gone)


def _edits(config: SiteConfig, snapshot: Snapshot, cache: BuildCache, recall: SourceRecall, rels: list[str],
           gone: list[str]) -> Edits | None:
    """What the changed, added and gone files are; None when one is no source at all or has errors (a
    full build reports them with the rest). Their warnings are reported as a full build would (see
    warnings_after)."""
    edits = Edits([], [], [], [], {})
    for kind in SOURCE_KINDS:
        some = [rel for rel in rels if source_kind(config, config.root / rel) == kind]
        for rel, (record, problems) in zip(some, load_sources(config, kind, [config.root / r for r in some], some, recall=recall)):
            before = cache.lookup(snapshot.records[rel]) if rel in snapshot.records else None
            edits.problems[rel] = problems
            if before is not None and only_bodies_differ(before, (record, problems)):
                edits.bodies.append(record)
            elif record is None:  # it has errors
                return None
            else:
                (edits.responses if kind == "comment" else edits.others).append(record)
    if len(edits.bodies) + len(edits.responses) + len(edits.others) < len(rels):  # a file that is no source
        return None
    for rel in gone:
        before = cache.lookup(snapshot.records[rel])
        if before is None:
            return None
        edits.problems[rel] = []
        (edits.removed if isinstance(before[0], Comment) else edits.others).append(before[0])
    return edits


def warnings_after(config: SiteConfig, previous: tuple[Problem, ...], found: dict[str, list[Problem]]) -> tuple[Problem, ...]:
    """The last build's warnings with each file of `found` warned of what it has now, in the order a full
    build reports them: site.yaml's first, then the posts', the pages' and the comments', file by file
    in the order the files are loaded (each file's own in their order: the sort is stable)."""
    kept = [problem for problem in previous if problem.path not in found]
    return tuple(sorted(kept + [problem for problems in found.values() for problem in problems],
                        key=lambda problem: _loading_order(config, problem.path)))


def _loading_order(config: SiteConfig, rel: str) -> tuple[int, list[str]]:
    kind = source_kind(config, config.root / rel)
    return (0, []) if kind is None else (1 + SOURCE_KINDS.index(kind), rel.split("/"))


def _assembled_again(snapshot: Snapshot, config: SiteConfig, now: datetime, made: list, gone: set[str]
                     ) -> tuple[Site, tuple, dict[str, int]]:
    """The site assembled from the snapshot's records with the new ones in place (their bodies are not
    needed), the records it leaves out, and the posts by slug; raise SiteError as assemble_site does."""
    by_source = {record.source: record for record in snapshot.all_records() if record.source not in gone}
    by_source.update((record.source, record) for record in made)
    kinds = {Post: [], Page: [], Comment: []}
    for source in sorted(by_source, key=lambda source: source.split("/")):
        kinds[type(by_source[source])].append(by_source[source])
    content = Content(tuple(kinds[Post]), tuple(kinds[Page]), tuple(kinds[Comment]), snapshot.site.static_files)
    site = assemble_site(config, content, now, include_drafts=snapshot.site.drafts_shown, earlier=snapshot.site)
    return site, hidden_records(site, content), dict(Counter(post.slug for post in content.posts))


def _rendered(snapshot: Snapshot, cache: BuildCache, version: str, made: list, gone: set[str], base_path: str,
              fast: bool) -> Rendered:
    """The snapshot's HTML by source, with the records made now rendered (or found in the cache)."""
    posts = markdown_keys(cache, version, "post", [r for r in made if not isinstance(r, Comment)], 1, base_path, fast)
    comments = markdown_keys(cache, version, "comment", [r for r in made if isinstance(r, Comment)], 1, base_path, fast)
    return Rendered(StoredValues(cache, {s: k for s, k in snapshot.bodies.items() if s not in gone} | posts),
                    StoredValues(cache, {s: k for s, k in snapshot.comments.items() if s not in gone} | comments), version)


def hidden_records(site: Site, content: Content) -> tuple:
    """The records a site leaves out (drafts, scheduled posts), which a snapshot keeps for the next assembly."""
    shown = {id(entry.post) for entry in site.entries} | {id(page.page) for page in site.pages}
    shown |= {id(comment) for entry in site.entries for comment in entry.comments}
    return tuple(record for record in (*content.posts, *content.pages, *content.comments) if id(record) not in shown)


def _with_new_responses(snapshot: Snapshot, responses: list[Comment], removed: list[Comment]
                        ) -> tuple[Site, dict[str, tuple[str, ...]], list, frozenset[str]] | None:
    """The snapshot's site with these responses in place and those removed, the files each source is held
    by then, the swaps made (each post whose responses changed, by source, with its responses: see
    snapshot.responses_swapped) and the feeds of responses they are in (held by no record while empty);
    None when a full build must decide."""
    site, swaps = snapshot.site, []
    replaced = {c.source for c in responses} | {c.source for c in removed}
    depends = {rel: sources if replaced.isdisjoint(sources) else tuple(s for s in sources if s not in replaced)
               for rel, sources in snapshot.depends.items()}
    feeds = {link.url for link in site_feed_links(site.config)[2:]}  # every response on the site
    for slug in sorted({c.post_slug for c in responses} | {c.post_slug for c in removed}):
        entries = [entry for entry in site.entries if entry.post.slug == slug]
        if len(entries) != 1 or snapshot.slugs.get(slug) != 1:
            return None
        entry = entries[0]
        now_on = [c for c in responses if c.post_slug == slug]
        replies = tuple([c for c in entry.comments if c.source not in replaced] + now_on)
        found = with_responses(site, entry, replies)
        if found is None:
            return None
        site = found
        swaps.append((entry.post.source, replies))
        feeds.update(link.url for link in entry.comment_feeds)
        for rel in snapshot.affected([entry.post.source]) | feeds:
            depends[rel] = depends.get(rel, ()) + tuple(comment.source for comment in now_on)
    return site, depends, swaps, frozenset(feeds)


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
