"""The pre-publish self-review: everything the build would reject, plus what a careful author checks.

It runs the build's own loading, site and rendering stages in memory and writes nothing.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator

import jinja2

from generator.build import site_files, template_problem
from generator.prepare import render_markdown
from generator.config import SiteConfig, load_config
from generator.content import Content, load_content
from generator.disclaimer import Footer
from generator.errors import Problem, SiteError, error, warning
from generator.frontmatter import normalise_text, parse_document
from generator.markdown import MORE_MARKER, MarkdownRenderer
from generator.references import Reference, body_references, resolve
from generator.site import Entry, Site, assemble_site
from generator.theme import load_theme

TITLE_LIMIT = 70


@dataclass(frozen=True)
class PostState:
    """A post as the author should know it before publishing: its status and its footer."""

    source: str
    title: str
    status: str
    date: datetime
    footer: Footer


@dataclass(frozen=True)
class CheckReport:
    """Every problem found, and every post's status and footer (drafts and scheduled posts listed)."""

    problems: tuple[Problem, ...]
    posts: tuple[PostState, ...] = ()
    next_scheduled: datetime | None = None

    @property
    def errors(self) -> int:
        return sum(p.severity == "error" for p in self.problems)

    @property
    def warnings(self) -> int:
        return sum(p.severity == "warning" for p in self.problems)

    def failed(self, strict: bool) -> bool:
        """Errors always fail; warnings fail only when the author asked for --strict."""
        return self.errors > 0 or (strict and self.warnings > 0)

    def as_json(self) -> dict[str, Any]:
        """A stable structure for editors and CI."""
        return {
            "errors": self.errors,
            "warnings": self.warnings,
            "problems": [{"path": p.path, "line": p.line, "severity": p.severity, "message": p.message} for p in self.problems],
            "posts": [{"path": s.source, "title": s.title, "status": s.status, "date": s.date.isoformat(),
                       "footer": s.footer.text, "footer_reason": s.footer.reason} for s in self.posts],
            "next_scheduled": self.next_scheduled.isoformat() if self.next_scheduled else None,
        }


@dataclass(frozen=True)
class Loaded:
    """The build's stages run in memory: the site as published, the preview with drafts, the raw sources."""

    config: SiteConfig
    content: Content
    published: Site
    preview: Site
    sources: dict[str, str]
    warnings: tuple[Problem, ...]


def load(root: Path, now: datetime) -> Loaded:
    """Run the build's loading and site stages, remembering each source's text for line lookups."""
    config, config_warnings = load_config(root)
    sources: dict[str, str] = {}

    def remember(path: Path) -> bytes:
        raw = path.read_bytes()
        rel = path.relative_to(config.root).as_posix()
        try:
            sources[rel] = normalise_text(rel, raw)
        except SiteError:
            pass
        return raw

    content, content_warnings = load_content(config, read=remember)
    published = assemble_site(config, content, now)
    preview = assemble_site(config, content, now, include_drafts=True)
    return Loaded(config, content, published, preview, sources, tuple(config_warnings + content_warnings))


def next_scheduled(root: Path, now: datetime) -> datetime | None:
    """When the next future-dated post becomes due, so a scheduler can rebuild exactly then."""
    return load(root, now).published.next_scheduled


def check_site(root: Path, now: datetime) -> CheckReport:
    """Review the site as of `now` without writing anything; input errors become part of the report."""
    try:
        loaded = load(root, now)
    except SiteError as exc:
        return CheckReport(exc.problems)
    problems = list(loaded.warnings)
    outputs = rendered_outputs(loaded, problems)
    for entry in loaded.preview.entries:
        problems += post_problems(loaded, entry)
    problems += policy_target_problems(loaded)
    problems += flag_term_problems(loaded)
    problems += reference_problems(loaded, outputs)
    states = tuple(PostState(e.post.source, e.post.title, e.status, e.post.date, e.footer)
                   for e in sorted(loaded.preview.entries, key=lambda e: e.post.source))
    return CheckReport(tuple(sorted(set(problems))), states, loaded.published.next_scheduled)


def rendered_outputs(loaded: Loaded, problems: list[Problem]) -> set[str]:
    """Render the published site in memory: template errors surface, and we learn every file it would hold."""
    rendered = render_markdown(loaded.content, loaded.config.base_path)
    try:
        return {rel for rel, _data in site_files(loaded.published, rendered, load_theme(loaded.config))}
    except jinja2.TemplateError as exc:
        problems.append(template_problem(exc))
    except SiteError as exc:
        problems.extend(exc.problems)
    return set()


def key_line(loaded: Loaded, source: str, key: str) -> int:
    """The line a frontmatter key sits on, read with the build's own frontmatter parser."""
    return parse_document(source, loaded.sources[source]).line_of(key) if source in loaded.sources else 1


def post_problems(loaded: Loaded, entry: Entry) -> list[Problem]:
    """Empty posts, long titles, missing summaries and the employer's disclaimer policy."""
    post, found = entry.post, []
    if not MORE_MARKER.sub("", post.body).strip():
        found.append(warning(post.source, post.body_line, "the post is empty"))
    if len(post.title) > TITLE_LIMIT:
        found.append(warning(post.source, key_line(loaded, post.source, "title"),
                             f"title is {len(post.title)} characters; over {TITLE_LIMIT} gets cut off in search results and feed readers"))
    if not post.summary:
        found.append(warning(post.source, key_line(loaded, post.source, "summary"),
                             "no summary: listings and search results will show the first paragraph instead"))
    required = required_by_policy(loaded.config, entry)
    if required and entry.footer.text is None:
        found.append(error(post.source, key_line(loaded, post.source, "disclaimer"),
                           f"policy.require_disclaimer_for lists '{required[0]}', but this post carries no disclaimer "
                           f"(decided by {entry.footer.reason})"))
    return found


def required_by_policy(config: SiteConfig, entry: Entry) -> list[str]:
    """The names in policy.require_disclaimer_for (categories or author keys) that apply to this post."""
    return [name for name in config.policy.require_disclaimer_for if name in (entry.post.category, entry.post.author)]


def policy_target_problems(loaded: Loaded) -> list[Problem]:
    """A misspelt name in require_disclaimer_for would silently switch the policy off."""
    known = set(loaded.config.authors) | set(loaded.config.categories) | {p.category for p in loaded.content.posts}
    return [warning("site.yaml", None, f"policy.require_disclaimer_for: '{name}' is neither an author nor a category")
            for name in loaded.config.policy.require_disclaimer_for if name not in known]


def flag_term_problems(loaded: Loaded) -> list[Problem]:
    """Every occurrence of a flagged term (a client's name, a confidential project) in posts and pages."""
    terms = loaded.config.policy.flag_terms
    if not terms:
        return []
    pattern = re.compile("|".join(rf"(?<!\w){re.escape(term)}(?!\w)" for term in terms), re.IGNORECASE)
    documents = [r.source for r in loaded.content.posts + loaded.content.pages]
    return [
        error(source, number, f"flagged term '{match.group(0)}' (policy.flag_terms) at column {match.start() + 1}")
        for source in documents
        for number, text in enumerate(loaded.sources.get(source, "").splitlines(), start=1)
        for match in pattern.finditer(text)
    ]


def reference_problems(loaded: Loaded, outputs: set[str]) -> list[Problem]:
    """Images without alt text, and links to posts, pages or files that the built site would not have."""
    unpublished = {e.url for e in loaded.preview.entries} | {p.url for p in loaded.preview.pages}
    documents = [(e.post, e.url) for e in loaded.preview.entries] + [(p.page, p.url) for p in loaded.preview.pages]
    markdown, found = MarkdownRenderer(), []
    for record, url in documents:
        for reference in body_references(record.body, markdown):
            line = record.body_line + reference.line
            found += reference_problem(loaded.config, record.source, line, url, reference, outputs, unpublished)
    return found


def reference_problem(config: SiteConfig, source: str, line: int, page_url: str, reference: Reference,
                      outputs: set[str], unpublished: set[str]) -> list[Problem]:
    if reference.tag == "img" and reference.alt is not None and not reference.alt.strip():
        return [warning(source, line, f"image {reference.target!r} has no alt text")]
    target = resolve(config, page_url, reference)
    if target is None or not outputs or _exists(target, outputs):
        return []
    if target in unpublished or target + "/" in unpublished:
        return [warning(source, line, f"link {reference.target!r} points to a draft or scheduled post that is not published yet")]
    return [error(source, line, f"link {reference.target!r} does not resolve to any page or file of the site")]


def _exists(target: str, outputs: set[str]) -> bool:
    if target == "" or target.endswith("/"):
        return target + "index.html" in outputs
    return target in outputs or target + "/index.html" in outputs


def explain(root: Path, now: datetime, wanted: str) -> list[str]:
    """Why a post carries the footer it does: each level of the rule, and the one that decided."""
    loaded = load(root, now)
    entry = find_entry(loaded.preview, wanted)
    post, config = entry.post, loaded.config
    category = config.categories.get(post.category)
    levels = [
        ("the post's 'disclaimer' setting", post.disclaimer),
        (f"category '{post.category}' in site.yaml", category.disclaimer if category else None),
        (f"author '{post.author}' in site.yaml", entry.author.disclaimer),
        ("the site default (disclaimer.default)", config.disclaimer.default),
    ]
    lines = [f"{post.source} ({post.title!r}, {entry.status})",
             f"footer: {entry.footer.text!r}" if entry.footer.text else "footer: none",
             f"decided by: {entry.footer.reason}", "rule, first setting wins:"]
    deciding = next(number for number, (_name, value) in enumerate(levels, start=1) if value is not None)
    for number, (name, value) in enumerate(levels, start=1):
        marker = "  <- decides" if number == deciding else ""
        lines.append(f"  {number}. {name}: {'not set' if value is None else _yaml_word(value)}{marker}")
    required = required_by_policy(config, entry)
    if required:
        verdict = "satisfied" if entry.footer.text else "VIOLATED"
        lines.append(f"policy.require_disclaimer_for lists '{required[0]}': {verdict}")
    return lines


def _yaml_word(value: bool | str) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else "its own footer text"


def find_entry(site: Site, wanted: str) -> Entry:
    """Accept whatever the author has at hand: the path, the file name, its stem or the slug."""
    name = wanted.replace("\\", "/")
    for entry in site.entries:
        source = entry.post.source
        if name in (source, Path(source).name, Path(source).stem, entry.post.slug) or source.endswith("/" + name):
            return entry
    raise SiteError([error(wanted, None, "no post matches this path, file name or slug")])


def text_report(report: CheckReport) -> Iterator[tuple[str, str | None]]:
    """Lines for a person, grouped by file, each with a colour name (or None)."""
    by_file: dict[str, list[tuple[str, str | None]]] = {}
    colours = {"error": "red", "warning": "yellow"}
    for problem in report.problems:
        where = f"line {problem.line}: " if problem.line else ""
        by_file.setdefault(problem.path, []).append((f"  {where}{problem.severity}: {problem.message}", colours[problem.severity]))
    for state in report.posts:
        if state.status != "published":
            note = "draft" if state.status == "draft" else f"scheduled for {state.date.isoformat(sep=' ')}"
            by_file.setdefault(state.source, []).append((f"  {note}", "cyan"))
    for path in sorted(by_file):
        yield path, None
        yield from by_file[path]
    yield from footer_summary(report)
    yield summary_line(report)


def footer_summary(report: CheckReport) -> Iterator[tuple[str, str | None]]:
    counts = Counter(("with footer" if s.footer.text else "no footer", s.footer.reason) for s in report.posts)
    if counts:
        yield "Disclaimer footers (check --explain POST for one post):", None
    for (kind, reason), count in sorted(counts.items()):
        yield f"  {count} post(s) {kind}, decided by {reason}", None


def summary_line(report: CheckReport) -> tuple[str, str | None]:
    statuses = Counter(s.status for s in report.posts)
    parts = [f"{report.errors} error(s)", f"{report.warnings} warning(s)",
             f"{statuses['draft']} draft(s)", f"{statuses['scheduled']} scheduled"]
    if report.next_scheduled:
        parts.append(f"next scheduled post: {report.next_scheduled.isoformat()}")
    return "; ".join(parts), "red" if report.errors else "green"
