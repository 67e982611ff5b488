"""Bad input: every problem reported at once as `path:line: message`, exit status 1, no traceback."""

from __future__ import annotations

import subprocess
import sys

from click.testing import CliRunner

from generator.cli import main
from tests.conftest import SiteFolder, build_problems


def run_cli(*args: str):
    return CliRunner().invoke(main, list(args))


def test_every_content_error_is_reported_at_once_by_the_cli(site: SiteFolder):
    site.file("content/posts/a-yaml.md", "---\ntitle: Fine\ntags: [one, two\ndate: 2026-01-01\n---\nBody\n")
    site.file("content/posts/b-title.md", "---\ndate: 2026-01-01\n---\nBody\n")
    site.file("content/posts/c-date.md", "---\ntitle: C\ndate: next tuesday\n---\nBody\n")
    site.file("content/posts/d-impossible.md", "---\ntitle: D\ndate: 2026-02-30\n---\nBody\n")
    site.file("content/posts/e-author.md", "---\ntitle: E\ndate: 2026-01-01\nauthor: zed\n---\nBody\n")
    site.file("content/posts/f-slug.md", "---\ntitle: F\ndate: 2026-01-01\nslug: ../../etc/passwd\n---\nBody\n")
    site.file("content/posts/g-nofront.md", "Just text.\n")
    site.file("content/posts/h-unclosed.md", "---\ntitle: H\n")
    site.file("content/pages/i-page.md", "---\norder: 1\n---\nNo title.\n")
    result = run_cli("build", "--site", str(site.root))
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    lines = result.output.splitlines()
    assert lines[:-1] == [
        "content/pages/i-page.md:1: missing required field 'title'",
        "content/posts/a-yaml.md:4: invalid YAML: expected ',' or ']', but got ':'",
        "content/posts/b-title.md:1: missing required field 'title'",
        "content/posts/c-date.md:3: 'date' is not a valid date: 'next tuesday' (use YYYY-MM-DD or YYYY-MM-DD HH:MM[+HH:MM])",
        "content/posts/d-impossible.md:3: 'date' is not a valid date: '2026-02-30' (use YYYY-MM-DD or YYYY-MM-DD HH:MM[+HH:MM])",
        "content/posts/e-author.md:4: unknown author 'zed' (known: ana, bo)",
        "content/posts/f-slug.md:4: slug '../../etc/passwd' would leave its folder: use letters, digits and dashes only",
        "content/posts/g-nofront.md:1: missing frontmatter: the file must start with a '---' line",
        "content/posts/h-unclosed.md:1: frontmatter is not closed: add a '---' line after it",
    ]
    assert lines[-1] == "Build failed: 9 error(s); the previous output was left as it was."
    assert not site.out.exists()


def test_a_site_folder_that_does_not_exist_is_named_in_one_line(tmp_path):
    result = run_cli("build", "--site", str(tmp_path / "nowhere"))
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert result.output.splitlines() == [
        f"site.yaml: no site.yaml in {tmp_path / 'nowhere'} (is this a deskpress site folder?)",
        "Build failed: 1 error(s); the previous output was left as it was.",
    ]


def test_a_missing_date_and_bad_utf8_are_errors(site: SiteFolder):
    site.file("content/posts/no-date.md", "---\ntitle: No date\n---\nBody.\n")
    site.file("content/posts/latin1.md", "---\ntitle: Café\ndate: 2026-01-01\n---\n".encode("latin-1"))
    assert build_problems(site) == [
        "content/posts/latin1.md: not valid UTF-8 (invalid continuation byte at byte 14)",
        "content/posts/no-date.md:1: missing required field 'date'",
    ]


def test_two_posts_on_one_url_name_both_files(site: SiteFolder):
    site.post("2026-01-15-same", title="One")
    site.post("other", title="Two", slug="same")
    problems = build_problems(site)
    assert problems == ["content/posts/2026-01-15-same.md:1: URL /2026/01/15/same/ is also used by content/posts/other.md"]


def test_a_page_cannot_take_a_generated_url(site: SiteFolder):
    site.file("content/pages/tags.md", "---\ntitle: Tags\n---\nMine.\n")
    assert build_problems(site) == ["content/pages/tags.md:1: URL /tags/ is also used by the tag index"]


def test_a_static_file_cannot_replace_a_generated_page(site: SiteFolder):
    site.file("content/static/index.html", "<p>mine</p>")
    site.post("2026-01-15-hello", title="Hello")
    problems = build_problems(site)
    assert len(problems) == 1 and problems[0].startswith("index.html: two parts of the site write this same file")


def test_warnings_are_printed_and_the_build_succeeds(site: SiteFolder):
    site.post("2026-01-15-hello", title="Hello", tgas="[x]")
    result = run_cli("build", "--site", str(site.root))
    assert result.exit_code == 0
    assert "content/posts/2026-01-15-hello.md:3: warning: unknown key 'tgas' (did you mean 'tags'?)" in result.output
    assert "Built 1 posts, 0 pages" in result.output


def test_warnings_are_kept_when_errors_stop_the_build(site: SiteFolder):
    site.config((site.root / "site.yaml").read_text() + "tagline_: typo\n")
    site.post("2026-01-15-bad", title="Bad", author="nobody")
    problems = build_problems(site)
    assert problems == [
        "content/posts/2026-01-15-bad.md:3: unknown author 'nobody' (known: ana, bo)",
        "site.yaml:16: warning: unknown key 'tagline_' (did you mean 'tagline'?)",
    ]


def test_python_dash_m_generator_builds_a_site(site: SiteFolder):
    site.post("2026-01-15-hello", title="Hello")
    out = site.root.parent / "out"
    result = subprocess.run([sys.executable, "-m", "generator", "build", "--site", str(site.root), "--output", str(out)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "Built 1 posts" in result.stdout
    assert (out / "2026/01/15/hello/index.html").is_file()


def test_python_dash_m_generator_fails_cleanly(site: SiteFolder):
    site.post("2026-01-15-bad", title="Bad", date="someday")
    result = subprocess.run([sys.executable, "-m", "generator", "build", "--site", str(site.root)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[0].startswith("content/posts/2026-01-15-bad.md:3: 'date' is not a valid date")


def test_a_file_system_failure_is_one_line_not_a_traceback(site: SiteFolder):
    site.post("2026-01-15-hello", title="Hello")
    blocker = site.root.parent / "a-file"
    blocker.write_text("not a folder")
    result = run_cli("build", "--site", str(site.root), "--output", str(blocker / "out"))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)
    first = result.output.splitlines()[0]
    assert first.startswith(str(blocker / "out")) and first.endswith(": Not a directory")


def test_yaml_cannot_construct_python_objects(site: SiteFolder):
    site.file("content/posts/evil.md", '---\ntitle: !!python/object/apply:os.system ["touch pwned"]\ndate: 2026-01-01\n---\n')
    problems = build_problems(site)
    assert len(problems) == 1 and problems[0].startswith("content/posts/evil.md:2: invalid YAML: could not determine a constructor")
