"""Atom and RSS feeds for posts and comments, with ids and dates taken from content only."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from html import escape
from typing import Iterable, Iterator
from urllib.parse import urljoin

from feedgen.feed import FeedGenerator

from generator import __version__
from generator.content import Comment
from generator.render import Memo, Rendered, no_memo
from generator.site import Entry, FeedLink, Site, absolute, comment_feed_id, feed_links

URL_ATTRIBUTE = re.compile(r"""(\s(?:href|src|poster|cite)\s*=\s*)(["'])(.*?)\2""", re.IGNORECASE | re.DOTALL)
EMPTY_FEED_DATE = datetime(2000, 1, 1, tzinfo=timezone.utc)


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
    permalink_id: bool = False


def absolutize(html: str, page_url: str) -> str:
    """Resolve every relative link and image in `html` against the page it comes from."""
    return URL_ATTRIBUTE.sub(lambda m: f"{m.group(1)}{m.group(2)}{urljoin(page_url, m.group(3).strip())}{m.group(2)}", html)


def footer_html(entry: Entry) -> str:
    """The disclaimer as it travels with syndicated content."""
    if entry.footer.text is None:
        return ""
    return f'\n<aside class="disclaimer"><p><em>{escape(entry.footer.text)}</em></p></aside>\n'


def all_feeds(site: Site, rendered: Rendered, memo: Memo = no_memo) -> Iterator[tuple[str, bytes]]:
    """Site, category, author and tag feeds of posts; site-wide and per-post feeds of comments."""
    _write = functools.partial(_write_memo, memo)
    made: dict[int, FeedItem] = {}

    def _post_item(site: Site, entry: Entry, rendered: Rendered) -> FeedItem:
        if id(entry) not in made:
            made[id(entry)] = _feed_item(site, entry, rendered)
        return made[id(entry)]

    config = site.config
    limit = config.feeds.limit
    yield from _write(site, feed_links(config.title, ""), config.tagline or config.title,
                      [_post_item(site, e, rendered) for e in site.entries[:limit]], "")
    for kind in ("category", "author", "tag"):
        for archive in site.archives[kind]:
            items = [_post_item(site, e, rendered) for e in archive.entries[:limit]]
            yield from _write(site, feed_links(f"{config.title}: {archive.name}", archive.url),
                              archive.description or f"Posts filed under {archive.name}", items, archive.url)
    yield from _write(site, feed_links(f"Comments on {config.title}", "comments/"), f"Responses to posts on {config.title}",
                      [_comment_item(site, e, c, rendered) for e, c in site.comments[:limit]], "")
    for entry in site.entries:
        if entry.has_comment_feed:
            items = [_comment_item(site, entry, c, rendered) for c in reversed(entry.comments)]
            yield from _write(site, feed_links(f"Comments on {entry.post.title}", entry.url + "comments/"),
                              f"Responses to {entry.post.title}", items, entry.url, fallback=entry.post.date)


def _feed_item(site: Site, entry: Entry, rendered: Rendered) -> FeedItem:
    link = absolute(site.config, entry.url)
    body = rendered.bodies[entry.post.source]
    return FeedItem(
        id=entry.feed_id, title=entry.post.title, link=link, published=entry.post.date, updated=entry.updated,
        author=entry.author.name, author_url=entry.author.url,
        content_html=absolutize(body.html, link) + footer_html(entry),
        summary_html=escape(entry.post.summary) if entry.post.summary else absolutize(body.summary_html, link) or None,
        categories=(entry.category.title,) + tuple(t.title for t in entry.tags),
        permalink_id=False,
    )


def _comment_item(site: Site, entry: Entry, comment: Comment, rendered: Rendered) -> FeedItem:
    post_link = absolute(site.config, entry.url)
    verb = {"comment": "Comment by", "pingback": "Pingback from", "trackback": "Trackback from"}[comment.type]
    return FeedItem(
        id=comment_feed_id(site.config, entry, comment), title=f"{verb} {comment.author} on {entry.post.title}",
        link=f"{post_link}#{comment.anchor}", published=comment.date, updated=comment.date,
        author=comment.author, author_url=comment.url,
        content_html=absolutize(rendered.comments[comment.source], post_link), summary_html=None,
    )


def _write_memo(memo: Memo, site: Site, links: tuple[FeedLink, FeedLink], subtitle: str, items: list[FeedItem],
                page_url: str, fallback: datetime = EMPTY_FEED_DATE) -> Iterable[tuple[str, bytes]]:
    atom, rss = links
    newest = max((item.updated for item in items), default=fallback)
    inputs = (links, subtitle, items, page_url, newest)
    yield atom.url, memo(atom.url, "atom", inputs, lambda: _generator(site, atom, subtitle, items, page_url, newest, rss=False).atom_str(pretty=True))
    yield rss.url, memo(rss.url, "rss", inputs, lambda: _generator(site, rss, subtitle, items, page_url, newest, rss=True).rss_str(pretty=True))


def _generator(site: Site, link: FeedLink, subtitle: str, items: list[FeedItem], page_url: str, newest: datetime,
               rss: bool) -> FeedGenerator:
    config = site.config
    feed = FeedGenerator()
    feed.load_extension("dc", atom=False, rss=True)
    self_url = absolute(config, link.url)
    feed.id(self_url)
    feed.title(link.title.removesuffix(" (Atom)").removesuffix(" (RSS)"))
    feed.subtitle(subtitle)
    feed.language(config.language)
    feed.generator("deskpress", __version__)
    feed.link(href=absolute(config, page_url), rel="alternate")
    feed.link(href=self_url, rel="self", type=link.type)
    feed.updated(newest)
    feed.lastBuildDate(newest)
    for item in items:
        entry = feed.add_entry(order="append")
        entry.id(item.id)
        entry.guid(item.id, permalink=item.permalink_id)
        entry.title(item.title)
        entry.link(href=item.link, rel="alternate")
        entry.published(item.published)
        entry.updated(item.updated)
        if rss:
            entry.dc.dc_creator(item.author)
        else:
            entry.author({"name": item.author, **({"uri": item.author_url} if item.author_url else {})})
        entry.content(item.content_html, type="CDATA" if rss else "html")
        if item.summary_html:
            entry.summary(item.summary_html, type="html")
        for category in item.categories:
            entry.category(term=category)
    return feed
