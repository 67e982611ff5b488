"""`deskpress check` on purpose-built sites, and `deskpress next` / the build summary for scheduled posts."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from click.testing import CliRunner

from generator.check import check_site, explain, next_scheduled
from generator.cli import main
from tests.conftest import BASIC_CONFIG, NOW, SiteFolder

POLICY = BASIC_CONFIG + """\
categories:
  Personal:
    disclaimer: false
policy:
  require_disclaimer_for: [Work, bo, Wrok]
  flag_terms: [Project Falcon, Globex]
"""


def problems_of(site: SiteFolder) -> set[tuple[str, int | None, str, str]]:
    report = check_site(site.root, NOW)
    return {(p.path, p.line, p.severity, p.message) for p in report.problems}


def messages(site: SiteFolder, severity: str) -> list[str]:
    return [f"{path}:{line}: {message}" for path, line, sev, message in sorted(problems_of(site), key=str) if sev == severity]


def run(site: SiteFolder, *args: str):
    return CliRunner().invoke(main, ["check", "--site", str(site.root), *args])


def test_a_clean_site_passes_and_nothing_is_written(site: SiteFolder):
    site.post("2026-01-15-hello", title="Hello", summary="A greeting.", body="See [the older post](/2026/01/10/older/).")
    site.post("2026-01-10-older", title="Older", summary="Before.", date="2026-01-10")
    before = sorted(p.relative_to(site.root) for p in site.root.rglob("*"))
    result = run(site)
    assert result.exit_code == 0, result.output
    assert "0 error(s); 0 warning(s)" in result.output
    assert sorted(p.relative_to(site.root) for p in site.root.rglob("*")) == before


def test_content_errors_the_build_would_report_fail_the_check(site: SiteFolder):
    site.file("content/posts/2026-01-15-bad.md", "---\ntitle: Bad\ndate: someday\n---\nText.\n")
    result = run(site)
    assert result.exit_code == 1
    assert "line 3: error: 'date' is not a valid date" in result.output
    assert "content/posts/2026-01-15-bad.md" in result.output


def test_the_disclaimer_policy_is_enforced_and_explained(site: SiteFolder):
    site.config(POLICY)
    site.post("2026-01-15-work", title="Work", summary="s", category="Work", disclaimer="false")
    site.post("2026-01-14-fine", title="Fine", summary="s", category="Work")
    site.post("2026-01-13-bo", title="Bo", summary="s", category="Personal", author="bo", date="2026-01-13")
    site.post("2026-01-12-free", title="Free", summary="s", category="Personal", date="2026-01-12")
    errors = messages(site, "error")
    assert errors == [
        "content/posts/2026-01-13-bo.md:1: policy.require_disclaimer_for lists 'bo', but this post carries no "
        "disclaimer (decided by category 'Personal' in site.yaml)",
        "content/posts/2026-01-15-work.md:5: policy.require_disclaimer_for lists 'Work', but this post carries no "
        "disclaimer (decided by the post's 'disclaimer' setting)",
    ]
    assert "site.yaml:None: policy.require_disclaimer_for: 'Wrok' is neither an author nor a category" in messages(site, "warning")

    lines = explain(site.root, NOW, "2026-01-13-bo")
    assert "decided by: category 'Personal' in site.yaml" in lines
    assert "  2. category 'Personal' in site.yaml: false  <- decides" in lines
    assert "policy.require_disclaimer_for lists 'bo': VIOLATED" in lines
    cli = CliRunner().invoke(main, ["check", "--site", str(site.root), "--explain", "fine"])
    assert cli.exit_code == 0 and "footer: \"Views are Ana Author's own, not Acme Corp's.\"" in cli.output
    assert "decided by: the site default (disclaimer.default)" in cli.output


def test_flag_terms_are_found_everywhere_with_line_and_column(site: SiteFolder):
    site.config(POLICY)
    site.post("2026-01-15-news", title="Globex news", summary="s", category="Work",
              body="Intro.\n\nWe shipped project falcon for Globex; PROJECT FALCON rocks.\nFalconry is fine.")
    site.file("content/pages/about.md", "---\ntitle: About\n---\nI consult for Globex.\n")
    errors = messages(site, "error")
    assert errors == [
        "content/pages/about.md:4: flagged term 'Globex' (policy.flag_terms) at column 15",
        "content/posts/2026-01-15-news.md:2: flagged term 'Globex' (policy.flag_terms) at column 8",
        "content/posts/2026-01-15-news.md:9: flagged term 'Globex' (policy.flag_terms) at column 31",
        "content/posts/2026-01-15-news.md:9: flagged term 'PROJECT FALCON' (policy.flag_terms) at column 39",
        "content/posts/2026-01-15-news.md:9: flagged term 'project falcon' (policy.flag_terms) at column 12",
    ]


def test_images_links_and_quality_problems(site: SiteFolder):
    site.post("2026-01-10-target", title="Target", summary="s", date="2026-01-10")
    site.post("2026-01-11-secret", title="Secret", summary="s", date="2026-01-11", draft="true")
    site.file("content/static/chart.png", b"\x89PNG")
    long_title = "A title that goes on and on, far past what any search result would ever show"
    site.post("2026-01-15-links", title=f'"{long_title}"', body="\n".join([
        "![](/chart.png) and ![A chart](/chart.png)",            # body line 0
        "",
        '<p><img src="/chart.png"></p>',                         # 2
        "",
        "[ok](/2026/01/10/target/) [rel](../../10/target/) [site](https://blog.example.com/2026/01/10/target/)",  # 4
        "[missing](/2026/01/09/gone/) [folder](/2026/01/10/target) [file](/chart.png) [ext](https://example.org/x)",  # 5
        "",
        "A paragraph",
        "with a [draft link](/2026/01/11/secret/) on its second line and [broken relative](../nowhere/).",  # 8
    ]))
    site.post("2026-01-16-empty", title="Empty", summary="s", date="2026-01-16", body="")
    errors, warnings = messages(site, "error"), messages(site, "warning")
    path = "content/posts/2026-01-15-links.md"
    assert errors == [
        f"{path}:10: link '/2026/01/09/gone/' does not resolve to any page or file of the site",
        f"{path}:13: link '../nowhere/' does not resolve to any page or file of the site",
    ]
    assert warnings == [
        f"{path}:1: no summary: listings and search results will show the first paragraph instead",
        f"{path}:13: link '/2026/01/11/secret/' points to a draft or scheduled post that is not published yet",
        f"{path}:2: title is {len(long_title)} characters; over 70 gets cut off in search results and feed readers",
        f"{path}:5: image '/chart.png' has no alt text",
        f"{path}:7: image '/chart.png' has no alt text",
        "content/posts/2026-01-16-empty.md:6: the post is empty",
    ]
    assert run(site).exit_code == 1


def test_drafts_and_scheduled_posts_are_listed_and_strict_fails_on_warnings(site: SiteFolder):
    site.post("2026-01-15-done", title="Done", summary="s")
    site.post("2026-05-01-wip", title="Work in progress", summary="s", draft="true", date="2026-05-01")
    site.post("2098-07-01-soon", title="Soon", summary="s", date="2098-07-01 09:30")
    site.post("2098-08-01-later", title="Later", summary="s", date="2098-08-01 09:30")
    plain = CliRunner().invoke(main, ["check", "--site", str(site.root), "--format", "json"])
    assert plain.exit_code == 0
    report = json.loads(plain.output)
    statuses = {post["path"]: post["status"] for post in report["posts"]}
    assert statuses == {"content/posts/2026-01-15-done.md": "published", "content/posts/2026-05-01-wip.md": "draft",
                        "content/posts/2098-07-01-soon.md": "scheduled", "content/posts/2098-08-01-later.md": "scheduled"}
    assert report["errors"] == 0
    text = run(site)
    assert "  draft" in text.output and "1 draft(s); 2 scheduled" in text.output

    site.post("2026-01-14-nosummary", title="No summary", date="2026-01-14")
    assert run(site).exit_code == 0
    assert run(site, "--strict").exit_code == 1


def test_next_prints_the_next_due_post_and_build_summarises(site: SiteFolder):
    site.post("2026-01-15-done", title="Done")
    assert next_scheduled(site.root, NOW) is None
    site.post("2099-03-01-later", title="Later", date="2099-03-01 08:00+01:00")
    site.post("2098-07-01-soon", title="Soon", date="2098-07-01 09:30")
    site.post("2098-06-15-draft", title="Draft", date="2098-06-15", draft="true")
    assert next_scheduled(site.root, NOW) == datetime(2098, 7, 1, 9, 30, tzinfo=timezone.utc)
    runner = CliRunner()
    as_of = runner.invoke(main, ["next", "--site", str(site.root), "--as-of", "2098-08-01T00:00:00+00:00"])
    assert as_of.exit_code == 0 and as_of.output == "2099-03-01T08:00:00+01:00\n"
    assert runner.invoke(main, ["next", "--site", str(site.root), "--as-of", "2100-01-01T00:00:00Z"]).output == ""
    built = runner.invoke(main, ["build", "--site", str(site.root), "--output", str(site.out)])
    lines = built.output.splitlines()
    assert lines[-2].startswith("Built 1 posts, 0 pages,") and "files changed" in lines[-2]
    assert lines[-1] == "next scheduled post: 2098-07-01T09:30:00+00:00"


def test_the_sample_blog_passes():
    repository = Path(__file__).resolve().parent.parent
    report = check_site(repository, datetime(2026, 11, 20, tzinfo=timezone.utc))
    assert report.errors == 0, [str(p) for p in report.problems if p.severity == "error"]
    statuses = {state.status for state in report.posts}
    assert statuses == {"published", "draft", "scheduled"}
    assert any(state.footer.text for state in report.posts) and any(not state.footer.text for state in report.posts)


def test_template_errors_fail_the_check(site: SiteFolder):
    site.config(BASIC_CONFIG + "theme: mine\n")
    site.file("themes/mine/templates/post.html", "{% extends 'base.html' %}\n{% block content %}{{ entry.nothing_here.x }}{% endblock %}\n")
    site.post("2026-01-15-hello", title="Hello", summary="s")
    result = run(site)
    assert result.exit_code == 1
    assert "themes/mine/templates/post.html" in result.output and "template error" in result.output


def test_links_under_a_base_path_are_resolved_as_the_build_writes_them(site: SiteFolder):
    site.config(BASIC_CONFIG.replace("https://blog.example.com/", "https://example.com/blog/"))
    site.post("2026-01-10-target", title="Target", summary="s", date="2026-01-10")
    site.post("2026-01-15-links", title="Links", summary="s",
              body="[root](/2026/01/10/target/) [absolute](https://example.com/blog/2026/01/10/target/)\n\n"
                   '<a href="/2026/01/10/target/">raw HTML is not moved under /blog/</a>')
    assert messages(site, "error") == [
        "content/posts/2026-01-15-links.md:8: link '/2026/01/10/target/' does not resolve to any page or file of the site",
    ]
