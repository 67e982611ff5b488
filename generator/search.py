"""The prebuilt search index: one small JSON record per published post, read by theme/search.js."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from generator.config import SiteConfig
from generator.localise import LocalDates
from generator.markdown import RenderedBody
from generator.metadata import inert_json
from generator.reading import plain_text
from generator.site import Entry, Site, href

INDEX_PATH = "search/index.json"
SUMMARY_CHARS = 200
TITLE_CHARS = 160


def search_index(records: list[str]) -> bytes:
    """The index of every published post (never a draft or a scheduled one, even in previews), newest first.

    Each record is bounded (title, a summary cut at a word, tags, category, date, url), so the
    index grows by about 400 bytes per post: a 1,000-post blog downloads roughly 400 kB once.
    `records` are the posts' records as JSON (record_json): the index is what inert_json() would
    make of {"posts": [...]}, joined from records encoded once each rather than encoded anew.
    """
    return ('{"posts":[' + ",".join(records) + "]}\n").encode("utf-8")


def record_json(site: Site, entry: Entry, body: RenderedBody, dates: LocalDates) -> str:
    """One post's record as the index holds it."""
    return inert_json(record(site, entry, body, dates))


def indexed(site: Site) -> list[Entry]:
    """The entries the search index holds, in its order."""
    return [entry for entry in site.entries if entry.status == "published"]


def record(site: Site, entry: Entry, body: RenderedBody, dates: LocalDates) -> dict[str, object]:
    """What a result shows and what a query is matched against."""
    summary = entry.post.summary or plain_text(body.summary_html)
    return {
        "title": shorten(entry.post.title, TITLE_CHARS),
        "summary": shorten(summary, SUMMARY_CHARS),
        "tags": [tag.title for tag in entry.tags],
        "category": entry.category.title,
        "date": entry.post.date.astimezone(site.config.tz).date().isoformat(),
        "date_text": dates.date(entry.post.date),
        "url": href(site.config, entry.url),
    }


def shorten(text: str, limit: int) -> str:
    """Cut at the last whole word that fits, marking the cut with an ellipsis."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,.;:") + "…"


@dataclass(frozen=True)
class WebSearch:
    """Where the search form goes when JavaScript is off: a web search engine limited to this site."""

    name: str
    action: str
    site: str


def web_search(config: SiteConfig) -> WebSearch:
    """DuckDuckGo's `sites` parameter restricts results to the blog's host, without any script."""
    return WebSearch("DuckDuckGo", "https://duckduckgo.com/", urlsplit(config.base_url).hostname or "")
