"""A rebuild after edits to bodies alone takes up the last build's site: it reads only the edited files,
renders only the files that show them, and writes exactly what a clean build writes."""

from __future__ import annotations

import os
import sqlite3

import jinja2
import pytest

import generator.build
import generator.cache
import generator.prepare
import generator.render
from generator.cache import CACHE_DIR, BuildCache
from generator.config import load_config
from generator.content import Content, load_content
from generator.errors import SiteError
from generator.output import output_stats
from generator.parallel import output_stats_later
from generator.site import Site, assemble_site
from generator.snapshot import RESPONSES_KEPT_APART
from tests.conftest import BASIC_CONFIG, NOW, SiteFolder
from tests.test_incremental import clean_build, clean_build_warned

COMMENT = "---\nauthor: Reader\ndate: 2026-01-20 09:00\n---\n{}\n"


@pytest.fixture
def blog(site: SiteFolder) -> SiteFolder:
    site.post("2026-01-10-policy", "First words on policy.\n\nMore policy.", category="Policy", tags="[rules]",
              date="2026-01-10 10:00")
    site.post("2026-01-11-travel", "First words on trains.", category="Travel", tags="[trains]", date="2026-01-11 10:00")
    site.post("2026-01-12-draft", "Not yet.", draft="true", date="2026-01-12 10:00")
    site.file("content/comments/policy/c1.md", COMMENT.format("A first comment."))
    return site


def taking_up_the_snapshot(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make loading every source fail the test, and collect the URL of every page rendered."""
    def must_not_run(*args, **kwargs):
        raise AssertionError("the build read every source instead of taking up its snapshot")

    monkeypatch.setattr(generator.prepare, "load_content", must_not_run)
    rendered: list[str] = []
    real_render = jinja2.Template.render
    monkeypatch.setattr(jinja2.Template, "render",
                        lambda self, **values: rendered.append(values.get("url")) or real_render(self, **values))
    return rendered


def test_a_body_edit_renders_only_the_files_that_show_the_post(blog: SiteFolder, monkeypatch):
    cache = BuildCache(blog.root)
    blog.build(cache=cache)
    rendered = taking_up_the_snapshot(monkeypatch)
    blog.post("2026-01-10-policy", "New first words on policy.\n\nMore policy.", category="Policy", tags="[rules]",
              date="2026-01-10 10:00")
    result = blog.build(cache=cache)
    assert "rendering Markdown" not in [name for name, _ in result.stages]
    assert "2026/01/10/policy/" in rendered and "category/policy/" in rendered
    assert "2026/01/11/travel/" not in rendered and "category/travel/" not in rendered
    assert "New first words" in blog.html("2026/01/10/policy/").select_one("article").get_text()
    assert "New first words" in blog.feed("category/policy/atom.xml").entries[0].summary
    assert result.written.changed < result.written.files / 2
    monkeypatch.undo()
    assert blog.files() == clean_build(blog.root, blog.root / "clean")


def test_a_comment_body_edit_updates_the_post_and_the_comment_feeds(blog: SiteFolder, monkeypatch):
    cache = BuildCache(blog.root)
    blog.build(cache=cache)
    taking_up_the_snapshot(monkeypatch)
    blog.file("content/comments/policy/c1.md", COMMENT.format("An edited comment."))
    blog.build(cache=cache)
    assert "An edited comment." in blog.html("2026/01/10/policy/").select_one("#responses").get_text()
    assert "An edited comment." in blog.feed("comments/atom.xml").entries[0].content[0].value
    assert "An edited comment." in blog.feed("2026/01/10/policy/comments/atom.xml").entries[0].content[0].value
    monkeypatch.undo()
    assert blog.files() == clean_build(blog.root, blog.root / "clean")


def test_a_draft_body_edit_changes_no_file(blog: SiteFolder, monkeypatch):
    cache = BuildCache(blog.root)
    blog.build(cache=cache)
    taking_up_the_snapshot(monkeypatch)
    blog.post("2026-01-12-draft", "Still not yet, but longer.", draft="true", date="2026-01-12 10:00")
    assert blog.build(cache=cache).written.changed == 0
    monkeypatch.undo()
    assert blog.build(cache=cache, drafts=True, output=blog.root / "preview").written.changed > 0


@pytest.mark.parametrize("edit", ["title", "tags", "date", "draft", "new post", "new page", "deleted post", "new tag"])
def test_other_edits_to_posts_and_pages_assemble_the_site_again_from_the_snapshot(blog: SiteFolder, monkeypatch, edit: str):
    cache = BuildCache(blog.root)
    blog.build(cache=cache)
    taking_up_the_snapshot(monkeypatch)
    policy = {"category": "Policy", "tags": "[rules]", "date": "2026-01-10 10:00"}
    body = "First words on policy.\n\nMore policy."
    if edit == "title":
        blog.post("2026-01-10-policy", body, **policy, title="Renamed")
    elif edit == "tags":
        blog.post("2026-01-10-policy", body, **{**policy, "tags": "[rules, trains]"})
    elif edit == "date":
        blog.post("2026-01-10-policy", body, **{**policy, "date": "2026-01-13 10:00"})
    elif edit == "draft":
        blog.post("2026-01-12-draft", "Not yet.", date="2026-01-12 10:00")
    elif edit == "new post":
        blog.post("2026-01-14-newer", "Newest.", category="Policy")
    elif edit == "new page":
        blog.file("content/pages/about.md", "---\ntitle: About\n---\nAbout me.\n")
    elif edit == "deleted post":
        (blog.root / "content/posts/2026-01-11-travel.md").unlink()
        (blog.root / "content/comments/policy/c1.md").unlink()
    else:
        blog.post("2026-01-14-newer", "Newest.", category="Policy", tags="[brand-new]")
    result = blog.build(cache=cache)
    assert "rendering Markdown" not in [name for name, _ in result.stages]
    monkeypatch.undo()
    assert blog.files() == clean_build(blog.root, blog.root / "clean")


@pytest.mark.parametrize("edit", ["new post", "deleted post", "new title"])
def test_a_new_assembly_makes_only_the_files_it_may_change(site: SiteFolder, monkeypatch, edit: str):
    for day in range(1, 11):
        site.post(f"2026-01-{day:02d}-p{day:02d}", f"Post {day}.", category=f"C{day}", tags=f"[t{day}]",
                  date=f"2026-01-{day:02d} 10:00")
    cache = BuildCache(site.root)
    site.build(cache=cache)
    rendered = taking_up_the_snapshot(monkeypatch)
    keyed: list[str] = []
    real_output = BuildCache.output
    monkeypatch.setattr(BuildCache, "output", lambda self, out, on_disk, rel, *rest: keyed.append(rel) or
                        real_output(self, out, on_disk, rel, *rest))
    if edit == "new post":  # between p05 and p06, in p02's category
        site.post("2026-01-05-between", "Between.", category="C2", date="2026-01-05 12:00")
    elif edit == "deleted post":
        (site.root / "content/posts/2026-01-05-p05.md").unlink()
    else:
        site.post("2026-01-05-p05", "Post 5.", category="C5", tags="[t5]", date="2026-01-05 10:00", title="Renamed")
    site.build(cache=cache)
    neighbours = ["2026/01/05/p05/" if edit == "new post" else "2026/01/04/p04/", "2026/01/06/p06/"]
    assert all(url in rendered for url in neighbours), "the posts linking to it are made again"
    assert "2026/01/08/p08/" not in rendered and "category/c9/" not in rendered, "posts and archives it does not touch are not"
    assert len(keyed) < len(site.files()) / 2, "the files it cannot change are not even keyed"
    monkeypatch.undo()
    assert site.files() == clean_build(site.root, site.root / "clean")


RELATED_EDITS = {
    "new newest post": ("2026-01-30-newest", "category: Work\ndate: 2026-01-30 10:00\ntags: [t1]"),
    "new oldest post": ("2025-12-01-oldest", "category: Work\ndate: 2025-12-01 10:00"),
    "new post between": ("2026-01-10-between", "category: Work\ndate: 2026-01-10 12:00\ntags: [t2]"),
    "post moved to the end": ("2026-01-05-p05", "category: Work\ndate: 2026-02-01 10:00\ntags: [t1]"),
    "post retitled": ("2026-01-09-p09", "category: Work\ndate: 2026-01-09 10:00\ntitle: Renamed\ntags: [t0]"),
    "post retagged": ("2026-01-11-p11", "category: Life\ndate: 2026-01-11 10:00\ntags: [t0, t2]"),
    "post made a draft": ("2026-01-13-p13", "category: Work\ndate: 2026-01-13 10:00\ndraft: true\ntags: [t1]"),
    "post deleted": ("2026-01-15-p15", None),
}


@pytest.mark.parametrize("drafts", [False, True])
@pytest.mark.parametrize("edit", sorted(RELATED_EDITS))
def test_a_new_assembly_remakes_the_pages_whose_related_posts_change_and_only_those(site: SiteFolder, monkeypatch,
                                                                                   edit: str, drafts: bool):
    """Related posts are the nearest in date (generator/related.py): an edit reaches the lists of its neighbours only."""
    for day in range(1, 21):
        draft = "true" if day in (4, 17) else "false"
        site.post(f"2026-01-{day:02d}-p{day:02d}", f"Post {day}.", category="Work", tags=f"[t{day % 3}]", draft=draft,
                  date=f"2026-01-{day:02d} 10:00")
    cache = BuildCache(site.root)
    site.build(cache=cache, drafts=drafts)
    rendered = taking_up_the_snapshot(monkeypatch)
    name, front = RELATED_EDITS[edit]
    if front is None:
        (site.root / f"content/posts/{name}.md").unlink()
    else:
        title = "" if "title:" in front else "title: Edited\n"
        site.file(f"content/posts/{name}.md", f"---\n{title}{front}\n---\nEdited.\n")
    site.build(cache=cache, drafts=drafts)
    far = {"new newest post": "2026/01/01/p01/", "post moved to the end": "2026/01/12/p12/"}.get(edit, "2026/01/20/p20/")
    assert far not in rendered, "a post far from the edit keeps its page"
    monkeypatch.undo()
    assert site.files() == clean_build(site.root, site.root / "clean", drafts=drafts)


def test_a_new_assembly_splits_and_joins_the_sitemap_as_a_clean_build_does(site: SiteFolder, monkeypatch):
    for day in range(1, 6):
        site.post(f"2026-01-{day:02d}-p{day}", date=f"2026-01-{day:02d} 10:00")
    cache = BuildCache(site.root)
    built = site.build(cache=cache).site
    monkeypatch.setattr(generator.render, "SITEMAP_LIMIT", generator.render.sitemap_size(built))
    site.post("2026-01-06-p6", date="2026-01-06 10:00")
    with monkeypatch.context() as patched:
        taking_up_the_snapshot(patched)
        site.build(cache=cache)
    assert (site.out / "sitemap-2.xml").exists(), "one more URL than a sitemap may list: an index of two parts"
    assert site.files() == clean_build(site.root, site.root / "clean")
    for day in (5, 6):
        (site.root / f"content/posts/2026-01-{day:02d}-p{day}.md").unlink()
    with monkeypatch.context() as patched:
        taking_up_the_snapshot(patched)
        site.build(cache=cache)
    assert not list(site.out.glob("sitemap-*.xml")), "fewer URLs again: one sitemap, the parts removed"
    assert site.files() == clean_build(site.root, site.root / "clean")


def test_an_assembly_that_fails_is_reported_as_a_full_build_reports_it(blog: SiteFolder):
    cache = BuildCache(blog.root)
    blog.build(cache=cache)
    before = blog.files()
    blog.post("2026-01-10-clash", "Clash.", slug="policy", date="2026-01-10 12:00")
    with pytest.raises(SiteError, match="is also used by"):
        blog.build(cache=cache)
    assert blog.files() == before


@pytest.mark.parametrize("edit", ["static file", "settings", "template"])
def test_anything_besides_posts_pages_and_responses_means_a_full_build(blog: SiteFolder, edit: str):
    cache = BuildCache(blog.root)
    blog.build(cache=cache)
    if edit == "static file":
        blog.file("content/static/robots-note.txt", "hello")
    elif edit == "settings":
        (blog.root / "site.yaml").write_text((blog.root / "site.yaml").read_text() + "paginate: 1\n")
    elif edit == "template":
        blog.file("themes/mine/templates/_byline.html", "<p>byline</p>")
        (blog.root / "site.yaml").write_text((blog.root / "site.yaml").read_text() + "theme: mine\n")
        blog.build(cache=cache)
        blog.file("themes/mine/templates/_byline.html", "<p>another byline</p>")
    result = blog.build(cache=cache)
    assert "rendering Markdown" in [name for name, _ in result.stages]
    assert blog.files() == clean_build(blog.root, blog.root / "clean")


def test_files_with_warnings_take_up_the_snapshot_and_are_warned_of_as_a_clean_build_warns(blog: SiteFolder,
                                                                                           monkeypatch):
    blog.config(BASIC_CONFIG + "categories:\n  Policy:\n    disclaimer: true\n  Travel: {}\n")
    blog.post("2026-01-09-early", "Early.", date="2026-01-09 10:00", nonsense="1")
    cache = BuildCache(blog.root)
    blog.build(cache=cache)
    policy = {"category": "Policy", "tags": "[rules]", "date": "2026-01-10 10:00"}
    edits = [
        lambda: blog.post("2026-01-14-newer", "Newest.", category="Elsewhere", layout="post"),
        lambda: blog.post("2026-01-10-policy", "First words on policy.\n\nMore policy.", **policy, title="Renamed",
                          oops="x"),
        lambda: blog.post("2026-01-09-early", "Early.", date="2026-01-09 10:00"),
        lambda: blog.file("content/comments/travel/c2.md", COMMENT.format("Another.").replace("author:", "mood: calm\nauthor:")),
        lambda: (blog.root / "content/posts/2026-01-14-newer.md").unlink(),
    ]
    warned_of = []
    for edit in edits:
        edit()
        with monkeypatch.context() as patched:
            taking_up_the_snapshot(patched)
            warnings = blog.build(cache=cache).warnings
        expected, clean_warnings = clean_build_warned(blog.root, blog.root / "clean")
        assert warnings == clean_warnings
        assert blog.files() == expected
        warned_of.append([(problem.path.split("/")[-1], problem.message.split("'")[1]) for problem in warnings])
    assert warned_of == [
        [("2026-01-09-early.md", "nonsense"), ("2026-01-14-newer.md", "layout"), ("2026-01-14-newer.md", "Elsewhere")],
        [("2026-01-09-early.md", "nonsense"), ("2026-01-10-policy.md", "oops"), ("2026-01-14-newer.md", "layout"),
         ("2026-01-14-newer.md", "Elsewhere")],
        [("2026-01-10-policy.md", "oops"), ("2026-01-14-newer.md", "layout"), ("2026-01-14-newer.md", "Elsewhere")],
        [("2026-01-10-policy.md", "oops"), ("2026-01-14-newer.md", "layout"), ("2026-01-14-newer.md", "Elsewhere"),
         ("c2.md", "mood")],
        [("2026-01-10-policy.md", "oops"), ("c2.md", "mood")],
    ]


REPLY = "---\nauthor: Answer\ndate: 2026-01-21 09:00\nin_reply_to: c1\n---\nA reply.\n"
PINGBACK = "---\nauthor: Elsewhere\ndate: 2026-01-22 09:00\ntype: pingback\nurl: https://else.example/\n---\nLinked.\n"


@pytest.mark.parametrize("edit", ["new comment", "reply", "pingback", "comment date", "comment author", "deleted comment",
                                  "two posts"])
def test_responses_added_changed_or_removed_take_up_the_snapshot(blog: SiteFolder, monkeypatch, edit: str):
    cache = BuildCache(blog.root)
    blog.build(cache=cache)
    rendered = taking_up_the_snapshot(monkeypatch)
    if edit == "new comment":
        blog.file("content/comments/travel/c2.md", COMMENT.format("Another."))
    elif edit == "reply":
        blog.file("content/comments/policy/r1.md", REPLY)
    elif edit == "pingback":
        blog.file("content/comments/policy/p1.md", PINGBACK)
    elif edit == "comment date":
        blog.file("content/comments/policy/c1.md", COMMENT.format("A first comment.").replace("2026-01-20", "2026-02-20"))
    elif edit == "comment author":
        blog.file("content/comments/policy/c1.md", COMMENT.format("A first comment.").replace("Reader", "Renamed"))
    elif edit == "deleted comment":
        (blog.root / "content/comments/policy/c1.md").unlink()
    else:
        blog.file("content/comments/travel/c2.md", COMMENT.format("Another."))
        blog.file("content/comments/policy/r1.md", REPLY)
    result = blog.build(cache=cache)
    assert "rendering Markdown" not in [name for name, _ in result.stages]
    assert "2026/01/11/travel/" not in rendered or edit in ("new comment", "two posts")
    monkeypatch.undo()
    assert blog.files() == clean_build(blog.root, blog.root / "clean")


@pytest.mark.parametrize("restart", [False, True])
def test_a_response_added_through_the_snapshot_is_held_by_its_files_for_the_next_edit(blog: SiteFolder, monkeypatch,
                                                                                       restart: bool):
    """The files a new response is in are recorded with it, so that editing its body next remakes them."""
    cache = BuildCache(blog.root)
    blog.build(cache=None if restart else cache)
    taking_up_the_snapshot(monkeypatch)
    blog.file("content/comments/travel/c2.md", COMMENT.format("A new comment."))
    blog.build(cache=None if restart else cache)
    blog.file("content/comments/travel/c2.md", COMMENT.format("The new comment, edited."))
    result = blog.build(cache=None if restart else cache)
    assert result.written.changed >= 3  # the post's page, its two comment feeds (and the site-wide ones)
    assert "The new comment, edited." in blog.html("2026/01/11/travel/").select_one("#responses").get_text()
    assert "The new comment, edited." in blog.feed("2026/01/11/travel/comments/atom.xml").entries[0].content[0].value
    (blog.root / "content/comments/travel/c2.md").unlink()
    blog.build(cache=None if restart else cache)
    monkeypatch.undo()
    assert blog.files() == clean_build(blog.root, blog.root / "clean")


@pytest.mark.parametrize("edit", ["reply to nobody", "same anchor", "unknown post", "first response where comments are closed"])
def test_a_response_a_full_build_must_judge_goes_to_one(blog: SiteFolder, edit: str):
    cache = BuildCache(blog.root)
    blog.build(cache=cache)
    if edit == "first response where comments are closed":
        blog.post("2026-01-11-travel", "First words on trains.", category="Travel", tags="[trains]",
                  date="2026-01-11 10:00", comments="closed")
        blog.build(cache=cache)
        blog.file("content/comments/travel/c2.md", COMMENT.format("Late."))
        result = blog.build(cache=cache)
        assert "rendering Markdown" in [name for name, _ in result.stages]
        assert (blog.out / "2026/01/11/travel/comments/atom.xml").is_file()
        assert blog.files() == clean_build(blog.root, blog.root / "clean")
        return
    if edit == "reply to nobody":
        blog.file("content/comments/policy/r1.md", REPLY.replace("c1", "c9"))
        message = "no such comment"
    elif edit == "same anchor":
        blog.file("content/comments/policy/C1!.md", COMMENT.format("Clash."))
        message = "same permalink"
    else:
        blog.file("content/comments/nowhere/c1.md", COMMENT.format("Lost."))
        message = "does not exist"
    before = blog.files()
    with pytest.raises(SiteError, match=message):
        blog.build(cache=cache)
    assert blog.files() == before


def test_edits_in_a_row_across_restarts_stay_right(blog: SiteFolder):
    """Each build is a new process here (no BuildCache held): the snapshot comes from the persistent cache."""
    blog.build()
    bodies = ["Second version.", "Third version, <!--more--> with a break.", "Fourth [^1].\n\n[^1]: A footnote."]
    for number, body in enumerate(bodies):
        blog.post("2026-01-11-travel", body, category="Travel", tags="[trains]", date="2026-01-11 10:00")
        if number == 1:
            blog.file("content/comments/policy/c1.md", COMMENT.format("Edited alongside."))
        result = blog.build()
        assert "rendering Markdown" not in [name for name, _ in result.stages]
        assert blog.files() == clean_build(blog.root, blog.root / "clean")
    blog.post("2026-01-11-travel", "Fifth.", category="Travel", tags="[trains]", date="2026-01-11 10:00", title="Now a full build")
    blog.build()
    assert blog.files() == clean_build(blog.root, blog.root / "clean")
    assert blog.build().site is None, "nothing changed since: the build stops at the manifest"


def test_an_output_file_deleted_by_hand_means_a_full_build_that_restores_it(blog: SiteFolder):
    cache = BuildCache(blog.root)
    blog.build(cache=cache)
    (blog.out / "2026/01/11/travel/index.html").unlink()
    blog.post("2026-01-10-policy", "Edited.", category="Policy", tags="[rules]", date="2026-01-10 10:00")
    result = blog.build(cache=cache)
    assert "rendering Markdown" in [name for name, _ in result.stages]
    assert blog.files() == clean_build(blog.root, blog.root / "clean")


def test_a_private_output_folder_is_taken_as_the_last_build_left_it(blog: SiteFolder, monkeypatch):
    """serve's own preview folder: nothing else writes there, so it is not walked again."""
    cache = BuildCache(blog.root)
    blog.build(cache=cache, private_output=True)
    monkeypatch.setattr(generator.build, "output_stats_later", lambda out: pytest.fail("the private folder was walked"))
    blog.post("2026-01-10-policy", "Edited in the preview.", category="Policy", tags="[rules]", date="2026-01-10 10:00")
    result = blog.build(cache=cache, private_output=True)
    assert "rendering Markdown" not in [name for name, _ in result.stages]
    monkeypatch.undo()
    assert blog.files() == clean_build(blog.root, blog.root / "clean", NOW)


def test_a_build_with_other_parameters_never_takes_up_the_snapshot(blog: SiteFolder):
    cache = BuildCache(blog.root)
    blog.build(cache=cache)
    blog.post("2026-01-10-policy", "Edited.", category="Policy", tags="[rules]", date="2026-01-10 10:00")
    result = blog.build(cache=cache, drafts=True)
    assert "rendering Markdown" in [name for name, _ in result.stages]
    assert blog.html("2026/01/12/draft/").select_one("article") is not None


def test_files_touched_but_not_changed_rewrite_nothing_and_read_nothing_else(blog: SiteFolder, monkeypatch):
    cache = BuildCache(blog.root)
    blog.build(cache=cache)
    mtimes = {p: p.stat().st_mtime_ns for p in blog.out.rglob("*") if p.is_file()}
    taking_up_the_snapshot(monkeypatch)
    for path in (blog.root / "content").rglob("*.md"):
        path.write_bytes(path.read_bytes())
    result = blog.build(cache=cache)
    assert result.written.changed == 0 and result.site is not None
    assert {p: p.stat().st_mtime_ns for p in blog.out.rglob("*") if p.is_file()} == mtimes
    assert blog.build(cache=cache).site is None, "the new stats were recorded: the next build stops at the manifest"


@pytest.mark.parametrize("walkers", [1, 2, 3])
def test_the_output_folder_is_walked_by_other_processes_with_the_same_result(blog: SiteFolder, walkers: int):
    blog.build()
    later = output_stats_later(blog.out, walkers)
    assert later() == output_stats(blog.out) == later()
    with pytest.raises(ChildProcessError):  # the walking processes were waited for: none is left
        os.waitpid(-1, os.WNOHANG)
    assert output_stats_later(blog.root / "nowhere")() == output_stats(blog.root / "nowhere")


def test_a_build_that_fails_leaves_no_walking_process_behind(blog: SiteFolder):
    blog.build()
    blog.file("content/posts/2026-02-02-bad.md", "---\ntitle: Bad\ndate: next tuesday\n---\nBody.\n")
    with pytest.raises(SiteError):
        blog.build()
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)


def test_a_preview_build_keeps_the_values_the_next_build_will_need(blog: SiteFolder):
    """serve's builds (into a folder of their own, maybe for another moment) never drop stored values."""
    blog.config(BASIC_CONFIG + "comments:\n  close_after_days: 200\n")  # closed a year on: every entry changes
    blog.build()
    database = blog.root / CACHE_DIR / "cache.sqlite"

    def stored() -> set[str]:
        with sqlite3.connect(database) as db:
            return {key for (key,) in db.execute("SELECT key FROM memo")}

    before = stored()
    blog.build(NOW.replace(year=2027), output=blog.root / "preview", private_output=True)
    assert before <= stored()


def test_the_first_post_shown_after_none_reaches_the_404_pages_recent_posts(site: SiteFolder):
    """Found by the property test: with no post shown before, no old file held an entry that changed."""
    site.post("2026-01-12-draft", "Not yet.", draft="true", date="2026-01-12 10:00")
    cache = BuildCache(site.root)
    site.build(cache=cache)
    assert not site.html("404.html").select("main li")
    site.post("2026-01-13-first", "Now shown.", title="First shown", date="2026-01-13 10:00")
    site.build(cache=cache)
    assert [a.get_text() for a in site.html("404.html").select("main li a")] == ["First shown"]
    assert site.files() == clean_build(site.root, site.root / "clean")


def test_an_assembly_lent_the_last_site_equals_one_from_scratch_and_rebuilds_only_changed_entries(site: SiteFolder):
    """A new post between two others changes its neighbours' links: those three entries are built, the
    others and the archives they alone fill are the last site's own objects."""
    for day, category in ((10, "Work"), (11, "Life"), (13, "Work"), (14, "Life")):
        site.post(f"2026-01-{day}-day-{day}", f"Day {day}.", category=category, date=f"2026-01-{day} 10:00",
                  tags=f"[day-{day}]")
    site.file("content/comments/day-10/c1.md", COMMENT.format("A comment."))
    config, _ = load_config(site.root)
    before, _ = load_content(config)
    earlier = assemble_site(config, before, NOW)
    site.post("2026-01-12-day-12", "Day 12.", category="Work", date="2026-01-12 10:00")
    added = tuple(post for post in load_content(config)[0].posts if "day-12" in post.source)
    same_records = Content(before.posts + added, before.pages, before.comments, before.static_files)  # the last records
    lent = assemble_site(config, same_records, NOW, earlier=earlier)
    assert lent == assemble_site(config, same_records, NOW)
    reused = {e.post.slug for e in lent.entries if any(e is old for old in earlier.entries)}
    assert reused == {"day-10", "day-14"}, "day 11 and 13 now link to day 12"
    archives = {a.url: a for listing in lent.archives.values() for a in listing}
    old_archives = {a.url: a for listing in earlier.archives.values() for a in listing}
    assert archives["category/life/"] is not old_archives["category/life/"], "it holds day 11, rebuilt"
    assert archives["tag/day-10/"] is old_archives["tag/day-10/"] and archives["tag/day-14/"] is old_archives["tag/day-14/"]
    assert archives["tag/day-11/"] is not old_archives["tag/day-11/"]
    assert assemble_site(config, same_records, NOW, include_drafts=True, earlier=earlier) == assemble_site(
        config, same_records, NOW, include_drafts=True)


def test_a_site_assembled_again_is_pickled_aside_while_the_pages_are_made_and_the_next_build_takes_it_up(
        blog: SiteFolder, monkeypatch):
    monkeypatch.setattr(generator.cache, "ASIDE_LIMIT", 1)
    here, pickled_in = os.getpid(), []
    real_bytes = generator.cache.site_bytes

    def noting(site_or_structure):
        if isinstance(site_or_structure, Site):
            pickled_in.append(os.getpid())  # in the forked process: seen there only, so count by what it saves
        return real_bytes(site_or_structure)

    monkeypatch.setattr(generator.cache, "site_bytes", noting)
    blog.build()
    blog.post("2026-01-13-rail", "Rail news.", category="Travel", tags="[trains]", date="2026-01-13 10:00")
    blog.build()
    assert pickled_in == [here], "the first build pickles its site itself; the second has it pickled aside"
    saved = BuildCache(blog.root).snapshot(blog.out.resolve())
    assert saved is not None and "rail" in {e.post.slug for e in saved.site.entries}
    rendered = taking_up_the_snapshot(monkeypatch)
    blog.post("2026-01-13-rail", "Rail news, edited.", category="Travel", tags="[trains]", date="2026-01-13 10:00")
    blog.build()
    assert "2026/01/13/rail/" in rendered and "2026/01/10/policy/" not in rendered
    monkeypatch.undo()
    assert blog.files() == clean_build(blog.root, blog.root / "clean")


def test_a_build_failing_while_its_pages_are_made_stops_the_site_pickled_aside(blog: SiteFolder, monkeypatch):
    """The site is pickled aside from before the pages are made: a build failing meanwhile leaves no process
    behind, nothing of it saved, and the output as it was."""
    monkeypatch.setattr(generator.cache, "ASIDE_LIMIT", 1)
    blog.build()
    before = blog.files()
    blog.post("2026-01-13-rail", "Rail news.", category="Travel", tags="[trains]", date="2026-01-13 10:00")
    real_write_all, started = generator.build.write_all, []

    class Noted(generator.cache.ComputedAside):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            started.append(self)

    def failing(*args, **kwargs):
        assert len(started) == 1 and started[0].pid is not None, "pickling aside before the pages are made"
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(generator.cache, "ComputedAside", Noted)
    monkeypatch.setattr(generator.build, "write_all", failing)
    with pytest.raises(OSError):
        blog.build()
    assert started[0].pid is None
    with pytest.raises(ChildProcessError):  # the pickling process was stopped and waited for
        os.waitpid(-1, os.WNOHANG)
    assert blog.files() == before
    saved = BuildCache(blog.root).snapshot(blog.out.resolve())
    assert saved is not None and "rail" not in {e.post.slug for e in saved.site.entries}
    monkeypatch.setattr(generator.build, "write_all", real_write_all)
    blog.build()
    assert blog.files() == clean_build(blog.root, blog.root / "clean")


def test_responses_swapped_in_are_saved_as_swaps_and_done_again_by_the_next_build(blog: SiteFolder, monkeypatch):
    """A build that only changed responses saves the swaps, not the whole site; the next build (another
    process: a cache read from disk) does them again, until so many pile up that the site is saved whole."""
    blog.build()
    out = blog.out.resolve()
    wholes: list[bool] = []
    real_parts = generator.cache.snapshot_parts

    def noting(snapshot, previous, site_pickled=None):
        parts = real_parts(snapshot, previous, site_pickled)
        wholes.append(any(part == "site" for part, _ in parts))
        return parts

    monkeypatch.setattr(generator.cache, "snapshot_parts", noting)
    rendered = taking_up_the_snapshot(monkeypatch)
    expected_swaps, on = 0, {"policy": ["c1"], "travel": []}
    for number in range(RESPONSES_KEPT_APART + 2):
        post = ("policy", "travel")[number % 2]
        blog.file(f"content/comments/{post}/n{number}.md", COMMENT.format(f"Comment number {number}."))
        on[post].append(f"n{number}")
        expected_swaps += 1
        if number == 3:  # and one removed from the other post: two swaps in one build
            (blog.root / "content/comments/policy/c1.md").unlink()
            on["policy"].remove("c1")
            expected_swaps += 1
        expected_swaps = 0 if expected_swaps > RESPONSES_KEPT_APART else expected_swaps
        blog.build()
        loaded = BuildCache(blog.root).snapshot(out)
        assert loaded is not None and len(loaded.responses) == expected_swaps
        assert {e.post.slug: sorted(c.key for c in e.comments) for e in loaded.site.entries} == {
            slug: sorted(keys) for slug, keys in on.items()}
    assert wholes.count(True) == 1 and len(wholes) == RESPONSES_KEPT_APART + 2, "saved whole once, when swaps piled up"
    assert "2026/01/11/travel/" in rendered and "2026/01/10/policy/" in rendered
    monkeypatch.undo()
    assert blog.files() == clean_build(blog.root, blog.root / "clean")
