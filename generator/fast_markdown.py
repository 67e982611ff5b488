"""The optional Rust parser (markdown-it-pyrs, `pip install 'deskpress[fast]'`), used only where its HTML
is the reference renderer's, byte for byte.

markdown-it-pyrs parses CommonMark, tables, strikethrough and footnotes exactly as markdown-it-py does,
but it cannot call back into Python for code highlighting, its heading anchors differ and it numbers
and lays out footnotes its own way. So the fast path renders plain HTML, then adds heading ids with
the reference slug rules, swaps each fenced block for its Pygments highlighting and rewrites the
footnotes into the reference's numbering and layout. A document whose raw HTML could be mistaken for
those (a literal <h2> or <pre>), whose fence info is not a plain language name, with a root-relative
link on a site under a path, with what markdown-it-pyrs 0.4 parses otherwise (adjacent
strikethroughs, a table line lazily continuing a quote, a last line without its newline after raw
HTML), or with footnotes beyond plain paragraph notes (see _reference_footnotes) goes to the
reference renderer instead. tests/test_fast_markdown.py holds the two renderers to the same bytes.
"""

from __future__ import annotations

import os
import re
from contextlib import contextmanager
from html import unescape
from typing import Callable, Iterator

try:
    import markdown_it_pyrs
except ImportError:  # the [fast] extra is not installed
    markdown_it_pyrs = None

RAW_HEADING_OR_PRE = re.compile(r"<(h[1-6]|pre)\b", re.IGNORECASE)
TABLE_LINE_AFTER_QUOTE = re.compile(r"\n[ \t]*>[^\n]*\n(?![ \t]*>)[^\n]*\|")  # searched in "\n" + source: each line's start
PLAIN_LANGUAGE = re.compile(r"[\w+#.-]+")
ANCHORED_HEADING = re.compile(r"<h([2-4])>")
HIGHLIGHTED_FENCE = re.compile(r'<pre><code class="language-([^"]*)">(.*?)</code></pre>\n', re.DOTALL)
HEADING_CONTENT = re.compile(r"<h([2-4])>(.*?)</h\1>", re.DOTALL)
MARKUP_IN_HEADING = re.compile(r"</?(?:em|strong|code|s|a)(?: [^<>]*)?>|<img [^<>]*>")  # what Markdown makes there
FENCE_MARKS = (re.compile(r"```+([^\n]*)"), re.compile(r"~~~+([^\n]*)"))  # a literal start: searched ten times faster
PLAIN_INLINE_NOTE = re.compile(r"\^\[(?=[ -~])[^][\\`\n]+\]")  # markdown-it-pyrs 0.4 panics on others: ^[a [b]], ^[é]
FOOTNOTE_NODES = ("footnote_ref", "footnote_inline", "footnote_container")
HEADING_NODES = ("heading", "lheading")
URL_NODES = ("link", "image")
FOOTNOTES_OPEN = '<hr class="footnotes-sep" />\n<section class="footnotes">\n<ol class="footnotes-list">\n'
FOOTNOTES_HEADING = '<h2 class="visually-hidden">Footnotes</h2>\n'
FOOTNOTES_CLOSE = "</ol>\n</section>\n"
FAST_NOTE = re.compile(r'<li id="fn(\d+)" class="footnote-item">\n?')
FAST_REF = re.compile(r'<sup class="footnote-ref"><a href="#fn\d+" id="fnref(\d+)">\[\d+\]</a></sup>')
FAST_BACKREF = re.compile(r' <a href="#fnref(\d+)" class="footnote-backref">')
COMMONMARK_WITHOUT_HTML = ["blockquote", "code", "fence", "heading", "hr", "lheading", "list", "paragraph", "reference",
                           "autolink", "backticks", "emphasis", "entity", "escape", "image", "link", "newline"]


@contextmanager
def _panic_messages_hidden() -> Iterator[None]:
    """Rust prints a panic's message (and a backtrace, with RUST_BACKTRACE set) straight to the process's
    standard error, before pyo3 raises it here. A document markdown-it-pyrs panics on simply goes to the
    reference renderer, so those lines would only alarm whoever runs the build: the file descriptor is
    pointed at /dev/null while the footnoted documents, where its panics are, are parsed."""
    saved, quiet = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(quiet, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(quiet)


def available() -> bool:
    return markdown_it_pyrs is not None


class FastRenderer:
    """markdown-it-pyrs configured like the reference parsers, with the reference's anchors, highlighting
    and footnotes."""

    def __init__(self, slug: Callable[[str], str], highlight: Callable[[str, str, str], str], rebase_root_links: bool = False):
        self.slug, self.highlight, self.rebase_root_links = slug, highlight, rebase_root_links
        self.trusted = markdown_it_pyrs.MarkdownIt("commonmark").enable_many(["table", "strikethrough", "footnote"])
        self.untrusted = markdown_it_pyrs.MarkdownIt("zero").enable_many(COMMONMARK_WITHOUT_HTML + ["strikethrough"])

    def post(self, source: str) -> str | None:
        """A post's HTML, or None when only the reference renderer is sure to get this document right."""
        if (RAW_HEADING_OR_PRE.search(source) or _parsed_otherwise(source) or source[-1:] not in ("", "\n")
                or source.count("^[") != len(PLAIN_INLINE_NOTE.findall(source))):
            return None
        try:
            if self.rebase_root_links or "[^" in source or "^[" in source or not _plain_fence_infos(source):
                with _panic_messages_hidden():
                    return self._from_tree(source)
            return self._from_html(source) or self._from_tree(source)
        except BaseException as error:  # pyo3's PanicException, which is no Exception and cannot be imported
            if type(error).__name__ != "PanicException":
                raise
            return None  # markdown-it-pyrs 0.4 panics on some footnote syntax: "   [^ü]:[^1&amp;", "^[a [b]]"

    def _from_html(self, source: str) -> str | None:
        """Most posts (no footnotes, plain fence languages, no links to move) need no syntax tree: building
        one cost a third of their time. Their heading titles and code blocks are read from the HTML, or
        None when a heading holds more than text, emphasis, code, links and images (raw HTML, a break)."""
        html = self.trusted.render(source)
        titles = []
        for _, inner in HEADING_CONTENT.findall(html):
            text = MARKUP_IN_HEADING.sub("", inner).replace("\n", "")  # a soft break is no text of the title
            if "<" in text:
                return None
            titles.append(unescape(text))
        fences = [(language, unescape(code)) for language, code in HIGHLIGHTED_FENCE.findall(html)]
        return self._highlight(self._anchor(html, titles), fences)

    def _from_tree(self, source: str) -> str | None:
        tree = self.trusted.tree(source)
        headings, fences, footnotes = [], [], []
        for node in tree.walk():  # a hundred nodes a post: each name and meta is made anew when read
            name = node.name
            if name in HEADING_NODES:
                if 2 <= node.meta["level"] <= 4:
                    headings.append("".join(_heading_text(node)))
            elif name in FOOTNOTE_NODES:
                footnotes.append(node)
            elif name == "fence":
                meta = node.meta
                if meta["info"]:
                    if not PLAIN_LANGUAGE.fullmatch(meta["info"]):
                        return None
                    fences.append((meta["info"], meta["content"]))
            elif self.rebase_root_links and name in URL_NODES and _root_relative(node.meta.get("url", "")):
                return None
        html = self.trusted.render(source)
        if "[^" in source or "^[" in source:
            html = _reference_footnotes(html, source, footnotes)
            if html is None:
                return None
        return self._highlight(self._anchor(html, headings), fences)

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


def _plain_fence_infos(source: str) -> bool:
    """Is every fence's info string empty or a plain language name (so the HTML's class is all of it)?
    Any run of three backticks or tildes counts as a fence here, wherever it is: more is only safer."""
    return all(not info.strip() or PLAIN_LANGUAGE.fullmatch(info.strip())
               for marks in FENCE_MARKS for info in marks.findall(source))


def _parsed_otherwise(source: str) -> bool:
    """What markdown-it-pyrs 0.4 parses unlike markdown-it-py: adjacent strikethroughs (~~a~~~~b~~), a
    table line lazily continuing a quote."""
    return "~~~~" in source or TABLE_LINE_AFTER_QUOTE.search("\n" + source) is not None


def _root_relative(url: str) -> bool:
    """A link or image written from the domain root, which the reference moves under the site's path."""
    return url.startswith("/") and not url.startswith("//")


def _heading_text(node) -> Iterator[str]:
    """The text the reference anchors plugin slugs: text and code, not image alt text or inline notes."""
    for child in node.children:
        if child.name in ("text", "text_special"):
            yield child.meta.get("content", "")
        elif child.name not in ("image", "footnote_inline"):
            yield from _heading_text(child)


def _reference_footnotes(html: str, source: str, footnotes: list) -> str | None:
    """The fast HTML with its footnotes laid out as the reference's, or None if they may have parsed differently.

    `footnotes` holds the tree's references, inline notes and note container in document order.
    markdown-it-pyrs numbers notes in definition order and each reference on its own (fnref1, fnref2);
    the reference numbers notes by first reference, counts the repeated references to a note (fnref1:1),
    lists the notes in that order and writes no newline after <li>; deskpress adds a hidden heading.
    Only what both parse alike is rewritten: notes of paragraphs, no note inside a note, definitions at
    the start of a line, no reference followed by ":" (the reference reads a definition there when it
    starts a line, markdown-it-pyrs a reference when it continues a paragraph), and each `[^` and `^[`
    of the source a reference, used definition or inline note of the fast tree: unused or repeated
    definitions, undefined labels and `^[]` go to the reference. Matching the counts of the markup
    found to the tree also rules out raw HTML that looks like footnote HTML."""
    split = next((i for i, node in enumerate(footnotes) if node.name == "footnote_container"), len(footnotes))
    marks, notes = footnotes[:split], footnotes[split].children if split < len(footnotes) else []
    refs = [node for node in marks if node.name == "footnote_ref"]
    inline = len(marks) - len(refs)
    encoded = source.encode()  # the tree's source maps count bytes
    if (not notes or split + 1 < len(footnotes) or not all(_plain_note(note, encoded) for note in notes)
            or any(ref.srcmap and encoded[ref.srcmap[1] : ref.srcmap[1] + 1] == b":" for ref in refs)
            or source.count("^[") != inline or source.count("[^") != len(refs) - inline + len(notes) - inline
            or html.count(FOOTNOTES_OPEN) != 1 or not html.endswith(FOOTNOTES_CLOSE)):
        return None
    numbers: dict[int, int] = {}  # fast note id -> reference number
    names: dict[str, str] = {}  # fast reference id -> reference id: "2", or "2:1" for the note's second reference
    backrefs: dict[int, list[str]] = {}  # reference number -> its reference ids
    for ref in refs:
        number = numbers.setdefault(ref.meta["def_id"], len(numbers) + 1)
        uses = backrefs.setdefault(number, [])
        uses.append(f"{number}:{len(uses)}" if uses else str(number))
        names[str(ref.meta["ref_id"])] = uses[-1]
    body, _, section = html.partition(FOOTNOTES_OPEN)
    parts = FAST_NOTE.split(section.removesuffix(FOOTNOTES_CLOSE))
    items = {numbers.get(int(fast_id)): item for fast_id, item in zip(parts[1::2], parts[2::2])}
    if (FAST_REF.findall(body) != list(names) or parts[0] or len(parts) != 2 * len(notes) + 1
            or len(numbers) != len(notes) or set(items) != set(backrefs)):
        return None
    listed = []
    for number in range(1, len(notes) + 1):
        if [names.get(ref) for ref in FAST_BACKREF.findall(items[number])] != backrefs[number]:
            return None
        item = FAST_BACKREF.sub(lambda match: f' <a href="#fnref{names[match.group(1)]}" class="footnote-backref">', items[number])
        listed.append(f'<li id="fn{number}" class="footnote-item">{item}')
    body = FAST_REF.sub(lambda match: _reference_ref(names[match.group(1)]), body)
    return body + FOOTNOTES_OPEN.replace("<ol", FOOTNOTES_HEADING + "<ol") + "".join(listed) + FOOTNOTES_CLOSE


def _plain_note(note, source: bytes) -> bool:
    """A note of paragraphs, inline or defined at the start of a line (not inside a list or quote)."""
    start = note.srcmap[0] if note.srcmap else None
    at_line_start = start is not None and source[start - 1 : start] in (b"", b"\n")
    return (note.meta["inline"] or at_line_start) and all(
        child.name in ("paragraph", "footnote_ref_anchor") for child in note.children)


def _reference_ref(name: str) -> str:
    number = name.split(":")[0]
    return f'<sup class="footnote-ref"><a href="#fn{number}" id="fnref{name}">[{name}]</a></sup>'
