"""The deskpress command: a thin shell that parses arguments, calls the pipeline and prints results."""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

import click

from generator.build import build as run_build
from generator.errors import Problem, SiteError
from generator.progress import BuildProgress

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
@click.option("--jobs", "-j", type=click.IntRange(min=1), help="Processes rendering Markdown (default: all cores).")
@click.option("--no-cache", is_flag=True, help="Ignore .deskpress-cache/ and redo all the work (the output is the same).")
@click.option("--profile", is_flag=True, help="Print how long each stage of the build took.")
@click.option("--reference-markdown", is_flag=True, help="Render all Markdown with markdown-it-py even when deskpress[fast] is installed.")
def build(site_dir: Path, output: Path | None, drafts: bool, jobs: int | None, no_cache: bool, profile: bool,
          reference_markdown: bool) -> None:
    """Build the site into its output folder (public/ by default)."""
    try:
        with BuildProgress() as progress:
            result = run_build(site_dir, now_utc(), output=output, drafts=drafts, jobs=jobs, use_cache=not no_cache,
                               fast_markdown=False if reference_markdown else None, progress=progress)
    except SiteError as exc:
        print_problems(exc.problems)
        errors = sum(p.severity == "error" for p in exc.problems)
        click.secho(f"Build failed: {errors} error(s); the previous output was left as it was.", fg="red", err=True)
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
    if profile:
        print_profile(result.stages, result.seconds)


def print_profile(stages: Iterable[tuple[str, float]], total: float) -> None:
    """Where the time went, so a user can see why their site is slow."""
    for name, seconds in stages:
        click.echo(f"{seconds:8.3f}s {100 * seconds / (total or 1):5.1f}%  {name}")
