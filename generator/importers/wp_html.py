"""WordPress post HTML to clean Markdown: wpautop, shortcodes, block comments, code, tables.

Whatever has no Markdown form is kept as sanitised HTML and named in `Converted.notes`,
so the import report can list every place a person may want to look at.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Callable, Mapping

import nh3
from bs4 import BeautifulSoup, Tag
from markdownify import ATX, BACKSLASH, MarkdownConverter

MORE = "\ue000more\ue001"
NEXTPAGE = "\ue000nextpage\ue001"
CODE_TOKEN = re.compile("\ue000code(\\d+)\ue001")
BLOCK_COMMENT = re.compile(r"<!--\s*(/?)wp:([a-z0-9/-]+)(\s+\{.*?\})?\s*(/?)-->", re.DOTALL)
MORE_COMMENT = re.compile(r"<!--more(.*?)-->", re.DOTALL)
ATTRIBUTE = re.compile(r"""([\w-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s'"\]]+))""")
CODE_SHORTCODE = re.compile(r"\[(code|sourcecode|source)(\s[^\]]*)?\](.*?)\[/\1\]", re.DOTALL)
SHORTCODE = re.compile(r"\[(caption|wp_caption|gallery|embed|youtube|vimeo|audio|video)(=[^\]\s]+)?([^\]]*)\](?:(.*?)\[/\1\])?", re.DOTALL)
OTHER_SHORTCODE = re.compile(r"\[([a-z][\w-]*)(?:\s+[\w-]+=[^\]]*\]|\].*?\[/\1\])", re.DOTALL)
URL_LINE = re.compile(r"^[ \t]*(https?://[^\s<>\"']+)[ \t]*$", re.MULTILINE)
PRE_BLOCK = re.compile(r"<pre[\s>].*?</pre>", re.DOTALL | re.IGNORECASE)
BLOCK_TAGS = ("table|thead|tfoot|caption|col|colgroup|tbody|tr|td|th|div|dl|dd|dt|ul|ol|li|pre|form|map|area|"
              "blockquote|address|math|style|script|p|h[1-6]|hr|fieldset|legend|section|article|aside|hgroup|"
              "header|footer|nav|figure|figcaption|details|menu|summary|iframe|object|embed|video|audio|center")
BLOCK_OPEN = re.compile(rf"(<(?:{BLOCK_TAGS})[\s/>])", re.IGNORECASE)
BLOCK_CLOSE = re.compile(rf"(</(?:{BLOCK_TAGS})>)", re.IGNORECASE)
STARTS_BLOCK = re.compile(rf"^</?(?:{BLOCK_TAGS})[\s/>]|^\ue000", re.IGNORECASE)
LANGUAGE_CLASS = re.compile(r"(?:^|\s)(?:lang(?:uage)?-|brush:\s*)([\w+#-]+)")
ENTITY_LIKE = re.compile(r"&(?=#?\w+;)")
TAG_LIKE = re.compile(r"<(?=[A-Za-z/!?])")
PLAIN_COMMENT = re.compile(r"[<>&*_`\\\[\]#|~=]|^[ \t]*([+-]|\d+[.)])(\s|$)|^[ \t]|--|  |https?:", re.MULTILINE)
LINE_MARKERS = re.compile(r"^([ \t]*)([#>+-]|\d+(?=[.)]))(?=[.)]?(?:\s|$))", re.MULTILINE)

INLINE_HTML = {"sub": (), "sup": (), "abbr": ("title",), "acronym": ("title",), "cite": (), "ins": (),
               "mark": (), "small": (), "var": (), "dfn": ("title",), "u": (), "time": ("datetime",)}
RENAMED = {"acronym": "abbr"}
RAW_BLOCKS = ("dl", "address", "video", "audio", "details")
POST_TAGS = (set(nh3.ALLOWED_TAGS) - {"acronym", "center", "strike", "tt", "big"}) | {"video", "audio", "source", "address"}
POST_ATTRIBUTES = {**{k: set(v) for k, v in nh3.ALLOWED_ATTRIBUTES.items()},
                   "video": {"src", "controls", "poster", "width", "height"}, "audio": {"src", "controls"},
                   "source": {"src", "type"}}


@dataclass(frozen=True)
class Media:
    """An attachment as a gallery needs it."""

    url: str
    alt: str = ""
    caption: str = ""


@dataclass(frozen=True)
class MediaLibrary:
    by_id: Mapping[str, Media] = field(default_factory=dict)
    by_parent: Mapping[str, tuple[Media, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Converted:
    markdown: str
    notes: tuple[str, ...]


def sanitise_post_html(fragment: str) -> str:
    """Raw HTML kept in an imported post may come from anyone who could post: keep structure, drop scripts."""
    return nh3.clean(fragment, tags=POST_TAGS, attributes=POST_ATTRIBUTES, url_schemes={"http", "https", "mailto"})


def plain_text(fragment: str) -> str:
    """Titles and excerpts hold HTML and entities; frontmatter wants the words."""
    text = BeautifulSoup(fragment, "html.parser").get_text() if "<" in fragment else fragment
    return " ".join(html.unescape(text).split())


def convert_post(source: str, post_id: str, media: MediaLibrary, rewrite: Callable[[str], str]) -> Converted:
    """Turn a post's stored HTML (classic or block editor) into Markdown plus notes on what stayed HTML."""
    notes: list[str] = []
    codes: list[tuple[str, str]] = []
    text = source.replace("\r\n", "\n").replace("\r", "\n")
    text = CODE_SHORTCODE.sub(lambda m: _stash_code(m, codes), text)
    is_blocks = "<!-- wp:" in text
    text = BLOCK_COMMENT.sub(lambda m: _block_comment(m, notes), text)
    text = MORE_COMMENT.sub(f"\n\n{MORE}\n\n", text).replace("<!--nextpage-->", f"\n\n{NEXTPAGE}\n\n")
    text = text.replace("<!--noteaser-->", "")
    text = SHORTCODE.sub(lambda m: _shortcode(m, post_id, media), text)
    text = URL_LINE.sub(lambda m: f'<p><a href="{html.escape(m.group(1))}">{html.escape(m.group(1))}</a></p>', text)
    notes += sorted({f"unknown shortcode [{m.group(1)}] kept as text" for m in OTHER_SHORTCODE.finditer(text)})
    if not is_blocks:
        text = wpautop(text)
    soup = BeautifulSoup(text, "html.parser")
    _rewrite_urls(soup, rewrite)
    markdown = _Converter(notes).convert_soup(soup)
    markdown = markdown.replace(MORE, "<!--more-->").replace(NEXTPAGE, "* * *")
    markdown = CODE_TOKEN.sub(lambda m: _fence(*codes[int(m.group(1))]), markdown)
    return Converted(re.sub(r"\n{3,}", "\n\n", markdown).strip() + "\n", tuple(notes))


def convert_comment(source: str) -> str:
    """Comments are plain, untrusted text with a little HTML; the build sanitises them again."""
    source = source.replace("\r\n", "\n").replace("\r", "\n")
    if not PLAIN_COMMENT.search(source):
        paragraphs = (p.strip() for p in re.split(r"\n\s*\n", source))
        return "\n\n".join(p.replace("\n", "\\\n") for p in paragraphs if p) + "\n"
    return _Converter([]).convert_soup(BeautifulSoup(wpautop(source), "html.parser")).strip() + "\n"


def wpautop(text: str) -> str:
    """WordPress's paragraph rule: blank lines separate paragraphs, single newlines are line breaks."""
    kept: list[str] = []

    def keep(match: re.Match) -> str:
        kept.append(match.group(0))
        return f"\ue002{len(kept) - 1}\ue003"

    text = PRE_BLOCK.sub(keep, text)
    text = BLOCK_CLOSE.sub(r"\1\n\n", BLOCK_OPEN.sub(r"\n\n\1", text))
    chunks = []
    for chunk in re.split(r"\n\s*\n", text):
        chunk = chunk.strip()
        if not chunk:
            continue
        is_block = STARTS_BLOCK.match(chunk) or re.fullmatch("\ue002\\d+\ue003", chunk)
        chunks.append(chunk if is_block else "<p>" + chunk.replace("\n", "<br />\n") + "</p>")
    text = "\n\n".join(chunks)
    return re.sub("\ue002(\\d+)\ue003", lambda m: kept[int(m.group(1))], text)


def _escape_marker(match: re.Match) -> str:
    indent, marker = match.group(1), match.group(2)
    return f"{indent}{marker}\\" if marker[0].isdigit() else f"{indent}\\{marker}"


def _stash_code(match: re.Match, codes: list[tuple[str, str]]) -> str:
    attributes = _attributes(match.group(2) or "")
    language = attributes.get("language") or attributes.get("lang") or ""
    codes.append((html.unescape(match.group(3)).strip("\n"), language))
    return f"\n\n\ue000code{len(codes) - 1}\ue001\n\n"


def _fence(code: str, language: str) -> str:
    longest = max((len(run) for run in re.findall("`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{code}\n{fence}"


def _block_comment(match: re.Match, notes: list[str]) -> str:
    name, self_closing = match.group(2), match.group(4)
    if self_closing and name not in ("more", "nextpage", "spacer", "separator"):
        notes.append(f"dynamic block wp:{name} is drawn by WordPress at view time: not imported")
    return ""


def _attributes(text: str) -> dict[str, str]:
    return {m.group(1).lower(): html.unescape(m.group(2) or m.group(3) or m.group(4) or "") for m in ATTRIBUTE.finditer(text)}


def _shortcode(match: re.Match, post_id: str, media: MediaLibrary) -> str:
    name, equals, attributes, inner = match.group(1), match.group(2), _attributes(match.group(3) or ""), match.group(4) or ""
    if name in ("caption", "wp_caption"):
        return _caption(inner, attributes)
    if name == "gallery":
        return _gallery(attributes, post_id, media)
    bare = re.search(r"https?://\S+", match.group(3) or "")
    url = (equals or "").lstrip("=") or attributes.get("src") or attributes.get("mp4") or attributes.get("mp3") \
        or inner.strip() or attributes.get("url", "") or (bare.group(0) if bare else "")
    if not url.startswith(("http://", "https://")):
        return match.group(0)
    return f'\n\n<p><a href="{html.escape(url)}">{html.escape(url)}</a></p>\n\n'


def _caption(inner: str, attributes: dict[str, str]) -> str:
    """[caption]<img/> Text[/caption]: the caption text is whatever follows the (possibly linked) image."""
    soup = BeautifulSoup(inner, "html.parser")
    image = soup.find("a") if soup.find("a") and soup.find("a").find("img") else soup.find("img")
    caption = attributes.get("caption", "")
    if image is not None:
        image.extract()
        caption = caption or soup.decode().strip()
    figure = f"{image or ''}<figcaption>{caption}</figcaption>" if caption else str(image or "")
    return f"\n\n<figure>{figure}</figure>\n\n"


def _gallery(attributes: dict[str, str], post_id: str, media: MediaLibrary) -> str:
    ids = [i.strip() for i in attributes.get("ids", attributes.get("include", "")).split(",") if i.strip()]
    items = [media.by_id[i] for i in ids if i in media.by_id] if ids else list(media.by_parent.get(post_id, ()))
    if not items:
        return ""
    rows = "".join(f'<li><img src="{html.escape(m.url)}" alt="{html.escape(m.alt)}" />'
                   + (f"<br />{html.escape(m.caption)}" if m.caption else "") + "</li>" for m in items)
    return f'\n\n<ul class="gallery">{rows}</ul>\n\n'


def _rewrite_urls(soup: BeautifulSoup, rewrite: Callable[[str], str]) -> None:
    for element in soup.find_all(True):
        for attribute in ("src", "href", "poster"):
            if element.get(attribute):
                element[attribute] = rewrite(element[attribute].strip())


class _Converter(MarkdownConverter):
    """markdownify with WordPress's habits: fenced code with its language, kept inline HTML, raw fallbacks."""

    def __init__(self, notes: list[str]):
        super().__init__(heading_style=ATX, bullets="-", newline_style=BACKSLASH, table_infer_header=True,
                         strong_em_symbol="*", escape_underscores=True, escape_asterisks=True)
        self.notes = notes

    def escape(self, text: str, parent_tags) -> str:
        text = super().escape(text, parent_tags).replace("`", "\\`")
        text = TAG_LIKE.sub("&lt;", ENTITY_LIKE.sub("&amp;", text))
        return LINE_MARKERS.sub(_escape_marker, text)

    def _raw(self, element: Tag, why: str) -> str:
        self.notes.append(f"<{element.name}> {why}")
        fragment = re.sub(r"\n\s*\n", "\n", sanitise_post_html(str(element)))
        return f"\n\n{fragment}\n\n"

    def convert_a(self, el: Tag, text: str, parent_tags) -> str:
        scheme = el.get("href", "").split(":", 1)[0].lower() if ":" in el.get("href", "") else ""
        if scheme and scheme not in ("http", "https", "mailto"):
            self.notes.append(f"link to a {scheme}: address removed, its text kept")
            return text
        return super().convert_a(el, text, parent_tags)

    def convert_pre(self, el: Tag, text: str, parent_tags) -> str:
        classes = " ".join(el.get("class", []) + (el.code.get("class", []) if el.code else []))
        language = LANGUAGE_CLASS.search(classes)
        code = el.get_text().strip("\n")
        return f"\n\n{_fence(code, language.group(1).lower() if language else '')}\n\n" if code else ""

    def convert_table(self, el: Tag, text: str, parent_tags) -> str:
        complex_cells = el.find_all(attrs={"rowspan": True}) or el.find_all(attrs={"colspan": True})
        nested = el.find(["table", "ul", "ol", "pre", "blockquote", "p", "img"]) is not None
        if complex_cells or nested or "_inline" in parent_tags:
            return self._raw(el, "table with merged cells or blocks inside kept as HTML")
        return super().convert_table(el, text, parent_tags)

    def convert_figcaption(self, el: Tag, text: str, parent_tags) -> str:
        return f"\n\n*{text.strip()}*\n\n" if text.strip() else ""

    def convert_iframe(self, el: Tag, text: str, parent_tags) -> str:
        src = el.get("src", "")
        if not src.startswith(("http://", "https://", "//")):
            return ""
        url = "https:" + src if src.startswith("//") else src
        return f"\n\n[{el.get('title') or 'Embedded content'}: {url}]({url})\n\n"

    convert_embed = convert_object = lambda self, el, text, parent_tags: self._plugin(el)

    def _plugin(self, el: Tag) -> str:
        url = el.get("data") or el.get("src") or ""
        self.notes.append(f"<{el.name}> (a browser plug-in) replaced by a link to {url or 'nothing'}")
        return f"\n\n<{url}>\n\n" if url.startswith(("http://", "https://")) else ""

    def convert_script(self, el: Tag, text: str, parent_tags) -> str:
        self.notes.append("<script> removed")
        return ""

    def convert_form(self, el: Tag, text: str, parent_tags) -> str:
        self.notes.append("<form> removed (a static site cannot receive it); its text was kept")
        return f"\n\n{text.strip()}\n\n"

    def convert_center(self, el: Tag, text: str, parent_tags) -> str:
        return self.convert_p(el, text, parent_tags)

    def convert_tt(self, el: Tag, text: str, parent_tags) -> str:
        return self.convert_code(el, text, parent_tags)

    def convert_strike(self, el: Tag, text: str, parent_tags) -> str:
        return self.convert_del(el, text, parent_tags)

    def convert_q(self, el: Tag, text: str, parent_tags) -> str:
        return f"\u201c{text}\u201d"

    def get_conv_fn(self, tag_name: str):
        name = tag_name.lower()
        if name in INLINE_HTML:
            return self._inline_html
        if name in RAW_BLOCKS:
            return lambda el, text, parent_tags: self._raw(el, "has no Markdown form: kept as HTML")
        return super().get_conv_fn(tag_name)

    def _inline_html(self, el: Tag, text: str, parent_tags) -> str:
        name = RENAMED.get(el.name, el.name)
        attributes = "".join(f' {a}="{html.escape(el[a])}"' for a in INLINE_HTML[el.name] if el.get(a))
        return f"<{name}{attributes}>{text}</{name}>" if text else ""
