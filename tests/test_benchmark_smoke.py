"""The benchmark runs end to end at a tiny size (a smoke test: nothing here is timed)."""

from __future__ import annotations

from pathlib import Path

from benchmarks.corpus import AUTHORS, CATEGORIES, write_corpus
from benchmarks.run import cold_after_deleting, in_process_rebuilds, scenarios, set_aside, write_floor
from benchmarks.yardstick import machine_factor, pipeline_ms_per_post


def test_the_corpus_is_the_same_for_the_same_seed_and_differs_for_another(tmp_path: Path):
    def files(root: Path) -> dict[str, bytes]:
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}

    first, again, other = (write_corpus(tmp_path / name, 12, seed) for name, seed in (("a", 1), ("b", 1), ("c", 2)))
    assert files(first) == files(again)
    assert files(first) != files(other)
    assert len(list((first / "content" / "posts").glob("*.md"))) == 12
    assert len(AUTHORS) == 8 and len(CATEGORIES) == 20


def test_every_scenario_runs_and_leaves_a_complete_site(tmp_path: Path):
    site = write_corpus(tmp_path / "site", 6)
    results = scenarios(site, fast=True, repeat=1)
    assert set(results) == {"cold", "first build, filling the cache", "no change", "edit one post", "add a post",
                            "add a comment"}
    assert all(run["wall"] > 0 and run["rss_mb"] > 0 and run["user"] > 0 and run["sys"] >= 0
               for runs in results.values() for run in runs)
    served = in_process_rebuilds(site, fast=True, repeat=1)
    assert {name: len(times) for name, times in served.items()} == {"edit one post": 1, "add a post": 1}
    assert "category: " in (site / "content" / "posts" / "2026-02-01-served-0.md").read_text(encoding="utf-8")
    built = site / "public"
    assert (built / "2026" / "01" / "01" / "new-0" / "index.html").is_file()
    assert "A new comment." in (built / "comments" / "feed.xml").read_text(encoding="utf-8")
    cold = site / "cold-0"  # cold builds go into new folders
    assert (cold / "index.html").is_file() and not (cold / "2026" / "01" / "01" / "new-0").exists()
    assert cold_after_deleting(site, fast=True, settle=0)["wall"] > 0
    assert (cold / "index.html").is_file()


def test_what_an_earlier_run_left_is_set_aside_for_deleting_at_the_end(tmp_path: Path):
    earlier = tmp_path / "site-5-fast"
    (earlier / "public").mkdir(parents=True)
    trash = tmp_path / "deleted-at-the-end"
    assert set_aside(earlier, trash) == earlier and not earlier.exists()
    assert [path.name for path in trash.iterdir()] == ["site-5-fast-0"]
    assert set_aside(tmp_path / "absent", trash) == tmp_path / "absent"


def test_the_file_system_floor_writes_exactly_the_built_files(tmp_path: Path):
    site = write_corpus(tmp_path / "site", 6)
    scenarios(site, fast=True, repeat=1)

    def files(root: Path) -> dict[str, bytes]:
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}

    assert write_floor(site / "public", tmp_path / "floor") > 0
    assert files(tmp_path / "floor") == files(site / "public")


def test_the_yardstick_runs_the_issues_minimal_pipeline_over_the_corpus(tmp_path: Path):
    site = write_corpus(tmp_path / "site", 5)
    ms = pipeline_ms_per_post(site, posts=5, rounds=1)
    assert ms > 0
    assert machine_factor(ms) == ms / 2.9
    assert not (site / "public").exists()  # it writes its pages in a temporary folder, never into the site
