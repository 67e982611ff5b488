"""The output folder: atomic replacement, refusal of dangerous targets, determinism and escaping."""

from __future__ import annotations

import hashlib
from pathlib import Path

import feedparser
import pytest

import generator.output
from generator.cache import CACHE_DIR
from generator.errors import SiteError
from tests.conftest import BASIC_CONFIG, SiteFolder, build_problems

EVIL = "<script>alert(1)</script>"


def tree_digest(folder: Path) -> dict[str, str]:
    """Every file under `folder` with its hash and every folder, to prove nothing changed."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            for p in sorted(folder.rglob("*"))}


def outside_output(site: SiteFolder) -> set[Path]:
    """Every path near the site except the output folder, the build cache (issue 5) and what they hold."""
    allowed = (site.out, site.root / CACHE_DIR)
    return {p for p in site.root.parent.rglob("*") if not any(folder in (p, *p.parents) for folder in allowed)}


def test_a_failed_build_leaves_the_previous_output_untouched(site: SiteFolder):
    site.post("2026-01-15-hello", title="Hello")
    site.build()
    before = tree_digest(site.out)
    site.post("2026-01-16-second", title="Second", date="2026-01-16")
    site.post("2026-01-17-broken", title="Broken", date="not a date")
    build_problems(site)
    assert tree_digest(site.out) == before


def test_a_build_failing_while_writing_leaves_the_output_untouched(site: SiteFolder):
    site.post("2026-01-15-hello", title="Hello")
    site.build()
    before = tree_digest(site.out)
    site.post("2026-01-16-second", title="Second", date="2026-01-16")
    site.file("content/static/index.html", "<p>collides with the home page</p>")
    build_problems(site)
    assert tree_digest(site.out) == before
    fresh = site.root.parent / "fresh"
    build_problems(site, output=fresh)
    assert not fresh.exists()


def test_files_a_stopped_build_left_staged_in_the_output_are_removed_by_the_next(site: SiteFolder):
    site.post("2026-01-15-hello", title="Hello")
    site.build()
    (site.out / ".index.html.deskpress-new").write_text("half a home page")
    (site.out / "2026/01/15/hello/.index.html.deskpress-new").write_text("half a post")
    site.post("2026-01-16-second", title="Second", date="2026-01-16")
    site.build()
    site.build(output=site.root.parent / "clean", use_cache=False)
    assert tree_digest(site.out) == tree_digest(site.root.parent / "clean")


def test_a_file_named_like_a_staged_one_is_refused(site: SiteFolder):
    site.post("2026-01-15-hello", title="Hello")
    site.file("content/static/notes.txt.deskpress-new", "mine")
    assert build_problems(site) == [
        "notes.txt.deskpress-new: a file name ending in .deskpress-new is kept for deskpress's own use; rename it"]


def test_a_rebuild_removes_pages_that_no_longer_exist(site: SiteFolder):
    site.post("2026-01-15-hello", title="Hello")
    gone = site.post("2026-01-16-gone", title="Gone", date="2026-01-16")
    site.build()
    assert (site.out / "2026/01/16/gone/index.html").is_file()
    gone.unlink()
    site.build()
    assert not (site.out / "2026/01/16").exists()
    assert "Gone" not in site.read("index.html")


@pytest.mark.parametrize("target, message", [
    (".", "must not be the site folder or contain it"),
    ("..", "must not be the site folder or contain it"),
    ("content", "must not lie inside content/"),
    ("content/posts/out", "must not lie inside content/"),
    ("themes/out", "must not lie inside themes/"),
])
def test_dangerous_output_folders_are_refused(site: SiteFolder, target: str, message: str):
    site.post("2026-01-15-hello", title="Hello")
    before = tree_digest(site.root.parent)
    problems = build_problems(site, output=site.root / target)
    assert len(problems) == 1 and message in problems[0]
    assert tree_digest(site.root.parent) == before


def test_a_foreign_non_empty_folder_is_refused(site: SiteFolder):
    site.post("2026-01-15-hello", title="Hello")
    foreign = site.root.parent / "documents"
    foreign.mkdir()
    (foreign / "thesis.txt").write_text("years of work")
    assert "not empty and was not made by deskpress" in build_problems(site, output=foreign)[0]
    assert [p.name for p in foreign.iterdir()] == ["thesis.txt"]


def test_a_build_never_touches_content(site: SiteFolder):
    site.post("2026-01-15-hello", title="Hello")
    site.file("content/static/a.txt", "static")
    site.file("content/pages/about.md", "---\ntitle: About\n---\nHi.\n")
    before = tree_digest(site.root / "content")
    site.build()
    site.build()
    assert tree_digest(site.root / "content") == before


def test_nothing_is_written_outside_the_output_folder(site: SiteFolder):
    site.post("2026-01-15-hello", title="Hello")
    before = outside_output(site)
    site.build()
    assert outside_output(site) == before


def test_builds_are_byte_identical(site: SiteFolder):
    site.file("content/pages/about.md", "---\ntitle: About\n---\nHi.\n")
    for day in range(1, 8):
        site.post(f"2026-01-{day:02d}-p{day}", title=f"P{day}", date=f"2026-01-{day:02d}", tags="[b, a]")
    first = site.build(output=site.root.parent / "one")
    site.build(output=site.root.parent / "two")
    assert tree_digest(site.root.parent / "one") == tree_digest(site.root.parent / "two")
    assert first.written.files > 30
    again = site.build(output=site.root.parent / "one")
    assert (again.written.changed, again.written.removed) == (0, 0)


def test_titles_and_metadata_are_escaped_everywhere(site: SiteFolder):
    site.config((site.root / "site.yaml").read_text()
                .replace("title: Test Blog", f'title: "Blog {EVIL}"')
                .replace("name: Bo Writer", f'name: "Bo {EVIL}"'))
    site.post("2026-01-15-evil", title=f'"Title {EVIL}"', author="bo", category=f'"Cat {EVIL}"',
              tags=f'["tag {EVIL}"]', summary=f'"Summary {EVIL}"')
    site.build()
    files = site.files()
    assert len(files) > 20
    for rel, data in files.items():
        assert EVIL.encode() not in data, rel
    page = site.html("2026/01/15/evil/")
    assert page.find("h1").get_text() == f"Title {EVIL}"
    assert page.title.get_text() == f"Title {EVIL} | Blog {EVIL}"
    assert page.select_one(".byline .author").get_text() == f"Bo {EVIL}"
    assert page.select_one('meta[name="description"]')["content"] == f"Summary {EVIL}"
    feed = feedparser.parse(site.read("atom.xml"))
    assert feed.entries[0].title == f"Title {EVIL}"
    assert feed.feed.title == f"Blog {EVIL}"


def test_raw_html_in_a_post_body_is_kept(site: SiteFolder):
    site.post("2026-01-15-raw", title="Raw", body='<figure class="wide"><figcaption>Trusted</figcaption></figure>')
    site.build()
    assert site.html("2026/01/15/raw/").select_one("figure.wide figcaption").get_text() == "Trusted"


def test_a_description_is_escaped_once(site: SiteFolder):
    site.post("2026-01-15-amp", title="Amp", body="Fish & chips <em>forever</em>.")
    site.build()
    page = site.html("2026/01/15/amp/")
    assert page.select_one('meta[name="description"]')["content"] == "Fish & chips forever."


def test_an_output_path_that_is_a_file_is_refused(site: SiteFolder):
    site.post("2026-01-15-hello", title="Hello")
    target = site.root.parent / "a-file"
    target.write_text("keep me")
    with pytest.raises(SiteError, match="exists and is not a folder"):
        site.build(output=target)
    assert target.read_text() == "keep me"


def test_names_that_look_like_paths_stay_inside_the_output(site: SiteFolder):
    site.post("2026-01-15-hello", title="Hello", category='"../../outside"', tags='["..", "a/b", "/etc/passwd"]')
    before = outside_output(site)
    site.build()
    assert outside_output(site) == before
    assert [a["href"] for a in site.html("2026/01/15/hello/").select(".tags a")] == ["/tag/untitled/", "/tag/a-b/", "/tag/etc-passwd/"]
    assert (site.out / "category/outside/index.html").is_file()


def test_files_replaced_by_threads_side_by_side_end_up_as_a_clean_build_makes_them(site: SiteFolder, monkeypatch):
    """Many replaced files are moved into place by several threads (output._replaced_beside)."""
    monkeypatch.setattr(generator.output, "RENAMES_SHARED", 1)
    for day in range(10, 20):
        site.post(f"2026-01-{day}-day", f"Day {day}.", date=f"2026-01-{day} 10:00")
    site.build()
    site.config(BASIC_CONFIG.replace("tagline: Tests & more", "tagline: Tests and more"))
    before = tree_digest(site.out)
    site.build()
    after = tree_digest(site.out)
    replaced = {rel for rel, digest in after.items() if rel in before and before[rel] != digest}
    assert len(replaced) > 20 and not any(rel.endswith(".deskpress-new") for rel in after)
    clean = site.root.parent / "clean"
    site.build(output=clean, use_cache=False)
    assert after == tree_digest(clean)
