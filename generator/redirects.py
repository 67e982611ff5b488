"""Old addresses keep working: a small HTML page for each alias, and a `_redirects` file for hosts that read one.

Aliases come from posts' and pages' frontmatter. A site that has aliases moved from another
engine, so it also answers the feed addresses WordPress used (`/feed/`, `/comments/feed/`,
`/category/x/feed/`, `/YYYY/MM/DD/slug/feed/`), which is what keeps old subscribers subscribed.
An alias with a query string (`/?p=123`) cannot be a file: it lives in `_redirects` only.
site.yaml's `redirects` (addresses that moved without a post to carry them, such as WordPress
archives whose slug changed) come first, so a person can override any alias from one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator
from urllib.parse import urlsplit

import jinja2

from generator.config import SiteConfig
from generator.site import ATOM_TYPE, RSS_TYPE, URI_SCHEME, Site, absolute, alias_path, href, output_path

REDIRECTS_FILE = "_redirects"
FEED_KINDS = ("category", "tag", "author")
FEED_FILES = {"atom.xml": ATOM_TYPE, "feed.xml": RSS_TYPE}
THEME_FOLDER = "theme/"


@dataclass(frozen=True)
class Redirect:
    """An old site-relative address (path, maybe with a query) and the URL it now points to."""

    old: str
    target: str
    title: str
    feed_type: str | None = None


def site_redirects(site: Site, written: frozenset[str]) -> tuple[Redirect, ...]:
    """Every redirect of the site, first claim wins, never over a file the build `written` already."""
    aliases = [Redirect(alias.lstrip("/"), url, title)
               for url, title, record_aliases in _records(site) for alias in record_aliases]
    feeds = _feed_redirects(site, aliases) if aliases else []
    taken = _taken(written)
    chosen: dict[str, Redirect] = {}
    for redirect in _configured(site) + aliases + feeds:
        key = alias_path(redirect.old) or redirect.old
        if key not in taken and key not in chosen and not key.startswith(THEME_FOLDER):
            chosen[key] = redirect
    return tuple(chosen.values())


def _taken(written: frozenset[str]) -> set[str]:
    """Folders a redirect page must not claim: those holding a page, and files (feeds, static) a folder would replace."""
    pages = {rel.removesuffix("index.html") for rel in written if rel == "index.html" or rel.endswith("/index.html")}
    return pages | {f"{rel}/" for rel in written | {REDIRECTS_FILE}}


def redirect_files(site: Site, environment: jinja2.Environment, written: frozenset[str]) -> Iterator[tuple[str, bytes]]:
    """An HTML page per path alias, then one `_redirects` file listing every redirect as a 301.

    `written` is every other file of the build: a redirect never replaces one of them.
    """
    redirects = site_redirects(site, written)
    if not redirects:
        return
    config = site.config
    template = environment.get_template("redirect.html")
    for redirect in redirects:
        folder = alias_path(redirect.old)
        if folder is not None:
            html = template.render(language=config.language, title=redirect.title, target=_link(config, redirect.target),
                                   canonical=_link(config, redirect.target, absolute), feed_type=redirect.feed_type)
            yield output_path(folder), html.encode("utf-8")
    yield REDIRECTS_FILE, redirects_text(site, redirects).encode("utf-8")


def redirects_text(site: Site, redirects: tuple[Redirect, ...]) -> str:
    """Netlify / Cloudflare Pages syntax; a query alias uses Netlify's `path key=value` form."""
    config = site.config
    lines = ["# Old addresses of this blog, written by deskpress build. Netlify and Cloudflare Pages read this file."]
    for redirect in redirects:
        parts = urlsplit("/" + redirect.old)
        source = href(config, parts.path.lstrip("/"))
        query = f" {parts.query}" if parts.query else ""
        lines.append(f"{source}{query} {_link(config, redirect.target)} 301")
    return "\n".join(lines) + "\n"


def _link(config: SiteConfig, target: str, make: Callable[[SiteConfig, str], str] = href) -> str:
    """A site-relative target made into a link; an absolute URL (from site.yaml) stays as written."""
    return target if URI_SCHEME.match(target) else make(config, target)


def _configured(site: Site) -> list[Redirect]:
    """site.yaml's `redirects`, titled after the post, page or archive they lead to when it is on this site."""
    titles = {"": site.config.title} | {a.url: a.name for archives in site.archives.values() for a in archives}
    titles |= {e.url: e.post.title for e in site.entries} | {p.url: p.page.title for p in site.pages}
    return [Redirect(old, new, titles.get(new) or titles.get(new[: new.rfind("/") + 1], new),
                     FEED_FILES.get(urlsplit(new).path.rpartition("/")[2])) for old, new in site.config.redirects.items()]


def _records(site: Site):
    for entry in site.entries:
        if entry.status == "published":
            yield entry.url, entry.post.title, entry.post.aliases
    for page in site.pages:
        if page.status == "published":
            yield page.url, page.page.title, page.page.aliases


def _feed_redirects(site: Site, aliases: list[Redirect]) -> list[Redirect]:
    """The feed URLs WordPress served, pointed at the feeds deskpress writes."""
    title = site.config.title
    found = [Redirect("feed/", "feed.xml", title, RSS_TYPE), Redirect("feed/atom/", "atom.xml", title, ATOM_TYPE),
             Redirect("comments/feed/", "comments/feed.xml", f"Comments on {title}", RSS_TYPE),
             Redirect("comments/feed/atom/", "comments/atom.xml", f"Comments on {title}", ATOM_TYPE)]
    for kind in FEED_KINDS:
        found += [Redirect(f"{a.url}feed/", f"{a.url}feed.xml", f"{title}: {a.name}", RSS_TYPE) for a in site.archives[kind]]
    commented = {e.url: e for e in site.entries if e.has_comment_feed and e.status == "published"}
    for url, entry in commented.items():
        found.append(Redirect(f"{url}feed/", f"{url}comments/feed.xml", f"Comments on {entry.post.title}", RSS_TYPE))
    for alias in aliases:
        path = alias_path(alias.old)
        if path and alias.target in commented:
            found.append(Redirect(f"{path}feed/", f"{alias.target}comments/feed.xml", f"Comments on {alias.title}", RSS_TYPE))
    return found
