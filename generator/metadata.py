"""What search engines and link previews read: description, canonical, Open Graph, Twitter, JSON-LD, humans.txt."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

from markupsafe import Markup

from generator import __version__
from generator.config import Author, SiteConfig
from generator.site import ARCHIVE_INDEX, Entry, PageEntry, Site, absolute, page_slices

SCHEMA = "https://schema.org"
JSON_IN_HTML = (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e"))


@dataclass(frozen=True)
class PageMeta:
    """The head of one page: every value already absolute and final, so templates only print them."""

    title: str
    description: str
    open_graph: tuple[tuple[str, str], ...]
    twitter: tuple[tuple[str, str], ...]
    json_ld: Markup | None
    robots: str | None


def page_meta(site: Site, og_locale: str, url: str, title: str, description: str,
              entry: Entry | PageEntry | None = None, words: int = 0) -> PageMeta:
    """Describe one page; a post is a BlogPosting article, the home page a WebSite, the rest web pages."""
    config = site.config
    canonical = absolute(config, url)
    full_title = f"{title} | {config.title}" if url else config.title
    graph = [("og:type", "website"), ("og:title", title if url else config.title), ("og:description", description),
             ("og:url", canonical), ("og:site_name", config.title), ("og:locale", og_locale)]
    json_ld = website_json_ld(config) if url == "" else None
    if isinstance(entry, Entry):
        graph[0] = ("og:type", "article")
        graph += article_tags(entry)
        json_ld = blog_posting_json_ld(site, entry, description, words)
    twitter = (("twitter:card", "summary"), ("twitter:title", title if url else config.title),
               ("twitter:description", description))
    status = getattr(entry, "status", "published")
    robots = "noindex" if status != "published" or url == "search/" else None
    return PageMeta(full_title, description, tuple((k, v) for k, v in graph if v),
                    tuple((k, v) for k, v in twitter if v), json_ld, robots)


def article_tags(entry: Entry) -> list[tuple[str, str]]:
    """Open Graph's article namespace: dates, section and tags."""
    tags = [("article:published_time", entry.post.date.isoformat()),
            ("article:modified_time", entry.updated.isoformat()),
            ("article:author", entry.author.name), ("article:section", entry.category.title)]
    return tags + [("article:tag", tag.title) for tag in entry.tags]


def blog_posting_json_ld(site: Site, entry: Entry, description: str, words: int) -> Markup:
    """schema.org BlogPosting: whose words these are (and for whom they work), when, and who publishes."""
    config = site.config
    url = absolute(config, entry.url)
    data: dict[str, Any] = {
        "@context": SCHEMA, "@type": "BlogPosting", "headline": entry.post.title, "description": description,
        "url": url, "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "datePublished": entry.post.date.isoformat(), "dateModified": entry.updated.isoformat(),
        "inLanguage": config.language, "author": person(config, entry.author), "publisher": publisher(site),
        "articleSection": entry.category.title, "wordCount": words,
        "isPartOf": {"@type": "Blog", "name": config.title, "url": config.base_url},
    }
    if entry.tags:
        data["keywords"] = [tag.title for tag in entry.tags]
    return json_script(data)


def website_json_ld(config: SiteConfig) -> Markup:
    """schema.org WebSite for the home page, with the site search as its SearchAction."""
    return json_script({
        "@context": SCHEMA, "@type": "WebSite", "name": config.title, "url": config.base_url,
        "description": config.tagline or config.title, "inLanguage": config.language,
        "potentialAction": {"@type": "SearchAction", "target": absolute(config, "search/") + "?q={search_term_string}",
                            "query-input": "required name=search_term_string"},
    })


def person(config: SiteConfig, author: Author) -> dict[str, Any]:
    """An author as a Person; `affiliation` names the employer whose views these are not."""
    data: dict[str, Any] = {"@type": "Person", "name": author.name,
                            "url": urljoin(config.base_url, author.url) if author.url else None,
                            "description": author.bio}
    if author.employer:
        data["affiliation"] = {"@type": "Organization", "name": author.employer}
    return {key: value for key, value in data.items() if value is not None}


def publisher(site: Site) -> dict[str, Any]:
    """A one-author blog is published by its author; a group blog by the blog itself."""
    authors = list(site.config.authors.values())
    if len(authors) == 1:
        return person(site.config, authors[0])
    return {"@type": "Organization", "name": site.config.title, "url": site.config.base_url}


def json_script(data: dict[str, Any]) -> Markup:
    """JSON that cannot end its <script> element early, whatever a title contains."""
    return Markup(inert_json(data))


def inert_json(data: Any) -> str:
    """Compact JSON with <, > and & written as \\u escapes: the same data, but never markup if misread as HTML."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for character, escaped in JSON_IN_HTML:  # str.replace: many times faster than str.translate on a large index
        text = text.replace(character, escaped)
    return text


def listing_lastmods(site: Site) -> list[tuple[str, datetime | None]]:
    """Sitemap rows for every listing a crawler can reach (the home page's first page excepted, which
    the sitemap already has): archive indexes, archives and later pages, each dated by its newest post."""
    updated = {id(entry): entry.updated for entry in site.entries}  # archives hold the site's own entries

    def newest(entries: tuple[Entry, ...]) -> datetime | None:
        return max((updated[id(e)] for e in entries), default=None)

    rows = [(url, newest(entries[cut])) for first, entries in site.listings
            for url, cut in page_slices(first, len(entries), site.config) if url]
    everything = newest(site.entries)
    return rows + [(ARCHIVE_INDEX[kind], everything) for kind in site.archives]


def humans_txt(site: Site) -> bytes:
    """humans.txt (humanstxt.org): who writes here and for whom they work, in plain text."""
    config = site.config
    lines = ["/* TEAM */"]
    for author in config.authors.values():
        lines.append(f"  Author: {author.name}")
        if author.employer:
            lines.append(f"  Works for: {author.employer} (writing here in their own name)")
        if author.url:
            lines.append(f"  Site: {urljoin(config.base_url, author.url)}")
        lines.append("")
    newest = max((e.updated for e in site.entries if e.status == "published"), default=None)
    lines += ["/* SITE */"] + ([f"  Last update: {newest.date().isoformat()}"] if newest else [])
    lines += [f"  Language: {config.language}", "  Standards: HTML5, CSS3, Atom 1.0, RSS 2.0, JSON-LD",
              f"  Software: deskpress {__version__}", ""]
    return "\n".join(lines).encode("utf-8")
