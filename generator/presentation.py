"""What the default theme asks of Python: metadata, reading time, related posts and share links per page.

Everything is decided here once per build; templates only call these and print the results.
"""

from __future__ import annotations

from typing import Any, Mapping

from generator.localise import LocalDates
from generator.markdown import RenderedBody
from generator.metadata import PageMeta, page_meta
from generator.reading import reading_minutes
from generator.related import RelatedPosts
from generator.search import web_search
from generator.share import ShareLink, share_links
from generator.site import Entry, Link, PageEntry, Site


HELPERS_READING_OTHER_POSTS = frozenset({"related_posts"})


class ThemeHelpers:
    """Per-post facts computed once (related posts) and the functions templates call."""

    def __init__(self, site: Site, bodies: Mapping[str, RenderedBody], dates: LocalDates):
        self.site, self.dates, self.bodies = site, dates, bodies
        self.related = RelatedPosts(site)
        self.og_locale = dates.og_locale()

    def template_globals(self) -> dict[str, Any]:
        return {"page_meta": self.meta, "reading_minutes": self.reading_minutes,
                "related_posts": self.related_posts, "share_links": self.share_links,
                "search_engine": web_search(self.site.config)}

    def meta(self, url: str, title: str, description: str, entry: Entry | PageEntry | None = None) -> PageMeta:
        words = self.bodies[entry.post.source].words if isinstance(entry, Entry) else 0
        return page_meta(self.site, self.og_locale, url, title, description, entry, words)

    def reading_minutes(self, entry: Entry) -> int:
        return reading_minutes(self.bodies[entry.post.source].words)

    def related_posts(self, entry: Entry) -> tuple[Link, ...]:
        """Templates get a post's own list as `related_links`; calling this from a template makes its pages
        depend on every post's list (see HELPERS_READING_OTHER_POSTS), so their rebuilds are slower."""
        return self.related.of(entry)

    def share_links(self, entry: Entry) -> tuple[ShareLink, ...]:
        return share_links(self.site.config, entry)
