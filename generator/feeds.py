"""Atom and RSS feeds for posts and comments, with ids and dates taken from content only."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from html import escape
from typing import TYPE_CHECKING, Callable, Iterable, Iterator
from urllib.parse import urljoin

from generator import __version__
from generator.config import SiteConfig
from generator.content import Comment
from generator.render import Memo, Rendered, no_memo
from generator.site import (
    ARCHIVE_FEED_NAMES, RSS_TYPE, Entry, FeedLink, Site, absolute, archive_feed_links, comment_feed_id, feed_files,
    site_feed_links,
)

if TYPE_CHECKING:  # feedgen (with lxml and urllib) is imported by the first feed made: most rebuilds make none
    from feedgen.feed import FeedGenerator

URL_ATTRIBUTE = re.compile(r"""(\s(?:href|src|poster|cite|srcset)\s*=\s*)(["'])(.*?)\2""", re.IGNORECASE | re.DOTALL)
EMPTY_FEED_DATE = datetime(2000, 1, 1, tzinfo=timezone.utc)
RESPONSE_VERBS = {"comment": "Comment by", "pingback": "Pingback from", "trackback": "Trackback from"}


@dataclass(frozen=True)
class FeedItem:
    """One entry of a feed, already resolved to absolute URLs and final HTML."""

    id: str
    title: str
    link: str
    published: datetime
    updated: datetime
    author: str
    author_url: str | None
    content_html: str
    summary_html: str | None
    categories: tuple[str, ...] = ()
    comments_url: str | None = None


@dataclass(frozen=True)
class FeedPage:
    """What one feed is about: its links (Atom and RSS), description and the page it mirrors."""

    links: tuple[FeedLink, ...]
    subtitle: str
    page_url: str
    fallback_date: datetime = EMPTY_FEED_DATE


def absolutize(html: str, page_link: str) -> str:
    """Make every link and image in `html` absolute, exactly as a browser on the page would resolve it,
    since feed readers show the HTML away from the site (Markdown links are already under base_url's path)."""
    def resolve(url: str) -> str:
        return urljoin(page_link, url.strip())

    def rewrite(match: re.Match) -> str:
        attribute, quote_mark, value = match.groups()
        if attribute.strip().lower().startswith("srcset"):
            candidates = (part.strip().split(maxsplit=1) for part in value.split(",") if part.strip())
            value = ", ".join(" ".join([resolve(c[0])] + c[1:]) for c in candidates)
        else:
            value = resolve(value)
        return f"{attribute}{quote_mark}{value}{quote_mark}"

    return URL_ATTRIBUTE.sub(rewrite, html)


def footer_html(entry: Entry) -> str:
    """The disclaimer as it travels with syndicated content."""
    if entry.footer.text is None:
        return ""
    return f'\n<aside class="disclaimer"><p><em>{escape(entry.footer.text)}</em></p></aside>\n'


def all_feeds(site: Site, rendered: Rendered, memo: Memo = no_memo,
              only: frozenset[str] | None = None) -> Iterator[tuple[str, bytes]]:
    """Site, category, author and tag feeds of posts; site-wide and per-post feeds of comments.

    `memo` may skip writing a feed whose inputs are unchanged (see generator/keys.py); `only`, when
    given, names the only files to make."""
    config = site.config
    limit = config.feeds.limit
    site_links = site_feed_links(config)
    made: dict[int, FeedItem] = {}

    def post_item(entry: Entry) -> FeedItem:
        if id(entry) not in made:
            made[id(entry)] = _post_item(site, entry, rendered)
        return made[id(entry)]

    def wanted(files: Iterable[str]) -> bool:
        return only is None or not only.isdisjoint(files)

    def post_feed(page: FeedPage, entries: Iterable[Entry]) -> Iterable[tuple[str, bytes]]:
        if not wanted(link.url for link in page.links):
            return ()
        shown = tuple(entries)[:limit]
        newest = max((e.updated for e in shown), default=page.fallback_date)
        return _write(site, page, shown, newest, lambda: [post_item(e) for e in shown], memo, only)

    def comment_feed(page: FeedPage, responses: Iterable[tuple[Entry, Comment]]) -> Iterable[tuple[str, bytes]]:
        if not wanted(link.url for link in page.links):
            return ()
        shown = tuple(responses)
        newest = max((c.date for _, c in shown), default=page.fallback_date)
        return _write(site, page, shown, newest, lambda: [_comment_item(site, e, c, rendered) for e, c in shown], memo,
                      only)

    yield from post_feed(FeedPage(site_links[:2], config.tagline or config.title, ""), site.entries)
    for kind, name in ARCHIVE_FEED_NAMES.items():
        for archive in site.archives[kind]:
            page = FeedPage(archive_feed_links(config, kind, archive.name, archive.url),
                            archive.description or f"{config.title}: {name.format(archive.name)}", archive.url)
            yield from post_feed(page, archive.entries)
    if wanted(link.url for link in site_links[2:]):  # before sorting every response
        newest_post = max((e.updated for e in site.entries), default=EMPTY_FEED_DATE)
        everyone = FeedPage(site_links[2:], f"Responses to posts on {config.title}", "", newest_post)
        yield from comment_feed(everyone, site.newest_comments(limit))
    for entry in site.entries:
        if entry.has_comment_feed and wanted(feed_files(entry.comment_feeds_folder)):
            page = FeedPage(entry.comment_feeds, f"Responses to {entry.post.title}", entry.url, entry.post.date)
            yield from comment_feed(page, ((entry, c) for c in reversed(entry.comments)))


def _post_item(site: Site, entry: Entry, rendered: Rendered) -> FeedItem:
    link = absolute(site.config, entry.url)
    body = rendered.bodies[entry.post.source]
    summary = escape(entry.post.summary) if entry.post.summary else absolutize(body.summary_html, link)
    return FeedItem(
        id=entry.feed_id, title=entry.post.title, link=link, published=entry.post.date, updated=entry.updated,
        author=entry.author.name, author_url=entry.author.url,
        content_html=absolutize(body.html, link) + footer_html(entry), summary_html=summary or None,
        categories=(entry.category.title,) + tuple(t.title for t in entry.tags), comments_url=f"{link}#responses",
    )


def _comment_item(site: Site, entry: Entry, comment: Comment, rendered: Rendered) -> FeedItem:
    post_link = absolute(site.config, entry.url)
    return FeedItem(
        id=comment_feed_id(entry, comment), title=f"{RESPONSE_VERBS[comment.type]} {comment.author} on {entry.post.title}",
        link=f"{post_link}#{comment.anchor}", published=comment.date, updated=comment.date,
        author=comment.author, author_url=comment.url,
        content_html=absolutize(rendered.comments[comment.source], post_link), summary_html=None,
    )


def _write(site: Site, page: FeedPage, shown: tuple, newest: datetime, items: Callable[[], list[FeedItem]],
           memo: Memo, only: frozenset[str] | None) -> Iterable[tuple[str, bytes]]:
    """Both formats of one feed; its date is its newest entry's, so an unchanged site gives unchanged bytes.

    The memo's key is made of what the feed shows (posts or responses, whose rendering the key covers
    too), so a kept feed never builds its items."""
    links = [link for link in page.links if only is None or link.url in only]
    made: FeedGenerator | None = None
    written = 0

    def produce(link: FeedLink) -> bytes:
        """One format, from the generator built for whichever is written first; once every format is
        written, the generator (with the HTML of its entries) is let go: 20,000 feeds are made before
        the build is done with their closures."""
        nonlocal made, written
        if made is None:
            made = _generator(site.config, page, items(), newest)
        data, written = _serialise(made, site.config, page, link), written + 1
        if written == len(links):
            made = None
        return data

    inputs = (page, shown, newest)
    for link in links:
        yield link.url, memo(link.url, link.type, inputs, lambda link=link: produce(link))


def _serialise(feed: FeedGenerator, config: SiteConfig, page: FeedPage, link: FeedLink) -> bytes:
    """One format of a feed: its id and self link are the file's own absolute URL."""
    self_url = absolute(config, link.url)
    feed.id(self_url)
    feed.title(link.name)
    feed.link([{"href": self_url, "rel": "self", "type": link.type},
               {"href": absolute(config, page.page_url), "rel": "alternate", "type": "text/html"}], replace=True)
    return feed.rss_str(pretty=True) if link.type == RSS_TYPE else feed.atom_str(pretty=True)


def _generator(config: SiteConfig, page: FeedPage, items: list[FeedItem], newest: datetime) -> FeedGenerator:
    """Everything both formats share; _serialise adds the id and links of each file."""
    from feedgen.feed import FeedGenerator  # first: it imports lxml.etree, which feedgen.ext.dc needs
    from feedgen.ext.dc import DcEntryExtension, DcExtension

    feed = FeedGenerator()
    # what load_extension("dc") registers, without its failed import of a `dc_entry` module on every feed
    feed.register_extension("dc", DcExtension, DcEntryExtension, atom=False, rss=True)
    feed.subtitle(page.subtitle)
    feed.language(config.language)
    feed.generator("deskpress", __version__)
    feed.updated(newest)
    feed.lastBuildDate(newest)
    for item in items:
        _add_entry(feed, item)
    return feed


def _add_entry(feed: FeedGenerator, item: FeedItem) -> None:
    entry = feed.add_entry(order="append")
    entry.id(item.id)
    entry.guid(item.id, permalink=False)
    entry.title(item.title)
    entry.link(href=item.link, rel="alternate", type="text/html")
    entry.published(item.published)
    entry.updated(item.updated)
    entry.dc.dc_creator(item.author)
    entry.author({"name": item.author, **({"uri": item.author_url} if item.author_url else {})})
    entry.content(item.content_html, type="html")
    if item.summary_html:
        entry.summary(item.summary_html, type="html")
    for category in item.categories:
        entry.category(term=category)
    if item.comments_url:
        entry.comments(item.comments_url)
