"""Stream a WordPress eXtended RSS export (WXR 1.0-1.2) into frozen records, one item at a time.

The parser never loads a DTD, resolves an entity or touches the network, and refuses any
document that declares a DTD at all: that is how XXE and "billion laughs" exports are stopped.
Items are cleared once read, so memory stays flat however large the export is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Iterator

from lxml import etree

from generator.errors import SiteError, error

WP_PREFIX = "http://wordpress.org/export/"
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
DC_NS = "http://purl.org/dc/elements/1.1/"
NO_DATE = "0000-00-00 00:00:00"
DTD_REFUSED = ("refusing an export that declares a DTD or entities "
               "(WordPress never writes one; this is how XXE and billion-laughs attacks work)")
PROLOG_PART = re.compile(rb"\s*(?:<\?.*?\?>|<!--.*?-->)", re.DOTALL)  # the XML declaration, comments, instructions


@dataclass(frozen=True)
class Author:
    login: str
    display_name: str


@dataclass(frozen=True)
class Term:
    """A category or tag as declared in the channel (nicename is its old URL slug)."""

    name: str
    nicename: str
    description: str = ""


@dataclass(frozen=True)
class Channel:
    title: str
    link: str
    description: str
    language: str
    version: str
    authors: tuple[Author, ...]
    categories: tuple[Term, ...]


@dataclass(frozen=True)
class WxrComment:
    id: str
    author: str
    email: str
    url: str
    date: str
    date_gmt: str
    content: str
    approved: str
    type: str
    parent: str


@dataclass(frozen=True)
class Item:
    """One <item>: a post, page, attachment or anything else WordPress stores as a post."""

    line: int
    id: str
    title: str
    link: str
    guid: str
    creator: str
    content: str
    excerpt: str
    date: str
    date_gmt: str
    comment_status: str
    name: str
    status: str
    parent: str
    menu_order: int
    type: str
    password: str
    sticky: bool
    attachment_url: str
    terms: tuple[tuple[str, str, str], ...] = ()
    meta: dict[str, str] = field(default_factory=dict)
    comments: tuple[WxrComment, ...] = ()


def parse_moment(text: str) -> datetime | None:
    """WordPress writes 'YYYY-MM-DD HH:MM:SS' and all zeros for 'never'."""
    text = text.strip()
    if not text or text == NO_DATE:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None


def read_export(path: Path) -> Iterator[Channel | Item]:
    """Yield the channel first, then every item; raise SiteError for anything that is not a safe WXR file."""
    reader = _Reader(path)
    try:
        yield from reader.events()
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno and exc.lineno > 0 else None
        raise SiteError([error(path, line, f"malformed XML: {exc.msg}")]) from None
    except OSError as exc:
        raise SiteError([error(path, None, f"cannot read the export: {exc.strerror or exc}")]) from None


class _Reader:
    def __init__(self, path: Path):
        self.path = path
        self.wp = ""
        self.excerpt = ""
        self.channel: dict[str, str] = {}
        self.authors: list[Author] = []
        self.categories: list[Term] = []
        self.channel_sent = False

    def events(self) -> Iterator[Channel | Item]:
        with open(self.path, "rb") as stream:
            if declares_dtd(stream.read(65536)):
                raise SiteError([error(self.path, 1, DTD_REFUSED)])
        context = etree.iterparse(
            str(self.path), events=("start", "end"), resolve_entities=False, load_dtd=False, no_network=True,
            huge_tree=False, remove_pis=True, strip_cdata=True,
        )
        depth = 0
        for event, element in context:
            if event == "start":
                depth += 1
                if depth == 1:
                    self._check_root(element)
                elif depth == 3 and element.tag == "item" and not self.channel_sent:
                    yield self._channel()
                continue
            depth -= 1
            if depth == 2:
                item = self._item(element) if element.tag == "item" else self._channel_child(element)
                if item is not None:
                    yield item
                element.clear(keep_tail=False)
                while element.getprevious() is not None:
                    del element.getparent()[0]
        if not self.wp:
            raise SiteError([error(self.path, None, "not a WordPress export (WXR): the file is empty")])
        if not self.channel_sent:
            yield self._channel()

    def _check_root(self, root: etree._Element) -> None:
        docinfo = root.getroottree().docinfo
        if docinfo.internalDTD is not None or docinfo.doctype or docinfo.system_url:
            raise SiteError([error(self.path, 1, DTD_REFUSED)])
        namespaces = [ns for ns in root.nsmap.values() if ns and ns.startswith(WP_PREFIX)]
        wp = next((ns for ns in namespaces if not ns.rstrip("/").endswith("excerpt")), None)
        if root.tag != "rss" or wp is None:
            raise SiteError([error(self.path, root.sourceline, "not a WordPress export (WXR): expected <rss> "
                                                               "with the wordpress.org/export namespace")])
        self.wp = wp
        self.excerpt = next((ns for ns in namespaces if ns != wp), wp.rstrip("/") + "/excerpt/")

    def _wp(self, element: etree._Element, name: str) -> str:
        return (element.findtext(f"{{{self.wp}}}{name}") or "").strip()

    def _channel_child(self, element: etree._Element) -> None:
        tag = etree.QName(element)
        if tag.namespace is None:
            self.channel.setdefault(tag.localname, (element.text or "").strip())
        elif tag.namespace == self.wp and tag.localname == "author":
            login = self._wp(element, "author_login")
            self.authors.append(Author(login, self._wp(element, "author_display_name") or login))
        elif tag.namespace == self.wp and tag.localname == "category":
            self.categories.append(Term(self._wp(element, "cat_name"), self._wp(element, "category_nicename"),
                                        self._wp(element, "category_description")))
        elif tag.namespace == self.wp:
            self.channel.setdefault(f"wp:{tag.localname}", (element.text or "").strip())

    def _channel(self) -> Channel:
        self.channel_sent = True
        get = self.channel.get
        return Channel(get("title", ""), get("link", ""), get("description", ""), get("language", ""),
                       get("wp:wxr_version", ""), tuple(self.authors), tuple(self.categories))

    def _item(self, element: etree._Element) -> Item:
        wp = self._wp
        meta = {wp(m, "meta_key"): (m.findtext(f"{{{self.wp}}}meta_value") or "")
                for m in element.iterfind(f"{{{self.wp}}}postmeta")}
        terms = tuple((c.get("domain", "category"), c.get("nicename", ""), (c.text or "").strip())
                      for c in element.iterfind("category"))
        try:
            order = int(wp(element, "menu_order") or 0)
        except ValueError:
            order = 0
        return Item(
            line=element.sourceline or 0, id=wp(element, "post_id"), title=(element.findtext("title") or "").strip(),
            link=(element.findtext("link") or "").strip(), guid=(element.findtext("guid") or "").strip(),
            creator=(element.findtext(f"{{{DC_NS}}}creator") or "").strip(),
            content=element.findtext(f"{{{CONTENT_NS}}}encoded") or "",
            excerpt=element.findtext(f"{{{self.excerpt}}}encoded") or "",
            date=wp(element, "post_date"), date_gmt=wp(element, "post_date_gmt"),
            comment_status=wp(element, "comment_status"), name=wp(element, "post_name"),
            status=wp(element, "status"), parent=wp(element, "post_parent"), menu_order=order,
            type=wp(element, "post_type") or "post", password=wp(element, "post_password"),
            sticky=wp(element, "is_sticky") == "1", attachment_url=wp(element, "attachment_url"),
            terms=terms, meta=meta, comments=tuple(self._comment(c) for c in element.iterfind(f"{{{self.wp}}}comment")),
        )

    def _comment(self, element: etree._Element) -> WxrComment:
        wp = self._wp
        return WxrComment(
            id=wp(element, "comment_id"), author=wp(element, "comment_author"),
            email=wp(element, "comment_author_email"), url=wp(element, "comment_author_url"),
            date=wp(element, "comment_date"), date_gmt=wp(element, "comment_date_gmt"),
            content=element.findtext(f"{{{self.wp}}}comment_content") or "",
            approved=wp(element, "comment_approved"), type=wp(element, "comment_type") or "comment",
            parent=wp(element, "comment_parent"),
        )


def declares_dtd(head: bytes) -> bool:
    """Does the document's prolog (in its first bytes) hold a <!DOCTYPE>? Checked before lxml parses
    anything: whether lxml reports the root element before it fails on a billion-laughs document's
    entities differs between its versions, and the refusal must not."""
    position = 3 if head.startswith(b"\xef\xbb\xbf") else 0
    while (part := PROLOG_PART.match(head, position)) and part.end() > position:
        position = part.end()
    return head[position:].lstrip().startswith(b"<!DOCTYPE")
