"""The prebuilt search index and the /search/ page that reads it (and works without JavaScript)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from generator.search import SUMMARY_CHARS
from tests.conftest import BASIC_CONFIG, SiteFolder


def index(site: SiteFolder) -> list[dict]:
    return json.loads(site.read("search/index.json"))["posts"]


def test_the_index_holds_every_published_post_and_no_draft_or_scheduled_one(site: SiteFolder):
    for day in range(1, 13):
        site.post(f"post-{day}", title=f"Post {day}", date=f"2026-01-{day:02d} 09:00", tags="[alpha, beta]")
    site.post("secret-draft", title="Secret draft", draft="true")
    site.post("future", title="Future", date="2027-01-01 09:00")
    for drafts in (False, True):
        site.build(drafts=drafts)
        titles = [record["title"] for record in index(site)]
        assert titles == [f"Post {day}" for day in range(12, 0, -1)]
    assert (site.out / "2027/01/01/future/index.html").exists()


def test_each_record_is_bounded_and_points_at_a_built_page(site: SiteFolder):
    long_body = " ".join(f"word{n}" for n in range(400))
    site.post("long", title="Long one", date="2026-01-05 09:00", category="Work", tags="[x, y]", body=long_body)
    site.post("summed", title="Summed", date="2026-01-06 09:00", summary="'Own <b>summary</b> & more.'")
    site.build()
    summed, long = index(site)
    assert summed["summary"] == "Own <b>summary</b> & more."
    assert set(long) == {"title", "summary", "tags", "category", "date", "date_text", "url"}
    assert long["tags"] == ["x", "y"] and long["category"] == "Work" and long["date"] == "2026-01-05"
    assert long["date_text"] == "January 5, 2026"
    assert len(long["summary"]) <= SUMMARY_CHARS and long["summary"].startswith("word0 word1 ")
    assert long["summary"].endswith("…") and not long["summary"].endswith(" …")
    for record in (summed, long):
        assert (site.out / record["url"].lstrip("/") / "index.html").is_file()


def test_index_urls_follow_a_base_path_and_builds_are_byte_identical(site: SiteFolder):
    site.config(BASIC_CONFIG.replace("https://blog.example.com/", "https://example.com/blog/"))
    site.post("hello", date="2026-01-05 09:00")
    site.build()
    first = site.read("search/index.json")
    assert index(site)[0]["url"] == "/blog/2026/01/05/hello/"
    site.build(now=datetime(2026, 9, 1, tzinfo=timezone.utc))
    assert site.read("search/index.json") == first


def test_the_search_page_is_a_plain_form_that_works_without_javascript(site: SiteFolder):
    site.post("hello")
    site.build()
    page = site.html("search/")
    form = page.find("form", role="search")
    assert form["method"] == "get" and form["action"] == "https://duckduckgo.com/"
    query = form.find("input", attrs={"name": "q"})
    assert page.find("label", attrs={"for": query["id"]})
    assert form.find("input", attrs={"name": "sites"})["value"] == "blog.example.com"
    assert form["data-index"] == "/search/index.json"
    archive_links = {a["href"] for a in page.select(".search-note a")}
    assert archive_links == {"/categories/", "/tags/", "/authors/", "/archives/"}
    assert page.find("script", src="/theme/search.js")
    assert (site.out / "theme/search.js").is_file()
    assert page.find("meta", attrs={"name": "robots"})["content"] == "noindex"
    assert site.html("").find("a", string="Search")["href"] == "/search/"
