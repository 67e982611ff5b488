"""A rebuild with nothing changed stops after looking at file metadata, and is never wrong for it.

Each test builds a tiny site, changes one thing a build depends on (a file, a setting, the clock,
the output), and checks that the next build notices: it rebuilds and writes what a clean build writes.
"""

from __future__ import annotations

import os
import pickle
import re
import shutil
import sqlite3
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

import generator.build
import generator.cache
import generator.prepare
import generator.content
import generator.inputs
import generator.manifest
from generator.build import BuildResult, build
from generator.cache import CACHE_DIR, BuildCache
from generator.cli import main
from generator.errors import SiteError
from generator.serve import PreviewOptions, PreviewState, Rebuilder
from generator.theme import default_theme_dir
from generator.watch import Debouncer, _Forwarder
from tests.conftest import BASIC_CONFIG, NOW, SiteFolder
from tests.test_incremental import clean_build

SHORTCUT = "checking for changes"
BYLINE = (default_theme_dir() / "templates" / "_byline.html").read_text(encoding="utf-8")


def took_shortcut(result: BuildResult) -> bool:
    names = [name for name, _ in result.stages]
    return result.site is None and names[-1] == SHORTCUT and "reading content" not in names


def rebuilt(result: BuildResult) -> bool:
    return result.site is not None and "reading content" in [name for name, _ in result.stages]


def matches_clean_build(site: SiteFolder, out: Path | None = None) -> bool:
    out = out or site.out
    files = {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    return files == clean_build(site.root, site.root.parent / "clean")


def make_old(path: Path, days: int = 10) -> None:
    """Give a file an mtime long past (its ctime stays recent: that cannot be set)."""
    moment = time.time() - days * 86400
    os.utime(path, (moment, moment))


@pytest.fixture
def blog(site: SiteFolder) -> SiteFolder:
    site.post("2026-01-15-one", "First body.", tags="[work]")
    site.post("2026-02-01-two", "Second body.")
    site.file("content/comments/one/c1.md", "---\nauthor: Reader\ndate: 2026-01-16\n---\nNice.\n")
    site.file("content/static/files/note.txt", "A static file.\n")
    return site


def test_a_rebuild_with_nothing_changed_reads_and_writes_nothing(blog: SiteFolder, monkeypatch):
    first = blog.build()
    mtimes = {p: p.stat().st_mtime_ns for p in blog.out.rglob("*")}

    def must_not_run(*args, **kwargs):
        raise AssertionError("the shortcut parsed a file")

    monkeypatch.setattr(generator.prepare, "load_content", must_not_run)
    monkeypatch.setattr(generator.content, "_load_one", must_not_run)
    again = blog.build()
    assert took_shortcut(again)
    assert (again.written.changed, again.written.removed) == (0, 0)
    assert (again.written.files, again.written.feeds) == (first.written.files, first.written.feeds)
    assert again.summary == first.summary and again.warnings == first.warnings
    assert {p: p.stat().st_mtime_ns for p in blog.out.rglob("*")} == mtimes


def test_the_shortcut_survives_a_restart_through_the_persistent_cache(blog: SiteFolder):
    blog.build(cache=BuildCache(blog.root))
    assert took_shortcut(blog.build(cache=BuildCache(blog.root)))
    assert took_shortcut(blog.build())


def test_the_site_folder_named_relatively_or_absolutely_is_one_site(blog: SiteFolder, monkeypatch):
    """`deskpress build` in the folder and `deskpress build --site PATH` from elsewhere share their record."""
    blog.build()
    monkeypatch.chdir(blog.root.parent)
    relative = Path(blog.root.name)
    assert took_shortcut(build(relative, NOW, output=blog.out))
    monkeypatch.chdir(blog.root)
    assert took_shortcut(build(Path("."), NOW, output=blog.out))
    assert took_shortcut(blog.build())


def test_a_same_size_edit_with_the_old_mtime_restored_is_seen_by_its_ctime(blog: SiteFolder, monkeypatch):
    monkeypatch.setattr(generator.inputs, "RACY_NS", 0)  # no file counts as racy: the stat alone must tell
    post = blog.root / "content/posts/2026-01-15-one.md"
    make_old(post)
    blog.build()
    before = post.stat()
    time.sleep(0.05)  # past the file system's timestamp granularity
    post.write_bytes(post.read_bytes().replace(b"First body.", b"Fixed body."))
    os.utime(post, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (post.stat().st_size, post.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    assert rebuilt(blog.build())
    assert "Fixed body." in blog.read("2026/01/15/one/index.html")
    assert matches_clean_build(blog)


def test_a_racy_file_is_compared_by_its_contents(blog: SiteFolder, monkeypatch):
    """An edit within the timestamp granularity can leave the whole stat equal: recent files are digested."""
    def without_ctime(entry: os.DirEntry) -> tuple[int, int, int, int]:
        stat = entry.stat()
        return stat.st_size, stat.st_mtime_ns, 0, stat.st_ino

    monkeypatch.setattr(generator.inputs, "_stat", without_ctime)
    post = blog.root / "content/posts/2026-01-15-one.md"
    blog.build()
    assert took_shortcut(blog.build())
    before = post.stat()
    post.write_bytes(post.read_bytes().replace(b"First body.", b"Fixed body."))
    os.utime(post, ns=(before.st_atime_ns, before.st_mtime_ns))  # as if written in the same clock tick
    assert rebuilt(blog.build())
    assert "Fixed body." in blog.read("2026/01/15/one/index.html")
    assert matches_clean_build(blog)


def test_only_recent_files_are_digested(blog: SiteFolder):
    post = blog.root / "content/posts/2026-02-01-two.md"
    make_old(post)
    inputs = generator.inputs.take_inputs(blog.root, (default_theme_dir(),))
    racy = inputs.racy()
    assert str(blog.root / "content/posts/2026-01-15-one.md") in racy
    assert str(post) in racy  # its mtime is old, but os.utime just changed its ctime
    assert set(inputs.digests) == set(racy)
    future = time.time_ns() + 10 * generator.inputs.RACY_NS
    assert not generator.inputs.Inputs(inputs.stats, future).racy()


def test_files_no_longer_racy_are_trusted_by_their_stat_after_one_check(blog: SiteFolder, monkeypatch):
    blog.build()
    manifest = BuildCache(blog.root).manifest(blog.out.resolve())
    assert manifest is not None and str(blog.root / "site.yaml") in manifest.inputs.digests
    monkeypatch.setattr(generator.inputs, "RACY_NS", 0)  # as if every file were now old
    assert took_shortcut(blog.build())
    assert BuildCache(blog.root).manifest(blog.out.resolve()).inputs.digests == {}

    def must_not_read(path: str):
        raise AssertionError(f"read {path}")

    monkeypatch.setattr(generator.inputs, "file_digest", must_not_read)
    monkeypatch.setattr(generator.manifest, "file_digest", must_not_read)
    assert took_shortcut(blog.build())
    blog.post("2026-01-15-one", "Edited body.", tags="[work]")
    monkeypatch.undo()
    assert rebuilt(blog.build())
    assert matches_clean_build(blog)


EDITS = {
    "add a post": lambda s: s.post("2026-03-01-three", "Third body."),
    "delete a post": lambda s: (s.root / "content/posts/2026-02-01-two.md").unlink(),
    "add a comment": lambda s: s.file("content/comments/two/c2.md", "---\nauthor: Other\ndate: 2026-02-02\n---\nHi.\n"),
    "delete a comment": lambda s: (s.root / "content/comments/one/c1.md").unlink(),
    "edit a static file": lambda s: s.file("content/static/files/note.txt", "Changed static file.\n"),
    "add a static file": lambda s: s.file("content/static/files/new.txt", "New.\n"),
    "edit site.yaml": lambda s: s.config(BASIC_CONFIG.replace("title: Test Blog", "title: Renamed Blog")),
    "edit a theme template": lambda s: s.file("themes/default/templates/_byline.html", BYLINE + "<!-- edited -->\n"),
}


@pytest.mark.parametrize("edit", EDITS, ids=list(EDITS))
def test_every_kind_of_input_change_is_noticed(blog: SiteFolder, edit: str):
    blog.build()
    assert took_shortcut(blog.build())
    EDITS[edit](blog)
    assert rebuilt(blog.build())
    assert matches_clean_build(blog)
    assert took_shortcut(blog.build())


def test_a_scheduled_post_goes_out_when_its_date_passes_though_no_file_changed(blog: SiteFolder):
    blog.post("2026-07-01-later", "Scheduled body.", date="2026-07-01 09:00")
    first = blog.build()
    assert first.summary.next_scheduled == datetime(2026, 7, 1, 9, 0, tzinfo=timezone.utc)
    assert not (blog.out / "2026/07/01/later/index.html").exists()
    assert took_shortcut(blog.build(now=datetime(2026, 7, 1, 8, 59, tzinfo=timezone.utc)))
    due = blog.build(now=datetime(2026, 7, 1, 9, 0, tzinfo=timezone.utc))
    assert rebuilt(due) and due.summary.next_scheduled is None
    assert "Scheduled body." in blog.read("2026/07/01/later/index.html")


def test_comments_close_when_the_limit_passes_though_no_file_changed(blog: SiteFolder):
    blog.config(BASIC_CONFIG + "comments:\n  reply: mailto:letters@example.com\n  close_after_days: 30\n")
    blog.post("2026-05-20-recent", "Recent body.", date="2026-05-20 10:00")
    page = "2026/05/20/recent/"
    blog.build()
    assert blog.html(page).select_one(".reply a[href^='mailto:']")
    limit = datetime(2026, 6, 19, 10, 0, tzinfo=timezone.utc)
    assert took_shortcut(blog.build(now=limit))
    closed = blog.build(now=limit + timedelta(microseconds=1))
    assert rebuilt(closed)
    assert blog.html(page).select_one(".comments-closed").get_text() == "Comments are closed."


def test_a_build_for_an_earlier_moment_is_not_taken_from_a_later_one(blog: SiteFolder):
    blog.post("2026-05-01-may", "May body.", date="2026-05-01 09:00")
    blog.build()
    earlier = blog.build(now=datetime(2026, 4, 1, tzinfo=timezone.utc))
    assert rebuilt(earlier) and earlier.summary.next_scheduled == datetime(2026, 5, 1, 9, 0, tzinfo=timezone.utc)
    assert not (blog.out / "2026/05/01/may/index.html").exists()


@pytest.mark.parametrize("damage", ["edit", "delete", "add", "touch"])
def test_a_changed_output_folder_is_rebuilt_and_restored(blog: SiteFolder, damage: str):
    blog.build()
    page = blog.out / "2026/01/15/one/index.html"
    if damage == "edit":
        page.write_bytes(page.read_bytes().replace(b"First", b"Fiddl"))
    elif damage == "delete":
        page.unlink()
    elif damage == "add":
        (blog.out / "stray.html").write_text("not ours")
    else:
        os.utime(page, ns=(page.stat().st_atime_ns, page.stat().st_mtime_ns - 10**9))
    assert rebuilt(blog.build())
    assert matches_clean_build(blog)


def test_other_parameters_mean_a_full_build(blog: SiteFolder):
    blog.post("2026-03-01-draft", "Draft body.", draft="true", date="2026-03-01 10:00")
    blog.build()
    drafts = blog.build(drafts=True)
    assert rebuilt(drafts) and (blog.out / "2026/03/01/draft/index.html").exists()
    assert took_shortcut(blog.build(drafts=True))
    assert rebuilt(blog.build())
    assert not (blog.out / "2026/03/01/draft/index.html").exists()
    elsewhere = blog.root / "elsewhere"
    assert rebuilt(blog.build(output=elsewhere))
    assert took_shortcut(blog.build(output=elsewhere))
    assert took_shortcut(blog.build())
    assert rebuilt(blog.build(fast_markdown=False)) and rebuilt(blog.build(fast_markdown=True))


def test_the_warnings_of_the_recorded_build_are_reported_again(blog: SiteFolder):
    blog.config(BASIC_CONFIG + "colour: blue\n")
    blog.post("2026-01-15-one", "First body.", mood="happy")
    first = blog.build()
    again = blog.build()
    assert took_shortcut(again)
    assert again.warnings == first.warnings
    assert sorted(str(w) for w in again.warnings) == [
        "content/posts/2026-01-15-one.md:2: warning: unknown key 'mood'",
        "site.yaml:16: warning: unknown key 'colour'",
    ]


def test_no_cache_neither_uses_nor_writes_the_manifest(blog: SiteFolder):
    assert rebuilt(blog.build(use_cache=False))
    assert not (blog.root / CACHE_DIR).exists()
    assert rebuilt(blog.build())
    assert rebuilt(blog.build(use_cache=False))
    assert took_shortcut(blog.build())


def test_a_damaged_manifest_means_a_full_build(blog: SiteFolder):
    def manifest_file() -> Path:
        with sqlite3.connect(blog.root / CACHE_DIR / "cache.sqlite") as db:
            (name,) = db.execute("SELECT file FROM manifests").fetchone()
        return blog.root / CACHE_DIR / "records" / name

    blog.build()
    manifest_file().write_bytes(b"not a pickle")
    assert rebuilt(blog.build())
    manifest_file().write_bytes(pickle.dumps({"an": "old format"}))
    assert rebuilt(blog.build())
    manifest_file().unlink()
    assert rebuilt(blog.build())
    with sqlite3.connect(blog.root / CACHE_DIR / "cache.sqlite") as db:
        db.execute("UPDATE manifests SET code = ?", ("another version of deskpress",))
    assert rebuilt(blog.build())
    assert took_shortcut(blog.build())
    assert matches_clean_build(blog)


def test_the_cache_keeps_exactly_the_record_files_its_database_names(blog: SiteFolder, monkeypatch):
    """Manifests and snapshots are files the database names: each build's replace the last one's, a build
    that fails or whose transaction fails leaves none behind, and one left by a build that stopped
    before committing goes once it is old enough that no running build can still commit it."""
    records = blog.root / CACHE_DIR / "records"

    def named() -> set[str]:
        with sqlite3.connect(blog.root / CACHE_DIR / "cache.sqlite") as db:
            return {name for table in ("manifests", "snapshots") for (name,) in db.execute(f"SELECT file FROM {table}")}

    def on_disk() -> set[str]:
        return {path.name for path in records.iterdir()}

    blog.build()
    first = named()
    assert len(first) == 4 and on_disk() == first  # the manifest; the snapshot's keys, site and structure
    monkeypatch.setattr(generator.inputs, "RACY_NS", 0)  # no file racy now: the manifest is kept settled
    assert took_shortcut(blog.build())
    assert on_disk() == named() and len(named() - first) == 1
    monkeypatch.undo()
    blog.post("2026-03-01-three", "Third body.")
    assert rebuilt(blog.build())
    assert on_disk() == named() and len(named() & first) == 0
    blog.post("2026-03-02-bad", "Broken.", author="nobody")
    with pytest.raises(SiteError):
        blog.build()
    assert on_disk() == named()
    (blog.root / "content/posts/2026-03-02-bad.md").unlink()
    before = named()
    monkeypatch.setattr(generator.cache.BuildCache, "_forget_folders_gone", lambda *args: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        blog.build(output=blog.root / "elsewhere")
    monkeypatch.undo()
    assert named() == before and on_disk() == before
    stopped, fresh = records / "0123456789abcdef.pickle", records / "fedcba9876543210.pickle"
    stopped.write_bytes(b"written by a build that stopped")
    fresh.write_bytes(b"written by a build still running")
    make_old(stopped, days=1)
    blog.post("2026-03-03-four", "Fourth body.")
    assert rebuilt(blog.build())
    assert on_disk() == named() | {fresh.name}
    assert matches_clean_build(blog)


def test_a_failed_build_keeps_the_last_manifest(blog: SiteFolder):
    """A failed build leaves the output as it was, so undoing the mistake is again "nothing changed"."""
    blog.build()
    bad = blog.post("2026-03-01-bad", "Broken.", author="nobody")
    with pytest.raises(SiteError, match="unknown author"):
        blog.build()
    bad.unlink()
    assert took_shortcut(blog.build())
    assert matches_clean_build(blog)
    blog.post("2026-03-01-bad", "Fixed.")
    assert rebuilt(blog.build())
    assert matches_clean_build(blog)


def test_the_cli_prints_the_same_summary_and_profiles_the_shortcut(blog: SiteFolder):
    blog.post("2099-07-01-later", "Scheduled.", date="2099-07-01 09:00")

    def run(*extra: str) -> list[str]:
        result = CliRunner().invoke(main, ["build", "--site", str(blog.root), "--jobs", "1", *extra])
        assert result.exit_code == 0, result.output
        return result.output.splitlines()

    def without_counts(line: str) -> str:
        return re.sub(r"\d+ of (\d+) files changed, (\d+) removed, in [\d.]+s", r"\1 files, in", line)

    first, again = run(), run("--profile")
    assert without_counts(again[0]) == without_counts(first[0])
    assert again[0].startswith("Built 2 posts, 0 pages, ") and " 0 of " in again[0] and ", 0 removed" in again[0]
    assert again[1] == first[1] == "next scheduled post: 2099-07-01T09:00:00+00:00"
    assert any(SHORTCUT in line for line in again[2:]) and not any("reading content" in line for line in again)


def test_a_rebuild_reads_only_the_sources_that_changed(blog: SiteFolder, monkeypatch):
    monkeypatch.setattr(generator.inputs, "RACY_NS", 0)  # no file counts as racy: the stat alone must tell
    blog.build()
    blog.post("2026-02-01-two", "Second body, edited.")
    read: list[bytes] = []
    original = generator.content.source_version
    monkeypatch.setattr(generator.content, "source_version", lambda raw: read.append(raw) or original(raw))
    again = blog.build()
    assert rebuilt(again) and read and all(b"Second body, edited." in raw for raw in read)
    assert matches_clean_build(blog)


def site_relative(root: Path, paths) -> set[str]:
    return {Path(path).relative_to(root).as_posix() for path in paths if Path(path).is_relative_to(root)}


@pytest.mark.parametrize("edit", [*EDITS, "delete a comment folder"])
def test_the_inputs_updated_with_a_watchers_changes_are_what_a_full_look_finds(blog: SiteFolder, edit: str):
    """`serve` stats again only what its watcher reported (a file, or a folder gone with what it held)."""
    before = generator.inputs.take_inputs(blog.root, (default_theme_dir(),))
    if edit == "delete a comment folder":
        shutil.rmtree(blog.root / "content/comments/one")
        reported = {"content/comments/one"}
    else:
        EDITS[edit](blog)
        after = generator.inputs.take_inputs(blog.root, (default_theme_dir(),))
        reported = site_relative(blog.root, {path for path in before.stats.keys() | after.stats.keys()
                                             if before.stats.get(path) != after.stats.get(path)})
        assert reported, "the edit changed some file"
    updated = before.updated(blog.root, reported)
    assert updated is not None
    assert updated.stats == generator.inputs.take_inputs(blog.root, (default_theme_dir(),)).stats
    assert set(updated.digests) == set(updated.racy())


def test_a_new_folder_or_a_linked_one_means_a_full_look(blog: SiteFolder, tmp_path: Path):
    before = generator.inputs.take_inputs(blog.root, (default_theme_dir(),))
    blog.file("content/comments/two/c1.md", "---\nauthor: Other\ndate: 2026-02-02\n---\nHi.\n")
    assert before.updated(blog.root, {"content/comments/two"}) is None, "what the new folder holds is not known"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "post.md").write_text("---\ntitle: Linked\ndate: 2026-01-01\n---\nBody.\n", encoding="utf-8")
    (blog.root / "content/posts/2026-01-01-linked.md").symlink_to(elsewhere / "post.md")
    assert before.updated(blog.root, {"content/posts/2026-01-01-linked.md"}) is None, "its target is not watched"
    (blog.root / "content/posts/2026-01-01-linked.md").unlink()
    (blog.root / "content/pages").symlink_to(elsewhere, target_is_directory=True)
    linked = generator.inputs.take_inputs(blog.root, (default_theme_dir(),))
    assert linked.through_links and linked.updated(blog.root, {"content/posts/2026-01-15-one.md"}) is None


def test_the_cli_takes_the_inputs_in_another_process_while_it_loads_the_pipeline(blog: SiteFolder, monkeypatch):
    def taken_here(*args):
        raise AssertionError("the build's own process stat'ed the inputs")

    blog.build()
    monkeypatch.setattr(generator.build, "take_inputs", taken_here)
    for _ in range(2):
        result = CliRunner().invoke(main, ["build", "--site", str(blog.root), "--profile"])
        assert result.exit_code == 0, result.output
    assert " 0 of " in result.output.splitlines()[0] and SHORTCUT in result.output


class TakenBefore:
    """Inputs taken (as by inputs_taken_aside) before the files changed."""

    def __init__(self, root: Path):
        self.inputs = generator.inputs.take_inputs(root, (default_theme_dir(),))

    def __call__(self) -> generator.inputs.Inputs:
        return self.inputs

    def stop(self) -> None:
        pass


def test_inputs_taken_before_an_edit_never_hide_it_from_the_next_build(blog: SiteFolder, monkeypatch):
    monkeypatch.setattr(generator.inputs, "RACY_NS", 0)  # no file is read to be sure: only the stats tell
    blog.build()
    blog.post("2026-01-15-one", "Edited before the inputs were taken.")
    taken = TakenBefore(blog.root)
    time.sleep(0.05)  # past the file system's timestamp granularity
    blog.post("2026-01-15-one", "Edited again while they were taken.")
    assert rebuilt(build(blog.root, NOW, output=blog.out, inputs_taken=taken))  # type: ignore[arg-type]
    assert "Edited again while they were taken." in blog.read("2026/01/15/one/index.html")
    assert rebuilt(blog.build()), "the second edit is newer than the inputs recorded"
    assert took_shortcut(blog.build())
    assert matches_clean_build(blog)


def test_the_cli_offers_every_kind_of_response():
    import generator.cli

    assert generator.cli.COMMENT_TYPES == generator.content.COMMENT_TYPES


def test_serve_rebuilds_from_the_watchers_changes_and_keeps_those_of_a_failed_build(blog: SiteFolder, tmp_path: Path,
                                                                                    monkeypatch):
    options = PreviewOptions(root=blog.root)
    rebuilder = Rebuilder(options, tmp_path / "preview", PreviewState(), lambda: NOW)
    monkeypatch.setattr(generator.inputs, "RACY_NS", 0)  # no file is read to be sure: only the stats tell
    assert rebuilder(frozenset()).ok
    looked_at: list[int] = []
    full_look = generator.inputs.take_inputs
    monkeypatch.setattr(generator.build, "take_inputs", lambda *args: looked_at.append(1) or full_look(*args))
    post = "content/posts/2026-01-15-one.md"
    blog.post("2026-01-15-one", "Edited in the preview.", tags="[work]")
    blog.config(BASIC_CONFIG.replace("title: Test Blog", "title: [unclosed"))
    assert not rebuilder(frozenset({post, "site.yaml"})).ok
    blog.config(BASIC_CONFIG)
    assert rebuilder(frozenset({"site.yaml"})).ok, "the post edited before the failure is looked at again too"
    assert not looked_at, "no full look at the inputs"
    files = {p.relative_to(tmp_path / "preview").as_posix(): p.read_bytes()
             for p in sorted((tmp_path / "preview").rglob("*")) if p.is_file()}
    assert files == clean_build(blog.root, tmp_path / "clean")
    assert b"Edited in the preview." in files["2026/01/15/one/index.html"]


def test_events_the_watcher_lost_mean_a_full_look(blog: SiteFolder):
    events = pytest.importorskip("watchdog.events")
    debouncer = Debouncer(lambda batch: None)
    forwarder = _Forwarder(blog.root, debouncer, None)
    forwarder.on_any_event(events.EventsLostEvent(str(blog.root / "content"), is_directory=True))
    assert debouncer.pending
    inputs = generator.inputs.take_inputs(blog.root, (default_theme_dir(),))
    assert inputs.updated(blog.root, debouncer.pending) is None
