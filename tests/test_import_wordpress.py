"""deskpress import wordpress: real WXR fixtures imported into temp folders, then built and read back."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import feedparser
import pytest
import yaml
from click.testing import CliRunner

from generator.cli import main
from generator.errors import SiteError
from generator.frontmatter import parse_document
from generator.importers.wordpress import ImportOptions, _Tally, import_wordpress
from generator.importers.siteyaml import merge_site_yaml
from generator.importers.writer import MANIFEST
from tests.conftest import SiteFolder

FIXTURES = Path(__file__).parent / "fixtures" / "wxr"
THEME_UNIT = FIXTURES / "theme-unit.xml"
UPLOADS = ("2013/01/crane.png", "2013/01/buoy.png", "2013/01/buoy-150x150.png")


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\x10\x20\x30")) + chunk(b"IEND", b"")


def empty_site(root: Path) -> SiteFolder:
    """A SiteFolder with no site.yaml, as a person importing into a new folder has."""
    folder = SiteFolder(root)
    (root / "site.yaml").unlink()
    return folder


def run_import(root: Path, export: Path = THEME_UNIT, **options):
    return import_wordpress(ImportOptions(export, root, **options))


def meta(folder: SiteFolder, rel: str) -> dict:
    return parse_document(rel, (folder.root / rel).read_bytes()).meta


@pytest.fixture(scope="module")
def imported(tmp_path_factory) -> tuple[SiteFolder, object]:
    """The theme-unit export imported with its uploads into an empty folder, then built."""
    base = tmp_path_factory.mktemp("wp")
    uploads = base / "uploads"
    for rel in UPLOADS:
        (uploads / rel).parent.mkdir(parents=True, exist_ok=True)
        (uploads / rel).write_bytes(tiny_png())
    folder = empty_site(base / "site")
    report = run_import(folder.root, uploads=uploads)
    folder.build()
    return folder, report


def test_posts_get_complete_frontmatter_with_the_offset_from_gmt(imported):
    folder, _ = imported
    data = meta(folder, "content/posts/2013-01-17-template-comments.md")
    assert data["title"] == "Template: Comments"
    assert data["date"].isoformat() == "2013-01-17T11:00:00+01:00"
    assert (data["author"], data["category"], data["slug"]) == ("rosa", "Work Notes", "template-comments")
    assert data["id"] == "https://fieldnotes.example.org/?p=118"
    assert data["aliases"] == ["/?p=118"]


def test_titles_lose_markup_and_keep_special_characters(imported):
    folder, _ = imported
    assert folder.html("2013/01/05/markup-title-with-markup/").h1.get_text() == "Markup: Title With Markup"
    title = folder.html("2013/01/05/title-with-special-characters/").h1.get_text()
    assert title == "Title With Special Characters ~`!@#$%^&*()-_=+{[}]/\\;:'\",<.>/? & \u201cquotes\u201d"


def test_a_post_without_title_or_body_still_builds(imported):
    folder, report = imported
    assert folder.html("2013/01/06/103/").h1.get_text() == "Untitled"
    assert folder.html("2013/01/06/edge-case-no-content/").h1.get_text() == "Edge Case: No Content"
    assert any("post 103 has no title" in str(w) and ":73:" in str(w) for w in report.warnings)


def test_very_long_words_and_many_terms_survive(imported):
    folder, _ = imported
    page = folder.html("2013/01/07/many-categories/")
    assert "Pneumonoultramicroscopicsilicovolcanoconiosisbreakwater" in page.get_text()
    data = meta(folder, "content/posts/2013-01-07-many-categories.md")
    assert data["category"] == "Work Notes"
    assert data["tags"] == ["Markup", "Tides", "Quays & Jetties", "Café", "concrete", "steel", "silt", "dredging",
                            "piles", "winter", "C#", "storms 2013"]
    assert folder.html("tag/quays-jetties/").find("a", string="Edge Case: Many Categories and a Very Long Word")


def test_nested_and_mixed_lists_keep_their_structure(imported):
    folder, _ = imported
    body = folder.html("2013/01/08/markup-lists/").find("article")
    deepest = body.select_one("ul > li > ul > li > ol > li")
    assert deepest.get_text(strip=True) == "Above the waterline"
    assert [li.get_text(strip=True) for li in body.select("ol > li > ul > li")] == ["with drones", "by hand"]


def test_every_html_tag_is_kept_as_markdown_or_safe_html(imported):
    folder, report = imported
    article = folder.html("2013/01/09/markup-html-tags-and-formatting/").find("article")
    for tag in ("h2", "h3", "h4", "h5", "h6", "blockquote", "cite", "table", "thead", "dl", "dt", "dd", "address",
                "abbr", "code", "s", "dfn", "em", "ins", "mark", "small", "strong", "sub", "sup", "var", "u", "pre", "hr"):
        assert article.find(tag) is not None, tag
    assert article.find("th", colspan="2").get_text() == "Tide table, merged header"
    assert [a["title"] for a in article.find_all("abbr")] == ["Port Authority", "Tonnes Per Hour"]
    html = str(article)
    assert "<script" not in html and "onclick" not in html and "javascript:" not in html
    assert "# Not a heading, 1. not a list, *not emphasis*, _nor this_." in article.get_text()
    kept = "\n".join(report.kept_html)
    assert "<dl> has no Markdown form" in kept and "<address>" in kept and "<script> removed" in kept


def test_code_is_kept_verbatim_with_its_language(imported):
    folder, _ = imported
    article = folder.html("2013/01/19/markup-code/").find("article")
    languages = [c["class"][0] for c in article.select("pre code")]
    assert languages == ["language-html", "language-python", "language-sql", "language-rust"]
    codes = [c.get_text() for c in article.select("pre code")]
    assert codes[0] == '<p class="tide">High & low</p>\n'
    assert "return tide * 2  # *not* emphasis, _not_ this" in codes[1]
    assert codes[2] == "SELECT * FROM berths WHERE depth < 10;\n"
    assert article.find("code", string="a_b*c")


def test_images_captions_and_uploads_are_brought_over(imported):
    folder, report = imported
    article = folder.html("2013/01/10/markup-image-alignment/").find("article")
    sources = [img["src"] for img in article.find_all("img")]
    assert sources[:3] == ["/wp-content/uploads/2013/01/crane.png", "/wp-content/uploads/2013/01/buoy-150x150.png",
                           "/wp-content/uploads/2013/01/crane.png"]
    assert (folder.out / "wp-content/uploads/2013/01/crane.png").read_bytes() == tiny_png()
    assert article.find("em", string="before").parent.get_text() == "The big crane, before the storm"
    assert article.find("em", string="Caption given as an attribute")
    assert report.copied_media == 3
    assert report.remote_media == ("https://fieldnotes.example.org/wp-content/uploads/2013/01/missing.png",)


def test_galleries_become_lists_of_images(imported):
    folder, _ = imported
    lists = folder.html("2013/01/11/post-format-gallery/").find("article").find_all("ul")
    for gallery in lists:
        assert [img["alt"] for img in gallery.find_all("img")] == ["A crane over the water", "A red buoy"]
    assert len(lists) == 2 and "The harbour crane" in lists[0].get_text()


def test_embeds_become_links_and_leftovers_are_reported(imported):
    folder, report = imported
    links = [a["href"] for a in folder.html("2013/01/12/post-format-embeds/").find("article").find_all("a")]
    for url in ("https://www.youtube.com/watch?v=harbour01", "https://vimeo.com/123456",
                "https://www.youtube.com/watch?v=harbour02", "https://player.example.com/embed/77"):
        assert url in links
    kept = "\n".join(report.kept_html)
    assert "unknown shortcode [contact-form-7]" in kept and "<object>" in kept


def test_block_editor_comments_are_stripped(imported):
    folder, report = imported
    source = (folder.root / "content/posts/2019-03-01-blocks.md").read_text()
    assert "wp:" not in source and "<!--more-->" in source
    article = folder.html("2019/03/01/blocks/").find("article")
    assert article.find("em", string="A block caption")
    assert article.find("a", href="https://www.youtube.com/watch?v=harbour03")
    assert any("wp:latest-posts" in note for note in report.kept_html)


def test_more_tag_cuts_the_teaser_and_an_excerpt_becomes_the_summary(imported):
    folder, _ = imported
    home = folder.html("").get_text()
    assert "Only this paragraph shows on the home page." in home
    assert "The rest appears on the post's own page." not in home
    data = meta(folder, "content/posts/2013-01-14-template-excerpt-defined.md")
    assert data["summary"] == "This is the hand-written excerpt & it wins."


def test_paginated_posts_are_joined_and_their_pages_redirect(imported):
    folder, _ = imported
    article = folder.html("2013/01/15/template-paginated/").find("article")
    assert "Page one" in article.get_text() and "Page three" in article.get_text()
    assert len(article.find_all("hr")) >= 2
    refresh = folder.html("2013/01/15/template-paginated/3/").find("meta", attrs={"http-equiv": "refresh"})
    assert refresh["content"] == "0; url=/2013/01/15/template-paginated/"


def test_publishing_states_map_to_frontmatter(imported):
    folder, report = imported
    assert meta(folder, "content/posts/2012-01-07-template-sticky.md")["pinned"] is True
    first_on_home = folder.html("").select_one("main article h2, main article h3")
    assert first_on_home.get_text(strip=True) == "Template: Sticky"
    scheduled = meta(folder, "content/posts/2030-05-01-the-next-survey.md")
    assert scheduled["date"].isoformat() == "2030-05-01T09:00:00+01:00" and "draft" not in scheduled
    for rel in ("2013-02-01-draft-half-an-idea", "2013-02-02-pending-review", "2013-02-03-private-notes",
                "2013-01-16-board-minutes"):
        assert meta(folder, f"content/posts/{rel}.md")["draft"] is True
    assert not (folder.out / "2013/01/16/board-minutes/index.html").exists()
    assert not (folder.out / "2030").exists()
    assert any("password-protected" in str(w) for w in report.warnings)
    assert (report.posts, report.drafts, report.scheduled, report.pages) == (24, 4, 1, 4)


def test_comments_keep_threads_pings_and_skip_spam(imported):
    folder, report = imported
    page = folder.html("2013/01/17/template-comments/")
    deepest = page.select_one("#comment-881 ol.replies #comment-882 ol.replies #comment-883")
    assert "three levels deep" in deepest.get_text()
    assert [li["id"] for li in page.select("ol.ping-list > li")] == ["comment-884", "comment-885"]
    assert page.select_one("ol.comment-list > #comment-888") is not None
    text = page.get_text()
    assert "Buy now" not in text and "Still in moderation" not in text and "alert" not in str(page.select_one("#responses"))
    assert page.select_one("ol.comment-list > #comment-891") is not None
    assert dict(report.comments) == {"comment": 6, "pingback": 1, "trackback": 1}
    assert dict(report.skipped)["pingbacks and trackbacks without the address of the linking page"] == 1
    assert dict(report.skipped)["spam comments"] == 1
    assert dict(report.skipped)["unapproved or trashed comments"] == 1
    assert meta(folder, "content/comments/template-comments/888.md")["author"] == "Anonymous"


def test_closed_comments_stay_closed(imported):
    folder, _ = imported
    assert meta(folder, "content/posts/2013-01-18-template-comments-disabled.md")["comments"] == "closed"
    assert "Made it before they closed." in folder.html("2013/01/18/template-comments-disabled/").get_text()


def test_pages_with_parents_get_prefixed_slugs_and_their_old_nested_urls(imported):
    folder, _ = imported
    assert folder.html("about-team-alex/").h1.get_text() == "Grandchild: Alex"
    redirect = folder.html("about/team/alex/")
    assert redirect.find("link", rel="canonical")["href"] == "https://fieldnotes.example.org/about-team-alex/"
    assert folder.html("archives-page/").h1.get_text() == "Archives"
    assert meta(folder, "content/pages/archives-page.md")["aliases"] == ["/?page_id=304"]
    nav = [a.get_text() for a in folder.html("").select("nav.site-nav a")]
    assert "About" in nav and "Child: The Team" not in nav
    assert dict(imported[1].skipped)["comments on pages (deskpress pages take no comments)"] == 1


def test_feeds_carry_the_original_guids(imported):
    folder, _ = imported
    published = {101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112, 113, 114, 118, 119, 121, 122, 126}
    expected = {f"https://fieldnotes.example.org/?p={n}" for n in published}
    for feed in ("atom.xml", "feed.xml"):
        parsed = feedparser.parse(folder.read(feed))
        assert not parsed.bozo
        assert {entry.id for entry in parsed.entries} == expected


def test_old_urls_redirect(imported):
    folder, _ = imported
    rules = folder.read("_redirects").splitlines()
    assert "/ p=118 /2013/01/17/template-comments/ 301" in rules
    assert "/2014/06/02/just-after-midnight/ /2014/06/01/just-after-midnight/ 301" in rules
    assert "/ page_id=302 /about-team/ 301" in rules
    assert "/feed/ /feed.xml 301" in rules and "/comments/feed/ /comments/feed.xml 301" in rules
    feed_page = folder.html("feed/")
    assert feed_page.find("link", rel="alternate")["href"] == "/feed.xml"
    moved = folder.html("2014/06/02/just-after-midnight/").find("meta", attrs={"http-equiv": "refresh"})
    assert moved["content"] == "0; url=/2014/06/01/just-after-midnight/"


def test_a_new_folder_gets_a_complete_site_yaml(imported):
    folder, report = imported
    config = yaml.safe_load((folder.root / "site.yaml").read_text())
    assert config["title"] == "Field Notes & Drafts"
    assert config["base_url"] == "https://fieldnotes.example.org/"
    assert config["authors"] == {"rosa": {"name": "Rosa Marlow"}, "devi": {"name": "Devi Anand"}}
    assert config["categories"]["Work Notes"] == {"description": "Notes from the day job at the harbour."}
    assert "/tag/c-sharp/ -> /tag/c/" in report.redirected_archives


def test_moved_archives_redirect_to_their_new_address(imported):
    folder, report = imported
    redirects = yaml.safe_load((folder.root / "site.yaml").read_text())["redirects"]
    assert redirects["/tag/c-sharp/"] == "/tag/c/" and redirects["/tag/c-sharp/feed/"] == "/tag/c/feed.xml"
    assert redirects["/category/quays/"] == "/tag/quays-jetties/", "a later category became a tag"
    page = folder.html("tag/c-sharp/")
    assert page.find("meta", attrs={"http-equiv": "refresh"})["content"] == "0; url=/tag/c/"
    assert folder.html("tag/c/").h1 is not None and "tag/c/feed.xml" in folder.files()
    assert folder.html("tag/c-sharp/feed/").find("link", rel="alternate")["href"] == "/tag/c/feed.xml"
    assert "/tag/c-sharp/ /tag/c/ 301" in folder.read("_redirects").splitlines()
    lines = report.lines()
    assert "  /tag/c-sharp/ -> /tag/c/" in lines and not report.lost_archives
    assert not any("will 404" in line for line in lines)


def test_a_rerun_keeps_a_redirect_the_user_changed_unless_forced(tmp_path: Path):
    folder = empty_site(tmp_path / "site")
    run_import(folder.root)
    path = folder.root / "site.yaml"
    path.write_text(path.read_text().replace("/tag/c-sharp/: /tag/c/", "/tag/c-sharp/: /tag/csharp/  # mine"))
    report = run_import(folder.root)
    assert "/tag/c-sharp/: /tag/csharp/  # mine" in path.read_text() and "redirects./tag/c-sharp/" in report.site_yaml.kept
    forced = run_import(folder.root, force=True)
    assert yaml.safe_load(path.read_text())["redirects"]["/tag/c-sharp/"] == "/tag/c/"
    assert forced.site_yaml.replaced == ("redirects./tag/c-sharp/",)
    folder.build()


def test_import_into_an_existing_site_keeps_its_settings_unless_forced(site: SiteFolder):
    site.config(site.root.joinpath("site.yaml").read_text().replace("  bo:\n", "  # Bo joined in 2024\n  rosa:\n    name: R. M.\n  bo:\n"))
    before = (site.root / "site.yaml").read_text()
    report = run_import(site.root)
    after = (site.root / "site.yaml").read_text()
    assert "# Bo joined in 2024\n  rosa:\n    name: R. M.\n" in after and after.startswith(before.split("authors:")[0])
    config = yaml.safe_load(after)
    assert config["authors"]["rosa"] == {"name": "R. M."} and config["authors"]["devi"] == {"name": "Devi Anand"}
    assert config["title"] == "Test Blog" and "authors.rosa" in report.site_yaml.kept
    site.build()
    forced = run_import(site.root, force=True)
    assert yaml.safe_load((site.root / "site.yaml").read_text())["authors"]["rosa"] == {"name": "Rosa Marlow"}
    assert "authors.rosa" in forced.site_yaml.replaced
    assert "# Bo joined in 2024" in (site.root / "site.yaml").read_text()


def test_rerun_never_clobbers_a_file_the_user_edited(tmp_path: Path):
    folder = empty_site(tmp_path / "site")
    run_import(folder.root)
    edited = folder.root / "content/posts/2013-01-13-template-more-tag.md"
    edited.write_text(edited.read_text().replace("Only this paragraph", "My own words"))
    untouched = folder.root / "content/posts/2013-01-08-markup-lists.md"
    original = untouched.read_bytes()
    report = run_import(folder.root)
    assert "My own words" in edited.read_text()
    assert report.files.kept_edited == ("content/posts/2013-01-13-template-more-tag.md",)
    assert untouched.read_bytes() == original and not report.files.created
    assert MANIFEST in {p.name for p in folder.root.iterdir()}


def test_dry_run_writes_nothing(tmp_path: Path):
    target = tmp_path / "new-site"
    report = run_import(target, dry_run=True)
    assert not target.exists()
    assert report.posts == 24 and report.lines()[-1] == "dry run: nothing was written."
    assert list(tmp_path.iterdir()) == []


def test_all_categories_as_tags(tmp_path: Path):
    folder = empty_site(tmp_path / "site")
    run_import(folder.root, all_categories_as_tags=True)
    data = meta(folder, "content/posts/2013-01-07-many-categories.md")
    assert "category" not in data and data["tags"][:2] == ["Work Notes", "Markup"]
    folder.build()


@pytest.mark.parametrize("fixture, message, line", [
    ("xxe.xml", "refusing an export that declares a DTD or entities", 1),
    ("billion-laughs.xml", "refusing an export that declares a DTD or entities", 1),
    ("malformed.xml", "malformed XML: Opening and ending tag mismatch", 9),
    ("not-wxr.xml", "not a WordPress export (WXR)", 3),
])
def test_bad_exports_are_refused_and_nothing_is_written(tmp_path: Path, fixture: str, message: str, line: int):
    target = tmp_path / "site"
    with pytest.raises(SiteError) as caught:
        run_import(target, export=FIXTURES / fixture)
    problem = caught.value.problems[0]
    assert message in problem.message and problem.line == line
    assert not target.exists() and list(tmp_path.iterdir()) == [], "nothing may be written on failure"
    result = CliRunner().invoke(main, ["import", "wordpress", str(FIXTURES / fixture), "--site", str(target)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"{fixture}:{line}: {message}" in result.output


@pytest.mark.parametrize("fixture, url", [
    ("wxr-1.0.xml", "blog/2009/07/30/whose-desk/"),
    ("wordpress-com.xml", "2010/03/04/charts-and-code/"),
])
def test_other_export_flavours_import_and_build(tmp_path: Path, fixture: str, url: str):
    folder = empty_site(tmp_path / "site")
    result = CliRunner().invoke(main, ["import", "wordpress", str(FIXTURES / fixture), "--site", str(folder.root)])
    assert result.exit_code == 0, result.output
    folder.build()
    path = url.removeprefix("blog/")
    page = folder.html(path)
    assert page.h1.get_text() in ("Whose desk is it anyway?", "Charts and code")
    assert feedparser.parse(folder.read("feed.xml")).entries[0].id.endswith(("?p=7", "?p=55"))


def test_the_same_export_always_gives_the_same_files(tmp_path: Path):
    first, second = empty_site(tmp_path / "a"), empty_site(tmp_path / "b")
    run_import(first.root)
    run_import(second.root)
    assert every_file(first.root) == every_file(second.root)


def every_file(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_site_yaml_merge_handles_flow_style_and_missing_sections():
    text = "# my blog\ntitle: Mine\nauthors: {ana: {name: Ana}}\n"
    change = merge_site_yaml(text, {"authors": {"rosa": {"name": "Rosa"}}, "categories": {"Work": {}}}, force=False)
    assert change.text.startswith("# my blog\ntitle: Mine\n")
    assert yaml.safe_load(change.text) == {"title": "Mine", "authors": {"ana": {"name": "Ana"}, "rosa": {"name": "Rosa"}},
                                           "categories": {"Work": {}}}
    assert change.added == ("authors.rosa", "categories.Work")


def test_only_archives_no_post_uses_are_reported_as_lost():
    tally = _Tally(old_archives={"/tag/c-sharp/": "C#", "/tag/old/": "Old", "/tag/c/": "C"},
                   new_archives={"C#": "/tag/c/", "C": "/tag/c/"}, archive_paths={"/tag/c/"})
    assert tally.archive_redirects() == {"/tag/c-sharp/": "/tag/c/", "/tag/c-sharp/feed/": "/tag/c/feed.xml"}
    assert tally.lost_archives() == ("/tag/old/",)
