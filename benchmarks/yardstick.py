"""The issue's yardstick for the machine: how fast is this VM today, in the issue's own terms?

Issue 5 sets its targets on "this project's 2-core machine", and says what that machine does with a
single-process Python pipeline that only parses frontmatter, renders Markdown with markdown-it-py,
fills a template and writes a page: about 2.9 ms per post. The project's VMs change speed from day to
day (the same code built the same corpus cold in 16 s one day and 27-42 s on others), so the
benchmark runs that very pipeline on the corpus it times and prints it with its ratio to the issue's
figure: a gauge of the VM's Python speed that day (not of its disk, which varies on its own).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import jinja2
import yaml
from markdown_it import MarkdownIt

ISSUE_MS_PER_POST = 2.9
PAGE = jinja2.Template(
    "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>{{ title }}</title></head>\n"
    "<body><article><h1>{{ title }}</h1><p>{{ date }} in {{ category }}</p>\n{{ body | safe }}\n</article></body>\n</html>\n",
    autoescape=True)


def pipeline_ms_per_post(site: Path, posts: int = 1000, rounds: int = 3) -> float:
    """The best of `rounds` runs of the issue's minimal pipeline over the site's first `posts` posts, in ms per post."""
    sources = sorted((site / "content" / "posts").glob("*.md"))[:posts]
    markdown = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    best = float("inf")
    with tempfile.TemporaryDirectory(prefix="deskpress-yardstick-") as out:
        for _ in range(rounds):
            started = time.perf_counter()
            for number, source in enumerate(sources):
                _, frontmatter, body = source.read_text(encoding="utf-8").split("---\n", 2)
                fields = yaml.safe_load(frontmatter)
                page = PAGE.render(title=fields["title"], date=fields["date"], category=fields.get("category", ""),
                                   body=markdown.render(body))
                folder = Path(out) / str(number)
                folder.mkdir(exist_ok=True)
                (folder / "index.html").write_text(page, encoding="utf-8")
            best = min(best, (time.perf_counter() - started) * 1000 / len(sources))
    return best


def machine_factor(ms_per_post: float) -> float:
    """How much slower than the issue's machine this one is today (above 1: slower)."""
    return ms_per_post / ISSUE_MS_PER_POST
