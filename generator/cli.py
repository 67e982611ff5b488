"""The deskpress command: a thin shell that parses arguments, calls the pipeline and prints results.

Each command imports what it runs: `deskpress build` starts stat-ing the site's files in another process
before it loads the pipeline (see generator/inputs.py), and no command loads what only others need."""

from __future__ import annotations

import gc
import json
import os
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, NoReturn

import click

from generator.errors import Problem, SiteError
from generator.inputs import inputs_taken_aside
from generator.progress import BuildProgress

COMMENT_TYPES = ("comment", "pingback", "trackback")  # content.COMMENT_TYPES, without loading content.py at start

site_option = click.option(
    "--site", "site_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
    show_default=True, help="The site folder (holding site.yaml).",
)


def print_problems(problems: Iterable[Problem]) -> None:
    """One line per problem on stderr, errors in red, warnings in yellow when it is a terminal."""
    for problem in problems:
        colour = "red" if problem.severity == "error" else "yellow"
        click.secho(str(problem), fg=colour, err=True)


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="deskpress")
def main() -> None:
    """deskpress: a static blog for people who write in their own name about their work."""


def run() -> None:
    """The `deskpress` command: main(), then out without tearing the interpreter down, which only
    frees memory the system takes back anyway (0.4 s after rebuilding a 10,000-post blog)."""
    try:
        main.main(prog_name="deskpress")
        code: object = 0
    except SystemExit as stop:
        code = stop.code
    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code or 0)


@main.command()
@site_option
@click.option("--output", "-o", type=click.Path(file_okay=False, path_type=Path), help="Write here instead of output_dir.")
@click.option("--drafts", is_flag=True, help="Also publish drafts and future posts (for previews only).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), help="Processes parsing, rendering and writing (default: all cores).")
@click.option("--no-cache", is_flag=True, help="Ignore .deskpress-cache/ and redo all the work (the output is the same).")
@click.option("--profile", is_flag=True, help="Print how long each stage of the build took.")
@click.option("--reference-markdown", is_flag=True, help="Render all Markdown with markdown-it-py even when deskpress[fast] is installed.")
def build(site_dir: Path, output: Path | None, drafts: bool, jobs: int | None, no_cache: bool, profile: bool,
          reference_markdown: bool) -> None:
    """Build the site into its output folder (public/ by default)."""
    gc.disable()  # this process ends with the build: collecting its garbage at the end would only cost time
    inputs_taken = None if no_cache else inputs_taken_aside(site_dir)
    from generator.build import build as run_build

    try:
        with BuildProgress() as progress:
            result = run_build(site_dir, now_utc(), output=output, drafts=drafts, jobs=jobs, use_cache=not no_cache,
                               fast_markdown=False if reference_markdown else None, progress=progress,
                               inputs_taken=inputs_taken)
    except SiteError as exc:
        print_problems(exc.problems)
        errors = sum(p.severity == "error" for p in exc.problems)
        click.secho(f"Build failed: {errors} error(s); the previous output was left as it was.", fg="red", err=True)
        sys.exit(1)
    except OSError as exc:
        click.secho(f"{exc.filename or site_dir}: {exc.strerror or exc}", fg="red", err=True)
        click.secho("Build failed: the file system refused an operation.", fg="red", err=True)
        sys.exit(1)
    print_problems(result.warnings)
    summary = result.summary
    click.echo(
        f"Built {summary.posts} posts, {summary.pages} pages, {result.feeds} feeds: "
        f"{result.written.changed} of {result.written.files} files changed, {result.written.removed} removed, "
        f"in {result.seconds:.2f}s -> {result.output}"
    )
    if summary.next_scheduled:
        click.echo(f"next scheduled post: {summary.next_scheduled.isoformat()}")
    if profile:
        print_profile(result.stages, result.seconds)


def print_profile(stages: Iterable[tuple[str, float]], total: float) -> None:
    """Where the time went, so a user can see why their site is slow."""
    for name, seconds in stages:
        click.echo(f"{seconds:8.3f}s {100 * seconds / (total or 1):5.1f}%  {name}")


# --- writing workflow: new, serve, next, check (issue 4) ---


def exit_on_site_error(exc: SiteError) -> NoReturn:
    print_problems(exc.problems)
    sys.exit(1)


@main.command()
@site_option
@click.argument("title")
@click.option("--page", is_flag=True, help="Make a page (content/pages/) instead of a post.")
@click.option("--category", help="The post's category.")
@click.option("--author", help="An author key from site.yaml (default: default_author).")
@click.option("--tags", default="", help="Comma-separated tags, e.g. python,work.")
def new(site_dir: Path, title: str, page: bool, category: str | None, author: str | None, tags: str) -> None:
    """Start a draft post (or --page) with complete frontmatter and print its path."""
    from generator.new import NewDocument, create as create_document

    request = NewDocument(title, page, category, author, tuple(t.strip() for t in tags.split(",") if t.strip()))
    try:
        path = create_document(site_dir, request, now_utc())
    except SiteError as exc:
        exit_on_site_error(exc)
    click.echo(path)


@main.command()
@site_option
@click.option("--port", default=8000, show_default=True, help="Port to listen on (0 = any free port).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind; others can reach anything but loopback.")
@click.option("--drafts", is_flag=True, help="Also show drafts and future posts, marked as such.")
@click.option("--open", "open_browser", is_flag=True, help="Open the site in the web browser.")
@click.option("--output", "-o", type=click.Path(file_okay=False, path_type=Path),
              help="Build here (default: a private temporary folder, never public/).")
def serve(site_dir: Path, port: int, host: str, drafts: bool, open_browser: bool, output: Path | None) -> None:
    """Preview the site with live reload: rebuilds on every save, errors shown in the browser."""
    from generator.serve import PreviewOptions, run_preview  # watchdog and the HTTP server: only when serving

    run_preview(PreviewOptions(site_dir, host, port, drafts, open_browser, output), now_utc)


@main.command(name="next")
@site_option
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z", "%Y-%m-%d %H:%M:%S%z"]),
              help="Answer as of this moment instead of now (ISO 8601 with offset).")
def next_post(site_dir: Path, as_of: datetime | None) -> None:
    """Print when the next scheduled post is due (ISO 8601), or nothing when none is."""
    from generator.check import next_scheduled

    try:
        moment = next_scheduled(site_dir, as_of or now_utc())
    except SiteError as exc:
        exit_on_site_error(exc)
    if moment:
        click.echo(moment.isoformat())


@main.command()
@site_option
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--explain", metavar="POST", help="Explain which disclaimer footer POST carries and why.")
def check(site_dir: Path, strict: bool, output_format: str, explain: str | None) -> None:
    """Review the site before publishing; writes nothing; exits 1 on errors (or warnings with --strict)."""
    from generator.check import check_site, explain as explain_footer, text_report

    if explain:
        try:
            click.echo("\n".join(explain_footer(site_dir, now_utc(), explain)))
        except SiteError as exc:
            exit_on_site_error(exc)
        return
    report = check_site(site_dir, now_utc())
    if output_format == "json":
        click.echo(json.dumps(report.as_json(), indent=2, ensure_ascii=False))
    else:
        for line, colour in text_report(report):
            click.secho(line, fg=colour)
    sys.exit(1 if report.failed(strict) else 0)


# --- comment moderation (issue 3) ---
@main.group()
def comment() -> None:
    """Moderate responses: each is a file under content/comments/<post-slug>/."""


@comment.command("add")
@site_option
@click.argument("post_slug")
@click.option("--author", required=True, help="The commenter's name, or the linking page's title for a ping.")
@click.option("--url", help="The commenter's website, or the linking page (http/https only).")
@click.option("--email", help="Kept in the file for the moderator; never published.")
@click.option("--type", "kind", type=click.Choice(COMMENT_TYPES), default="comment", show_default=True)
@click.option("--in-reply-to", help="File name (without .md) of the comment this one answers.")
@click.option("--date", "when", help="When it was written: YYYY-MM-DD HH:MM[+HH:MM] (default: now).")
def comment_add(site_dir: Path, post_slug: str, author: str, url: str | None, email: str | None, kind: str,
                in_reply_to: str | None, when: str | None) -> None:
    """Add a response to POST_SLUG, reading its Markdown body from standard input."""
    from generator.moderate import NewComment, add_comment

    new = NewComment(post_slug, author, sys.stdin.read(), kind, url, email, in_reply_to, when)
    try:
        path = add_comment(site_dir, new, now_utc())
    except SiteError as exc:
        print_problems(exc.problems)
        sys.exit(1)
    click.echo(f"Wrote {path}")


# --- import (issue 6) ---


@main.group("import")
def import_group() -> None:
    """Bring a blog over from another engine."""


@import_group.command("wordpress")
@click.argument("export", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@site_option
@click.option("--uploads", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="A copy of wp-content/uploads: images are copied into content/static/ and links rewritten.")
@click.option("--dry-run", is_flag=True, help="Print the report and write nothing.")
@click.option("--force", is_flag=True, help="Replace authors and categories that site.yaml already has.")
@click.option("--all-categories-as-tags", is_flag=True, help="Make every WordPress category a tag (the first is not the category).")
def wordpress(export: Path, site_dir: Path, uploads: Path | None, dry_run: bool, force: bool, all_categories_as_tags: bool) -> None:
    """Import a WordPress export (Tools > Export, a WXR .xml file) into the site folder."""
    from generator.importers.wordpress import ImportOptions, import_wordpress  # here: its HTML parser slows every start

    options = ImportOptions(export, site_dir, uploads, dry_run, force, all_categories_as_tags)
    try:
        report = import_wordpress(options)
    except SiteError as exc:
        print_problems(exc.problems)
        click.secho("Import failed: nothing was written.", fg="red", err=True)
        sys.exit(1)
    print_problems(report.warnings)
    for line in report.lines():
        click.echo(line)
