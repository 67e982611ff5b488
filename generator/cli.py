"""The deskpress command: a thin shell that parses arguments, calls the pipeline and prints results."""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

import click

from generator.build import build as run_build
from generator.content import COMMENT_TYPES
from generator.errors import Problem, SiteError
from generator.moderate import NewComment, add_comment

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


@main.command()
@site_option
@click.option("--output", "-o", type=click.Path(file_okay=False, path_type=Path), help="Write here instead of output_dir.")
@click.option("--drafts", is_flag=True, help="Also publish drafts and future posts (for previews only).")
def build(site_dir: Path, output: Path | None, drafts: bool) -> None:
    """Build the site into its output folder (public/ by default)."""
    try:
        result = run_build(site_dir, now_utc(), output=output, drafts=drafts)
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
    site = result.site
    click.echo(
        f"Built {len(site.entries)} posts, {len(site.pages)} pages, {result.feeds} feeds: "
        f"{result.written.changed} of {result.written.files} files changed, {result.written.removed} removed, "
        f"in {result.seconds:.2f}s -> {result.output}"
    )
    if site.next_scheduled:
        click.echo(f"next scheduled post: {site.next_scheduled.isoformat()}")


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
    new = NewComment(post_slug, author, sys.stdin.read(), kind, url, email, in_reply_to, when)
    try:
        path = add_comment(site_dir, new, now_utc())
    except SiteError as exc:
        print_problems(exc.problems)
        sys.exit(1)
    click.echo(f"Wrote {path}")
