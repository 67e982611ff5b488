"""The prebuilt search index and the /search/ page that reads it (and works without JavaScript)."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import datetime, timezone

import pytest

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


NODE_HARNESS = r"""
const fs = require("fs"), path = require("path"), vm = require("vm");
const [out, script, query] = process.argv.slice(2);
class Node {
  constructor(tag) { Object.assign(this, { tag, children: [], text: "", className: "", attrs: {}, listeners: {} }); }
  set textContent(text) { this.text = text; this.children = []; }
  get textContent() { return this.text + this.children.map((c) => c.textContent).join(""); }
  appendChild(child) { this.children.push(child); return child; }
  addEventListener(type, listener) { this.listeners[type] = listener; }
  getAttribute(name) { return this.attrs[name]; }
  querySelector() { return input; }
  all(tag) { return [].concat(...this.children.map((c) => (c.tag === tag ? [c] : []).concat(c.all(tag)))); }
}
const form = new Node("form"), input = new Node("input"), results = new Node("div"), note = new Node("p");
form.attrs["data-index"] = "/search/index.json";
globalThis.window = globalThis;
globalThis.location = { href: "http://localhost/search/?q=" + encodeURIComponent(query), search: "?q=" + encodeURIComponent(query) };
globalThis.history = { replaceState() {} };
globalThis.fetch = async (url) => ({ ok: true, json: async () => JSON.parse(fs.readFileSync(path.join(out, url), "utf8")) });
globalThis.document = {
  querySelector: () => form, createElement: (tag) => new Node(tag),
  getElementById: (id) => ({ "search-results": results, "search-note": note })[id],
};
vm.runInThisContext(fs.readFileSync(script, "utf8"));
setTimeout(() => {
  const hits = results.all("a").map((a) => [a.textContent, a.href]);
  console.log(JSON.stringify({ hits, count: results.all("p")[0] ? results.all("p")[0].textContent : "", note: note.textContent }));
}, 50);
"""


def run_search_script(site: SiteFolder, query: str) -> dict:
    harness = site.root / "harness.js"
    harness.write_text(NODE_HARNESS, encoding="utf-8")
    done = subprocess.run(["node", str(harness), str(site.out), str(site.out / "theme/search.js"), query],
                          capture_output=True, text=True, timeout=30, check=True)
    return json.loads(done.stdout)


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js to run theme/search.js")
def test_the_search_script_matches_every_word_folds_accents_and_ranks_titles_first(site: SiteFolder):
    site.post("cafe", title="Café culture", date="2026-01-01 09:00", tags="[coffee, habits]")
    site.post("tea", title="Tea time", date="2026-01-02 09:00", body="A pot for the afternoon.")
    site.post("office", title="Office life", date="2026-01-03 09:00", body="Someone always makes tea at four.")
    site.post("hidden", title="Tea draft", date="2026-01-04 09:00", draft="true")
    site.build()
    assert run_search_script(site, "cafe")["hits"] == [["Café culture", "/2026/01/01/cafe/"]]
    tea = run_search_script(site, "TEA")
    assert tea["hits"] == [["Tea time", "/2026/01/02/tea/"], ["Office life", "/2026/01/03/office/"]]
    assert tea["count"] == "2 posts match “TEA”." and tea["note"].startswith("Results appear below")
    assert run_search_script(site, "coffee habits")["hits"] == [["Café culture", "/2026/01/01/cafe/"]]
    assert run_search_script(site, "coffee tea")["hits"] == []
