"""Related posts: the newest published posts that share a category or a tag, decided once per build."""

from __future__ import annotations

import functools
from datetime import datetime
from itertools import islice
from typing import Iterable, Iterator, Mapping

from generator.site import Entry, Link, Site

RELATED_LIMIT = 3

Candidate = tuple[datetime, str, Link]  # sorts newest first as (date, source) does, reversed


def related_posts(site: Site, limit: int = RELATED_LIMIT) -> Mapping[str, tuple[Link, ...]]:
    """Map each post's source to up to `limit` related posts, newest first.

    Archives already hold their posts newest first, so the first few of each of a post's
    category and tag archives are the only candidates: the cost grows with posts, not posts squared.
    """
    return dict(RelatedPosts(site, limit).items())


class RelatedPosts(Mapping[str, tuple[Link, ...]]):
    """related_posts(), each post's list worked out when first asked for: a rebuild rendering a few
    post pages asks for a few lists, not all 10,000."""

    def __init__(self, site: Site, limit: int = RELATED_LIMIT):
        self.limit, self.site = limit, site
        self.found: dict[str, tuple[Link, ...]] = {}

    @functools.cached_property
    def entries(self) -> dict[str, Entry]:
        return {entry.post.source: entry for entry in self.site.entries}

    @functools.cached_property
    def heads(self) -> dict[str, tuple[Candidate, ...]]:
        return {archive.url: _newest_published(archive.entries, self.limit + 1)
                for kind in ("category", "tag") for archive in self.site.archives[kind]}

    def __getitem__(self, source: str) -> tuple[Link, ...]:
        found = self.found.get(source)
        if found is None:
            found = self.found[source] = _pick(self.entries[source], self.heads, self.limit)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)


def _newest_published(entries: Iterable[Entry], count: int) -> tuple[Candidate, ...]:
    published = (e for e in entries if e.status == "published")
    return tuple((e.post.date, e.post.source, Link(e.post.title, e.url)) for e in islice(published, count))


def _pick(entry: Entry, heads: Mapping[str, tuple[Candidate, ...]], limit: int) -> tuple[Link, ...]:
    candidates: dict[str, Candidate] = {}
    for group in (entry.category, *entry.tags):
        for candidate in heads.get(group.url, ()):
            if candidate[1] != entry.post.source:
                candidates[candidate[1]] = candidate
    return tuple(link for _, _, link in sorted(candidates.values(), reverse=True)[:limit])
