"""site.yaml: every key, its default, unknown keys (warnings) and wrong types (errors)."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.build import build
from generator.config import DEFAULT_DISCLAIMER, load_config
from generator.errors import SiteError
from tests.conftest import NOW, SiteFolder, build_problems

MINIMAL = """\
base_url: https://min.example.net/
authors:
  zoe:
    name: Zoe Zed
"""


def config_with(extra: str) -> str:
    """A valid two-author site.yaml with `extra` lines appended."""
    return f"""\
base_url: https://blog.example.com/
authors:
  ana:
    name: Ana Author
  bo:
    name: Bo Writer
{extra}
"""


def test_every_key_has_its_documented_default(site: SiteFolder):
    site.config(MINIMAL)
    config, warnings = load_config(site.root)
    assert warnings == []
    assert (config.title, config.tagline, config.language, config.timezone) == ("My blog", "", "en", "UTC")
    assert (config.paginate, config.output_dir, config.theme) == (10, "public", "default")
    assert config.permalink == "/{year}/{month}/{day}/{slug}/"
    assert config.default_author == "zoe"
    assert config.categories == {}
    assert (config.disclaimer.text, config.disclaimer.default) == (DEFAULT_DISCLAIMER, False)
    zoe = config.authors["zoe"]
    assert (zoe.name, zoe.employer, zoe.url, zoe.bio, zoe.disclaimer) == ("Zoe Zed", None, None, None, None)


def test_an_author_without_a_name_is_shown_by_key(site: SiteFolder):
    site.config("base_url: https://min.example.net/\nauthors:\n  zoe:\n")
    config, _ = load_config(site.root)
    assert config.authors["zoe"].name == "zoe"


def test_default_output_folder_is_public_inside_the_site(site: SiteFolder):
    site.config(MINIMAL)
    site.post("2026-01-15-hello", title="Hello")
    build(site.root, NOW)
    assert (site.root / "public" / "2026/01/15/hello/index.html").is_file()


def test_output_dir_key_moves_the_output(site: SiteFolder):
    site.config(MINIMAL + "output_dir: built\n")
    site.post("2026-01-15-hello", title="Hello")
    build(site.root, NOW)
    assert (site.root / "built" / "index.html").is_file()
    assert not (site.root / "public").exists()


def test_site_keys_appear_in_every_page(site: SiteFolder):
    site.config("""\
        title: Field Notes
        tagline: Written at the desk
        base_url: https://notes.example.org/
        language: fr
        authors:
          ana:
            name: Ana Author
            bio: Ana writes about ports.
            url: https://ana.example.org/
        categories:
          Work:
            description: The day job.
    """)
    site.post("2026-01-15-hello", title="Hello", category="Work")
    site.build()
    for url in ("", "2026/01/15/hello/", "category/work/", "404.html"):
        page = site.html(url)
        assert page.html["lang"] == "fr"
        assert page.select_one(".site-title").get_text(strip=True) == "Field Notes"
        assert page.select_one(".site-tagline").get_text(strip=True) == "Written at the desk"
    assert "The day job." in site.html("category/work/").get_text()
    assert "Ana writes about ports." in site.html("author/ana/").get_text()
    assert "<uri>https://ana.example.org/</uri>" in site.read("atom.xml")


def test_default_author_is_used_when_a_post_names_none(site: SiteFolder):
    site.config(config_with("default_author: bo"))
    site.post("2026-01-15-hello", title="Hello")
    site.build()
    assert site.html("2026/01/15/hello/").select_one(".byline .author").get_text() == "Bo Writer"


@pytest.mark.parametrize("pattern, expected", [
    ("/{year}/{month}/{day}/{slug}/", "2026/01/15/hello/"),
    ("/{year}/{slug}/", "2026/hello/"),
    ("/{category}/{slug}/", "work-notes/hello/"),
    ("/{author}/{year}/{month}/{slug}/", "ana/2026/01/hello/"),
    ("/posts/{slug}/", "posts/hello/"),
])
def test_permalink_patterns(site: SiteFolder, pattern: str, expected: str):
    site.config(config_with(f"permalink: {pattern}"))
    site.post("2026-01-15-hello", title="Hello", category='"Work Notes"')
    site.build()
    assert site.html(expected).find("h1").get_text() == "Hello"
    assert site.html("").select_one(".entry-title a")["href"] == "/" + expected


def test_unknown_keys_warn_with_the_closest_known_key(site: SiteFolder):
    site.config(config_with("tittle: Oops\ndisclaimer:\n  defualt: true\n"))
    site.file("site.yaml", (site.root / "site.yaml").read_text().replace("    name: Bo Writer", "    name: Bo Writer\n    emplyer: Acme"))
    site.post("2026-01-15-hello", title="Hello")
    result = site.build()
    warnings = [str(w) for w in sorted(result.warnings)]
    assert warnings == [
        "site.yaml:7: warning: unknown key 'authors.bo.emplyer' (did you mean 'authors.bo.employer'?)",
        "site.yaml:8: warning: unknown key 'tittle' (did you mean 'title'?)",
        "site.yaml:10: warning: unknown key 'disclaimer.defualt' (did you mean 'disclaimer.default'?)",
    ]


def test_wrong_types_are_errors_with_lines_all_reported(site: SiteFolder):
    site.config("""\
        title: [not, text]
        base_url: https://blog.example.com/
        paginate: ten
        authors:
          ana:
            name: Ana
            disclaimer: "yes"
        categories:
          Work:
            disclaimer: 1
        disclaimer: just a string
        feeds:
          limit: true
    """)
    problems = build_problems(site)
    assert problems == [
        "site.yaml:1: 'title' must be text, not ['not', 'text']",
        "site.yaml:3: 'paginate' must be a whole number, not 'ten'",
        "site.yaml:7: 'authors.ana.disclaimer' must be true or false, not 'yes'",
        "site.yaml:10: 'categories.Work.disclaimer' must be true or false, not 1",
        "site.yaml:11: 'disclaimer' must be a mapping of keys, not 'just a string'",
        "site.yaml:13: 'feeds.limit' must be a whole number, not True",
    ]


@pytest.mark.parametrize("line, message", [
    ("base_url: example.org", "'base_url' must be an absolute http(s) URL"),
    ("base_url: https://example.org/blog", "'base_url' must end with '/'"),
    ("timezone: Mars/Olympus", "unknown time zone 'Mars/Olympus'"),
    ("paginate: 0", "'paginate' must be at least 1"),
    ("pagination: newest", "'pagination' must be one of stable, shifting, not 'newest'"),
    ("permalink: /{year}/{month}/", "'permalink' must start and end with '/' and contain {slug}"),
    ("permalink: /{year}/{hour}/{slug}/", "'permalink' may only use"),
    ("default_author: zed", "default_author 'zed' is not one of the authors"),
])
def test_bad_values_are_errors_on_their_line(site: SiteFolder, line: str, message: str):
    text = config_with(line)
    if line.startswith("base_url"):
        text = text.replace("base_url: https://blog.example.com/\n", "")
    site.config(text)
    problems = build_problems(site)
    assert len(problems) == 1
    key = line.split(":")[0]
    expected_line = next(n for n, row in enumerate((site.root / "site.yaml").read_text().splitlines(), 1) if row.startswith(key))
    assert problems[0].startswith(f"site.yaml:{expected_line}: {message}")


def test_malformed_site_yaml_names_the_line(site: SiteFolder):
    site.config("title: Fine\nauthors:\n  ana: {name: Ana\nbase_url: https://x.org/\n")
    problems = build_problems(site)
    assert len(problems) == 1 and problems[0].startswith("site.yaml:4: invalid YAML")


def test_a_folder_without_site_yaml_is_explained(tmp_path: Path):
    with pytest.raises(SiteError) as failure:
        build(tmp_path, NOW)
    assert "no site.yaml" in str(failure.value)


def test_site_yaml_may_have_a_bom_and_crlf(site: SiteFolder):
    text = config_with("title: Crème Brûlée Notes").replace("\n", "\r\n")
    site.file("site.yaml", b"\xef\xbb\xbf" + text.encode("utf-8"))
    config, warnings = load_config(site.root)
    assert (config.title, warnings) == ("Crème Brûlée Notes", [])


def test_a_site_theme_overrides_the_default_file_by_file(site: SiteFolder):
    site.config(config_with("theme: mine"))
    site.file("themes/mine/templates/404.html", '{% extends "base.html" %}{% block content %}<h1>Lost at sea</h1>{% endblock %}')
    site.file("themes/mine/static/extra.css", "body { color: navy; }")
    site.post("2026-01-15-hello", title="Hello")
    site.build()
    assert site.html("404.html").find("h1").get_text() == "Lost at sea"
    assert site.html("2026/01/15/hello/").find("h1").get_text() == "Hello"
    assert site.read("theme/extra.css") == "body { color: navy; }"
    assert (site.out / "theme/style.css").is_file()


def test_a_missing_theme_is_an_error(site: SiteFolder):
    site.config(config_with("theme: nowhere"))
    assert "theme 'nowhere' not found" in build_problems(site)[0]


def test_site_yaml_that_is_not_utf8_is_an_error(site: SiteFolder):
    data = config_with("title: Caf\xe9").encode("latin-1")
    site.file("site.yaml", data)
    assert build_problems(site) == [f"site.yaml: not valid UTF-8 (invalid continuation byte at byte {data.index(0xE9)})"]


@pytest.mark.parametrize("entry, message", [
    ("/../escape/: /about/", "must not contain '.' or '..' segments (it would leave the output folder)"),
    ("/old/../../x/: /about/", "must not contain '.' or '..' segments"),
    ("old/: /about/", "the old address must be a path on this site starting with '/'"),
    ("//evil.example/x/: /about/", "the old address must be a path on this site"),
    ("/old/#top: /about/", "the old address must be a path on this site"),
    ("/: /about/", "the home page cannot be redirected"),
    ("/old/: about/", "the new address must be a path on this site starting with '/' or an absolute http(s) URL"),
    ("/old/: javascript:alert(1)", "the new address must be a path on this site"),
    ("/old/: //evil.example/", "the new address must be a path on this site"),
    ("/old/: /a/../../b/", "the new address must be a path on this site"),
    ("/old/: [/a/, /b/]", "old and new addresses must be text"),
    ("/old/:", "old and new addresses must be text"),
    ("2013: /archives/", "old and new addresses must be text"),
    ("/old page/: /about/", "addresses must not contain spaces"),
])
def test_bad_redirects_are_errors_on_their_line(site: SiteFolder, entry: str, message: str):
    site.config(config_with(f"redirects:\n  /fine/: /about/\n  {entry}\n"))
    problems = build_problems(site)
    assert len(problems) == 1 and problems[0].startswith("site.yaml:9: '") and message in problems[0], problems


def test_redirects_must_be_a_mapping(site: SiteFolder):
    site.config(config_with("redirects: [/old/, /new/]"))
    assert build_problems(site) == ["site.yaml:7: 'redirects' must be a mapping of keys, not ['/old/', '/new/']"]


def test_redirects_are_read_as_site_relative_paths_or_urls(site: SiteFolder):
    site.config(config_with("redirects:\n  /old/: /about/\n  /?p=3: https://elsewhere.example/x\n  /gone: /"))
    config, _ = load_config(site.root)
    assert config.redirects == {"old/": "about/", "?p=3": "https://elsewhere.example/x", "gone": ""}
