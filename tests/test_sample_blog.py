"""The bundled sample blog builds cleanly and shows every feature the README promises."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from bs4 import BeautifulSoup

from generator.build import build

REPOSITORY = Path(__file__).resolve().parent.parent
SAMPLE_NOW = datetime(2026, 11, 20, tzinfo=timezone.utc)


def test_the_sample_blog_builds_without_warnings_and_shows_every_feature(tmp_path: Path):
    result = build(REPOSITORY, SAMPLE_NOW, output=tmp_path / "out")
    assert [str(w) for w in result.warnings] == []
    site = result.site
    assert len(site.entries) >= 15
    assert len({e.author.key for e in site.entries}) >= 3
    assert any(e.author.employer for e in site.entries)
    assert len(site.archives["category"]) >= 5
    assert site.next_scheduled is not None
    assert {p.page.slug for p in site.pages} >= {"about"}
    drafts = [p for p in (REPOSITORY / "content/posts").glob("*.md") if "\ndraft: true\n" in p.read_text(encoding="utf-8")]
    assert drafts
    footers = {e.footer.text is None for e in site.entries}
    assert footers == {True, False}
    pages = [BeautifulSoup((tmp_path / "out" / e.url / "index.html").read_text(encoding="utf-8"), "html.parser")
             for e in site.entries]
    assert any(page.select(".entry-content pre.highlight") for page in pages)
    assert any(page.select(".entry-content table") for page in pages)
    assert any(page.select(".entry-content .footnotes") for page in pages)
    assert any(page.select(".entry-content img") for page in pages)
