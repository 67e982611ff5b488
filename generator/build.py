"""The whole pipeline, top to bottom: site.yaml and content/ in, a deployable folder out."""

from __future__ import annotations

import time
import traceback
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Iterator

import jinja2

from generator.config import SiteConfig, load_config
from generator.content import Content, load_content
from generator.errors import Problem, SiteError, error
from generator.feeds import all_feeds
from generator.localise import LocalDates
from generator.markdown import MarkdownRenderer, pygments_css
from generator.metadata import humans_txt
from generator.output import Staging, WriteReport
from generator.redirects import redirect_files
from generator.render import PageRenderer, Rendered, robots, sitemap
from generator.search import INDEX_PATH, search_index
from generator.site import Site, assemble_site
from generator.theme import Theme, load_theme


@dataclass(frozen=True)
class BuildResult:
    site: Site
    written: WriteReport
    warnings: tuple[Problem, ...]
    seconds: float
    output: Path

    @property
    def feeds(self) -> int:
        return self.written.feeds


def build(root: Path, now: datetime, output: Path | None = None, drafts: bool = False) -> BuildResult:
    """Build the site in `root` as of `now`; raise SiteError (output untouched) when the input is wrong."""
    started = time.perf_counter()
    config, config_warnings = load_config(root)
    out = output_folder(config, output)
    with reported_alongside(config_warnings):
        content, content_warnings = load_content(config)
    with reported_alongside(config_warnings + content_warnings):
        site = assemble_site(config, content, now, include_drafts=drafts)
    rendered = render_markdown(content, config.base_path)
    theme = load_theme(config)
    staging = Staging(out)
    try:
        for rel, data in site_files(site, rendered, theme):
            staging.write(rel, data)
    except jinja2.TemplateError as exc:
        staging.abort()
        raise SiteError([template_problem(exc)]) from None
    except BaseException:
        staging.abort()
        raise
    written = staging.commit()
    return BuildResult(site, written, tuple(config_warnings + content_warnings), time.perf_counter() - started, out)


@contextmanager
def reported_alongside(warnings: list[Problem]) -> Iterator[None]:
    """When a later stage fails, keep the earlier stages' warnings in the report (a typo may be the cause)."""
    try:
        yield
    except SiteError as exc:
        raise SiteError(warnings + list(exc.problems)) from None


def render_markdown(content: Content, base_path: str = "/") -> Rendered:
    """Turn every post, page and comment body into HTML once, for pages and feeds to share."""
    markdown = MarkdownRenderer(base_path)
    bodies = {record.source: markdown.post(record.body) for record in content.posts + content.pages}
    comments = {comment.source: markdown.comment(comment.body) for comment in content.comments}
    return Rendered(bodies, comments)


def site_files(site: Site, rendered: Rendered, theme: Theme) -> Iterator[tuple[str, bytes]]:
    """Every file of the built site as (relative path, bytes), in a fixed order."""
    yield from PageRenderer(site, theme.environment(), rendered).all_pages()
    yield from all_feeds(site, rendered)
    yield "sitemap.xml", sitemap(site)
    yield "robots.txt", robots(site)
    yield INDEX_PATH, search_index(site, rendered.bodies, LocalDates(site.config))
    if site.config.humans_txt:
        yield "humans.txt", humans_txt(site)
    yield "theme/pygments.css", pygments_css().encode("utf-8")
    for rel, path in theme.static_files().items():
        yield f"theme/{rel}", path.read_bytes()
    static_root = site.config.content_dir / "static"
    for rel in site.static_files:
        yield rel, (static_root / rel).read_bytes()
    yield from redirect_files(site, theme)


def output_folder(config: SiteConfig, output: Path | None) -> Path:
    """Where to write, refusing any folder whose replacement would destroy the site's sources."""
    out = (output if output is not None else config.root / config.output_dir).resolve()
    root = config.root.resolve()
    forbidden = [(root, "the site folder itself"), (root / "content", "content/"), (root / "themes", "themes/")]
    if root.is_relative_to(out):
        raise SiteError([error(str(out), None, "the output folder must not be the site folder or contain it")])
    for folder, name in forbidden[1:]:
        if out.is_relative_to(folder):
            raise SiteError([error(str(out), None, f"the output folder must not lie inside {name}")])
    return out


def template_problem(exc: jinja2.TemplateError) -> Problem:
    """Point at the template line that failed, not at Python internals."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return error(exc.filename or exc.name or "template", exc.lineno, f"template error: {exc.message}")
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.endswith((".html", ".xml", ".txt"))]
    if frames:
        return error(frames[-1].filename, frames[-1].lineno, f"template error: {exc}")
    return error("template", None, f"template error: {exc}")
