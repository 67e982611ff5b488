"""The incremental build is never wrong: after any sequence of edits it writes what a clean build writes."""

from __future__ import annotations

import pickle
import shutil
from datetime import datetime, timezone
from pathlib import Path

import jinja2
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.build import build
from generator.cache import CACHE_DIR, BuildCache
from generator.cli import main
from generator.errors import SiteError
from generator.markdown import render_many
from generator.parallel import SERIAL_LIMIT
from generator.theme import default_theme_dir
from tests.conftest import BASIC_CONFIG, NOW, SiteFolder

BYLINE = (default_theme_dir() / "templates" / "_byline.html").read_text(encoding="utf-8")
TEMPLATES = (BYLINE, BYLINE + "<!-- edited -->\n", BYLINE + "<p class=\"count\">{{ site.entries | length }} posts</p>\n",
             BYLINE + "{% for link in related_posts(entry) %}<a class=\"rel\" href=\"{{ href(link.url) }}\">{{ link.title }}</a>{% endfor %}\n")
CONFIGS = (BASIC_CONFIG, BASIC_CONFIG.replace("title: Test Blog", "title: Renamed Blog"),
           BASIC_CONFIG.replace("paginate: 10", "paginate: 1"), BASIC_CONFIG + "permalink: /{category}/{slug}/\n",
           BASIC_CONFIG + "comments:\n  reply: mailto:letters@example.com\n  close_after_days: 125\n",
           BASIC_CONFIG + "categories:\n  Work: {}\n",  # a post in "Life" is warned of
           BASIC_CONFIG.replace("paginate: 10", "paginate: 2"), BASIC_CONFIG.replace("paginate: 10", "paginate: 1\npagination: shifting"))
MOMENTS = (NOW, datetime(2026, 7, 1, 9, 0, tzinfo=timezone.utc), datetime(2026, 8, 1, tzinfo=timezone.utc))
SLUGS = ("p0", "p1", "p2", "p3")

slug = st.sampled_from(SLUGS)
edits = st.one_of(
    st.tuples(st.just("body"), slug, st.sampled_from(["Plain text.", "## Heading\n\nMore [link](/x/).", "Other."])),
    st.tuples(st.just("title"), slug, st.sampled_from(["First", "Second", "Third"])),
    st.tuples(st.just("category"), slug, st.sampled_from(["Work", "Life"])),
    st.tuples(st.just("tags"), slug, st.sampled_from(["[a]", "[a, b]", "[]"])),
    st.tuples(st.just("author"), slug, st.sampled_from(["ana", "bo"])),
    st.tuples(st.just("date"), slug, st.sampled_from(["2026-01-15 10:00", "2026-03-01 08:00", "2026-07-01 09:00"])),
    st.tuples(st.just("draft"), slug, st.booleans()),
    st.tuples(st.just("pinned"), slug, st.booleans()),
    st.tuples(st.just("disclaimer"), slug, st.sampled_from(["true", "false", None])),
    st.tuples(st.just("layout"), slug, st.sampled_from(["post", None])),  # an unknown key: a warning
    st.tuples(st.just("delete"), slug, st.none()),
    st.tuples(st.just("comment"), slug, st.sampled_from(["c1", "c2"])),
    st.tuples(st.just("uncomment"), slug, st.sampled_from(["c1", "c2"])),
    st.tuples(st.just("template"), st.none(), st.integers(0, len(TEMPLATES) - 1)),
    st.tuples(st.just("config"), st.none(), st.integers(0, len(CONFIGS) - 1)),
    st.tuples(st.just("clock"), st.none(), st.sampled_from(MOMENTS)),  # no file changes; `now` does
)


class Blog:
    """The model of a tiny site: post metadata and bodies by slug, comments, template and settings."""

    def __init__(self, site: SiteFolder):
        self.site = site
        self.posts = {name: {"title": name.upper(), "date": "2026-02-01 10:00", "body": f"Post {name}."} for name in SLUGS[:2]}
        self.comments: set[tuple[str, str]] = {("p0", "c1")}
        self.site.config(BASIC_CONFIG.replace("disclaimer:", "theme: custom\ndisclaimer:", 1))
        self.template, self.settings, self.now = 0, 0, NOW
        self.write_all()

    def apply(self, kind: str, name: str | None, value) -> None:
        if kind == "template":
            self.template = value
        elif kind == "clock":
            self.now = value
            return
        elif kind == "config":
            self.settings = value
        elif kind == "delete":
            self.posts.pop(name, None)
            self.comments = {c for c in self.comments if c[0] != name}
        elif kind == "comment":
            self.posts.setdefault(name, {"title": name, "date": "2026-02-01 10:00", "body": "New."})
            self.comments.add((name, value))
        elif kind == "uncomment":
            self.comments.discard((name, value))
        else:
            post = self.posts.setdefault(name, {"title": name, "date": "2026-02-01 10:00", "body": "New."})
            post[kind] = value
        self.write_all()

    def write_all(self) -> None:
        root = self.site.root
        for folder in ("content/posts", "content/comments"):
            shutil.rmtree(root / folder, ignore_errors=True)
        (root / "content/posts").mkdir(parents=True)
        for name, fields in self.posts.items():
            meta = {k: v for k, v in fields.items() if k != "body" and v is not None}
            self.site.post(name, fields["body"], **meta)
        for name, key in self.comments:
            self.site.file(f"content/comments/{name}/{key}.md",
                           f"---\nauthor: Reader {key}\ndate: 2026-04-0{key[-1]} 12:00\n---\nComment {key} on {name}.\n")
        self.site.file("themes/custom/templates/_byline.html", TEMPLATES[self.template])
        config = CONFIGS[self.settings].replace("disclaimer:", "theme: custom\ndisclaimer:", 1)
        self.site.config(config)


def clean_build(root: Path, out: Path, now: datetime = NOW, drafts: bool = False) -> dict[str, bytes]:
    return clean_build_warned(root, out, now, drafts)[0]


def clean_build_warned(root: Path, out: Path, now: datetime = NOW, drafts: bool = False) -> tuple[dict[str, bytes], tuple]:
    """A clean build's files, and the warnings it reported."""
    shutil.rmtree(out, ignore_errors=True)
    warnings = build(root, now, output=out, use_cache=False, jobs=1, drafts=drafts).warnings
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}, warnings


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(edits, min_size=1, max_size=5))
def test_incremental_output_equals_a_clean_build_after_every_edit(tmp_path_factory, steps):
    root = tmp_path_factory.mktemp("incremental") / "site"
    blog = Blog(SiteFolder(root))
    warm = BuildCache(root)
    build(root, NOW, output=blog.site.out, cache=warm, jobs=1)
    cli = root / "cli"  # built as the command line builds: each time a new process, the cache read from disk
    build(root, NOW, output=cli, jobs=1)
    for kind, name, value in steps:
        blog.apply(kind, name, value)  # within the same second as the last build: the racy case
        warned = build(root, blog.now, output=blog.site.out, cache=warm, jobs=1).warnings
        expected, clean_warnings = clean_build_warned(root, root / "clean", blog.now)
        assert blog.site.files() == expected, (kind, name, value)
        assert warned == clean_warnings, (kind, name, value)
        assert build(root, blog.now, output=cli, jobs=1).warnings == clean_warnings
        assert {p.relative_to(cli).as_posix(): p.read_bytes() for p in sorted(cli.rglob("*")) if p.is_file()} == expected
        again = build(root, blog.now, output=blog.site.out, cache=warm, jobs=1)
        assert again.site is None and again.warnings == clean_warnings, "nothing changed: no work, the same warnings"
        assert blog.site.files() == expected, (kind, name, value)
    build(root, NOW, output=root / "persistent", jobs=1)
    blog.apply("title", "p0", "After a restart")
    build(root, NOW, output=root / "persistent", jobs=1)
    assert {p.relative_to(root / "persistent").as_posix(): p.read_bytes()
            for p in sorted((root / "persistent").rglob("*")) if p.is_file()} == clean_build(root, root / "clean")


def test_a_rebuild_with_nothing_changed_rewrites_nothing(site: SiteFolder):
    site.post("2026-01-15-one", "Body.")
    site.file("content/comments/one/c1.md", "---\nauthor: Reader\ndate: 2026-01-16\n---\nNice.\n")
    site.build()
    mtimes = {p: p.stat().st_mtime_ns for p in site.out.rglob("*") if p.is_file()}
    again = site.build()
    assert again.written.changed == 0
    assert {p: p.stat().st_mtime_ns for p in site.out.rglob("*") if p.is_file()} == mtimes


def test_an_output_file_edited_by_hand_is_rewritten(site: SiteFolder):
    site.post("2026-01-15-one", "Body.")
    site.build()
    page = site.out / "2026/01/15/one/index.html"
    original = page.read_bytes()
    page.write_bytes(b"tampered")
    site.build()
    assert page.read_bytes() == original


def test_a_template_edit_rerenders_pages_but_not_markdown(site: SiteFolder):
    site.post("2026-01-15-one", "Body with `code`.")
    cache = BuildCache(site.root)
    site.build(cache=cache)
    rendered = dict(cache.values)
    site.config(BASIC_CONFIG + "theme: mine\n")
    site.file("themes/mine/templates/_byline.html", BYLINE + "<p class=\"marker\">edited</p>\n")
    result = site.build(cache=cache)
    assert site.html("2026/01/15/one/").select_one(".marker").get_text() == "edited"
    assert result.written.changed > 0
    assert all(cache.values[key] is value for key, value in rendered.items() if key in cache.values)


def test_a_failed_build_keeps_the_previous_output_and_the_cache_stays_right(site: SiteFolder):
    site.post("2026-01-15-one", "Body.")
    cache = BuildCache(site.root)
    site.build(cache=cache)
    before = site.files()
    site.post("2026-01-16-two", "Broken.", author="nobody")
    with pytest.raises(SiteError, match="unknown author"):
        site.build(cache=cache)
    assert site.files() == before
    site.post("2026-01-16-two", "Fixed.")
    site.build(cache=cache)
    assert site.files() == clean_build(site.root, site.root / "clean")


def test_a_damaged_cache_file_is_replaced_and_the_build_is_right(site: SiteFolder):
    site.post("2026-01-15-one", "Body.")
    site.build()
    (site.root / CACHE_DIR / "cache.sqlite").write_bytes(b"this is not a database" * 100)
    site.post("2026-01-15-one", "Edited body.")
    site.build()
    assert site.files() == clean_build(site.root, site.root / "clean")


def test_markdown_rendered_over_a_process_pool_equals_rendering_in_process():
    sources = [f"## Part {n}\n\nText *{n}* with `code` and a [link](/x/{n}/).\n" for n in range(SERIAL_LIMIT + 10)]
    in_workers, here = render_many("post", sources, jobs=2), render_many("post", sources, jobs=1)
    assert [pickle.loads(data) for data in in_workers] == [pickle.loads(data) for data in here]


def test_build_options_profile_jobs_and_no_cache(site: SiteFolder):
    site.post("2026-01-15-one", "Body.")
    result = CliRunner().invoke(main, ["build", "--site", str(site.root), "--no-cache", "--jobs", "1", "--profile"])
    assert result.exit_code == 0, result.output
    assert "rendering Markdown" in result.output and "%" in result.output
    assert not (site.root / CACHE_DIR).exists()
    assert CliRunner().invoke(main, ["build", "--site", str(site.root)]).exit_code == 0
    assert (site.root / CACHE_DIR / "cache.sqlite").is_file()


def test_a_new_post_rerenders_the_pages_it_changes_and_leaves_the_others(site: SiteFolder, monkeypatch):
    site.post("policy-one", "About policy.", category="Policy", tags="[rules]", date="2026-01-10 10:00")
    site.post("travel-one", "About travel.", category="Travel", tags="[trains]", date="2026-01-11 10:00")
    site.post("policy-two", "More policy.", category="Policy", tags="[rules]", date="2026-01-12 10:00")
    site.build()
    rendered: list[str] = []
    real_render = jinja2.Template.render
    monkeypatch.setattr(jinja2.Template, "render", lambda self, **values: rendered.append(values.get("url")) or real_render(self, **values))
    site.post("policy-three", "Newest policy.", category="Policy", tags="[rules]", date="2026-01-13 10:00")
    site.build()
    assert "2026/01/11/travel-one/" not in rendered, "a post sharing nothing with the new one was rendered again"
    assert "2026/01/10/policy-one/" in rendered
    related = [a.get_text() for a in site.html("2026/01/10/policy-one/").select(".related a")]
    assert "Policy Three" in related
    assert site.files() == clean_build(site.root, site.root / "clean")


def test_a_new_post_fills_its_own_teaser_and_the_listings_take_the_others_from_the_cache(site: SiteFolder, monkeypatch):
    for day in (10, 11, 12):
        site.post(f"2026-01-{day}-day-{day}", f"Body of day {day}.", title=f"Day {day}", category="Work")
    site.build()
    filled: list[str] = []
    real_render = jinja2.Template.render

    def render(self, **values):
        if "teaser" in values:
            filled.append(values["teaser"].entry.post.title)
        return real_render(self, **values)

    monkeypatch.setattr(jinja2.Template, "render", render)
    site.post("2026-01-13-day-13", "Body of day 13.", title="Day 13", category="Work")
    site.build()
    assert filled == ["Day 13", "Day 12"], "only the new post and the one now linking to it as newer"
    assert [h.get_text(strip=True) for h in site.html("category/work/").select(".teaser h2")] == [
        "Day 13", "Day 12", "Day 11", "Day 10"]
    monkeypatch.setattr(jinja2.Template, "render", real_render)
    assert site.files() == clean_build(site.root, site.root / "clean")


def test_a_sites_own_teaser_shows_on_every_listing_and_follows_the_whole_site(site: SiteFolder):
    """Listings show `_teaser.html` through the teaser_html() helper; an override of that partial alone
    replaces it everywhere, and one that reads `site` makes listings depend on every post."""
    site.post("2026-01-15-one", "Body one.", title="One", category="Work")
    site.post("2026-01-16-two", "Body two.", title="Two", category="Life")
    site.config(BASIC_CONFIG + "theme: mine\n")
    site.file("themes/mine/templates/_teaser.html",
              '<p class="mine">{{ teaser.entry.post.title }} of {{ site.entries | length }}</p>\n')
    cache = BuildCache(site.root)
    site.build(cache=cache)
    assert [p.get_text() for p in site.html("").select(".mine")] == ["Two of 2", "One of 2"]
    assert [p.get_text() for p in site.html("category/work/").select(".mine")] == ["One of 2"]
    site.post("2026-01-17-three", "Body three.", title="Three", category="Life")
    site.build(cache=cache)
    assert [p.get_text() for p in site.html("category/work/").select(".mine")] == ["One of 3"]
    assert site.files() == clean_build(site.root, site.root / "clean")
