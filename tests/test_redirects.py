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


def with_redirects(site: SiteFolder, lines: str, base_url: str = "https://blog.example.com/") -> None:
    site.config(BASIC_CONFIG.replace("https://blog.example.com/", base_url) + "redirects:\n" + lines)


def test_site_yaml_redirects_get_a_page_and_a_rule(site: SiteFolder):
    site.post("2026-01-15-hello", title="Hello", tags="[C#]")
    with_redirects(site, "  /tag/c-sharp/: /tag/c/\n  /tag/c-sharp/feed/: /tag/c/feed.xml\n"
                         "  /hello.html: /2026/01/15/hello/\n  /?cat=7: /tag/c/\n  /shop/: https://shop.example.org/\n")
    site.build()
    page = site.html("tag/c-sharp/")
    assert refresh_target(site, "tag/c-sharp/") == "0; url=/tag/c/"
    assert page.find("link", rel="canonical")["href"] == "https://blog.example.com/tag/c/"
    assert page.find("a", href="/tag/c/").get_text() == "C#"
    assert site.html("tag/c-sharp/feed/").find("link", rel="alternate")["href"] == "/tag/c/feed.xml"
    assert refresh_target(site, "hello.html/") == f"0; url={HELLO}"
    assert refresh_target(site, "shop/") == "0; url=https://shop.example.org/"
    rules = site.read("_redirects").splitlines()
    for rule in ("/tag/c-sharp/ /tag/c/ 301", "/tag/c-sharp/feed/ /tag/c/feed.xml 301", "/ cat=7 /tag/c/ 301",
                 "/shop/ https://shop.example.org/ 301", f"/hello.html {HELLO} 301"):
        assert rule in rules
    assert "feed/index.html" not in site.files(), "only aliases make a site answer WordPress's feed addresses"


def test_site_yaml_redirects_under_a_base_path(site: SiteFolder):
    site.post("2026-01-15-hello", tags="[C#]")
    with_redirects(site, "  /tag/c-sharp/: /tag/c/\n  /?tag=c-sharp: /tag/c/\n", "https://example.org/blog/")
    site.build()
    assert refresh_target(site, "tag/c-sharp/") == "0; url=/blog/tag/c/"
    assert site.html("tag/c-sharp/").find("link", rel="canonical")["href"] == "https://example.org/blog/tag/c/"
    rules = site.read("_redirects").splitlines()
    assert "/blog/tag/c-sharp/ /blog/tag/c/ 301" in rules and "/blog/ tag=c-sharp /blog/tag/c/ 301" in rules


def test_site_yaml_redirects_never_replace_a_real_page_and_win_over_aliases(site: SiteFolder):
    site.post("2026-01-15-hello", title="Hello", tags="[C#]", aliases="['/old/hello/']")
    site.file("content/pages/team.md", "---\ntitle: Team\n---\nUs.\n")
    with_redirects(site, f"  /team/: /tag/c/\n  {HELLO}: /tag/c/\n  /tag/c/: /team/\n  /old/hello/: /team/\n")
    site.build()
    assert site.html("team/").h1.get_text() == "Team"
    assert site.html(HELLO.lstrip("/")).h1.get_text() == "Hello"
    assert site.html("tag/c/").find("meta", attrs={"http-equiv": "refresh"}) is None
    assert refresh_target(site, "old/hello/") == "0; url=/team/"
    rules = site.read("_redirects").splitlines()
    assert not any(rule.startswith(("/team/ ", f"{HELLO} ", "/tag/c/ ")) for rule in rules)
    assert [rule for rule in rules if rule.startswith("/old/hello/ ")] == ["/old/hello/ /team/ 301"]


def test_site_yaml_redirects_never_replace_a_feed_or_a_static_file(site: SiteFolder):
    site.post("2026-01-15-hello", tags="[C#]")
    site.file("content/static/CNAME", "blog.example.com\n")
    with_redirects(site, "  /feed.xml: /atom.xml\n  /tag/c/atom.xml: /\n  /CNAME: /\n  /theme/style.css: /\n  /old/: /\n")
    site.build()
    site.feed("feed.xml")
    site.feed("tag/c/atom.xml")
    assert site.read("CNAME") == "blog.example.com\n" and "theme/style.css/index.html" not in site.files()
    assert site.read("_redirects").splitlines()[1:] == ["/old/ / 301"]
