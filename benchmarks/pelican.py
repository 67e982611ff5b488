"""Build a benchmark corpus with Pelican, installed into a throwaway virtual environment, for the ratio."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import yaml

SETTINGS = """\
SITENAME = "Benchmark Blog"
SITEURL = ""
PATH = "content"
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
DEFAULT_PAGINATION = 10
FEED_DOMAIN = "https://bench.example.org"
FEED_ALL_ATOM = "feeds/all.atom.xml"
FEED_ALL_RSS = "feeds/all.rss.xml"
CATEGORY_FEED_ATOM = "feeds/{slug}.atom.xml"
CATEGORY_FEED_RSS = "feeds/{slug}.rss.xml"
AUTHOR_FEED_ATOM = "feeds/{slug}.author.atom.xml"
AUTHOR_FEED_RSS = "feeds/{slug}.author.rss.xml"
TAG_FEED_ATOM = "feeds/{slug}.tag.atom.xml"
TAG_FEED_RSS = "feeds/{slug}.tag.rss.xml"
MONTH_ARCHIVE_SAVE_AS = "{date:%Y}/{date:%m}/index.html"
CACHE_CONTENT = False
LOAD_CONTENT_CACHE = False
"""


def pelican_python(work: Path) -> Path:
    """A virtual environment with Pelican and Markdown, made once under `work`."""
    venv = work / "pelican-venv"
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "pelican[markdown]"], check=True)
    return python


def convert(corpus: Path, site: Path) -> None:
    """Rewrite YAML frontmatter as Pelican's `Key: value` headers (comments have no Pelican equivalent)."""
    content = site / "content"
    content.mkdir(parents=True, exist_ok=True)
    for source in sorted((corpus / "content" / "posts").glob("*.md")):
        text = source.read_text(encoding="utf-8")
        _, meta_text, body = text.split("---\n", 2)
        meta = yaml.safe_load(meta_text)
        headers = [f"Title: {meta['title']}", f"Date: {meta['date']}", f"Author: {meta.get('author', 'ana')}",
                   f"Category: {meta['category']}", f"Tags: {', '.join(meta.get('tags', []))}", f"Slug: {source.stem[11:]}"]
        (content / source.name).write_text("\n".join(headers) + "\n\n" + body, encoding="utf-8")
    (site / "pelicanconf.py").write_text(SETTINGS, encoding="utf-8")


def pelican_build(corpus: Path, work: Path) -> float:
    """Seconds Pelican takes to build the corpus from scratch."""
    python = pelican_python(work)
    site = work / f"pelican-{corpus.name}"
    if not (site / "pelicanconf.py").exists():
        convert(corpus, site)
    started = time.perf_counter()
    subprocess.run([str(python), "-m", "pelican", "content", "-s", "pelicanconf.py", "-o", "output", "-q"],
                   cwd=site, check=True)
    return time.perf_counter() - started
