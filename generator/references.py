"""Links and images in a Markdown body, found with the build's own Markdown parser, with their lines."""

from __future__ import annotations

from dataclasses import dataclass, replace
from html.parser import HTMLParser
from typing import Iterator
from urllib.parse import unquote, urljoin, urlsplit

from markdown_it.token import Token

from generator.config import SiteConfig
from generator.markdown import MarkdownRenderer


@dataclass(frozen=True)
class Reference:
    """An `<a href>` or `<img src>`; `line` counts from the body's first line (0); `alt` None = not given.

    `markdown` tells Markdown syntax from raw HTML: only the former follows the site under its base path.
    """

    tag: str
    target: str
    line: int
    alt: str | None = None
    markdown: bool = True


class _TagCollector(HTMLParser):
    """Finds <a href> and <img src> in raw HTML an author wrote inside Markdown."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[Reference] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.found.append(Reference("a", values["href"] or "", self.getpos()[0] - 1, None, markdown=False))
        elif tag == "img":
            self.found.append(Reference("img", values.get("src") or "", self.getpos()[0] - 1, values.get("alt", ""), markdown=False))


def body_references(body: str, markdown: MarkdownRenderer) -> Iterator[Reference]:
    """Every link and image of a post body, each with the line it is written on."""
    lines = body.splitlines()
    for token in markdown.trusted.parse(body):
        if not token.map:
            continue
        first, last = token.map
        if token.type == "html_block":
            yield from _html_references(token.content, first)
        for child in token.children or ():
            for reference in _inline_references(child, first):
                yield replace(reference, line=_line_of(reference.target, lines, first, last))


def _inline_references(child: Token, first: int) -> Iterator[Reference]:
    if child.type == "image":
        yield Reference("img", str(child.attrGet("src") or ""), first, child.content)
    elif child.type == "link_open":
        yield Reference("a", str(child.attrGet("href") or ""), first)
    elif child.type == "html_inline":
        yield from _html_references(child.content, first)


def _html_references(html: str, first: int) -> Iterator[Reference]:
    collector = _TagCollector()
    collector.feed(html)
    collector.close()
    for reference in collector.found:
        yield replace(reference, line=first + reference.line)


def _line_of(target: str, lines: list[str], first: int, last: int) -> int:
    """Inline tokens only know their paragraph; find the line within it that holds the target."""
    for number in range(first, min(last, len(lines))):
        if target and target in lines[number]:
            return number
    return first


def resolve(config: SiteConfig, page_url: str, reference: Reference) -> str | None:
    """The site-relative path a link points to, or None when it leaves the site (external, mailto:, #top)."""
    target = reference.target
    if not target or target.startswith("#"):
        return None
    if reference.markdown and target.startswith("/") and not target.startswith("//"):
        target = config.base_path.rstrip("/") + target  # as the build's Markdown stage does
    site = urlsplit(config.base_url)
    joined = urlsplit(urljoin(config.base_url + page_url, target))
    if joined.scheme not in ("http", "https") or joined.netloc != site.netloc:
        return None
    path = unquote(joined.path)
    if not path.startswith(config.base_path):
        return path
    return path[len(config.base_path):]
