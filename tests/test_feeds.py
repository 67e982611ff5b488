"""Atom and RSS feeds, built on real sites in temporary folders and read back with feedparser."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime, timezone

import feedparser
import pytest
from bs4 import BeautifulSoup

from generator.build import build
from generator.errors import SiteError
from tests.conftest import SiteFolder
from tests.test_sample_blog import REPOSITORY, SAMPLE_NOW

BASE = "https://example.org/blog/"
CONFIG = f"""\
title: Feed Blog
tagline: Feeds & things
base_url: {BASE}
timezone: Europe/Berlin
default_author: ana
authors:
  ana: {{name: Ana Author, employer: Acme Corp, url: "https://ana.example/"}}
  bo: {{name: Bo Writer}}
categories:
  Work: {{description: The day job.}}
  Personal: {{disclaimer: false}}
disclaimer:
  text: "Views are {{author}}'s own, not {{employer}}'s."
  default: true
feeds:
  limit: 3
comments:
  reply: mailto:letters@example.org
"""
LINKY_BODY = """\
Intro with an [about link](/about/), a [tag link](/tag/python/), a [sibling](../../),
a [note](#note) and an ![image](pics/chart.png "Chart").

<img src="/blog/img/a.png" srcset="/blog/img/a.png 1x, img/b.png 2x" alt="raw">

<!--more-->

The rest, with a footnote[^1].

[^1]: The note.
"""
ATOM_DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:[+-]\d\d:\d\d|Z)$")
RSS_DATE = re.compile(r"^\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}$")
ATOM_NS = {"a": "http://www.w3.org/2005/Atom"}


@pytest.fixture
def blog(site: SiteFolder) -> SiteFolder:
    """Four posts by two authors in two categories; the feed limit is 3."""
    site.config(CONFIG)
    site.post("2026-01-10-first", "First body.", title="First", date="2026-01-10 09:00", category="Work",
              tags="[python, feeds]")
    site.post("2026-02-20-second", "Second body.", title="Second", date="2026-02-20 18:30", author="bo",
              category="Work", tags="[python]", updated="2026-03-01 08:00", summary='"Second & summary"')
    site.post("2026-03-05-third", "Third body.", title="Third", date="2026-03-05 07:15", category="Personal")
    site.post("2026-04-01-fourth", LINKY_BODY, title="Fourth <&> post", date="2026-04-01 12:00", category="Work")
    return site


def feed_files(site: SiteFolder) -> dict[str, bytes]:
    return {rel: data for rel, data in site.files().items() if rel.endswith((".xml",)) and rel != "sitemap.xml"}


def test_every_feed_parses_without_bozo_and_comes_in_both_formats(blog: SiteFolder):
    blog.build()
    names = sorted(feed_files(blog))
    folders = {"", "category/work/", "category/personal/", "author/ana/", "author/bo/", "tag/python/",
               "tag/feeds/", "comments/", "2026/01/10/first/comments/", "2026/02/20/second/comments/",
               "2026/03/05/third/comments/", "2026/04/01/fourth/comments/"}
    assert names == sorted(f"{folder}{name}" for folder in folders for name in ("atom.xml", "feed.xml"))
    versions = {blog.feed(rel).version for rel in names}
    assert versions == {"atom10", "rss20"}


@pytest.mark.parametrize("rel", ["atom.xml", "feed.xml"])
def test_site_feed_has_newest_posts_with_authors_categories_and_zoned_dates(blog: SiteFolder, rel: str):
    blog.build()
    feed = blog.feed(rel)
    assert feed.feed.title == "Feed Blog"
    assert [e.title for e in feed.entries] == ["Fourth <&> post", "Third", "Second"]
    assert [e.author for e in feed.entries] == ["Ana Author", "Ana Author", "Bo Writer"]
    assert [[t.term for t in e.tags] for e in feed.entries] == [["Work"], ["Personal"], ["Work", "python"]]
    assert feed.entries[0].link == BASE + "2026/04/01/fourth/"
    if rel == "feed.xml":
        assert feed.entries[0].comments == BASE + "2026/04/01/fourth/#responses"
    pattern = ATOM_DATE if rel == "atom.xml" else RSS_DATE
    raw_dates = [e.published for e in feed.entries] + ([e.updated for e in feed.entries] if rel == "atom.xml" else [])
    assert raw_dates and all(pattern.match(d) for d in raw_dates), raw_dates
    assert feed.entries[0].published_parsed[:5] == (2026, 4, 1, 10, 0)  # 12:00 in Berlin summer time


def test_full_content_carries_the_disclaimer_and_summary_travels_too(blog: SiteFolder):
    blog.build()
    for rel in ("atom.xml", "feed.xml"):
        entries = {e.title: e for e in blog.feed(rel).entries}
        footers = {title: footer_text(e.content[0].value) for title, e in entries.items()}
        assert footers == {"Fourth <&> post": "Views are Ana Author's own, not Acme Corp's.", "Third": None,
                           "Second": "Views are Bo Writer's own, not their employer's."}
        assert "The rest, with a footnote" in entries["Fourth <&> post"].content[0].value
        assert BeautifulSoup(entries["Second"].summary, "html.parser").get_text() == "Second & summary"
        assert "The rest" not in entries["Fourth <&> post"].summary


def footer_text(html: str) -> str | None:
    footer = BeautifulSoup(html, "html.parser").select_one("aside.disclaimer")
    return footer.get_text(strip=True) if footer else None


def test_archive_feeds_hold_only_their_posts(blog: SiteFolder):
    blog.build()
    titles = lambda rel: [e.title for e in blog.feed(rel).entries]
    assert titles("category/work/atom.xml") == ["Fourth <&> post", "Second", "First"]
    assert titles("category/personal/feed.xml") == ["Third"]
    assert titles("author/bo/atom.xml") == ["Second"]
    assert titles("tag/python/feed.xml") == ["Second", "First"]
    assert titles("tag/feeds/atom.xml") == ["First"]
    assert blog.feed("author/bo/atom.xml").feed.title == "Feed Blog: posts by Bo Writer"


def alternates(page: BeautifulSoup) -> dict[str, tuple[str, str]]:
    return {link["href"]: (link["type"], link["title"]) for link in page.select('head link[rel="alternate"]')}


def test_pages_advertise_the_feeds_that_concern_them(blog: SiteFolder):
    blog.build()
    site_feeds = {"/blog/atom.xml", "/blog/feed.xml", "/blog/comments/atom.xml", "/blog/comments/feed.xml"}
    for page in ["", "categories/", "2026/04/01/fourth/", "category/work/", "2026/04/"]:
        assert site_feeds <= set(alternates(blog.html(page))), page
    category = alternates(blog.html("category/work/"))
    assert category["/blog/category/work/feed.xml"] == ("application/rss+xml", "Feed Blog: posts in Work (RSS)")
    assert category["/blog/category/work/atom.xml"][0] == "application/atom+xml"
    assert "/blog/tag/python/atom.xml" in alternates(blog.html("tag/python/"))
    assert "/blog/author/bo/feed.xml" in alternates(blog.html("author/bo/"))
    assert not any("category/work" in href for href in alternates(blog.html("")))
    post = blog.html("2026/04/01/fourth/")
    assert alternates(post)["/blog/2026/04/01/fourth/comments/feed.xml"][1] == "Comments on Fourth <&> post (RSS)"
    subscribe = post.find("a", string="Subscribe to comments with RSS")
    assert subscribe["href"] == "/blog/2026/04/01/fourth/comments/feed.xml"


def entry_ids(site: SiteFolder) -> dict[str, list[str]]:
    return {rel: [e.id for e in site.feed(rel).entries] for rel in sorted(feed_files(site))}


def test_entry_ids_survive_rebuilds_and_edits_of_title_and_body(blog: SiteFolder):
    blog.file("content/comments/first/a.md", "---\nauthor: Cy\ndate: 2026-01-11 10:00\n---\nHi.\n")
    blog.build()
    before = entry_ids(blog)
    blog.build()
    assert entry_ids(blog) == before
    blog.post("2026-01-10-first", "A completely new body.", title="A new title", date="2026-01-10 09:00",
              category="Work", tags="[python, feeds]")
    blog.build()
    after = entry_ids(blog)
    assert after == before
    assert after["category/work/atom.xml"][2] == "tag:example.org,2026-01-10:/blog/first"
    assert after["comments/atom.xml"] == ["tag:example.org,2026-01-10:/blog/first#comment-a"]
    assert blog.feed("tag/feeds/atom.xml").entries[0].title == "A new title"


def test_frontmatter_id_keeps_the_id_when_the_slug_changes(blog: SiteFolder):
    blog.build()
    old_id = blog.feed("tag/feeds/atom.xml").entries[0].id
    (blog.root / "content/posts/2026-01-10-first.md").unlink()
    blog.post("2026-01-10-renamed", "First body.", title="First", date="2026-01-10 09:00", category="Work",
              tags="[python, feeds]", id="first")
    blog.post("2026-03-05-third", "Third body.", title="Third", date="2026-03-05 07:15", category="Personal",
              id="tag:old.example.com,2009:post-42")
    blog.build()
    assert blog.feed("tag/feeds/atom.xml").entries[0].link == BASE + "2026/01/10/renamed/"
    assert blog.feed("tag/feeds/feed.xml").entries[0].id == old_id
    assert blog.feed("category/personal/atom.xml").entries[0].id == "tag:old.example.com,2009:post-42"


def test_an_id_with_spaces_is_an_error_with_its_line(blog: SiteFolder):
    blog.post("2026-05-01-bad", title="Bad", date="2026-05-01", id="not an id")
    with pytest.raises(SiteError) as caught:
        blog.build()
    assert [str(p) for p in caught.value.problems] == [
        "content/posts/2026-05-01-bad.md:4: 'id' must not contain spaces: 'not an id' "
        "(feed readers compare IDs character by character)"]


def test_feeds_are_byte_identical_whatever_day_they_are_built(blog: SiteFolder):
    blog.file("content/comments/fourth/a.md", "---\nauthor: Cy\ndate: 2026-04-02 10:00\n---\nHi.\n")
    blog.build(now=datetime(2026, 5, 1, tzinfo=timezone.utc))
    first = feed_files(blog)
    blog.build(now=datetime(2031, 12, 24, 23, 59, tzinfo=timezone.utc), output=blog.root / "later")
    later = {rel: (blog.root / "later" / rel).read_bytes() for rel in first}
    assert later == first


def test_feed_dates_come_from_content_not_the_clock(blog: SiteFolder):
    blog.build()
    atom = blog.feed("atom.xml")
    assert atom.feed.updated == "2026-04-01T12:00:00+02:00"
    assert blog.feed("tag/python/atom.xml").feed.updated == "2026-03-01T08:00:00+01:00"
    channel = ET.fromstring(blog.read("category/personal/feed.xml")).find("channel")
    assert channel.findtext("lastBuildDate") == "Thu, 05 Mar 2026 07:15:00 +0100"
    assert channel.findtext("link") == BASE + "category/personal/"
    empty = blog.feed("2026/03/05/third/comments/atom.xml")
    assert empty.entries == [] and empty.feed.updated == "2026-03-05T07:15:00+01:00"


def test_entry_updated_is_the_frontmatter_updated_else_the_date(blog: SiteFolder):
    blog.build()
    entries = {e.title: e for e in blog.feed("category/work/atom.xml").entries}
    assert entries["Second"].updated == "2026-03-01T08:00:00+01:00"
    assert entries["Second"].published == "2026-02-20T18:30:00+01:00"
    assert entries["First"].updated == entries["First"].published == "2026-01-10T09:00:00+01:00"
    updated = blog.html("2026/02/20/second/").select_one("header .updated")
    assert updated.get_text(" ", strip=True) == "Updated March 1, 2026"
    assert updated.time["datetime"] == "2026-03-01T08:00:00+01:00"
    assert blog.html("2026/01/10/first/").select_one("header .updated") is None


def raw_contents(xml: str) -> list[str]:
    """The HTML inside each entry as the file holds it (feedparser would sanitise it for us)."""
    root = ET.fromstring(xml)
    if root.tag.endswith("feed"):
        return [e.text or "" for e in root.iterfind("a:entry/a:content", ATOM_NS)] + \
               [e.text or "" for e in root.iterfind("a:entry/a:summary", ATOM_NS)]
    encoded = "{http://purl.org/rss/1.0/modules/content/}encoded"
    return [e.text or "" for e in root.iter(encoded)] + [e.text or "" for e in root.iterfind("channel/item/description")]


def urls_in(html: str) -> list[str]:
    soup = BeautifulSoup(html, "html.parser")
    urls = [tag[attr] for attr in ("href", "src") for tag in soup.find_all(attrs={attr: True})]
    urls += [part.split()[0] for tag in soup.find_all(srcset=True) for part in tag["srcset"].split(",")]
    return urls


def test_every_url_in_every_feed_is_absolute_under_the_base_path(blog: SiteFolder):
    blog.file("content/comments/fourth/a.md", "---\nauthor: Cy\ndate: 2026-04-02 10:00\n---\nSee [above](./#note).\n")
    blog.build()
    for rel, data in feed_files(blog).items():
        root = ET.fromstring(data)
        links = [e.get("href") for e in root.iter("{http://www.w3.org/2005/Atom}link")]
        links += [e.text for e in root.iter("link")] + [e.text for e in root.iter("{http://www.w3.org/2005/Atom}uri")]
        content_urls = [url for html in raw_contents(data.decode()) for url in urls_in(html)]
        assert all(url.startswith(BASE) for url in links + content_urls if "ana.example" not in url), rel
    fourth = set(urls_in(raw_contents(blog.read("atom.xml"))[0]))
    post = BASE + "2026/04/01/fourth/"
    assert fourth >= {BASE + "about/", BASE + "tag/python/", BASE + "2026/04/", post + "#note", post + "pics/chart.png",
                      BASE + "img/a.png", post + "img/b.png"}
    comment = urls_in(raw_contents(blog.read("comments/feed.xml"))[0])
    assert comment == [post + "#note"]


def test_the_sample_blog_feeds_parse_and_its_conversation_is_complete(tmp_path):
    out = tmp_path / "out"
    result = build(REPOSITORY, SAMPLE_NOW, output=out)
    feeds = sorted(p for p in out.rglob("*.xml") if p.name in ("atom.xml", "feed.xml"))
    assert len(feeds) == result.feeds >= 40
    parsed = {p.relative_to(out).as_posix(): feedparser.parse(p.read_bytes()) for p in feeds}
    assert [rel for rel, feed in parsed.items() if feed.bozo] == []
    titles = [e.title for e in parsed["comments/atom.xml"].entries]
    assert any(t.startswith("Comment by") for t in titles)
    assert any(t.startswith("Pingback from") for t in titles) and any(t.startswith("Trackback from") for t in titles)
    pages = [(out / e.url / "index.html").read_text(encoding="utf-8") for e in result.site.entries if e.comments]
    assert len(pages) >= 3 and any('class="replies"' in page for page in pages)
    emails = [line.split(":", 1)[1].strip().encode() for path in (REPOSITORY / "content/comments").rglob("*.md")
              for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("email:")]
    assert emails and not [p for p in out.rglob("*") if p.is_file() and any(e in p.read_bytes() for e in emails)]
