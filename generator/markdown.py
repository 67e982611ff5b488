"""Markdown to HTML: trusted posts (raw HTML allowed) and untrusted comments (sanitised).

markdown-it-py and Pygments are imported when first needed: with deskpress[fast] most builds need
neither (a rebuild after adding a plain post, one finding nothing changed), and loading them took
a tenth of such a rebuild at 10,000 posts (0.394 s against 0.356 s, nothing changed).
"""

from __future__ import annotations

import functools
import hashlib
import pickle
import re
import sys
from dataclasses import dataclass
from html import escape
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

import nh3
from slugify import slugify

from generator import fast_markdown
from generator.fast_markdown import FastRenderer
from generator.parallel import map_forked
from generator.reading import word_count

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from pygments.formatters import HtmlFormatter
    from pygments.lexer import Lexer

MORE_MARKER = re.compile(r"^[ \t]*<!--\s*more\s*-->[ \t]*$", re.MULTILINE)
FIRST_PARAGRAPH = re.compile(r"<p>.*?</p>", re.DOTALL)
ID_ATTRIBUTE = re.compile(r'\sid="[^"]*"')
FOOTNOTE_REF = re.compile(r'<sup class="footnote-ref">.*?</sup>', re.DOTALL)
FOOTNOTE_SECTION = re.compile(r'<hr class="footnotes-sep" />.*?</section>\n?', re.DOTALL)

COMMENT_TAGS = {"a", "p", "br", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "del", "hr",
                "h3", "h4", "h5", "h6"}
COMMENT_ATTRIBUTES = {"a": {"href", "title"}}
COMMENT_URL_SCHEMES = {"http", "https", "mailto"}
PYGMENTS_LIGHT, PYGMENTS_DARK = "xcode", "monokai"  # both keep every token at WCAG AA contrast
URL_ATTRIBUTES = {"link_open": "href", "image": "src"}


@dataclass(frozen=True)
class RenderedBody:
    """A post's HTML plus the excerpt shown on listings; `more` says the excerpt was cut by the author.

    `words` is counted here, once per body, rather than by every page that shows a reading time."""

    html: str
    summary_html: str
    more: bool
    words: int


def _highlight(code: str, lang: str, _attrs: str) -> str:
    lexer = _lexer(lang) if lang else None
    if lexer is None:
        return ""
    from pygments import highlight

    spans = highlight(code, lexer, _spans_only())
    return f'<pre class="highlight"><code class="language-{escape(lang)}">{spans}</code></pre>'


@functools.cache
def _lexer(lang: str) -> Lexer | None:
    """Looking a lexer up by name scans Pygments' registry, so each language is looked up once."""
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        return get_lexer_by_name(lang)
    except ClassNotFound:
        return None


@functools.cache
def _spans_only() -> HtmlFormatter:
    from pygments.formatters import HtmlFormatter

    return HtmlFormatter(nowrap=True)


def _root_links_under(base_path: str):
    """A rule that moves Markdown links and images written from the domain root ('/about/') under
    the site's path ('/blog/about/'), so a site can move under a path without editing posts."""
    prefix = base_path.rstrip("/")

    def rebase(state) -> None:
        for token in state.tokens:
            for child in token.children or ():
                attribute = URL_ATTRIBUTES.get(child.type)
                value = child.attrGet(attribute) if attribute else None
                if isinstance(value, str) and value.startswith("/") and not value.startswith("//"):
                    child.attrSet(attribute, prefix + value)

    return rebase


def _footnotes_open(self, tokens, idx, options, env) -> str:
    """The footnotes section with a (visually hidden) heading, so it is announced and listed as a section."""
    from mdit_py_plugins.footnote.index import render_footnote_block_open

    opening = render_footnote_block_open(self, tokens, idx, options, env)
    return opening.replace('<section class="footnotes">\n', '<section class="footnotes">\n<h2 class="visually-hidden">Footnotes</h2>\n')


def _heading_slug(text: str) -> str:
    return slugify(text, allow_unicode=True) or "section"


class MarkdownRenderer:
    """One configured parser for posts and one for comments, built once per build.

    With `fast`, markdown-it-pyrs renders whatever it renders exactly like markdown-it-py."""

    def __init__(self, base_path: str = "/", fast: bool = False) -> None:
        self.base_path = base_path
        self.fast = FastRenderer(_heading_slug, _highlight, rebase_root_links=base_path != "/") if fast else None

    @functools.cached_property
    def trusted(self) -> MarkdownIt:
        from markdown_it import MarkdownIt
        from mdit_py_plugins.anchors import anchors_plugin
        from mdit_py_plugins.footnote import footnote_plugin

        parser = (
            MarkdownIt("commonmark", {"html": True, "highlight": _highlight, "typographer": False})
            .enable(["table", "strikethrough"])
            .use(footnote_plugin)
            .use(anchors_plugin, min_level=2, max_level=4, slug_func=_heading_slug)
        )
        parser.add_render_rule("footnote_block_open", _footnotes_open)
        if self.base_path != "/":
            parser.core.ruler.push("rebase_root_links", _root_links_under(self.base_path))
        return parser

    @functools.cached_property
    def untrusted(self) -> MarkdownIt:
        from markdown_it import MarkdownIt

        return MarkdownIt("commonmark", {"html": False}).enable(["strikethrough"])

    def post(self, source: str) -> RenderedBody:
        """Render a post or page; the excerpt is the text before <!--more--> or the first paragraph."""
        html = self._html(source)
        parts = MORE_MARKER.split(source, maxsplit=1)
        words = word_count(html)
        if len(parts) == 2:
            return RenderedBody(html, listing_safe(self._html(parts[0])), True, words)
        first = FIRST_PARAGRAPH.search(html)
        return RenderedBody(html, listing_safe(first.group(0)) if first else "", False, words)

    def comment(self, source: str) -> str:
        """Render untrusted text: no raw HTML, then sanitised so nothing active or styled survives."""
        return sanitise(self.fast.comment(source) if self.fast else self.untrusted.render(source))

    def _html(self, source: str) -> str:
        fast = self.fast.post(source) if self.fast else None
        return fast if fast is not None else self.trusted.render(source)


def listing_safe(html: str) -> str:
    """Make an excerpt safe to repeat on a page with other excerpts: no ids, no footnotes."""
    return ID_ATTRIBUTE.sub("", FOOTNOTE_SECTION.sub("", FOOTNOTE_REF.sub("", html))).strip()


def sanitise(html: str) -> str:
    """Keep only harmless tags and http(s)/mailto links, marked as user-generated for search engines."""
    return nh3.clean(
        html, tags=COMMENT_TAGS, attributes=COMMENT_ATTRIBUTES, url_schemes=COMMENT_URL_SCHEMES,
        link_rel="nofollow ugc noopener", strip_comments=True,
    ).strip()


def pygments_css() -> str:
    """The code-highlighting stylesheet, light by default and dark when the reader prefers it."""
    from pygments.formatters import HtmlFormatter

    light = HtmlFormatter(style=PYGMENTS_LIGHT).get_style_defs(".highlight")
    dark = HtmlFormatter(style=PYGMENTS_DARK).get_style_defs(".highlight")
    indented = "\n".join("  " + line for line in dark.splitlines())
    return f"{light}\n@media (prefers-color-scheme: dark) {{\n{indented}\n}}\n"


@functools.cache
def renderer_version(base_path: str, fast: bool) -> str:
    """Everything a rendered body depends on besides its source: the site's path, library versions and this code."""
    names = ("markdown-it-py", "mdit-py-plugins", "pygments", "nh3", "python-slugify") + (("markdown-it-pyrs",) if fast else ())
    code = b"".join(Path(module.__file__).read_bytes() for module in (sys.modules[__name__], fast_markdown))
    return ";".join([base_path] + [f"{name}={metadata.version(name)}" for name in names] + [hashlib.sha256(code).hexdigest()])


def render_many(kind: str, sources: list[str], jobs: int, base_path: str = "/", fast: bool = False) -> list[bytes]:
    """Render many post ('post') or comment ('comment') bodies, over `jobs` processes when it pays off,
    each pickled where it was rendered: the cache keeps them so (generator/cache.py, ValueFile)."""
    renderer = _process_renderer(base_path, fast)
    render = renderer.post if kind == "post" else renderer.comment
    return map_forked(lambda number: pickle.dumps(render(sources[number]), protocol=5), len(sources), jobs)


@functools.cache
def _process_renderer(base_path: str, fast: bool) -> MarkdownRenderer:
    return MarkdownRenderer(base_path, fast)

