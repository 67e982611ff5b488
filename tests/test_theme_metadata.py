"""The default theme's metadata and reading aids, asserted on built pages."""

from __future__ import annotations

import json
import random
import re
from datetime import datetime, timezone

import pytest
from bs4 import BeautifulSoup

from generator.config import load_config
from generator.content import load_content
from generator.errors import SiteError
from generator.related import RelatedPosts
from generator.site import Entry, Link, assemble_site
from tests.conftest import BASIC_CONFIG, NOW, SiteFolder

BASE = "https://blog.example.com/"


def dated(site: SiteFolder, name: str, **meta) -> None:
    """A post dated by its file name, so its URL is /YYYY/MM/DD/slug/."""
    meta.setdefault("date", f"{name[:10]} 10:00")
    site.post(name, **meta)


def json_ld(page: BeautifulSoup) -> dict:
    scripts = page.find_all("script", type="application/ld+json")
    assert len(scripts) == 1
    return json.loads(scripts[0].string)


def meta(page: BeautifulSoup, key: str) -> list[str]:
    return [tag["content"] for tag in page.find_all("meta", attrs={"property": key})] + \
           [tag["content"] for tag in page.find_all("meta", attrs={"name": key})]


def test_a_post_is_a_blog_posting_by_a_person_affiliated_with_their_employer(site: SiteFolder):
    dated(site, "2026-01-15-hello", title="Hello", category="Work", tags="[one, two]",
              summary="A short summary.", updated="2026-02-01 08:00")
    site.build()
    data = json_ld(site.html("2026/01/15/hello/"))
    assert data["@context"] == "https://schema.org" and data["@type"] == "BlogPosting"
    assert data["headline"] == "Hello"
    assert data["description"] == "A short summary."
    assert data["url"] == BASE + "2026/01/15/hello/"
    assert data["mainEntityOfPage"]["@id"] == data["url"]
    assert datetime.fromisoformat(data["datePublished"]) == datetime(2026, 1, 15, 10, 0, tzinfo=timezone.utc)
    assert datetime.fromisoformat(data["dateModified"]) == datetime(2026, 2, 1, 8, 0, tzinfo=timezone.utc)
    assert data["author"] == {"@type": "Person", "name": "Ana Author",
                              "affiliation": {"@type": "Organization", "name": "Acme Corp"}}
    assert data["publisher"] == {"@type": "Organization", "name": "Test Blog", "url": BASE}
    assert data["articleSection"] == "Work" and data["keywords"] == ["one", "two"]


def test_an_author_without_employer_has_no_affiliation(site: SiteFolder):
    dated(site, "2026-01-15-solo", author="bo")
    site.build()
    author = json_ld(site.html("2026/01/15/solo/"))["author"]
    assert author == {"@type": "Person", "name": "Bo Writer"}


def test_a_one_author_blog_is_published_by_that_author_whose_url_is_made_absolute(site: SiteFolder):
    site.config("""\
        title: Solo
        base_url: https://blog.example.com/
        authors:
          me:
            name: Me Myself
            url: /about/
            bio: I write here.
        """)
    dated(site, "2026-01-15-solo")
    site.build()
    data = json_ld(site.html("2026/01/15/solo/"))
    assert data["publisher"] == data["author"] == {
        "@type": "Person", "name": "Me Myself", "url": BASE + "about/", "description": "I write here."}


def test_the_home_page_is_a_website_with_a_search_action(site: SiteFolder):
    dated(site, "2026-01-15-hello")
    site.build()
    data = json_ld(site.html(""))
    assert data["@type"] == "WebSite" and data["name"] == "Test Blog" and data["url"] == BASE
    assert data["potentialAction"]["target"] == BASE + "search/?q={search_term_string}"


def test_json_ld_survives_a_title_that_tries_to_close_the_script(site: SiteFolder):
    dated(site, "2026-01-15-evil", title="'</script><script>alert(1)</script> & co'")
    site.build()
    raw = site.read("2026/01/15/evil/index.html")
    assert "</script><script>alert(1)" not in raw
    assert json_ld(site.html("2026/01/15/evil/"))["headline"] == "</script><script>alert(1)</script> & co"


def test_open_graph_twitter_and_canonical_use_absolute_urls(site: SiteFolder):
    dated(site, "2026-01-15-hello", title="Hello", tags="[one]", summary="Summary here.")
    site.file("content/pages/about.md", "---\ntitle: About\nsummary: Who we are.\n---\nAbout.\n")
    site.build()
    post = site.html("2026/01/15/hello/")
    assert post.find("link", rel="canonical")["href"] == BASE + "2026/01/15/hello/"
    assert meta(post, "og:url") == [BASE + "2026/01/15/hello/"]
    assert meta(post, "og:type") == ["article"]
    assert meta(post, "og:title") == ["Hello"] and meta(post, "og:description") == ["Summary here."]
    assert meta(post, "og:site_name") == ["Test Blog"] and meta(post, "og:locale") == ["en_US"]
    assert meta(post, "article:tag") == ["one"] and meta(post, "article:author") == ["Ana Author"]
    assert meta(post, "twitter:card") == ["summary"] and meta(post, "twitter:title") == ["Hello"]
    assert meta(post, "description") == ["Summary here."]
    for rel in ["", "about/", "category/uncategorized/", "tags/", "search/", "404.html"]:
        page = site.html(rel)
        canonical = page.find("link", rel="canonical")["href"]
        assert canonical == BASE + rel and meta(page, "og:url") == [canonical]
        assert meta(page, "og:type") == ["website"]
    assert meta(site.html("about/"), "og:description") == ["Who we are."]


def test_drafts_in_a_preview_are_not_indexed_and_offer_no_share_links(site: SiteFolder):
    dated(site, "2026-01-15-out", title="Out")
    dated(site, "2026-01-16-draft", title="Draft", draft="true")
    site.build(drafts=True)
    draft, published = site.html("2026/01/16/draft/"), site.html("2026/01/15/out/")
    assert meta(draft, "robots") == ["noindex"] and meta(published, "robots") == []
    assert draft.select(".share a") == []
    assert [a.get_text() for a in published.select(".share a")] == ["Mastodon", "LinkedIn", "Bluesky", "Email"]


def test_share_links_follow_site_yaml(site: SiteFolder):
    site.config(BASIC_CONFIG + "share:\n  links: [email, mastodon]\n  mastodon: fosstodon.org\n  drafts: true\n")
    dated(site, "2026-01-15-hello", title="Hello & bye")
    dated(site, "2026-01-16-draft", title="Draft", draft="true")
    site.build(drafts=True)
    links = site.html("2026/01/15/hello/").select(".share a")
    assert [a.get_text() for a in links] == ["Email", "Mastodon"]
    assert links[0]["href"] == "mailto:?subject=Hello%20%26%20bye&body=https%3A//blog.example.com/2026/01/15/hello/"
    assert links[1]["href"].startswith("https://fosstodon.org/share?text=Hello+%26+bye+https%3A%2F%2Fblog.example.com%2F")
    assert len(site.html("2026/01/16/draft/").select(".share a")) == 2


def test_share_links_can_be_switched_off(site: SiteFolder):
    site.config(BASIC_CONFIG + "share:\n  links: []\n")
    dated(site, "2026-01-15-hello")
    site.build()
    assert site.html("2026/01/15/hello/").select(".share") == []


@pytest.mark.parametrize("extra, message", [
    ("share:\n  links: [myspace]\n", "site.yaml:17: 'share.links' may only name mastodon, linkedin, bluesky, email, not myspace"),
    ("share:\n  mastodon: https://x.social/\n", "site.yaml:17: 'share.mastodon' must be a server's host name"),
    ("share:\n  drafts: sometimes\n", "site.yaml:17: 'share.drafts' must be true or false"),
    ("language: klingon-xx\n", "site.yaml:16: unknown language 'klingon-xx'"),
    ("date_format: banana\n", "site.yaml:16: 'date_format' must be one of short, medium, long, full"),
    ("date_format: ddddddddd\n", "site.yaml:16: 'date_format' must be one of short, medium, long, full"),
])
def test_bad_theme_settings_are_reported_with_their_line(site: SiteFolder, extra: str, message: str):
    site.config(BASIC_CONFIG + extra)
    dated(site, "2026-01-15-hello")
    with pytest.raises(SiteError) as caught:
        site.build()
    assert any(str(problem).startswith(message) for problem in caught.value.problems), caught.value.problems
    assert not site.out.exists()


def test_related_posts_share_a_category_or_tag_nearest_in_date_shown_newest_first(site: SiteFolder):
    dated(site, "2026-01-10-subject", title="Subject", category="Work", tags="[python]")
    dated(site, "2026-01-01-oldest-work", title="Oldest work", category="Work")
    dated(site, "2026-01-06-early-work", title="Early work", category="Work")
    dated(site, "2026-01-08-older-work", title="Older work", category="Work")
    dated(site, "2026-01-12-newer-work", title="Newer work", category="Work")
    dated(site, "2026-01-20-newest-work", title="Newest work", category="Work")
    dated(site, "2026-01-14-tagged", title="Tagged", category="Life", tags="[python]")
    dated(site, "2026-01-09-unrelated", title="Unrelated", category="Life")
    dated(site, "2026-01-11-draft-work", title="Draft work", category="Work", draft="true")
    site.build(drafts=True)
    related = site.html("2026/01/10/subject/").select(".related li a")
    # two days either side, then four days: the newer side first (Tagged, not Early work)
    assert [a.get_text() for a in related] == ["Tagged", "Newer work", "Older work"]
    assert related[1]["href"] == "/2026/01/12/newer-work/"
    assert [a.get_text() for a in site.html("2026/01/09/unrelated/").select(".related li a")] == ["Tagged"]
    oldest = site.html("2026/01/01/oldest-work/").select(".related li a")
    assert [a.get_text() for a in oldest] == ["Subject", "Older work", "Early work"]


def test_a_new_post_leaves_older_posts_pages_as_they_were(site: SiteFolder):
    for day in range(1, 9):
        dated(site, f"2026-01-0{day}-work-{day}", title=f"Work {day}", category="Work")
    site.build()
    first = site.out / "2026/01/01/work-1/index.html"
    before = (first.read_bytes(), first.stat().st_mtime_ns)
    dated(site, "2026-01-09-latest", title="Latest", category="Work")
    site.build()
    assert (first.read_bytes(), first.stat().st_mtime_ns) == before
    assert [a.get_text() for a in site.html("2026/01/08/work-8/").select(".related li a")] == ["Latest", "Work 7", "Work 6"]
    assert [a.get_text() for a in site.html("2026/01/09/latest/").select(".related li a")] == ["Work 8", "Work 7", "Work 6"]


@pytest.mark.parametrize("seed", range(6))
def test_related_posts_are_the_nearest_of_all_posts_sharing_an_archive(site: SiteFolder, seed: int):
    """The windows RelatedPosts compares pick what comparing every pair would, ties included."""
    chooser = random.Random(seed)
    for number in range(60):
        tags = chooser.sample(["a", "b", "c", "d"], chooser.randrange(3))
        draft = "true" if chooser.random() < 0.1 else "false"
        site.post(f"post-{number:02d}", title=f"Post {number}", date=f"2026-01-{chooser.randrange(1, 8):02d} 10:00",
                  category=chooser.choice(["Work", "Life", "Play"]), tags=f"[{', '.join(tags)}]", draft=draft)
    config = load_config(site.root)[0]
    built = assemble_site(config, load_content(config)[0], NOW, include_drafts=True)
    related = RelatedPosts(built)
    published = [e for e in built.entries if e.status == "published"]
    order = {e.post.source: number for number, e in enumerate(built.entries)}
    for entry in built.entries:
        groups = {entry.category.url, *(tag.url for tag in entry.tags)}
        sharing = [e for e in published if e is not entry and groups & {e.category.url, *(t.url for t in e.tags)}]

        def nearness(other: Entry) -> tuple:
            newer = (other.post.date, other.post.source) > (entry.post.date, entry.post.source)
            return (abs(other.post.date - entry.post.date), not newer,
                    -order[other.post.source] if newer else order[other.post.source])

        expected = sorted(sorted(sharing, key=nearness)[:3], key=lambda e: order[e.post.source])
        assert related[entry.post.source] == tuple(Link(e.post.title, e.url) for e in expected)


def test_a_post_with_nothing_in_common_shows_no_related_section(site: SiteFolder):
    dated(site, "2026-01-10-alone", category="Work")
    dated(site, "2026-01-11-other", category="Life")
    site.build()
    assert site.html("2026/01/10/alone/").select(".related") == []


def test_reading_time_on_posts_and_listings(site: SiteFolder):
    dated(site, "2026-01-10-long", title="Long", body=" ".join(["word"] * 461))
    dated(site, "2026-01-11-short", title="Short", body="Just a few words.")
    site.build()
    assert site.html("2026/01/10/long/").select_one(".reading-time").get_text() == "3 min read"
    assert site.html("2026/01/11/short/").select_one(".reading-time").get_text() == "1 min read"
    home = [p.get_text() for p in site.html("").select(".teaser .reading-time")]
    assert home == ["1 min read", "3 min read"]
    assert json_ld(site.html("2026/01/10/long/"))["wordCount"] == 461


def test_the_author_box_names_the_employer_and_sits_with_the_disclaimer(site: SiteFolder):
    site.config(BASIC_CONFIG.replace("    employer: Acme Corp\n", "    employer: Acme Corp\n    bio: Ana builds things.\n"
                                     "    url: https://ana.example.net/\n"))
    dated(site, "2026-01-10-hello")
    site.build()
    box = site.html("2026/01/10/hello/").select_one(".author-box")
    assert box.select_one(".p-name").get_text() == "Ana Author"
    assert box.select_one(".p-org").get_text() == "Acme Corp"
    assert box.select_one(".p-note").get_text() == "Ana builds things."
    assert box.select_one("a.u-url")["href"] == "https://ana.example.net/"
    assert box.find_next_sibling()["class"] == ["disclaimer"]


def test_dates_follow_language_date_format_and_timezone(site: SiteFolder):
    site.config(BASIC_CONFIG.replace("timezone: UTC", "timezone: Europe/Paris") + "language: fr\n")
    dated(site, "2026-01-15-bonjour", date="2026-01-15 23:30+00:00")
    site.build()
    page = site.html("2026/01/16/bonjour/")
    assert page.find("html")["lang"] == "fr"
    assert page.select_one(".byline time").get_text() == "16 janvier 2026 at 00:30"
    assert meta(page, "og:locale") == ["fr_FR"]
    assert json.loads(site.read("search/index.json"))["posts"][0]["date_text"] == "16 janvier 2026"
    assert site.html("2026/01/").find("h1").get_text().endswith("janvier 2026")
    assert [a.get_text() for a in site.html("archives/").select(".archive-list a")] == ["janvier 2026"]
    site.config(BASIC_CONFIG + "language: de\ndate_format: EEEE, d. MMMM y\n")
    site.build()
    assert site.html("2026/01/15/bonjour/").select_one(".byline time").get_text().startswith("Donnerstag, 15. Januar 2026")


def test_sitemap_has_lastmod_for_posts_pages_and_archives(site: SiteFolder):
    dated(site, "2026-01-10-hello", category="Work", updated="2026-03-01 09:00")
    site.file("content/pages/about.md", "---\ntitle: About\nupdated: 2026-02-02\n---\nAbout.\n")
    site.build()
    sitemap = BeautifulSoup(site.read("sitemap.xml"), "xml")
    lastmod = {url.loc.get_text(): url.lastmod.get_text() if url.lastmod else None for url in sitemap.find_all("url")}
    assert lastmod[BASE + "2026/01/10/hello/"] == "2026-03-01T09:00:00+00:00"
    assert lastmod[BASE + "about/"] == "2026-02-02T00:00:00+00:00"
    assert lastmod[BASE + "category/work/"] == "2026-03-01T09:00:00+00:00"
    assert lastmod[BASE + "categories/"] == "2026-03-01T09:00:00+00:00"
    assert BASE + "search/" not in lastmod


def test_humans_txt_is_optional_and_names_the_people(site: SiteFolder):
    dated(site, "2026-01-10-hello")
    site.build()
    assert not (site.out / "humans.txt").exists()
    assert site.html("").find("link", rel="author") is None
    site.config(BASIC_CONFIG + "humans_txt: true\n")
    site.build()
    humans = site.read("humans.txt")
    assert "Author: Ana Author" in humans and "Works for: Acme Corp" in humans and "Author: Bo Writer" in humans
    assert re.search(r"Last update: 2026-01-10", humans)
    assert site.html("").find("link", rel="author")["href"] == "/humans.txt"


def test_pages_load_nothing_from_other_hosts(site: SiteFolder):
    dated(site, "2026-01-10-hello")
    site.build()
    for rel in ["", "2026/01/10/hello/", "search/"]:
        page = site.html(rel)
        sources = [tag.get("src") for tag in page.find_all("script") if tag.get("src")]
        sources += [tag["href"] for tag in page.find_all("link", rel="stylesheet")]
        assert sources and all(src.startswith("/") for src in sources)
