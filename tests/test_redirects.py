"""Aliases become redirect pages and a _redirects file, so old links and feed subscriptions keep working."""

from __future__ import annotations

from tests.conftest import BASIC_CONFIG, SiteFolder

HELLO = "/2026/01/15/hello/"


def refresh_target(site: SiteFolder, rel: str) -> str:
    return site.html(rel).find("meta", attrs={"http-equiv": "refresh"})["content"]


def test_each_path_alias_gets_a_page_and_every_alias_a_rule(site: SiteFolder):
    site.post("2026-01-15-hello", title="Hello <there>", aliases="['/old/hello/', '/?p=12', '/2026/01/16/hello/']")
    site.build()
    assert refresh_target(site, "old/hello/") == f"0; url={HELLO}"
    page = site.html("2026/01/16/hello/")
    assert page.find("link", rel="canonical")["href"] == "https://blog.example.com/2026/01/15/hello/"
    assert page.find("a", href=HELLO).get_text() == "Hello <there>"
    assert "<there>" not in site.read("old/hello/index.html")
    rules = site.read("_redirects").splitlines()
    assert f"/old/hello/ {HELLO} 301" in rules and f"/ p=12 {HELLO} 301" in rules
    assert not any("?" in rel for rel in site.files())


def test_page_aliases_redirect_to_the_page(site: SiteFolder):
    site.post("2026-01-15-hello")
    site.file("content/pages/team.md", "---\ntitle: Team\naliases: [/about/team/]\n---\nUs.\n")
    site.build()
    assert refresh_target(site, "about/team/") == "0; url=/team/"


def test_a_site_without_aliases_has_no_redirects(site: SiteFolder):
    site.post("2026-01-15-hello")
    site.build()
    files = site.files()
    assert "_redirects" not in files and "feed/index.html" not in files


def test_a_moved_site_answers_the_old_feed_addresses(site: SiteFolder):
    site.post("2026-01-15-hello", category="Work", aliases="['/?p=1', '/old/hello/']")
    site.build()
    rules = site.read("_redirects").splitlines()
    for rule in ("/feed/ /feed.xml 301", "/comments/feed/ /comments/feed.xml 301",
                 "/category/work/feed/ /category/work/feed.xml 301",
                 f"{HELLO}feed/ {HELLO}comments/feed.xml 301", f"/old/hello/feed/ {HELLO}comments/feed.xml 301"):
        assert rule in rules
    feed_page = site.html("feed/")
    assert feed_page.find("link", rel="alternate", type="application/rss+xml")["href"] == "/feed.xml"
    assert feed_page.find("meta", attrs={"http-equiv": "refresh"}) is None


def test_a_real_page_wins_over_a_conventional_feed_address(site: SiteFolder):
    site.post("2026-01-15-hello", aliases="['/?p=1']")
    site.file("content/pages/feed.md", "---\ntitle: About my feed\n---\nSubscribe.\n")
    site.build()
    assert site.html("feed/").h1.get_text() == "About my feed"
    assert "/feed/ /feed.xml 301" not in site.read("_redirects").splitlines()


def test_drafts_do_not_redirect(site: SiteFolder):
    site.post("2026-01-15-hello", draft="true", aliases="['/old/hello/']")
    site.post("2026-01-16-other")
    site.build()
    assert "old/hello/index.html" not in site.files() and "_redirects" not in site.files()


def test_redirects_respect_a_site_under_a_path(site: SiteFolder):
    site.config(BASIC_CONFIG.replace("https://blog.example.com/", "https://example.com/blog/"))
    site.post("2026-01-15-hello", aliases="['/old/hello/', '/?p=3']")
    site.build()
    assert refresh_target(site, "old/hello/") == "0; url=/blog/2026/01/15/hello/"
    rules = site.read("_redirects").splitlines()
    assert "/blog/old/hello/ /blog/2026/01/15/hello/ 301" in rules and "/blog/ p=3 /blog/2026/01/15/hello/ 301" in rules


def test_redirect_output_is_deterministic(site: SiteFolder):
    site.post("2026-01-15-hello", aliases="['/old/hello/', '/?p=3']")
    site.build()
    first = site.files()
    site.build(output=site.root / "again")
    again = {p.relative_to(site.root / "again").as_posix(): p.read_bytes()
             for p in sorted((site.root / "again").rglob("*")) if p.is_file()}
    assert again == first
