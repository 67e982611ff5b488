"""The deskpress command: a thin shell that parses arguments, calls the pipeline and prints results."""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

import click

from generator.build import build as run_build
from generator.errors import Problem, SiteError
from generator.importers.wordpress import ImportOptions, import_wordpress

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
    print_problems(result.warnings)
    site = result.site
    click.echo(
        f"Built {len(site.entries)} posts, {len(site.pages)} pages, {result.feeds} feeds: "
        f"{result.written.changed} of {result.written.files} files changed, {result.written.removed} removed, "
        f"in {result.seconds:.2f}s -> {result.output}"
    )
    if site.next_scheduled:
        click.echo(f"next scheduled post: {site.next_scheduled.isoformat()}")


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
