"""Related posts: the newest published posts that share a category or a tag, decided once per build."""

from __future__ import annotations

from typing import Mapping

from generator.site import Entry, Link, Site

RELATED_LIMIT = 3


def related_posts(site: Site, limit: int = RELATED_LIMIT) -> Mapping[str, tuple[Link, ...]]:
    """Map each post's source to up to `limit` related posts, newest first.

    Archives already hold their posts newest first, so the first few of each of a post's
    category and tag archives are the only candidates: the cost grows with posts, not posts squared.
    """
    heads = {
        archive.url: tuple(e for e in archive.entries if e.status == "published")[: limit + 1]
        for kind in ("category", "tag") for archive in site.archives[kind]
    }
    return {entry.post.source: _pick(entry, heads, limit) for entry in site.entries}


def _pick(entry: Entry, heads: Mapping[str, tuple[Entry, ...]], limit: int) -> tuple[Link, ...]:
    candidates: dict[str, Entry] = {}
    for group in (entry.category, *entry.tags):
        for other in heads.get(group.url, ()):
            if other.post.source != entry.post.source:
                candidates[other.post.source] = other
    newest = sorted(candidates.values(), key=lambda e: (e.post.date, e.post.source), reverse=True)[:limit]
    return tuple(Link(e.post.title, e.url) for e in newest)
