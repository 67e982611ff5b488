"""Related posts: the published posts nearest in date among those sharing a category or a tag.

Nearest in date, not newest: an old post's readers see what the author wrote about the same subject
around then, and a new post enters the related lists of its few neighbours only, not those of every
post sharing its category (Hugo's `includeNewer = false` keeps old pages stable the same way, by
leaving newer posts out). Adding a tagged post to a 10,000-post blog then remakes a dozen post pages
instead of 750.
"""

from __future__ import annotations

import bisect
import functools
from datetime import datetime
from typing import Iterator, Mapping

from generator.site import Archive, Entry, Link, Site

RELATED_LIMIT = 3

Key = tuple[datetime, str]  # a post's place: archives and the site hold posts by (date, source), newest first


def related_posts(site: Site, limit: int = RELATED_LIMIT) -> Mapping[str, tuple[Link, ...]]:
    """Map each post's source to up to `limit` related posts, newest first."""
    return dict(RelatedPosts(site, limit).items())


class RelatedPosts(Mapping[str, tuple[Link, ...]]):
    """related_posts(), each post's list worked out when first asked for (of()): a rebuild rendering a
    few post pages asks for a few lists, not all 10,000.

    The `limit` nearest posts sharing any of a post's archives are among the `limit` nearest on each
    side of it in each archive, so only those are compared: the cost grows with posts, not posts squared."""

    def __init__(self, site: Site, limit: int = RELATED_LIMIT):
        self.limit, self.site = limit, site
        self.found: dict[str, tuple[Link, ...]] = {}
        self.published: dict[str, tuple[list[Key], list[Entry], dict[str, int]]] = {}

    @functools.cached_property
    def entries(self) -> dict[str, Entry]:
        return {entry.post.source: entry for entry in self.site.entries}

    @functools.cached_property
    def archives(self) -> dict[str, Archive]:
        return {archive.url: archive for kind in ("category", "tag") for archive in self.site.archives[kind]}

    def __getitem__(self, source: str) -> tuple[Link, ...]:
        return self.of(self.entries[source])

    def __iter__(self) -> Iterator[str]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def of(self, entry: Entry) -> tuple[Link, ...]:
        """The related posts of `entry`, a post of this site."""
        found = self.found.get(entry.post.source)
        if found is None:
            found = self.found[entry.post.source] = self._pick(entry)
        return found

    def _pick(self, entry: Entry) -> tuple[Link, ...]:
        """The `limit` nearest in date, shown newest first. At equal distances the newer side comes first,
        and on each side the post nearer in the site's order (as an archive holds them), so that a post
        outside an archive's window never beats the posts inside it."""
        date, source, limit = entry.post.date, entry.post.source, self.limit
        nearness: dict[str, tuple] = {}  # source -> (distance, side, tie-break, entry), sorting nearest first
        for group in (entry.category, *entry.tags):
            keys, published, places = self._published_in(group.url)
            at = places.get(source)
            newer = at + 1 if at is not None else None
            if at is None:  # not published itself (a draft on show): where it would stand
                at = newer = bisect.bisect_left(keys, _place(entry))
            start = max(0, at - limit)
            for (other_date, other), shown in zip(keys[start:at], published[start:at]):
                nearness[other] = (date - other_date, 1, _Backwards(other), shown)
            for (other_date, other), shown in zip(keys[newer : newer + limit], published[newer : newer + limit]):
                nearness[other] = (other_date - date, 0, other, shown)
        nearest = sorted(nearness.values())[:limit]
        return tuple(Link(e.post.title, e.url) for e in sorted((n[3] for n in nearest), key=_place, reverse=True))

    def reach(self, entry: Entry) -> set[str]:
        """The posts whose related list may show `entry`, a post of this site: those of its archives within
        a window around it (one wider than any post's own). Only their lists change when it comes, goes or changes."""
        if entry.status != "published":
            return set()
        key, margin, found = _place(entry), self.limit + 1, set()
        for group in (entry.category, *entry.tags):
            keys = self._published_in(group.url)[0]
            at = bisect.bisect_left(keys, key)
            low = keys[at - margin] if at >= margin else None  # None: no bound on that side
            high = keys[at + margin] if at + margin < len(keys) else None
            archive = self.archives.get(group.url)
            for other in archive.entries if archive is not None else ():
                if (low is None or low <= _place(other)) and (high is None or _place(other) <= high):
                    found.add(other.post.source)
        return found

    def _published_in(self, url: str) -> tuple[list[Key], list[Entry], dict[str, int]]:
        """An archive's published posts, oldest first, with their keys to search by and their places."""
        found = self.published.get(url)
        if found is None:
            archive = self.archives.get(url)
            published = [e for e in reversed(archive.entries) if e.status == "published"] if archive is not None else []
            keys = [(e.post.date, e.post.source) for e in published]
            found = self.published[url] = (keys, published, {source: number for number, (_, source) in enumerate(keys)})
        return found


def _place(entry: Entry) -> Key:
    return entry.post.date, entry.post.source


class _Backwards(str):
    """A source that sorts backwards: on the older side, at equal distances, the later source is nearer."""

    def __lt__(self, other: str) -> bool:
        return str.__gt__(self, other)
