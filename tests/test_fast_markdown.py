"""The optional Rust renderer changes speed, never output: it must match markdown-it-py byte for byte."""

from __future__ import annotations

import random
import sys

import pytest

from benchmarks.corpus import comment, post_body
from generator.markdown import MarkdownRenderer
from tests.conftest import SiteFolder

pytest.importorskip("markdown_it_pyrs")

FEATURES = [
    "## Intro\n\nText.\n\n## Intro\n\n### Intro\n\n#### `code` in *heading*\n\n##### Not anchored\n",
    "# Title\n\n## Tom &amp; Jerry \\*escaped\\*\n\n## ![logo](a.png) Logo and text\n\nSetext\n------\n",
    "## Ünïcödé heading 世界\n\n## \n\n## ---\n\nSetext over\ntwo lines\n---\n\n## [link](/x/) heading\n",
    "```python\ndef f(x):\n    return x < 1 and '&'\n```\n\n```nosuchlanguage\n<b>\n```\n\n```\nplain\n```\n",
    "~~~js\nconst a = 1;\n~~~\n\n```python {.numbered}\nx = 1\n```\n\n- item\n\n  ```bash\n  echo hi\n  ```\n",
    "    indented code\n\n> quote with `code`\n",
    "Text with a note.[^1]\n\n[^1]: The note.\n",
    "First paragraph.\n\n<!--more-->\n\n## After the fold\n\nMore.\n",
    "Summary paragraph *here*.\n\nSecond.\n",
    "| a | b |\n| --- | ---: |\n| 1 | 2 |\n\n~~gone~~ and <span class=\"x\">raw</span>\n",
    "<div>\n<h2>Raw heading</h2>\n</div>\n\n## Markdown heading\n",
    "<pre>raw pre</pre>\n\n```python\nx = 1\n```\n",
    "## Raw <span title=\"a>b\">inline</span> HTML\n\nHard  \nbreak\n---\n\n## [*Link* `code`](/x/ \"t>\") &amp; &copy; \\#\n",
    "> ## Quoted *heading*\n\n- item\n\n  ### Listed `heading`\n\n  ~~~ yaml\n  a: <b>&amp;\n  ~~~\n\n````js\n```\n````\n",
    "",
]
FOOTNOTES = [  # each on the fast path, rewritten into the reference's numbering and layout
    "Text with a note.[^1]\n\n[^1]: The note.\n",
    "One[^n], again[^n] and a third time[^n].\n\n[^n]: Repeated note.\n",
    "First[^b] then[^a], then[^b] again.\n\n[^a]: Defined first, cited second.\n[^b]: Defined second, cited first.\n",
    "Long[^long] and short[^s].\n\n[^long]: First paragraph.\n\n    Second paragraph, *indented*.\n\n"
    "    Third with `code`.\n[^s]: Short,\nlazily continued.\n",
    "## Heading with a note[^1]\n\n- item[^2]\n- item again[^1]\n\n| a | b |\n| --- | --- |\n| cell[^3] | x |\n\n"
    "> quoted[^2]\n\n[^1]: In a heading.\n[^2]: In a list.\n[^3]: In a table.\n",
    "Inline^[An *inline* note.] and labelled[^x], inline again^[Second one].\n\n[^x]: Labelled.\n\n## H ^[in heading]\n",
    "Summary with a note[^1].\n\n<!--more-->\n\nAfter the fold[^2] and again[^1].\n\n[^1]: One.\n[^2]: Two.\n",
    "Before the fold[^1].\n\n<!--more-->\n\n[^1]: Defined after the fold.\n",
    "Ünïcödé 世界[^ü] and [^世界].\n\n[^ü]: Nötë.\n[^世界]: 世界 note with [a link](https://example.com/).\n",
    "Empty note[^e].\n\n[^e]:\n",
]
FOOTNOTE_FALLBACKS = [  # constructs markdown-it-pyrs parses differently (or panics on): the reference renders them
    "Used[^1].\n\n[^1]: Used.\n[^unused]: Never cited.\n",
    "Twice defined[^1].\n\n[^1]: First.\n\n[^1]: Second wins in the reference.\n",
    "Note[^1] in note.\n\n[^1]: Refers to[^2].\n[^2]: Inner.\n",
    "A paragraph[^1]\n[^1]: interrupting it.\n",
    "Undefined[^nope] and defined[^1].\n\n[^1]: Defined.\n",
    "Note[^1].\n\n[^1]: - a list\n    - in a note\n",
    "Inline ^[with [brackets] inside] and ^[é] and ^[].\n",
    "x[^ü]\n\n   [^ü]:[^1&amp;\n",
    "Raw <sup class=\"footnote-ref\"><a href=\"#fn1\" id=\"fnref9\">[1]</a></sup> and[^1].\n\n[^1]: Real.\n",
]
PARSED_OTHERWISE = [  # markdown-it-pyrs 0.4 renders these unlike markdown-it-py: the reference renders them
    "~~a~~~~b~~\n", "Text ~~a~~~~b~~ more.\n", "<!--more-->", "Para.\n\n<div>raw</div>",
    "> quote\n| a | b |\n| - | - |\n| 1 | 2 |\n", "> > q\n| a | b |\n| - | - |\n",
    "- a\n\n  > q\n  | a | b |\n  | - | - |\n",
]
COMMENTS = [
    "<script>alert(1)</script> **bold**", "[click](javascript:alert(1)) and <http://example.com>",
    "~~struck~~ `code`\n\n```\nblock\n```\n", "<img src=x onerror=alert(1)>", "# Heading in a comment\n\n> quote",
]


def corpus(count: int) -> tuple[list[str], list[str]]:
    rng = random.Random(7)
    posts = [post_body(rng) for _ in range(count)]
    from datetime import datetime, timezone
    comments = [comment(rng, datetime(2020, 1, 1, tzinfo=timezone.utc), n, None) for n in range(count)]
    return posts, comments


@pytest.fixture(scope="module")
def renderers() -> tuple[MarkdownRenderer, MarkdownRenderer]:
    return MarkdownRenderer(), MarkdownRenderer(fast=True)


@pytest.mark.parametrize("source", FEATURES)
def test_every_promised_feature_renders_the_same(renderers, source: str):
    reference, fast = renderers
    assert fast.post(source) == reference.post(source)


@pytest.mark.parametrize("source", FOOTNOTES)
def test_footnotes_render_the_same_on_the_fast_path(renderers, source: str):
    reference, fast = renderers
    assert fast.fast.post(source) is not None
    assert fast.post(source) == reference.post(source)


@pytest.mark.parametrize("source", PARSED_OTHERWISE)
def test_what_the_fast_parser_reads_otherwise_goes_to_the_reference(renderers, source: str):
    reference, fast = renderers
    assert fast.fast.post(source) is None
    assert fast.post(source) == reference.post(source)


@pytest.mark.parametrize("source", FOOTNOTE_FALLBACKS)
def test_footnotes_the_fast_path_cannot_match_go_to_the_reference(renderers, source: str):
    reference, fast = renderers
    assert fast.fast.post(source) is None
    assert fast.post(source) == reference.post(source)


def test_a_panic_of_the_fast_parser_leaves_nothing_on_stderr_and_the_reference_renders_the_document(renderers, capfd):
    reference, fast = renderers
    source = FOOTNOTE_FALLBACKS[7]  # markdown-it-pyrs 0.4 panics on this one (a char boundary in a label)
    assert fast.post(source) == reference.post(source)
    print("still printed afterwards", file=sys.stderr)
    assert capfd.readouterr().err == "still printed afterwards\n"


def test_repeated_and_reordered_notes_are_numbered_by_first_reference(renderers):
    _, fast = renderers
    html = fast.fast.post(FOOTNOTES[2])
    assert '<a href="#fn1" id="fnref1">[1]</a>' in html and '<a href="#fn1" id="fnref1:1">[1:1]</a>' in html
    assert html.index('<li id="fn1" class="footnote-item"><p>Defined second') < html.index('<li id="fn2"')
    assert '<h2 class="visually-hidden">Footnotes</h2>' in html


@pytest.mark.parametrize("source", COMMENTS)
def test_comments_render_and_sanitise_the_same(renderers, source: str):
    reference, fast = renderers
    assert fast.comment(source) == reference.comment(source)


def test_a_site_under_a_path_moves_root_links_the_same_way():
    source = "See [about](/about/), ![logo](/logo.png), [ref] and [far](//cdn.example.com/x).\n\n[ref]: /ref/\n\n## Head\n"
    reference, fast = MarkdownRenderer("/blog/"), MarkdownRenderer("/blog/", fast=True)
    assert fast.post(source) == reference.post(source)
    assert 'href="/blog/about/"' in reference.post(source).html
    assert fast.fast.post("[far](//cdn.example.com/x) and [rel](x/)\n") is not None


def test_the_benchmark_corpus_renders_the_same_and_mostly_on_the_fast_path(renderers):
    reference, fast = renderers
    posts, comments = corpus(120)
    assert [fast.post(p) for p in posts] == [reference.post(p) for p in posts]
    assert [fast.comment(c) for c in comments] == [reference.comment(c) for c in comments]
    handled = sum(fast.fast.post(p) is not None for p in posts)
    assert handled > len(posts) // 2
    footnoted = [p for p in posts if "[^" in p]
    assert footnoted and all(fast.fast.post(p) is not None for p in footnoted)


def test_headings_get_anchors_and_code_is_highlighted_on_the_fast_path(renderers):
    _, fast = renderers
    html = fast.fast.post(FEATURES[0] + FEATURES[3])
    assert '<h2 id="intro">' in html and '<h2 id="intro-1">' in html and '<h3 id="intro-2">' in html
    assert '<pre class="highlight"><code class="language-python">' in html
    assert fast.fast.post(FEATURES[6]) is not None


def test_most_posts_need_no_syntax_tree_and_headings_holding_raw_html_still_get_one(renderers):
    """Headings and code blocks are read from the HTML when nothing else needs the tree (it cost a third
    of a post's time); a heading holding raw HTML or a break is read from the tree."""
    _, fast = renderers
    posts, _ = corpus(60)
    plain = [p for p in posts if "[^" not in p]
    assert plain and all(fast.fast._from_html(p) == fast.fast._from_tree(p) for p in plain)
    assert fast.fast._from_html(FEATURES[0] + FEATURES[3]) is not None
    assert fast.fast._from_html("## Raw <span>inline</span>\n") is None
    assert fast.fast._from_html("Hard  \nbreak\n---\n") is None


def test_a_site_built_with_either_renderer_is_the_same(tmp_path):
    outputs = []
    for fast in (False, True):
        site = SiteFolder(tmp_path / f"site-{fast}")
        site.post("2026-01-15-one", FEATURES[0] + FEATURES[3] + FEATURES[7])
        site.post("2026-01-16-two", FEATURES[6], summary="A note")
        site.file("content/comments/one/c1.md", "---\nauthor: Reader\ndate: 2026-01-16\n---\n" + COMMENTS[0] + "\n")
        site.build(fast_markdown=fast, use_cache=False)
        outputs.append(site.files())
    assert outputs[0] == outputs[1]
