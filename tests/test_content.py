"""Posts, pages and static files: frontmatter keys, dates and time zones, slugs, publishing rules."""

from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import quote

import feedparser
import pytest

from tests.conftest import NOW, SiteFolder, build_problems

NEW_YORK = """\
title: Zoned
base_url: https://blog.example.com/
timezone: America/New_York
authors:
  ana:
    name: Ana Author
"""


def published_urls(site: SiteFolder) -> list[str]:
    """The post links on the home page, in the order shown."""
    return [a["href"] for a in site.html("").select(".entry-title a")]


@pytest.mark.parametrize("written, url, shown", [
    ("2026-01-15 23:30", "2026/01/15/zoned/", "2026-01-15T23:30:00-05:00"),
    ("2026-01-16T02:00:00+00:00", "2026/01/15/zoned/", "2026-01-15T21:00:00-05:00"),
    ("2026-05-04", "2026/05/04/zoned/", "2026-05-04T00:00:00-04:00"),
])
def test_dates_are_read_and_shown_in_the_site_time_zone(site: SiteFolder, written: str, url: str, shown: str):
    """No offset: the site's zone (a bare date is its midnight); an offset is converted to the site's zone."""
    site.config(NEW_YORK)
    site.post("zoned", title="Zoned", date=written)
    site.build()
    assert site.html(url).select_one(".byline time")["datetime"] == shown


def test_feeds_carry_the_same_instant(site: SiteFolder):
    site.config(NEW_YORK)
    site.post("late", title="Late", date="2026-01-15 23:30")
    site.build()
    assert site.html("2026/01/15/late/").select_one(".byline time").get_text() == "January 15, 2026 at 11:30\u202fPM"  # Babel, English short time
    entry = feedparser.parse(site.read("atom.xml")).entries[0]
    assert entry.published_parsed[:5] == (2026, 1, 16, 4, 30)


def test_slug_defaults_to_file_name_without_date_and_can_be_set(site: SiteFolder):
    site.post("2026-01-15-from-the-file", title="A")
    site.post("other-name", title="B", slug="chosen-slug", date="2026-01-16")
    site.build()
    assert published_urls(site) == ["/2026/01/16/chosen-slug/", "/2026/01/15/from-the-file/"]


def test_unicode_slugs_are_kept_and_percent_encoded_in_links(site: SiteFolder):
    site.post("2026-01-15-Łódź Café", title="Łódź")
    site.post("ascii", title="B", slug="Zürich über alles", date="2026-01-16")
    site.build()
    assert (site.out / "2026/01/15/łódź-café/index.html").is_file()
    assert (site.out / "2026/01/16/zürich-über-alles/index.html").is_file()
    assert published_urls(site) == [f"/2026/01/16/{quote('zürich-über-alles')}/", f"/2026/01/15/{quote('łódź-café')}/"]


def test_frontmatter_keys_reach_the_post_page(site: SiteFolder):
    site.post("2026-01-15-full", title="Full", author="bo", category="Events", tags="[one, two words]",
              updated="2026-02-01 08:00", date="2026-01-15 09:05")
    site.build()
    page = site.html("2026/01/15/full/")
    assert page.select_one(".byline .author").get_text() == "Bo Writer"
    assert page.select_one('.byline a[rel~="category"]').get_text() == "Events"
    assert [a.get_text() for a in page.select('.tags a[rel="tag"]')] == ["one", "two words"]
    assert page.select_one(".byline .updated time")["datetime"] == "2026-02-01T08:00:00+00:00"
    entry = feedparser.parse(site.read("atom.xml")).entries[0]
    assert entry.updated == "2026-02-01T08:00:00+00:00"
    assert entry.published == "2026-01-15T09:05:00+00:00"


def test_defaults_for_author_and_category(site: SiteFolder):
    site.post("2026-01-15-plain", title="Plain")
    site.build()
    page = site.html("2026/01/15/plain/")
    assert page.select_one(".byline .author").get_text() == "Ana Author"
    assert page.select_one('.byline a[rel~="category"]').get_text() == "Uncategorized"
    assert site.html("category/uncategorized/").select_one(".entry-title").get_text() == "Plain"


def test_drafts_are_never_published(site: SiteFolder):
    site.post("2026-01-15-kept", title="Kept")
    site.post("2026-01-16-secret", title="Secret draft", date="2026-01-16", draft="true", tags="[hidden]")
    site.build()
    assert not (site.out / "2026/01/16/secret").exists()
    assert not (site.out / "tag/hidden").exists()
    for rel, data in site.files().items():
        assert b"Secret draft" not in data and b"secret" not in data, rel


def test_future_posts_wait_for_their_date(site: SiteFolder):
    site.post("2026-01-15-now", title="Now")
    site.post("2026-07-01-later", title="Later on", date="2026-07-01 09:00")
    result = site.build()
    assert result.site.next_scheduled == datetime(2026, 7, 1, 9, 0, tzinfo=timezone.utc)
    assert not (site.out / "2026/07/01/later").exists()
    assert all(b"Later on" not in data for data in site.files().values())
    site.build(now=datetime(2026, 7, 1, 9, 0, 1, tzinfo=timezone.utc))
    assert site.html("2026/07/01/later/").find("h1").get_text() == "Later on"


def test_drafts_option_previews_drafts_and_scheduled_posts(site: SiteFolder):
    site.post("2026-01-16-secret", title="Secret", date="2026-01-16", draft="true")
    site.post("2026-07-01-later", title="Later", date="2026-07-01")
    site.build(drafts=True)
    assert "Draft" in site.html("2026/01/16/secret/").select_one(".status").get_text()
    assert "Scheduled" in site.html("2026/07/01/later/").select_one(".status").get_text()


def test_bom_and_crlf_files_are_read_like_any_other(site: SiteFolder):
    text = "---\ntitle: Windows é\ndate: 2026-01-15\ntags: [a]\n---\nFirst paragraph.\n\nSecond paragraph.\n"
    site.file("content/posts/2026-01-15-crlf.md", b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    site.file("content/pages/win.md", b"\xef\xbb\xbf" + "---\r\ntitle: Win\r\n---\r\nPage.\r\n".encode("utf-8"))
    site.build()
    page = site.html("2026/01/15/crlf/")
    assert page.find("h1").get_text() == "Windows é"
    assert [p.get_text() for p in page.select(".entry-content p")] == ["First paragraph.", "Second paragraph."]
    assert site.html("win/").find("h1").get_text() == "Win"
    assert all(b"\r" not in data and b"\xef\xbb\xbf" not in data for rel, data in site.files().items() if rel.endswith(".html"))


def test_posts_may_live_in_sub_folders(site: SiteFolder):
    site.file("content/posts/2026/deep.md", "---\ntitle: Deep\ndate: 2026-01-15\n---\nBody.\n")
    site.build()
    assert site.html("2026/01/15/deep/").find("h1").get_text() == "Deep"


def test_pages_are_published_and_linked_from_the_navigation(site: SiteFolder):
    site.file("content/pages/about.md", "---\ntitle: About us\norder: 2\n---\nWho we are.\n")
    site.file("content/pages/colophon.md", "---\ntitle: Colophon\norder: 1\n---\nHow it is made.\n")
    site.file("content/pages/hidden.md", "---\ntitle: Hidden\nnav: false\n---\nNot in the menu.\n")
    site.post("2026-01-15-hello", title="Hello")
    site.build()
    assert site.html("about/").select_one(".entry-content").get_text(strip=True) == "Who we are."
    assert site.html("hidden/").find("h1").get_text() == "Hidden"
    for url in ("", "about/", "2026/01/15/hello/"):
        nav = [(a.get_text(), a["href"]) for a in site.html(url).select(".site-nav a")]
        assert nav[:3] == [("Home", "/"), ("Colophon", "/colophon/"), ("About us", "/about/")]
        assert ("Hidden", "/hidden/") not in nav


def test_static_files_are_copied_as_they_are(site: SiteFolder):
    image = bytes(range(256))
    site.file("content/static/images/pixel.bin", image)
    site.file("content/static/files/notes.txt", "plain\r\ntext")
    site.build()
    assert (site.out / "images/pixel.bin").read_bytes() == image
    assert (site.out / "files/notes.txt").read_bytes() == b"plain\r\ntext"


def test_unknown_frontmatter_keys_warn_with_a_suggestion(site: SiteFolder):
    site.post("2026-01-15-typo", title="Typo", catgory="Work")
    result = site.build()
    assert [str(w) for w in result.warnings] == [
        "content/posts/2026-01-15-typo.md:3: warning: unknown key 'catgory' (did you mean 'category'?)"
    ]


def test_wrong_frontmatter_types_are_errors(site: SiteFolder):
    site.post("2026-01-15-bad", title="Bad", tags="{a: 1}", draft="maybe", disclaimer="[1]", comments="perhaps")
    assert build_problems(site) == [
        "content/posts/2026-01-15-bad.md:3: 'tags' must be a list, such as [one, two]",
        "content/posts/2026-01-15-bad.md:4: 'draft' must be true or false, not 'maybe'",
        "content/posts/2026-01-15-bad.md:5: 'disclaimer' must be true, false or the text of this post's footer",
        "content/posts/2026-01-15-bad.md:6: 'comments' must be 'open' or 'closed', not 'perhaps'",
    ]


def test_the_clock_is_an_input(site: SiteFolder):
    site.post("2026-05-31-edge", title="Edge", date="2026-05-31 23:59")
    assert site.build(now=NOW).site.next_scheduled is None
    assert [e.post.title for e in site.build(now=datetime(2026, 5, 1, tzinfo=timezone.utc)).site.entries] == []
