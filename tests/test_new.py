"""`deskpress new`: files with complete frontmatter that build, archetypes respected, nothing overwritten."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import main
from generator.errors import SiteError
from generator.frontmatter import parse_document
from generator.new import NewDocument, create
from tests.conftest import BASIC_CONFIG, SiteFolder

LATE_EVENING_UTC = datetime(2026, 6, 1, 23, 30, tzinfo=timezone.utc)


def frontmatter(path: Path) -> dict:
    return parse_document(path.name, path.read_bytes()).meta


def test_a_new_post_is_a_dated_draft_in_the_site_timezone_that_builds(site: SiteFolder):
    site.config(BASIC_CONFIG.replace("timezone: UTC", "timezone: Europe/Paris"))
    title = "Hello: a title with # and 'quotes'"
    path = create(site.root, NewDocument(title, category="Work", tags=("python", "notes")), LATE_EVENING_UTC)
    assert path == site.root / "content/posts/2026-06-02-hello-a-title-with-and-quotes.md"
    meta = frontmatter(path)
    assert meta["title"] == title and meta["draft"] is True and meta["author"] == "ana"
    assert meta["category"] == "Work" and meta["tags"] == ["python", "notes"]
    assert meta["date"].isoformat() == "2026-06-02T01:30:00+02:00"
    assert "summary" in meta

    published = site.build(now=LATE_EVENING_UTC)
    assert published.site.entries == ()
    site.build(now=LATE_EVENING_UTC, drafts=True)
    page = site.html("2026/06/02/hello-a-title-with-and-quotes/")
    assert page.find("h1").get_text() == title
    assert page.select_one(".status-draft") is not None


def test_new_refuses_to_overwrite_and_prints_the_path(site: SiteFolder):
    runner = CliRunner()
    first = runner.invoke(main, ["new", "--site", str(site.root), "Twice"])
    assert first.exit_code == 0, first.output
    path = Path(first.output.strip())
    assert path.is_file() and path.parent == site.root / "content/posts"
    path.write_text(path.read_text() + "My precious words.\n")
    second = runner.invoke(main, ["new", "--site", str(site.root), "Twice"])
    assert second.exit_code == 1
    assert "already exists" in second.output and "Traceback" not in second.output
    assert path.read_text().endswith("My precious words.\n")


def test_archetypes_shape_new_posts_and_pages_and_are_never_published(site: SiteFolder):
    site.file("content/_templates/post.md", """\
        ---
        category: Notes
        disclaimer: false
        tags: [weekly]
        ---
        ## What happened

        Notes on {title} by {author}.
        """)
    site.file("content/_templates/page.md", "---\nnav: false\n---\nAbout {title}.\n")
    post = create(site.root, NewDocument("Week one", author="bo", category="Work"), LATE_EVENING_UTC)
    meta = frontmatter(post)
    assert (meta["category"], meta["disclaimer"], meta["tags"], meta["author"]) == ("Work", False, ["weekly"], "bo")
    assert post.read_text().endswith("## What happened\n\nNotes on Week one by Bo Writer.\n")

    page = create(site.root, NewDocument("Colophon", page=True), LATE_EVENING_UTC)
    assert page == site.root / "content/pages/colophon.md"
    assert frontmatter(page)["nav"] is False and "About Colophon." in page.read_text()

    result = site.build(now=LATE_EVENING_UTC, drafts=True)
    assert [e.post.source for e in result.site.entries] == ["content/posts/2026-06-01-week-one.md"]
    assert [p.page.source for p in result.site.pages] == ["content/pages/colophon.md"]
    assert site.html("colophon/").find("h1").get_text() == "Colophon"


def test_new_rejects_unknown_authors_and_unusable_titles(site: SiteFolder):
    with pytest.raises(SiteError, match="unknown author 'zed'"):
        create(site.root, NewDocument("Hi", author="zed"), LATE_EVENING_UTC)
    with pytest.raises(SiteError, match="cannot make a file name"):
        create(site.root, NewDocument("!!!"), LATE_EVENING_UTC)
    assert not any((site.root / "content/posts").iterdir())
