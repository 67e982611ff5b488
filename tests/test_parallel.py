"""Building over several processes gives the bytes one process gives, and reports errors the same way."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

import generator.cache
import generator.parallel
from benchmarks.corpus import write_corpus
from generator.aside import ComputedAside
from generator.build import build
from generator.cache import BuildCache
from generator.cli import main
from generator.content import Comment, Post
from generator.errors import SiteError
from generator.markdown import RenderedBody
from generator.parallel import ForkedMap, map_forked
from tests.conftest import NOW


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def pool_always(monkeypatch):
    """Use the workers even for a small site, in several batches, and count how often they start."""
    monkeypatch.setattr(generator.parallel, "SERIAL_LIMIT", 2)
    monkeypatch.setattr(generator.parallel, "CHUNK", 7)
    monkeypatch.setattr(generator.parallel, "BATCH", 50)  # pages and feeds made over several forks
    monkeypatch.setattr(generator.cache, "ENSURE_BATCH", 9)  # and Markdown rendered so too
    starts = []
    real = generator.parallel.start_worker

    def counting(*args, **kwargs):
        starts.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(generator.parallel, "start_worker", counting)
    return starts


def test_two_workers_build_the_bytes_one_process_builds(tmp_path: Path, pool_always):
    site = write_corpus(tmp_path / "site", 30)
    build(site, NOW, output=tmp_path / "one", jobs=1, use_cache=False)
    assert not pool_always
    build(site, NOW, output=tmp_path / "two", jobs=2, use_cache=False)
    assert len(pool_always) >= 2, "parsing and writing should both have used the workers"
    one, two = tree(tmp_path / "one"), tree(tmp_path / "two")
    assert len(one) > 100
    assert one == two


def test_workers_update_an_existing_output_folder_file_by_file(tmp_path: Path, pool_always):
    site = write_corpus(tmp_path / "site", 20)
    out = tmp_path / "out"
    build(site, NOW, output=out, jobs=2)
    post = sorted((site / "content" / "posts").glob("*.md"))[5]
    post.write_text(post.read_text(encoding="utf-8") + "\nA sentence added later.\n", encoding="utf-8")
    build(site, NOW, output=out, jobs=2)
    build(site, NOW, output=tmp_path / "clean", jobs=1, use_cache=False)
    assert tree(out) == tree(tmp_path / "clean")
    assert any(b"A sentence added later." in data for data in tree(out).values())


def test_a_template_error_in_a_worker_names_the_template_line(tmp_path: Path, pool_always):
    site = write_corpus(tmp_path / "site", 10)
    theme = site / "themes" / "mine" / "templates"
    theme.mkdir(parents=True)
    (theme / "post.html").write_text('{% extends "base.html" %}\n{% block content %}\n{{ no_such_value }}\n{% endblock %}\n',
                                     encoding="utf-8")
    (site / "site.yaml").write_text((site / "site.yaml").read_text(encoding="utf-8") + "theme: mine\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["build", "--site", str(site), "--jobs", "2"])
    assert result.exit_code == 1
    assert "post.html:3: template error" in result.output
    assert "Traceback" not in result.output
    assert not (site / "public").exists()


def test_a_broken_source_file_is_reported_from_a_worker_like_from_this_process(tmp_path: Path, pool_always):
    site = write_corpus(tmp_path / "site", 12)
    post = sorted((site / "content" / "posts").glob("*.md"))[3]
    post.write_text(post.read_text(encoding="utf-8").replace("title:", "title: [unclosed", 1), encoding="utf-8")
    with pytest.raises(SiteError) as one:
        build(site, NOW, jobs=1, use_cache=False)
    with pytest.raises(SiteError) as two:
        build(site, NOW, jobs=2, use_cache=False)
    assert [str(p) for p in one.value.problems] == [str(p) for p in two.value.problems]
    assert post.name in str(two.value.problems[0])


def test_map_forked_keeps_the_order_and_raises_the_workers_problems(pool_always):
    assert map_forked(lambda n: n * n, 50, 2) == [n * n for n in range(50)]

    def failing(n: int) -> int:
        if n in (3, 40):
            from generator.errors import error
            raise SiteError([error(f"item{n}", 1, "bad")])
        return n

    with pytest.raises(SiteError) as raised:
        map_forked(failing, 50, 2)
    assert [p.path for p in raised.value.problems] == ["item3", "item40"]


def test_map_forked_shares_the_items_between_this_process_and_one_worker_for_two_jobs(pool_always):
    import os
    import time
    here = os.getpid()

    def slow(n: int) -> int:
        time.sleep(0.01)
        return os.getpid()

    pids = map_forked(slow, 60, 2)
    assert len(pool_always) == 1, "two jobs need one worker beside this process"
    assert len(pids) == 60 and here in pids and len(set(pids)) == 2


def test_a_bug_in_a_worker_is_raised_here_and_a_worker_that_dies_is_reported(pool_always):
    import os
    import time
    here = os.getpid()

    def buggy(n: int) -> int:
        if os.getpid() == here:
            time.sleep(0.01)  # leaves chunks for the worker
        elif n >= 0:
            raise ValueError(f"bug at {n}")
        return n

    with pytest.raises(ValueError, match="bug at"):
        map_forked(buggy, 100, 2)

    def dying(n: int) -> int:
        if os.getpid() == here:
            time.sleep(0.01)
        else:
            os._exit(3)
        return n

    with pytest.raises(RuntimeError, match="exit code 3"):
        map_forked(dying, 100, 2)


def test_workers_leave_ctrl_c_to_the_build_which_stops_them(pool_always, capfd):
    import signal
    import time
    here = os.getpid()

    def interrupted(n: int) -> int:
        if os.getpid() != here:
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C reaches every process of the terminal's group
        time.sleep(0.002)
        return n

    assert map_forked(interrupted, 60, 2) == list(range(60))
    assert ComputedAside(lambda: interrupted(1))() == 1
    assert capfd.readouterr().err == "", "no worker printed a traceback"


def test_a_worker_stopped_by_its_build_ends_quietly_even_under_serves_sigterm_handler(pool_always, capfd):
    import signal
    import time

    def as_serve_does(_signum, _frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, as_serve_does)
    try:
        running = ForkedMap(lambda n: time.sleep(0.05) or n, 200, 2)
        time.sleep(0.3)
        running.stop()
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert capfd.readouterr().err == "", "the worker ended without a traceback"


def test_a_value_computed_aside_is_made_by_another_process_and_by_this_one_when_that_fails():
    here = os.getpid()
    aside = ComputedAside(lambda: ("made in", os.getpid()))
    made, pid = aside()
    assert made == "made in" and pid != here

    def failing_elsewhere() -> int:
        if os.getpid() != here:
            raise ValueError("only in the forked process")
        return 42

    assert ComputedAside(failing_elsewhere)() == 42
    with pytest.raises(ValueError, match="a real bug"):
        ComputedAside(lambda: (_ for _ in ()).throw(ValueError("a real bug")))()
    stopped = ComputedAside(lambda: 1)
    stopped.stop()
    assert stopped() == 1, "once stopped, asking computes it here"


def test_workers_read_the_html_and_records_the_cache_keeps_out_of_memory(tmp_path: Path, pool_always):
    site = write_corpus(tmp_path / "site", 30)
    build(site, NOW, output=tmp_path / "one", jobs=1, use_cache=False)
    cache = BuildCache(site)
    result = build(site, NOW, output=tmp_path / "two", jobs=2, cache=cache)
    assert tree(tmp_path / "one") == tree(tmp_path / "two")
    assert all(entry.post.body == "" for entry in result.site.entries), "the site holds no Markdown source"
    held = [value for value in cache.values.values()
            if isinstance(value, RenderedBody) or isinstance(value, tuple) and isinstance(value[0], (Post, Comment))]
    assert not held, "rendered bodies and loaded records stay in the cache's file, not in memory"
    assert len(cache.spilled.where) >= 30 * 2
    (site / "themes" / "default" / "templates").mkdir(parents=True)
    (site / "themes" / "default" / "templates" / "_byline.html").write_text("<p>By the team</p>", encoding="utf-8")
    saved = BuildCache(site)
    build(site, NOW, output=tmp_path / "two", jobs=2, cache=saved)  # every page again, from the saved cache
    assert not [value for value in saved.values.values() if isinstance(value, RenderedBody)], \
        "bodies read from the database are let go once their page is made"
    build(site, NOW, output=tmp_path / "clean", jobs=1, use_cache=False)
    assert tree(tmp_path / "two") == tree(tmp_path / "clean")
    assert b"By the team" in (tmp_path / "clean" / "index.html").read_bytes()


def test_a_clash_found_while_a_batch_is_being_made_stops_its_workers_and_leaves_the_output(tmp_path: Path, pool_always,
                                                                                          monkeypatch):
    site = write_corpus(tmp_path / "site", 30)
    out = tmp_path / "out"
    build(site, NOW, output=out, jobs=2)
    before = tree(out)
    (site / "content" / "pages").mkdir(exist_ok=True)
    (site / "content" / "pages" / "search.md").write_text("---\ntitle: Search\n---\nMy own search page.\n", encoding="utf-8")
    claimed = []
    real = generator.parallel._BatchStaging

    def noting(*args):
        claimed.append(len(args[1]))
        return real(*args)

    monkeypatch.setattr(generator.parallel, "_BatchStaging", noting)
    with pytest.raises(SiteError, match="two parts of the site write this same file"):
        build(site, NOW, output=out, jobs=2, use_cache=False)
    assert claimed and pool_always, "a batch was being made by a worker when the clash was found"
    with pytest.raises(ChildProcessError):  # its worker was stopped and waited for
        os.waitpid(-1, os.WNOHANG)
    assert tree(out) == before


@pytest.mark.skipif(not hasattr(os, "fork"), reason="computed in this process without fork")
def test_a_value_computed_aside_while_idle_is_computed_at_the_lowest_priority():
    here = os.nice(0)
    assert ComputedAside(lambda: os.nice(0), idle=True)() == 19
    assert ComputedAside(lambda: os.nice(0))() == here
    assert os.nice(0) == here
