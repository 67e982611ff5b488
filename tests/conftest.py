"""Shared fixtures: write a tiny site into a temporary folder, build it, and parse what came out."""

from __future__ import annotations

import textwrap
from datetime import datetime, timezone
from pathlib import Path

import feedparser
import pytest
from bs4 import BeautifulSoup

from generator.build import BuildResult, build
from generator.errors import SiteError

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)

BASIC_CONFIG = """\
title: Test Blog
tagline: Tests & more
base_url: https://blog.example.com/
timezone: UTC
paginate: 10
default_author: ana
authors:
  ana:
    name: Ana Author
    employer: Acme Corp
  bo:
    name: Bo Writer
disclaimer:
  text: "Views are {author}'s own, not {employer}'s."
  default: true
"""


class SiteFolder:
    """A site under construction in a temporary folder, with helpers to build and read it."""

    def __init__(self, root: Path):
        self.root = root
        self.out = root / "public"
        (root / "content" / "posts").mkdir(parents=True)
        self.config(BASIC_CONFIG)

    def config(self, text: str) -> "SiteFolder":
        (self.root / "site.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
        return self

    def file(self, rel: str, text: str | bytes) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    def post(self, name: str, body: str = "Body text.", **meta) -> Path:
        """Write content/posts/<name>.md with frontmatter from keyword arguments (YAML literals)."""
        meta.setdefault("title", name.replace("-", " ").title())
        meta.setdefault("date", "2026-01-15 10:00")
        lines = ["---"] + [f"{key}: {value}" for key, value in meta.items()] + ["---", body, ""]
        return self.file(f"content/posts/{name}.md", "\n".join(lines))

    def build(self, now: datetime = NOW, **options) -> BuildResult:
        return build(self.root, now, output=options.pop("output", self.out), **options)

    def read(self, rel: str) -> str:
        return (self.out / rel).read_text(encoding="utf-8")

    def html(self, rel: str) -> BeautifulSoup:
        if rel == "" or rel.endswith("/"):
            rel += "index.html"
        return BeautifulSoup(self.read(rel), "html.parser")

    def feed(self, rel: str) -> feedparser.FeedParserDict:
        """Parse a built feed with feedparser, failing the test if it is not well-formed."""
        parsed = feedparser.parse((self.out / rel).read_bytes())
        assert not parsed.bozo, f"{rel}: {parsed.get('bozo_exception')}"
        return parsed

    def files(self) -> dict[str, bytes]:
        return {p.relative_to(self.out).as_posix(): p.read_bytes() for p in sorted(self.out.rglob("*")) if p.is_file()}


@pytest.fixture
def site(tmp_path: Path) -> SiteFolder:
    return SiteFolder(tmp_path / "site")


def build_problems(site: SiteFolder, **options) -> list[str]:
    """Build a site that must fail, returning its problems as the CLI prints them."""
    with pytest.raises(SiteError) as failure:
        site.build(**options)
    return [str(problem) for problem in failure.value.problems]
