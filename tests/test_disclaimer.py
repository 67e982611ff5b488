"""The "views are my own" rule: post, then category, then author, then the site default."""

from __future__ import annotations

import feedparser
import pytest

from tests.conftest import SiteFolder, build_problems

RULES = """\
title: Rules
base_url: https://blog.example.com/
authors:
  emp:
    name: Erin Employee
    employer: Acme Corp
  free:
    name: Finn Freelance
    disclaimer: false
  keen:
    name: Kim Keen
    disclaimer: true
categories:
  On:
    disclaimer: true
  Off:
    disclaimer: false
  Open:
    description: A category without a rule.
disclaimer:
  text: "{{author}} speaks for {{author}}, not {{employer}}."
  default: {default}
"""
ERIN = "Erin Employee speaks for Erin Employee, not Acme Corp."
FINN = "Finn Freelance speaks for Finn Freelance, not their employer."
KIM = "Kim Keen speaks for Kim Keen, not their employer."


def footer_of(site: SiteFolder, slug: str) -> str | None:
    aside = site.html(f"2026/01/15/{slug}/").select_one("article .disclaimer")
    return aside.get_text(strip=True) if aside else None


@pytest.mark.parametrize("post, category, author, default, expected", [
    # 1. the post's own setting wins over everything below it
    ("false", "On", "keen", "true", None),
    ("true", "Off", "free", "false", FINN),
    ('"Written off the clock at {employer}, by {author}."', "Off", "free", "false",
     "Written off the clock at their employer, by Finn Freelance."),
    ('"Not reviewed by {employer}."', "Open", "emp", "false", "Not reviewed by Acme Corp."),
    # 2. then the category's rule
    (None, "On", "free", "false", FINN),
    (None, "Off", "keen", "true", None),
    # 3. then the author's rule
    (None, "Open", "free", "true", None),
    (None, "Open", "keen", "false", KIM),
    (None, None, "keen", "false", KIM),
    # 4. then the site default
    (None, "Open", "emp", "true", ERIN),
    (None, "Open", "emp", "false", None),
    (None, "Unlisted", "emp", "true", ERIN),
])
def test_first_matching_rule_decides_the_footer(site: SiteFolder, post, category, author, default, expected):
    site.config(RULES.format(default=default))
    meta = {"author": author}
    if category:
        meta["category"] = category
    if post is not None:
        meta["disclaimer"] = post
    site.post("2026-01-15-case", title="Case", **meta)
    site.build()
    assert footer_of(site, "case") == expected


def test_the_footer_closes_the_post(site: SiteFolder):
    site.config(RULES.format(default="true"))
    site.post("2026-01-15-last", title="Last", author="emp", tags="[a]")
    site.build()
    article = site.html("2026/01/15/last/").select_one("article.post")
    assert article.find_all(recursive=False)[-1]["class"] == ["disclaimer"]


def test_the_footer_travels_with_every_feed_item(site: SiteFolder):
    site.config(RULES.format(default="false"))
    site.post("2026-01-15-with", title="With", author="emp", category="On", tags="[t]")
    site.post("2026-01-15-without", title="Without", author="emp", category="Off", tags="[t]")
    site.build()
    feeds = ["atom.xml", "feed.xml", "category/on/atom.xml", "author/emp/feed.xml", "tag/t/atom.xml"]
    for feed in feeds:
        entries = {e.title: e for e in feedparser.parse(site.read(feed)).entries}
        assert ERIN in entries["With"].content[0].value, feed
        if "Without" in entries:
            assert "disclaimer" not in entries["Without"].content[0].value, feed


def test_footer_text_is_escaped_like_all_metadata(site: SiteFolder):
    site.config(RULES.format(default="false"))
    site.post("2026-01-15-odd", title="Odd", author="emp", disclaimer='"<b>Mine</b> & nobody else\'s"')
    site.build()
    raw = site.read("2026/01/15/odd/index.html")
    assert "<b>Mine</b>" not in raw
    assert footer_of(site, "odd") == "<b>Mine</b> & nobody else's"
    content = feedparser.parse(site.read("atom.xml")).entries[0].content[0].value
    assert "&lt;b&gt;Mine&lt;/b&gt; &amp; nobody" in content


def test_other_braces_in_the_text_are_left_alone(site: SiteFolder):
    site.config(RULES.replace("{{author}} speaks", "{{author}} ({{role}}) speaks").format(default="false"))
    site.post("2026-01-15-braces", title="Braces", author="emp", category="On")
    site.build()
    assert footer_of(site, "braces") == "Erin Employee ({role}) speaks for Erin Employee, not Acme Corp."


def test_a_category_written_in_another_case_still_gets_its_rule(site: SiteFolder):
    site.config(RULES.format(default="false"))
    site.post("2026-01-15-lower", title="Lower", author="emp", category="on")
    result = site.build()
    assert footer_of(site, "lower") == ERIN
    assert site.html("2026/01/15/lower/").select_one('.byline a[rel~="category"]').get_text() == "On"
    assert result.warnings == ()


def test_a_category_missing_from_site_yaml_is_a_warning(site: SiteFolder):
    site.config(RULES.format(default="false"))
    site.post("2026-01-15-typo", title="Typo", author="emp", category="Opne")
    result = site.build()
    assert footer_of(site, "typo") is None
    assert [str(w) for w in result.warnings] == [
        "content/posts/2026-01-15-typo.md:4: warning: category 'Opne' is not in site.yaml, "
        "so no category rule applies (did you mean 'Open'?)"
    ]


def test_an_empty_disclaimer_text_is_an_error(site: SiteFolder):
    site.config(RULES.format(default="true"))
    site.post("2026-01-15-empty", title="Empty", author="emp", disclaimer='""')
    assert build_problems(site) == [
        "content/posts/2026-01-15-empty.md:4: 'disclaimer' must be true, false or the text of this post's footer"
    ]
