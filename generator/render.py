"""Fill the theme's templates: every HTML page of the site, plus sitemap and robots.txt."""

from __future__ import annotations

import functools
import html
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Iterator, Mapping, Sequence
from urllib.parse import quote

import jinja2
from markupsafe import Markup

from generator.config import SiteConfig
from generator.localise import LocalDates
from generator.markdown import RenderedBody
from generator.metadata import listing_lastmods
from generator.presentation import ThemeHelpers
from generator.site import (
    ARCHIVE_INDEX, ARCHIVE_PLURAL, Archive, Entry, archive_heading, FeedLink, Link, PageEntry, Site, absolute,
    archive_feed_links, href, output_path, page_slices, page_urls, paginate, site_feed_links,
)

ARCHIVE_HEADINGS = {"category": "Posts in {}", "tag": "Posts tagged {}", "author": "Posts by {}",
                    "month": "Posts from {}"}
NOT_FOUND_PAGE = "404.html"
TEASER_TEMPLATE = "_teaser.html"
HELPERS_RENDERING_TEMPLATES = {"teaser_html": TEASER_TEMPLATE}  # what a template calling the helper shows


class Teaser:
    """An entry as a listing shows it: the excerpt and whether there is more to read.

    Both are worked out from the post's HTML when first asked for: a listing whose teasers were filled
    beforehand (see PageRenderer) never reads the 10,000 bodies of the posts it lists."""

    def __init__(self, entry: Entry, bodies: Mapping[str, RenderedBody]):
        self.entry, self._bodies = entry, bodies

    @functools.cached_property
    def _excerpt(self) -> tuple[str, bool]:
        """The excerpt rule: text before <!--more-->, else the post's `summary`, else the first paragraph."""
        body = self._bodies[self.entry.post.source]
        if self.entry.post.summary and not body.more:
            return f"<p>{html.escape(self.entry.post.summary, quote=False)}</p>", True
        return body.summary_html, body.more or body.summary_html != body.html.strip()

    @property
    def summary_html(self) -> str:
        return self._excerpt[0]

    @property
    def more(self) -> bool:
        return self._excerpt[1]


@dataclass(frozen=True)
class Rendered:
    """The HTML made by the Markdown stage, looked up by source path; `version` names the renderer that made it."""

    bodies: Mapping[str, RenderedBody]
    comments: Mapping[str, str]
    version: str = ""

    def teaser(self, entry: Entry) -> Teaser:
        return Teaser(entry, self.bodies)


Memo = Callable[[str, str, Any, Callable[[], bytes]], Any]


Each = Callable[[str, list[Entry], Callable[[list[Entry]], list]], list]  # kind, entries, compute for those missing

TeasersFilled = Callable[[list[Entry], Callable[[Entry], str]], list[str]]  # entries, how to fill one's teaser


def compute_each(kind: str, entries: list[Entry], compute: Callable[[list[Entry]], list]) -> list:
    """compute(entries): what a build without a cache does."""
    return compute(entries)


def no_memo(rel: str, template: str, inputs: Any, produce: Callable[[], bytes]) -> bytes:
    """Render every file: what a build without a cache does."""
    return produce()


class PageRenderer:
    """Owns the template environment and the values every template can use.

    `memo(rel, template, inputs, produce)` may skip `produce` for a file whose inputs are unchanged.
    `only`, when given, names the only files to make (the others are known right as they stand).
    `teasers_filled`, when given, fills the teasers of every listing page to make before the first is
    made, all at once (over several processes, say); otherwise each is filled when a page shows it."""

    def __init__(self, site: Site, environment: jinja2.Environment, rendered: Rendered, memo: Memo = no_memo,
                 only: frozenset[str] | None = None, teasers_filled: TeasersFilled | None = None):
        self.site, self.rendered, self.memo, self.only = site, rendered, memo, only
        self.teasers_filled = teasers_filled
        self.hrefs: dict[str, str] = {}
        config = site.config
        self.env = environment
        self.env.globals.update(
            site=site, config=config, href=self.href, absolute=lambda url: absolute(config, url),
            archive_index=ARCHIVE_INDEX, archive_plural=ARCHIVE_PLURAL,
        )
        self.env.filters.update(date=self.long_date, time=self.clock_time, iso=self.iso)
        self.dates = LocalDates(config)
        self.helpers = ThemeHelpers(site, rendered.bodies, self.dates)
        self.env.globals.update(self.helpers.template_globals())
        self.site_feeds = site_feed_links(config)
        self.nav = [Link(p.page.title, p.url) for p in site.nav_pages]
        self.teasers: dict[str, Markup] = {}
        self.env.globals["teaser_html"] = self.teaser_html

    def href(self, url: str) -> str:
        """A link as href() makes it, remembered: pages ask for the same few hundred links again and again."""
        found = self.hrefs.get(url)
        if found is None:
            found = self.hrefs[url] = href(self.site.config, url)
        return found

    def teaser_html(self, teaser: Teaser) -> Markup:
        """`_teaser.html` filled with `teaser` (and the theme's globals only), once per post.

        A post shows the same teaser on its home, category, tag, author and month listings; including
        the partial on every one of them cost 40% of a listing page's time."""
        source = teaser.entry.post.source
        found = self.teasers.get(source)
        if found is None:
            found = self.teasers[source] = Markup(self._filled(teaser))
        return found

    def _filled(self, teaser: Teaser) -> str:
        return self.env.get_template(TEASER_TEMPLATE).render(teaser=teaser)

    def _fill_listed_teasers(self) -> None:
        """Fill the teasers of the listing pages to make at once (see teasers_filled), before any of them
        is made: each is then filled once for the whole build, not once in each process making pages."""
        if self.only is None:
            listed = {entry.post.source: entry for entry in self.site.entries}  # every post is on the home listing
        else:
            listed = {}
            for url, entries in self.site.listings:
                for page_url, cut in page_slices(url, len(entries), self.site.config):
                    if output_path(page_url) in self.only:
                        listed.update((entry.post.source, entry) for entry in entries[cut])
        filled = self.teasers_filled(list(listed.values()), lambda entry: self._filled(self.rendered.teaser(entry)))
        self.teasers.update(zip(listed, map(Markup, filled)))

    def long_date(self, moment: datetime) -> str:
        return self.dates.date(moment)

    def clock_time(self, moment: datetime) -> str:
        return self.dates.time(moment)

    def iso(self, moment: datetime) -> str:
        return moment.astimezone(self.site.config.tz).isoformat()

    def page(self, template: str, url: str, title: str, feeds: tuple[FeedLink, ...] = (),
             derived: Callable[[], Mapping[str, Any]] | None = None, **values: Any) -> tuple[str, bytes] | None:
        """Render one template to the file behind `url` (None: not a file this build makes; see `only`).

        `derived()` makes the values that follow from what the memo's key already holds (the page's own
        entries, the settings, the Markdown renderer's version): rendered bodies, a description cut from
        one. The key leaves them out, and they are only made when the page is rendered."""
        rel = output_path(url)
        if self.only is not None and rel not in self.only:
            return None
        description = values.pop("description", self.site.config.tagline)

        def render() -> bytes:
            context = {"description": description, **values, **(derived() if derived else {})}
            return self.env.get_template(template).render(
                url=url, page_title=title, canonical=absolute(self.site.config, url), nav=self.nav,
                feeds=self.site_feeds + feeds, **context).encode("utf-8")

        return rel, self.memo(rel, template, (url, title, feeds, description, self.nav, values), render)

    def all_pages(self) -> Iterator[tuple[str, bytes]]:
        """Every HTML page, in a fixed order; with `only`, just the pages it names."""
        return (made for made in self._every_page() if made is not None)

    def _every_page(self) -> Iterator[tuple[str, bytes] | None]:
        if self.teasers_filled is not None:  # first: no batch of pages is being made meanwhile (see write_all)
            self._fill_listed_teasers()
        for entry in self.site.entries:
            yield self.post(entry)
        for page in self.site.pages:
            yield self.static_page(page)
        yield from self.listing(self.site.home_listing, "", self.site.config.title, None)
        for kind, archives in self.site.archives.items():
            for archive in archives:
                yield from self.listing(archive.entries, archive.url, ARCHIVE_HEADINGS[kind].format(archive.name), archive)
            yield self.page("archive_index.html", ARCHIVE_INDEX[kind], ARCHIVE_PLURAL[kind], kind=kind, archives=archives)
        yield self.page("search.html", "search/", "Search")
        yield self.page("404.html", NOT_FOUND_PAGE, "Page not found")

    def post(self, entry: Entry) -> tuple[str, bytes] | None:
        if self.only is not None and output_path(entry.url) not in self.only:  # before related posts are looked up
            return None
        return self.page(
            "post.html", entry.url, entry.post.title, entry.comment_feeds, entry=entry,
            derived=lambda: {"body_html": self.rendered.bodies[entry.post.source].html,
                             "comment_html": {c.source: self.rendered.comments[c.source] for c in entry.comments},
                             "description": self._description(entry), "reply": reply_target(self.site, entry)},
            related_links=self.helpers.related_posts(entry),
        )

    def static_page(self, page: PageEntry) -> tuple[str, bytes] | None:
        return self.page("page.html", page.url, page.page.title, entry=page,
                         derived=lambda: {"body_html": self.rendered.bodies[page.page.source].html},
                         description=page.page.summary or self.site.config.tagline)

    def listing(self, entries: tuple[Entry, ...], url: str, heading: str,
                archive: Archive | None) -> Iterator[tuple[str, bytes] | None]:
        pages = page_urls(url, len(entries), self.site.config)
        if self.only is not None and self.only.isdisjoint(map(output_path, pages)):
            return
        feeds = archive_feed_links(self.site.config, archive.kind, archive.name, url) if archive else ()
        for listing in paginate(entries, url, self.site.config):
            if self.only is not None and output_path(listing.url) not in self.only:
                continue  # what page() would say, before its values are made: 1,000 home pages, one to make
            title = heading if listing.number == 1 else f"{heading} (page {listing.number})"
            yield self.page("listing.html", listing.url, title, feeds, heading=heading, archive=archive_heading(archive) if archive else None,
                            listing=listing, derived=lambda listing=listing: {"teasers": [self.rendered.teaser(e) for e in listing.entries]},
                            description=(archive.description if archive and archive.description else self.site.config.tagline))

    def _description(self, entry: Entry) -> str:
        if entry.post.summary:
            return entry.post.summary
        text = html.unescape(re.sub(r"<[^>]+>", "", self.rendered.bodies[entry.post.source].summary_html))
        return " ".join(text.split())[:300]


def reply_target(site: Site, entry: Entry) -> dict[str, str] | None:
    """How a reader replies on a static site: a pre-filled mailto link or an external form's URL."""
    reply = site.config.comments.reply
    if not reply or not entry.comments_open:
        return None
    if reply.startswith("mailto:"):
        subject = f"Re: {entry.post.title} ({absolute(site.config, entry.url)})"
        separator = "&" if "?" in reply else "?"
        return {"kind": "mailto", "url": f"{reply}{separator}subject={quote(subject)}"}
    return {"kind": "form", "url": reply}


SITEMAP_LIMIT = 50_000  # URLs one sitemap may list (sitemaps.org); a bigger site's sitemap.xml is an index of parts
SITEMAP_NAMESPACE = "http://www.sitemaps.org/schemas/sitemap/0.9"
Row = tuple[str, str]  # a site-relative URL and when its content last changed (ISO 8601, or "")


def sitemap_rows(site: Site) -> list[Row]:
    """Every published post and page, and every listing, with the moment its content last changed
    (ISO 8601, or "" when unknown), as the sitemap writes them: the file is keyed on these rows, and
    10,000 dates pickled with their zone for that key took 0.05 s, as text 0.01 s."""
    rows = [("", max((e.updated for e in site.entries), default=None))]
    rows += [(e.url, e.updated) for e in site.entries if e.status == "published"]
    rows += [(p.url, p.page.updated) for p in site.pages if p.status == "published"]
    return [(url, modified.isoformat() if modified else "") for url, modified in rows + listing_lastmods(site)]


def sitemap_size(site: Site) -> int:
    """len(sitemap_rows(site)), counted without dating every listing page: the build taking up its snapshot
    needs to know which sitemap files a site has (sitemap_names) before any is made."""
    published = sum(1 for e in site.entries if e.status == "published") + sum(1 for p in site.pages if p.status == "published")
    return published + sum(len(page_urls("", len(entries), site.config)) for _, entries in site.listings) + len(site.archives)


def sitemap_parts(rows: Sequence[Row]) -> list[tuple[str, Sequence[Row]]]:
    """The sitemap files listing these rows, with the rows of each: sitemap.xml alone, or past SITEMAP_LIMIT
    rows, sitemap-1.xml, sitemap-2.xml... of up to that many rows each, which sitemap.xml then indexes."""
    if len(rows) <= SITEMAP_LIMIT:
        return [("sitemap.xml", rows)]
    return [(f"sitemap-{number}.xml", rows[start : start + SITEMAP_LIMIT])
            for number, start in enumerate(range(0, len(rows), SITEMAP_LIMIT), 1)]


def sitemap_names(site: Site) -> set[str]:
    """Every sitemap file the site has: sitemap.xml, and the parts it indexes when there are any."""
    return {"sitemap.xml", *(name for name, _ in sitemap_parts(range(sitemap_size(site))))}


def sitemap(config: SiteConfig, rows: Sequence[Row]) -> bytes:
    """Absolute URLs of the rows (site-relative URLs, see sitemap_rows), with lastmod from content."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f'<urlset xmlns="{SITEMAP_NAMESPACE}">']
    for url, modified in rows:
        lastmod = f"<lastmod>{modified}</lastmod>" if modified else ""
        lines.append(f"  <url><loc>{html.escape(absolute(config, url), quote=False)}</loc>{lastmod}</url>")
    lines.append("</urlset>\n")
    return "\n".join(lines).encode("utf-8")


def sitemap_index(config: SiteConfig, names: list[str]) -> bytes:
    """The sitemap index that sitemap.xml becomes when the site has more URLs than one sitemap may list."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f'<sitemapindex xmlns="{SITEMAP_NAMESPACE}">']
    lines += [f"  <sitemap><loc>{html.escape(absolute(config, name), quote=False)}</loc></sitemap>" for name in names]
    lines.append("</sitemapindex>\n")
    return "\n".join(lines).encode("utf-8")


def robots(site: Site) -> bytes:
    return f"User-agent: *\nAllow: /\n\nSitemap: {absolute(site.config, 'sitemap.xml')}\n".encode("utf-8")
