"""The optional Rust parser (markdown-it-pyrs, `pip install 'deskpress[fast]'`), used only where its HTML
is the reference renderer's, byte for byte.

markdown-it-pyrs parses CommonMark, tables and strikethrough exactly as markdown-it-py does, but it
cannot call back into Python for code highlighting, its heading anchors differ and it lays out
footnotes on other lines. So documents with footnotes go to the reference renderer, and the fast
path renders plain HTML, then adds heading ids with the reference slug rules and swaps
each fenced block for its Pygments highlighting. A document whose raw HTML could be mistaken for
those (a literal <h2> or <pre>), whose fence info is not a plain language name, or with a
root-relative link on a site under a path, goes to the reference renderer instead. tests/test_fast_markdown.py holds the two renderers to the same bytes.
"""

from __future__ import annotations

import re
from typing import Callable, Iterator

try:
    import markdown_it_pyrs
except ImportError:  # the [fast] extra is not installed
    markdown_it_pyrs = None

RAW_HEADING_OR_PRE = re.compile(r"<(h[1-6]|pre)\b", re.IGNORECASE)
PLAIN_LANGUAGE = re.compile(r"[\w+#.-]+")
ANCHORED_HEADING = re.compile(r"<h([2-4])>")
HIGHLIGHTED_FENCE = re.compile(r'<pre><code class="language-([^"]*)">.*?</code></pre>\n', re.DOTALL)
COMMONMARK_WITHOUT_HTML = ["blockquote", "code", "fence", "heading", "hr", "lheading", "list", "paragraph", "reference",
                           "autolink", "backticks", "emphasis", "entity", "escape", "image", "link", "newline"]


def available() -> bool:
    return markdown_it_pyrs is not None


class FastRenderer:
    """markdown-it-pyrs configured like the reference parsers, with the reference's anchors and highlighting."""

    def __init__(self, slug: Callable[[str], str], highlight: Callable[[str, str, str], str], rebase_root_links: bool = False):
        self.slug, self.highlight, self.rebase_root_links = slug, highlight, rebase_root_links
        self.trusted = markdown_it_pyrs.MarkdownIt("commonmark").enable_many(["table", "strikethrough", "footnote"])
        self.untrusted = markdown_it_pyrs.MarkdownIt("zero").enable_many(COMMONMARK_WITHOUT_HTML + ["strikethrough"])

    def post(self, source: str) -> str | None:
        """A post's HTML, or None when only the reference renderer is sure to get this document right."""
        if RAW_HEADING_OR_PRE.search(source):
            return None
        tree = self.trusted.tree(source)
        headings, fences = [], []
        for node in tree.walk():
            if node.name in ("heading", "lheading") and 2 <= node.meta["level"] <= 4:
                headings.append("".join(_heading_text(node)))
            elif node.name == "footnote_container" or self._rebased(node):
                return None
            elif node.name == "fence" and node.meta["info"]:
                if not PLAIN_LANGUAGE.fullmatch(node.meta["info"]):
                    return None
                fences.append((node.meta["info"], node.meta["content"]))
        html = self.trusted.render(source)
        return self._highlight(self._anchor(html, headings), fences)

    def _rebased(self, node) -> bool:
        """A root-relative link or image the reference moves under the site's path."""
        url = node.meta.get("url", "") if node.name in ("link", "image") else ""
        return self.rebase_root_links and url.startswith("/") and not url.startswith("//")

    def comment(self, source: str) -> str:
        """A comment's HTML before sanitising (raw HTML is text here, as in the reference)."""
        return self.untrusted.render(source)

    def _anchor(self, html: str, headings: list[str]) -> str:
        slugs: set[str] = set()
        titles = iter(headings)

        def with_id(match: re.Match[str]) -> str:
            slug = base = self.slug(next(titles))
            number = 1
            while slug in slugs:
                slug, number = f"{base}-{number}", number + 1
            slugs.add(slug)
            return f'<h{match.group(1)} id="{slug}">'

        return ANCHORED_HEADING.sub(with_id, html)

    def _highlight(self, html: str, fences: list[tuple[str, str]]) -> str:
        blocks = iter(fences)

        def highlighted(match: re.Match[str]) -> str:
            lang, code = next(blocks)
            spans = self.highlight(code, lang, "")
            return spans + "\n" if spans else match.group(0)

        return HIGHLIGHTED_FENCE.sub(highlighted, html) if fences else html


def _heading_text(node) -> Iterator[str]:
    """The text the reference anchors plugin slugs: text and code, not image alt text."""
    for child in node.children:
        if child.name in ("text", "text_special"):
            yield child.meta.get("content", "")
        elif child.name != "image":
            yield from _heading_text(child)
