"""What the default theme writes: page furniture, post pages, listings, archives, sitemap, robots."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import feedparser
import pytest

import generator.render
from generator.render import sitemap_rows, sitemap_size
from tests.conftest import BASIC_CONFIG, SiteFolder

SITEMAP_NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def write_posts(site: SiteFolder, count: int, **meta) -> None:
    """`count` posts on consecutive January days, titled 'Post 01'..., oldest first."""
    for day in range(1, count + 1):
        site.post(f"2026-01-{day:02d}-post-{day:02d}", title=f"Post {day:02d}", date=f"2026-01-{day:02d} 10:00", **meta)


def titles(page) -> list[str]:
    return [a.get_text() for a in page.select(".entry-title a")]


def test_every_page_has_title_tagline_nav_feeds_canonical_and_lang(site: SiteFolder):
    site.file("content/pages/about.md", "---\ntitle: About\n---\nHi.\n")
    site.post("2026-01-15-hello", title="Hello", tags="[t]")
    site.build()
    for url in ("", "2026/01/15/hello/", "about/", "tags/", "tag/t/", "2026/01/", "404.html"):
        page = site.html(url)
        assert page.html["lang"] == "en"
        assert page.select_one("header .site-title").get_text(strip=True) == "Test Blog"
        assert page.select_one("header .site-tagline").get_text(strip=True) == "Tests & more"
        nav = [a["href"] for a in page.select("nav.site-nav a")]
        assert nav == ["/", "/about/", "/categories/", "/tags/", "/authors/", "/archives/", "/search/"]
        feeds = {link["href"] for link in page.select('link[rel="alternate"]')}
        assert {"/atom.xml", "/feed.xml"} <= feeds
        assert page.select_one('link[rel="canonical"]')["href"] == f"https://blog.example.com/{url}"


def test_archive_pages_advertise_their_own_feeds(site: SiteFolder):
    site.post("2026-01-15-hello", title="Hello", tags="[t]", category="Work")
    site.build()
    for url in ("tag/t/", "category/work/", "author/ana/"):
        feeds = {link["href"] for link in site.html(url).select('link[rel="alternate"]')}
        assert {f"/{url}atom.xml", f"/{url}feed.xml"} <= feeds
        assert (site.out / url / "atom.xml").is_file()


def test_post_page_shows_everything_about_the_post(site: SiteFolder):
    write_posts(site, 3, category="Work", tags="[alpha, beta]")
    site.build()
    page = site.html("2026/01/02/post-02/")
    byline = page.select_one(".byline").get_text(" ", strip=True)
    assert "Written by Ana Author" in byline
    assert "January 2, 2026 at 10:00\u202fAM" in byline
    assert "Posted in Work" in byline
    assert "0 comments" in byline  # issue 3: the header says "N comments"
    assert [a.get_text() for a in page.select(".tags a")] == ["alpha", "beta"]
    assert page.select_one(".entry-content").get_text(strip=True) == "Body text."
    older, newer = page.select_one("a.older"), page.select_one("a.newer")
    assert (older["href"], older["rel"], "Post 01" in older.get_text()) == ("/2026/01/01/post-01/", ["prev"], True)
    assert (newer["href"], newer["rel"], "Post 03" in newer.get_text()) == ("/2026/01/03/post-03/", ["next"], True)
    assert page.select_one(".disclaimer").get_text(strip=True) == "Views are Ana Author's own, not Acme Corp's."


def rel_links(page, selector: str) -> dict[str, str]:
    return {element["rel"][0]: element["href"] for element in page.select(selector)}


@pytest.mark.parametrize("pagination, pages", [
    ("stable", {"": [12, 11, 10, 9, 8], "page/3/": [7, 6], "page/2/": [5, 4, 3, 2, 1]}),  # cut from the oldest post
    ("shifting", {"": [12, 11, 10, 9, 8], "page/2/": [7, 6, 5, 4, 3], "page/3/": [2, 1]}),  # as WordPress does
])
def test_home_is_newest_first_and_paginated_with_rel_links(site: SiteFolder, pagination: str, pages: dict[str, list[int]]):
    site.config((site.root / "site.yaml").read_text().replace("paginate: 10", f"paginate: 5\npagination: {pagination}"))
    write_posts(site, 12)
    site.build()
    order = list(pages)  # reading order
    for number, (url, posts) in enumerate(pages.items()):
        page = site.html(url)
        assert titles(page) == [f"Post {post:02d}" for post in posts]
        expected = {rel: f"/{order[n]}" for rel, n in (("prev", number - 1), ("next", number + 1)) if 0 <= n < len(order)}
        assert rel_links(page, 'head link[rel="prev"], head link[rel="next"]') == expected
        assert rel_links(page, "nav.pagination a") == expected
    assert not (site.out / "page/4").exists()
    assert [a.get_text() for a in site.html("page/3/").select("nav.pagination a")][0] == "← Newer posts"
    assert "(page 3)" in site.html("page/3/").find("title").get_text()


def test_a_new_post_changes_the_first_page_and_the_one_after_it_and_no_other_listing_page(site: SiteFolder):
    site.config((site.root / "site.yaml").read_text().replace("paginate: 10", "paginate: 5"))
    write_posts(site, 12, category="Work")
    site.build()
    listings = [f"{first}{page}index.html" for first in ("", "category/work/") for page in ("", "page/2/", "page/3/")]
    before = {rel: ((site.out / rel).read_bytes(), (site.out / rel).stat().st_ino) for rel in listings}
    site.post("2026-01-13-post-13", title="Post 13", date="2026-01-13 10:00", category="Work")
    site.build()
    after = {rel: ((site.out / rel).read_bytes(), (site.out / rel).stat().st_ino) for rel in listings}
    assert sorted(rel for rel in listings if after[rel] != before[rel]) == [
        "category/work/index.html", "category/work/page/3/index.html", "index.html", "page/3/index.html"]
    assert titles(site.html("page/3/")) == ["Post 08", "Post 07", "Post 06"]
    for _ in range(3):  # the page after the first fills up (posts 14 and 15), then a new one starts
        site.post(f"2026-01-{14 + _}-post-{14 + _}", title=f"Post {14 + _}", date=f"2026-01-{14 + _} 10:00")
    site.build()
    assert titles(site.html("page/3/")) == ["Post 10", "Post 09", "Post 08", "Post 07", "Post 06"]
    assert titles(site.html("page/4/")) == ["Post 11"]
    assert rel_links(site.html("page/3/"), "nav.pagination a") == {"prev": "/page/4/", "next": "/page/2/"}
    assert (site.out / "page/2/index.html").read_bytes() == before["page/2/index.html"][0]


def test_every_archive_kind_has_paginated_pages_and_an_index(site: SiteFolder):
    site.config((site.root / "site.yaml").read_text().replace("paginate: 10", "paginate: 2"))
    write_posts(site, 3, category='"Field Work"', tags="[Deep Sea, ports]")
    site.post("2026-02-01-feb", title="February", date="2026-02-01", author="bo", category="Other")
    site.build()
    expectations = {
        "category/field-work/": ("Posts in Field Work", ["Post 03", "Post 02"]),
        "tag/deep-sea/": ("Posts tagged Deep Sea", ["Post 03", "Post 02"]),
        "author/ana/": ("Posts by Ana Author", ["Post 03", "Post 02"]),
        "2026/01/": ("Posts from January 2026", ["Post 03", "Post 02"]),
    }
    for url, (heading, first_page) in expectations.items():
        page = site.html(url)
        assert page.find("h1").get_text() == heading
        assert titles(page) == first_page
        assert titles(site.html(url + "page/2/")) == ["Post 01"]
        assert page.select_one('link[rel="next"]')["href"] == f"/{url}page/2/"
    indexes = {
        "categories/": [("Field Work", "/category/field-work/"), ("Other", "/category/other/")],
        "tags/": [("Deep Sea", "/tag/deep-sea/"), ("ports", "/tag/ports/")],
        "authors/": [("Ana Author", "/author/ana/"), ("Bo Writer", "/author/bo/")],
        "archives/": [("February 2026", "/2026/02/"), ("January 2026", "/2026/01/")],
    }
    for url, links in indexes.items():
        assert [(a.get_text(), a["href"]) for a in site.html(url).select(".archive-list a")] == links


@pytest.mark.parametrize("body, meta, excerpt, more", [
    ("Intro line.\n\n<!--more-->\n\nRest.\n\nMore rest.", {"summary": "Ignored summary"}, "Intro line.", True),
    ("First para.\n\nSecond para.", {"summary": '"Hand-written & short"'}, "Hand-written & short", True),
    ("First para.\n\nSecond para.", {}, "First para.", True),
    ("Only para.", {}, "Only para.", False),
])
def test_teasers_follow_more_then_summary_then_first_paragraph(site: SiteFolder, body, meta, excerpt, more):
    site.post("2026-01-15-teaser", body=body, title="Teaser", **meta)
    site.build()
    teaser = site.html("").select_one("article.teaser")
    assert teaser.select_one(".entry-summary").get_text(strip=True) == excerpt
    link = teaser.select_one("p.more a")
    assert (link is not None) == more
    if more:
        assert link["href"] == "/2026/01/15/teaser/"
        assert link.get_text().startswith("Continue reading")


def test_a_base_url_with_a_path_prefixes_every_link(site: SiteFolder):
    site.config((site.root / "site.yaml").read_text().replace("https://blog.example.com/", "https://example.org/blog/"))
    site.file("content/pages/about.md", "---\ntitle: About\n---\nHi.\n")
    site.post("2026-01-15-hello", title="Hello", tags="[t]",
              body="See [about](/about/), ![a pixel](/images/p.svg), [a section](#top) and [far](https://w3.org/).")
    site.build()
    body = site.html("2026/01/15/hello/").select_one(".entry-content")
    assert [a["href"] for a in body.select("a")] == ["/blog/about/", "#top", "https://w3.org/"]
    assert body.find("img")["src"] == "/blog/images/p.svg"
    content = feedparser.parse(site.read("atom.xml")).entries[0].content[0].value
    assert 'href="https://example.org/blog/about/"' in content and 'src="https://example.org/blog/images/p.svg"' in content
    for url in ("", "2026/01/15/hello/", "about/", "tag/t/", "404.html"):
        page = site.html(url)
        assert page.select_one('link[rel="canonical"]')["href"] == f"https://example.org/blog/{url}"
        local = [e.get("href") or e.get("src") for e in page.select("[href], [src]")]
        local = [link for link in local if not link.startswith(("https:", "mailto:", "#"))]
        assert local and all(link.startswith("/blog/") for link in local), local
    locations = [loc.text for loc in ET.fromstring(site.read("sitemap.xml")).findall("s:url/s:loc", SITEMAP_NS)]
    assert all(loc.startswith("https://example.org/blog/") for loc in locations)
    assert "Sitemap: https://example.org/blog/sitemap.xml" in site.read("robots.txt")
    assert '<link href="https://example.org/blog/2026/01/15/hello/"' in site.read("atom.xml")


def test_sitemap_lists_published_posts_and_pages_with_absolute_urls(site: SiteFolder):
    site.file("content/pages/about.md", "---\ntitle: About\n---\nHi.\n")
    site.file("content/pages/wip.md", "---\ntitle: Work in progress\ndraft: true\n---\nHi.\n")
    site.post("2026-01-15-hello", title="Hello", updated="2026-01-20 08:00")
    site.post("2026-01-16-draft", title="Draft", date="2026-01-16", draft="true")
    site.post("2026-09-01-future", title="Future", date="2026-09-01")
    site.build()
    root = ET.fromstring(site.read("sitemap.xml"))
    rows = {url.findtext("s:loc", namespaces=SITEMAP_NS): url.findtext("s:lastmod", namespaces=SITEMAP_NS)
            for url in root.findall("s:url", SITEMAP_NS)}
    assert rows == {
        "https://blog.example.com/": "2026-01-20T08:00:00+00:00",
        "https://blog.example.com/2026/01/15/hello/": "2026-01-20T08:00:00+00:00",
        "https://blog.example.com/about/": None,
        **{f"https://blog.example.com/{listing}": "2026-01-20T08:00:00+00:00"  # archives, dated by their newest post
           for listing in ("category/uncategorized/", "author/ana/", "2026/01/", "categories/", "tags/", "authors/", "archives/")},
    }
    assert site.read("robots.txt") == "User-agent: *\nAllow: /\n\nSitemap: https://blog.example.com/sitemap.xml\n"


def sitemap_rows_of(site: SiteFolder, rel: str) -> list[tuple[str, str | None]]:
    root = ET.fromstring(site.read(rel))
    assert root.tag == f"{{{SITEMAP_NS['s']}}}urlset"
    return [(url.findtext("s:loc", namespaces=SITEMAP_NS), url.findtext("s:lastmod", namespaces=SITEMAP_NS))
            for url in root.findall("s:url", SITEMAP_NS)]


def test_more_urls_than_one_sitemap_may_list_make_sitemap_xml_an_index_of_parts(site: SiteFolder, monkeypatch):
    for day in range(1, 8):
        site.post(f"2026-01-{day:02d}-p{day}", date=f"2026-01-{day:02d} 10:00", tags=f"[t{day}]")
    site.build()
    whole = sitemap_rows_of(site, "sitemap.xml")
    assert len(whole) > 10
    monkeypatch.setattr(generator.render, "SITEMAP_LIMIT", 5)  # the protocol's limit is 50,000
    site.build(use_cache=False)
    index = ET.fromstring(site.read("sitemap.xml"))
    assert index.tag == f"{{{SITEMAP_NS['s']}}}sitemapindex"
    parts = [loc.text for loc in index.findall("s:sitemap/s:loc", SITEMAP_NS)]
    assert parts == [f"https://blog.example.com/sitemap-{n}.xml" for n in range(1, -(-len(whole) // 5) + 1)]
    rows = [sitemap_rows_of(site, f"sitemap-{n}.xml") for n in range(1, len(parts) + 1)]
    assert all(len(part) <= 5 for part in rows) and [row for part in rows for row in part] == whole
    assert site.read("robots.txt").endswith("Sitemap: https://blog.example.com/sitemap.xml\n")
    monkeypatch.undo()
    site.build()
    assert sitemap_rows_of(site, "sitemap.xml") == whole and not list(site.out.glob("sitemap-*.xml"))


@pytest.mark.parametrize("paginate", [1, 2, 10])
def test_the_sitemap_size_is_counted_as_its_rows_would_be_made(site: SiteFolder, paginate: int):
    site.config(BASIC_CONFIG.replace("paginate: 10", f"paginate: {paginate}"))
    site.file("content/pages/about.md", "---\ntitle: About\n---\nHi.\n")
    site.file("content/pages/wip.md", "---\ntitle: Work in progress\ndraft: true\n---\nHi.\n")
    for day in range(1, 6):
        site.post(f"2026-01-{day:02d}-p{day}", date=f"2026-01-{day:02d} 10:00", category=f"C{day % 2}", tags=f"[t{day % 3}]")
    site.post("2026-01-16-draft", date="2026-01-16", draft="true")
    site.post("2026-09-01-future", date="2026-09-01")
    built = site.build().site
    assert sitemap_size(built) == len(sitemap_rows(built)) == len(sitemap_rows_of(site, "sitemap.xml"))


def test_not_found_page_exists_and_links_home(site: SiteFolder):
    site.post("2026-01-15-hello", title="Hello")
    site.build()
    page = site.html("404.html")
    assert page.find("h1").get_text() == "Page not found"
    assert page.select_one("main a")["href"] == "/"


def test_markdown_extensions_and_highlighting(site: SiteFolder):
    body = (
        "## A Heading\n\n~~gone~~ and a note[^n].\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
        "```python\ndef f():\n    return 1\n```\n\n<div class=\"raw\">raw <em>HTML</em></div>\n\n[^n]: The note.\n"
    )
    site.post("2026-01-15-md", body=body, title="Markdown")
    site.build()
    content = site.html("2026/01/15/md/").select_one(".entry-content")
    assert content.find("h2")["id"] == "a-heading"
    assert content.find("s").get_text() == "gone"
    assert [td.get_text() for td in content.select("table td")] == ["1", "2"]
    assert "The note." in content.select_one(".footnotes").get_text()
    assert content.select_one(".footnotes h2").get_text() == "Footnotes"
    assert content.select_one("pre.highlight code.language-python span.k").get_text() == "def"
    assert content.select_one("div.raw em").get_text() == "HTML"
    assert ".highlight .k" in site.read("theme/pygments.css")
    stylesheets = [link["href"] for link in site.html("").select('link[rel="stylesheet"]')]
    assert stylesheets == ["/theme/style.css", "/theme/pygments.css"]


def test_nothing_is_loaded_from_other_hosts(site: SiteFolder):
    site.post("2026-01-15-hello", title="Hello")
    site.build()
    for rel in ("index.html", "2026/01/15/hello/index.html", "404.html"):
        page = site.html(rel)
        assert all(script.get("type") == "application/ld+json" for script in page.find_all("script"))
        external = [e for e in page.select("link[href], img[src]") if e.get("rel") != ["canonical"]
                    and (e.get("href") or e.get("src")).startswith(("http:", "https:", "//"))]
        assert external == []
